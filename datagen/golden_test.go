package datagen

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"riskflow/frame"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt")

// TestGolden pins a sample of rows so that an unintended change to the generator shows up as
// a diff. Numbers are printed to 6 significant digits, so the file holds on any GOARCH.
// Refresh it with: go test ./datagen -run TestGolden -update
func TestGolden(t *testing.T) {
	f, err := GenerateFrame(context.Background(), Config{Rows: 2000, Seed: 1, WithTruth: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(strings.Join(f.Schema().Names(), "\t") + "\n")
	for i := 0; i < f.Len(); i++ {
		if i >= 5 && i%250 != 0 {
			continue
		}
		for j, c := range f.Columns() {
			if j > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(goldenValue(c, i))
		}
		b.WriteByte('\n')
	}
	path := filepath.Join("testdata", "golden.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for k := range min(len(gl), len(wl)) {
			if gl[k] != wl[k] {
				t.Fatalf("line %d differs from %s (run with -update if the change is intended):\ngot  %s\nwant %s", k+1, path, gl[k], wl[k])
			}
		}
		t.Fatalf("%d lines, %s has %d", len(gl), path, len(wl))
	}
}

func goldenValue(c *frame.Column, i int) string {
	if c.IsMissing(i) {
		return "NA"
	}
	if c.Kind == frame.Numeric {
		return fmt.Sprintf("%.6g", c.Num[i])
	}
	return c.Format(i)
}
