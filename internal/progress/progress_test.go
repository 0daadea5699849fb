package progress

import (
	"bytes"
	"testing"
)

func TestDisabledOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	b := Start(&buf, true, Options{Name: "x", Unit: "rows", Total: 10})
	b.Add(5)
	b.Note("auc 0.8")
	b.SetCurrent(10)
	b.Done()
	if buf.Len() != 0 {
		t.Fatalf("a bar off a terminal wrote %q", buf.String())
	}
}

func TestHumanCount(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {12_345, "12k"}, {12_345_678, "12M"}, {-5, "-5"}} {
		if got := humanCount(tt.n); got != tt.want {
			t.Errorf("humanCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
