package bundle

import (
	"os"
	"testing"
)

// BenchmarkFileRead reads, verifies and decodes the bundle named by $RISKFLOW_BUNDLE: the
// per-bundle part of a server's cold start.
//
//	RISKFLOW_BUNDLE=/tmp/cs.bundle go test -run '^$' -bench FileRead -benchmem ./bundle
func BenchmarkFileRead(b *testing.B) {
	path := os.Getenv("RISKFLOW_BUNDLE")
	if path == "" {
		b.Skip("set RISKFLOW_BUNDLE")
	}
	if path[0] != '/' {
		path = "../" + path
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(path); err != nil {
			b.Fatal(err)
		}
	}
}
