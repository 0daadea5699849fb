package frameio

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenOutput pins the exact CSV and JSONL text written for trickyFrame. Refresh with
// go test ./frameio -run TestGoldenOutput -update, and review the diff.
func TestGoldenOutput(t *testing.T) {
	for _, format := range []Format{CSV, JSONL} {
		t.Run(format.String(), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(context.Background(), &buf, format, trickyFrame()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "tricky.golden."+format.String())
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("output differs from %s:\n%s", path, buf.Bytes())
			}
		})
	}
}
