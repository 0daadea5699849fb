package frameio

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"riskflow/frame"
	"riskflow/internal/jsontext"
)

func TestReadJSONL(t *testing.T) {
	path := filepath.Join("testdata", "orders.jsonl")
	ctx := context.Background()
	_, err := Read(ctx, path, ReadOptions{})
	if want := "frameio: " + path + ":1: column tags: nested JSON objects and arrays are not supported"; err == nil || err.Error() != want {
		t.Fatalf("error\n got %v\nwant %s", err, want)
	}
	// Without the nested column the file reads; the unselected nested values are skipped.
	names := []string{"id", "amount", "country", "is_new", "created_at", "note", "mixed"}
	f, err := Read(ctx, path, ReadOptions{Columns: names})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind  frame.Kind
		cells []string
	}{
		{frame.Numeric, []string{"1", "2", "3", "4"}},
		{frame.Numeric, []string{"12.5", "∅", "-0.25", "1000"}},
		{frame.String, []string{"DE", "AT", "∅", "∅"}},
		{frame.Bool, []string{"true", "false", "∅", "∅"}},
		{frame.Time, []string{"2025-03-01T12:30:00Z", "2025-03-02T00:00:00Z", "∅", "∅"}},
		{frame.String, []string{"café 😀", "7", "line\nbreak", "∅"}}, // strings and a number: String
		{frame.String, []string{"∅", "∅", "x", "5"}},
	}
	for j, w := range want {
		t.Run(names[j], func(t *testing.T) {
			c := f.Col(j)
			if c.Name != names[j] || c.Kind != w.kind {
				t.Fatalf("column %d is %s %v, want %s %v", j, c.Name, c.Kind, names[j], w.kind)
			}
			if got := cells(c); !slices.Equal(got, w.cells) {
				t.Fatalf("cells %q, want %q", got, w.cells)
			}
		})
	}
}

func TestReadJSONLInference(t *testing.T) {
	in := `{"n":1,"b":true,"s":"x","t":"2025-01-01T00:00:00Z","z":null,"m":1}
{"n":2.5,"b":false,"s":"y","t":"2025-01-02","m":"a"}
`
	f, err := decodeString(t, JSONL, in, ReadOptions{Kinds: map[string]frame.Kind{"forced": frame.Bool}})
	if err != nil {
		t.Fatal(err)
	}
	want := frame.Schema{
		{Name: "n", Kind: frame.Numeric}, {Name: "b", Kind: frame.Bool}, {Name: "s", Kind: frame.String},
		{Name: "t", Kind: frame.Time}, {Name: "z", Kind: frame.Numeric}, {Name: "m", Kind: frame.String},
		{Name: "forced", Kind: frame.Bool}, // named only by Kinds: a column of missing values
	}
	if got := f.Schema(); !slices.Equal(got, want) {
		t.Fatalf("schema\n got %v\nwant %v", got, want)
	}
	if got := cells(f.Col(6)); !slices.Equal(got, []string{"∅", "∅"}) {
		t.Fatalf("forced column %q", got)
	}
}

func TestReadJSONLConversions(t *testing.T) {
	// After inference, values convert through their text like CSV cells.
	in := "{\"a\":1,\"s\":\"x\",\"b\":true}\n{\"a\":\"2.5\",\"s\":7,\"b\":\"FALSE\"}\n{\"a\":\"NA\",\"s\":\"NA\",\"b\":\"\"}\n"
	f, err := decodeString(t, JSONL, in, ReadOptions{SampleRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range [][]string{{"1", "2.5", "∅"}, {"x", "7", "NA"}, {"true", "false", "∅"}} {
		if got := cells(f.Col(j)); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", f.Col(j).Name, got, want)
		}
	}
}

func TestReadJSONLErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  ReadOptions
		want string
	}{
		{"not an object", "[1,2]\n", ReadOptions{}, `frameio: line 1: invalid JSON: want an object at offset 0, found '['`},
		{"truncated", "{\"a\":1\n", ReadOptions{}, "frameio: line 1: unexpected end of JSON object"},
		{"trailing data", "{\"a\":1} x\n", ReadOptions{}, `frameio: line 1: invalid JSON: trailing data after the object at offset 8, found 'x'`},
		{"bad literal", "{\"a\":tru}\n", ReadOptions{}, `frameio: line 1: column a: invalid JSON: invalid literal at offset 5, found 't'`},
		{"bad number", "{\"a\":01}\n", ReadOptions{}, `frameio: line 1: invalid JSON: want , or } at offset 6, found '1'`},
		{"control character", "{\"a\":\"x\ty\"}\n", ReadOptions{}, `frameio: line 1: column a: invalid JSON: control character in string at offset 7, found '\t'`},
		{"bad escape", `{"a":"\q"}` + "\n", ReadOptions{}, `frameio: line 1: column a: invalid JSON: invalid escape at offset 6, found '\\'`},
		{"duplicate key", "{\"a\":1,\"a\":2}\n", ReadOptions{}, "frameio: line 1: column a: duplicate key"},
		{"unknown key after sample", "{\"a\":1}\n\n{\"a\":2,\"b\":3}\n", ReadOptions{SampleRows: 1}, `frameio: line 3: key "b" is not in the first 1 rows (raise ReadOptions.SampleRows or set ReadOptions.Kinds)`},
		{"kind after sample", "{\"a\":1}\n{\"a\":true}\n", ReadOptions{SampleRows: 1}, `frameio: line 2: column a: cannot parse "true" as a number`},
		{"non-finite", "{\"a\":1e999}\n", ReadOptions{}, `frameio: line 1: column a: cannot parse "1e999" as a number`},
		{"nested", "{\"a\":{}}\n", ReadOptions{}, "frameio: line 1: column a: nested JSON objects and arrays are not supported"},
		{"select unknown", "{\"a\":1}\n", ReadOptions{Columns: []string{"b"}}, `frameio: no key "b" in the first 10000 rows to select (set ReadOptions.Kinds to read it anyway)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeString(t, JSONL, tt.in, tt.opt)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestReadJSONLEmpty(t *testing.T) {
	f, err := decodeString(t, JSONL, "\n  \n", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 0 || f.NumCols() != 0 {
		t.Fatalf("got %d×%d", f.Len(), f.NumCols())
	}
}

func TestJSONStringEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"plain"`, "plain"},
		{`"caf\u00e9"`, "café"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\ud83d x"`, "\ufffd x"}, // unpaired surrogate
		{`"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t"},
		{"\"bad \xff utf8\"", "bad \ufffd utf8"},
		{"\"ok ü\"", "ok ü"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var s jsonScanner
			s.reset([]byte(tt.in))
			got, err := s.str(&s.vbuf)
			if err != nil || string(got) != tt.want {
				t.Fatalf("str(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if back := jsontext.AppendString(nil, tt.want); tt.in == `"caf\u00e9"` && string(back) != `"café"` {
				t.Fatalf("appendJSONString = %s", back)
			}
		})
	}
}
