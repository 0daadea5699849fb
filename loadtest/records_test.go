package loadtest

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadRecords(t *testing.T) {
	long := `{"x":"` + strings.Repeat("a", 200_000) + `"}`
	tests := []struct {
		name     string
		in       string
		want     []string
		wantLine int   // for a *RecordError
		wantErr  error // errors.Is
	}{
		{name: "lines", in: "{\"a\":1}\n{\"b\":[1,2]}\n", want: []string{`{"instances":[{"a":1}]}`, `{"instances":[{"b":[1,2]}]}`}},
		{name: "blank lines, CRLF, no final newline", in: "\n  {\"a\":1}  \r\n\r\n{\"a\":2}", want: []string{`{"instances":[{"a":1}]}`, `{"instances":[{"a":2}]}`}},
		{name: "long line", in: long + "\n", want: []string{`{"instances":[` + long + `]}`}},
		{name: "array", in: "{\"a\":1}\n[1,2]\n", wantLine: 2, wantErr: ErrNotObject},
		{name: "number", in: "42", wantLine: 1, wantErr: ErrNotObject},
		{name: "string", in: "\n\n\"x\"\n", wantLine: 3, wantErr: ErrNotObject},
		{name: "syntax", in: "{\"a\":1}\n{\"a\":}\n", wantLine: 2},
		{name: "two values on a line", in: "{\"a\":1} {\"a\":2}\n", wantLine: 1},
		{name: "empty", in: "", wantErr: ErrNoRecords},
		{name: "only blank lines", in: "\n \n\r\n", wantErr: ErrNoRecords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRecords(strings.NewReader(tt.in), "orders.jsonl")
			if tt.want != nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("%d bodies, want %d", len(got), len(tt.want))
				}
				for i := range got {
					if string(got[i]) != tt.want[i] {
						t.Errorf("body %d: %.80q, want %.80q", i, got[i], tt.want[i])
					}
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), "loadtest: ") {
				t.Fatalf("error %v, want one", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			var re *RecordError
			if tt.wantLine > 0 {
				if !errors.As(err, &re) || re.Line != tt.wantLine || re.File != "orders.jsonl" {
					t.Fatalf("error %v, want a RecordError at orders.jsonl:%d", err, tt.wantLine)
				}
				if prefix := "loadtest: orders.jsonl:" + strconv.Itoa(tt.wantLine) + ": "; !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("error %q, want prefix %q", err, prefix)
				}
			}
		})
	}
}

func TestReadRecordsReadError(t *testing.T) {
	_, err := ReadRecords(iotest.ErrReader(errors.New("disk on fire")), "x.jsonl")
	if err == nil || !strings.Contains(err.Error(), "loadtest: x.jsonl: disk on fire") {
		t.Errorf("error %v", err)
	}
}

func TestLoadRecords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.jsonl")
	if err := os.WriteFile(path, []byte("{\"a\":1}\n{\"a\":2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadRecords(path)
	if err != nil || len(got) != 2 || string(got[1]) != `{"instances":[{"a":2}]}` {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := LoadRecords(filepath.Join(dir, "missing.jsonl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func FuzzReadRecords(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n{\"b\":2}\n", "[1]", "", "{\"a\":\n", "\r\n{}\r\n", "{} {}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		bodies, err := ReadRecords(strings.NewReader(in), "f")
		if err != nil {
			return
		}
		if len(bodies) == 0 {
			t.Fatal("no bodies and no error")
		}
		for _, b := range bodies {
			var v struct {
				Instances []map[string]any `json:"instances"`
			}
			if err := json.Unmarshal(b, &v); err != nil || len(v.Instances) != 1 {
				t.Fatalf("body %q: %v, %d instances", b, err, len(v.Instances))
			}
		}
	})
}
