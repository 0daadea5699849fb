package jsontext

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`q"b\`, `"q\"b\\"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"héllo €", `"héllo €"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
	}
	for _, tt := range tests {
		if got := string(AppendString(nil, tt.in)); got != tt.want {
			t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if got := string(AppendString(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("AppendString([]byte %q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAppendStringAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	s := "a \"quoted\" value with é and \x01"
	if n := testing.AllocsPerRun(100, func() { AppendString(buf[:0], s) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

// FuzzAppendString: the output is valid JSON and decodes to s (with invalid UTF-8 replaced).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "x", "\"\\\n", "\xff\xfe", "é€𝄞"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q → %s is not valid JSON: %v", s, out, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want && utf8.ValidString(s) {
			t.Fatalf("%q → %s decodes to %q", s, out, back)
		}
	})
}
