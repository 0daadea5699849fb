package frameio

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"riskflow/frame"
)

// TestReadCSVIDColumnsProcs reads a file with ID columns (interned by hash partition, see
// csvDecoder.merge) in several chunks and segments under different GOMAXPROCS: the frame, and so
// the dictionaries' order, must not depend on either.
func TestReadCSVIDColumnsProcs(t *testing.T) {
	f := genOrders(30000, 5)
	path := filepath.Join(t.TempDir(), "orders.csv")
	if err := Write(context.Background(), path, f); err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 8} {
		for _, chunk := range []int{5000, 65536} {
			t.Run(fmt.Sprint(procs, "/", chunk), func(t *testing.T) {
				runtime.GOMAXPROCS(procs)
				got, err := Read(context.Background(), path, ReadOptions{ChunkRows: chunk})
				if err != nil {
					t.Fatal(err)
				}
				assertFramesEqual(t, got, f)
				for _, c := range got.Columns() {
					if c.Kind == frame.String {
						checkFirstAppearance(t, c)
					}
				}
			})
		}
	}
}

// TestReadCSVErrorInLaterChunk: errors found by the scan made ahead during a merge (an
// unterminated quote) and by the parse of a later chunk name the right line.
func TestReadCSVErrorInLaterChunk(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct{ bad, want string }{
		{`"o9,1.5`, "frameio: orders.csv:9000: quoted field is not terminated"},
		{`o9,x`, `frameio: orders.csv:9000: column order_amount: cannot parse "x" as a number`},
	} {
		var b strings.Builder
		b.WriteString("order_id,order_amount\n")
		for i := 2; i < 9000; i++ {
			fmt.Fprintf(&b, "o%d,%d.25\n", i, i)
		}
		b.WriteString(tc.bad + "\n")
		for i := 9001; i < 9100; i++ {
			fmt.Fprintf(&b, "o%d,%d.25\n", i, i)
		}
		if err := os.WriteFile("orders.csv", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Read(context.Background(), "orders.csv", ReadOptions{SampleRows: 100, ChunkRows: 2500})
		if err == nil || err.Error() != tc.want {
			t.Fatalf("error\n got %v\nwant %s", err, tc.want)
		}
	}
}

// TestReaderDoesNotReadAhead: on a stream, Next returns a chunk without waiting for the input
// of the next one (the scan ahead takes only bytes already read).
func TestReaderDoesNotReadAhead(t *testing.T) {
	pr, pw := io.Pipe()
	ctx := context.Background()
	go func() {
		io.WriteString(pw, "id,v\n")
		for i := range 3000 {
			fmt.Fprintf(pw, "id%d,%d\n", i, i)
		}
	}()
	r, err := NewReader(ctx, pr, CSV, ReadOptions{ChunkRows: 3000, SampleRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := r.Next(ctx)
		if err == nil && f.Len() != 3000 {
			err = fmt.Errorf("%d rows", f.Len())
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next blocks on the input of the next chunk")
	}
	pw.Close()
	if _, err := r.Next(ctx); err != io.EOF {
		t.Fatalf("Next at the end: %v", err)
	}
}
