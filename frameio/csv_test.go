package frameio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"riskflow/frame"
)

// cells returns column c as text, "∅" for missing values.
func cells(c *frame.Column) []string {
	out := make([]string, c.Len())
	for i := range out {
		if c.IsMissing(i) {
			out[i] = "∅"
		} else {
			out[i] = c.Format(i)
		}
	}
	return out
}

func mustColumn(t *testing.T, f *frame.Frame, name string) *frame.Column {
	t.Helper()
	c, ok := f.Column(name)
	if !ok {
		t.Fatalf("no column %q in %v", name, f.Schema().Names())
	}
	return c
}

func decodeString(t *testing.T, format Format, s string, opt ReadOptions) (*frame.Frame, error) {
	t.Helper()
	return Decode(context.Background(), strings.NewReader(s), format, opt)
}

func TestReadCSVKindsAndQuoting(t *testing.T) {
	f, err := Read(context.Background(), filepath.Join("testdata", "kinds.csv"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		kind  frame.Kind
		cells []string
	}{
		{"id", frame.Numeric, []string{"1", "2", "3", "4"}},
		{"amount", frame.Numeric, []string{"12.5", "∅", "∅", "-0.001"}},
		{"country", frame.String, []string{"DE", "AT", "NA", "∅"}}, // a quoted "NA" is a value
		{"is_new", frame.Bool, []string{"true", "false", "true", "false"}},
		{"created_at", frame.Time, []string{"2025-03-01T12:30:00Z", "2025-03-02T07:00:00.25Z", "∅", "2025-03-04T00:00:00Z"}},
		{"birth_date", frame.Time, []string{"1990-07-14T00:00:00Z", "∅", "1985-01-31T00:00:00Z", "2001-02-03T00:00:00Z"}},
		{"note", frame.String, []string{"hello, world", `say "hi"`, "two\r\nlines", ""}}, // "" is the empty string
		{"empty", frame.Numeric, []string{"∅", "∅", "∅", "∅"}},                           // no values: numeric
		{"flags01", frame.Numeric, []string{"0", "1", "1", "0"}},                         // 0/1 is not boolean
	}
	if f.NumCols() != len(want) {
		t.Fatalf("schema %v", f.Schema())
	}
	for i, w := range want {
		t.Run(w.name, func(t *testing.T) {
			c := f.Col(i)
			if c.Name != w.name || c.Kind != w.kind {
				t.Fatalf("column %d is %s %v, want %s %v", i, c.Name, c.Kind, w.name, w.kind)
			}
			if got := cells(c); !slices.Equal(got, w.cells) {
				t.Fatalf("cells %q, want %q", got, w.cells)
			}
		})
	}
}

func TestReadCSVRealData(t *testing.T) {
	f, err := Read(context.Background(), filepath.Join("testdata", "credit_head.csv"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 39 || f.NumCols() != 14 {
		t.Fatalf("shape %d×%d, want 39×14", f.Len(), f.NumCols())
	}
	kinds := map[string]frame.Kind{"Status": frame.String, "Seniority": frame.Numeric, "Home": frame.String,
		"Income": frame.Numeric, "Job": frame.String, "Price": frame.Numeric}
	for name, k := range kinds {
		if c := mustColumn(t, f, name); c.Kind != k {
			t.Errorf("%s is %v, want %v", name, c.Kind, k)
		}
	}
	status := mustColumn(t, f, "Status")
	if !slices.Equal(status.Dict, []string{"good", "bad"}) {
		t.Errorf("Status dictionary %q, want [good bad] in order of appearance", status.Dict)
	}
	income := mustColumn(t, f, "Income")
	missing := 0
	for i := range income.Num {
		if income.IsMissing(i) {
			missing++
		}
	}
	if missing == 0 {
		t.Error("Income should have missing values")
	}
	if home := mustColumn(t, f, "Home"); !home.IsMissing(30) { // the first row with ",," has no Home
		t.Errorf("Home row 30 = %q, want missing", home.Format(30))
	}
}

func TestReadCSVErrors(t *testing.T) {
	good := "a,b,c\n1,x,true\n2,y,false\n"
	tests := []struct {
		name string
		in   string
		opt  ReadOptions
		want string
	}{
		{"empty input", "", ReadOptions{}, "frameio: empty input, want a header row"},
		{"only blank lines", "\n\r\n\n", ReadOptions{}, "frameio: empty input, want a header row"},
		{"empty header name", "a,,c\n1,2,3\n", ReadOptions{}, "frameio: line 1: header field 2 is empty"},
		{"duplicate header", "a,b,a\n1,2,3\n", ReadOptions{}, `frameio: line 1: header names column "a" twice (fields 1 and 3)`},
		{"too few fields", good + "3,z\n", ReadOptions{SampleRows: 1}, "frameio: line 4: wrong number of fields: got 2, want 3"},
		{"too many fields", good + "3,z,true,9\n", ReadOptions{SampleRows: 1}, "frameio: line 4: wrong number of fields: got 4, want 3"},
		{"field count in sample", "a,b\n1\n", ReadOptions{}, "frameio: line 2: wrong number of fields: got 1, want 2"},
		{"number", good + "3.5.1,z,true\n", ReadOptions{SampleRows: 2}, `frameio: line 4: column a: cannot parse "3.5.1" as a number`},
		{"non-finite", good + "inf,z,true\n", ReadOptions{SampleRows: 2}, `frameio: line 4: column a: cannot parse "inf" as a number`},
		{"non-finite in sample", "a\n1\n-Infinity\n", ReadOptions{}, `frameio: line 3: column a: cannot parse "-Infinity" as a number`},
		{"boolean", good + "3,z,yes\n", ReadOptions{SampleRows: 2}, `frameio: line 4: column c: cannot parse "yes" as a boolean`},
		{"timestamp", "t\n2025-01-01\n2025-02-30\n", ReadOptions{SampleRows: 1}, `frameio: line 3: column t: cannot parse "2025-02-30" as a timestamp`},
		{"bare quote", "a,b\n1,x\"y\"z\n", ReadOptions{}, `frameio: line 2: bare " in a field that is not quoted`},
		{"odd bare quote", "a,b\n1,x\"y\n", ReadOptions{}, `frameio: line 2: quoted field is not terminated`},
		{"extraneous quote", "a,b\n1,\"x\"y\n", ReadOptions{}, `frameio: line 2: extraneous character after a quoted field (unescaped " ?)`},
		{"unterminated quote", "a,b\n1,2\n3,\"x\n4,5\n", ReadOptions{}, "frameio: line 3: quoted field is not terminated"},
		{"line after multi-line field", "a,b\n\"x\ny\",1\n\"z\",q\n", ReadOptions{SampleRows: 1}, `frameio: line 4: column b: cannot parse "q" as a number`},
		{"select unknown", good, ReadOptions{Columns: []string{"a", "zz"}}, `frameio: no column "zz" to select`},
		{"kinds unknown", good, ReadOptions{Kinds: map[string]frame.Kind{"zz": frame.String}}, `frameio: ReadOptions.Kinds names columns the file does not have: "zz"`},
		{"invalid options", good, ReadOptions{ChunkRows: -1}, "frameio: ChunkRows is -1, want ≥ 0"},
		{"duplicate selection", good, ReadOptions{Columns: []string{"a", "a"}}, `frameio: Columns names "a" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeString(t, CSV, tt.in, tt.opt)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestReadCSVErrorNamesFileLineColumn reproduces the example message exactly.
func TestReadCSVErrorNamesFileLineColumn(t *testing.T) {
	t.Chdir(t.TempDir())
	var b strings.Builder
	b.WriteString("order_id,order_amount\n")
	for i := 2; i < 1043; i++ {
		fmt.Fprintf(&b, "o%d,%d.25\n", i, i)
	}
	b.WriteString("o1043,\"12,5\"\n")
	if err := os.WriteFile("orders.csv", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(context.Background(), "orders.csv", ReadOptions{SampleRows: 100, ChunkRows: 300})
	const want = `frameio: orders.csv:1043: column order_amount: cannot parse "12,5" as a number`
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got %v\nwant %s", err, want)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Path != "orders.csv" || pe.Line != 1043 || pe.Column != "order_amount" {
		t.Fatalf("ParseError fields %+v", pe)
	}
}

func TestReadCSVOptions(t *testing.T) {
	in := "id,zip,score,ok\n1,01234,0.5,true\n2,80331,0.25,false\n3,,NA,\n"
	tests := []struct {
		name  string
		opt   ReadOptions
		names []string
		kinds []frame.Kind
		cells [][]string
	}{
		{"inferred", ReadOptions{}, []string{"id", "zip", "score", "ok"},
			[]frame.Kind{frame.Numeric, frame.Numeric, frame.Numeric, frame.Bool},
			[][]string{{"1", "2", "3"}, {"1234", "80331", "∅"}, {"0.5", "0.25", "∅"}, {"true", "false", "∅"}}},
		{"forced string", ReadOptions{Kinds: map[string]frame.Kind{"zip": frame.String}}, []string{"id", "zip", "score", "ok"},
			[]frame.Kind{frame.Numeric, frame.String, frame.Numeric, frame.Bool},
			[][]string{{"1", "2", "3"}, {"01234", "80331", "∅"}, {"0.5", "0.25", "∅"}, {"true", "false", "∅"}}},
		{"selected and reordered", ReadOptions{Columns: []string{"ok", "zip"}, Kinds: map[string]frame.Kind{"zip": frame.String}},
			[]string{"ok", "zip"}, []frame.Kind{frame.Bool, frame.String},
			[][]string{{"true", "false", "∅"}, {"01234", "80331", "∅"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decodeString(t, CSV, in, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Schema().Names(); !slices.Equal(got, tt.names) {
				t.Fatalf("names %v, want %v", got, tt.names)
			}
			for j, c := range f.Columns() {
				if c.Kind != tt.kinds[j] {
					t.Errorf("%s kind %v, want %v", c.Name, c.Kind, tt.kinds[j])
				}
				if got := cells(c); !slices.Equal(got, tt.cells[j]) {
					t.Errorf("%s cells %q, want %q", c.Name, got, tt.cells[j])
				}
			}
		})
	}
}

func TestReadCSVLateValueOfOtherKind(t *testing.T) {
	// A column that looks numeric in the sample and then holds text is an error naming the line;
	// forcing the kind reads it.
	in := "a\n1\n2\nx\n"
	_, err := decodeString(t, CSV, in, ReadOptions{SampleRows: 2})
	if err == nil || err.Error() != `frameio: line 4: column a: cannot parse "x" as a number` {
		t.Fatalf("got %v", err)
	}
	f, err := decodeString(t, CSV, in, ReadOptions{SampleRows: 2, Kinds: map[string]frame.Kind{"a": frame.String}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cells(f.Col(0)); !slices.Equal(got, []string{"1", "2", "x"}) {
		t.Fatalf("cells %q", got)
	}
}

func TestReadCSVHeaderOnly(t *testing.T) {
	f, err := decodeString(t, CSV, "a,b\r\n", ReadOptions{Kinds: map[string]frame.Kind{"b": frame.Time}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 0 || f.NumCols() != 2 || f.Col(0).Kind != frame.Numeric || f.Col(1).Kind != frame.Time {
		t.Fatalf("got %d rows, schema %v", f.Len(), f.Schema())
	}
}

// genCSV returns a CSV text with rows rows whose string columns repeat in a pattern, with quoted
// multi-line fields sprinkled in, and the expected cells of each column.
func genCSV(rows int) (string, [][]string) {
	var b strings.Builder
	b.WriteString("n,s,q,b\n")
	want := make([][]string, 4)
	for i := 0; i < rows; i++ {
		s := fmt.Sprintf("v%d", (i*7)%13)
		q := fmt.Sprintf("line %d", i%5)
		qcell := q
		if i%9 == 0 {
			q = fmt.Sprintf("multi\nline, %d", i%4)
			qcell = `"` + q + `"`
		}
		bcell := []string{"true", "false", ""}[i%3]
		fmt.Fprintf(&b, "%d.5,%s,%s,%s\n", i, s, qcell, bcell)
		want[0] = append(want[0], fmt.Sprintf("%d.5", i))
		want[1] = append(want[1], s)
		want[2] = append(want[2], q)
		if bcell == "" {
			bcell = "∅"
		}
		want[3] = append(want[3], bcell)
	}
	return b.String(), want
}

// TestReaderChunks reads the same data whole and in chunks of several sizes (the larger ones
// are parsed in parallel) and checks rows, kinds and the dictionaries' order of first appearance.
func TestReaderChunks(t *testing.T) {
	const rows = 5000
	in, want := genCSV(rows)
	for _, chunk := range []int{1, 7, 1000, 4999, 65536} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			ctx := context.Background()
			r, err := NewReader(ctx, strings.NewReader(in), CSV, ReadOptions{ChunkRows: chunk, SampleRows: 50})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			schema := r.Schema()
			got := make([][]string, 4)
			var chunks []*frame.Frame
			for {
				f, err := r.Next(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if f.Len() == 0 || f.Len() > chunk {
					t.Fatalf("chunk of %d rows, ChunkRows %d", f.Len(), chunk)
				}
				if !slices.Equal(f.Schema(), schema) {
					t.Fatalf("chunk schema %v, want %v", f.Schema(), schema)
				}
				for j, c := range f.Columns() {
					got[j] = append(got[j], cells(c)...)
					if c.Kind == frame.String {
						checkFirstAppearance(t, c)
					}
				}
				chunks = append(chunks, f)
			}
			if _, err := r.Next(ctx); !errors.Is(err, io.EOF) {
				t.Fatalf("Next after the end: %v", err)
			}
			for j := range want {
				if !slices.Equal(got[j], want[j]) {
					t.Fatalf("column %s differs", schema[j].Name)
				}
			}
			if len(chunks) != (rows+chunk-1)/chunk {
				t.Fatalf("%d chunks", len(chunks))
			}
		})
	}
}

// checkFirstAppearance checks that a String column's dictionary is distinct and in order of first
// appearance.
func checkFirstAppearance(t *testing.T, c *frame.Column) {
	t.Helper()
	next := int32(0)
	for _, code := range c.Codes {
		if code == frame.Missing || code < next {
			continue
		}
		if code != next {
			t.Fatalf("%s: code %d appears before code %d", c.Name, code, next)
		}
		next++
	}
	if int(next) != len(c.Dict) {
		t.Fatalf("%s: %d codes used, dictionary has %d", c.Name, next, len(c.Dict))
	}
	seen := map[string]bool{}
	for _, s := range c.Dict {
		if seen[s] {
			t.Fatalf("%s: %q twice in the dictionary", c.Name, s)
		}
		seen[s] = true
	}
}

func TestReadCSVWholeFileParallel(t *testing.T) {
	// A file big enough for several parallel chunks, with a unique (high-cardinality) column.
	f := genOrders(20000, 7)
	path := filepath.Join(t.TempDir(), "orders.csv")
	if err := Write(context.Background(), path, f); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), path, ReadOptions{ChunkRows: 3000})
	if err != nil {
		t.Fatal(err)
	}
	assertFramesEqual(t, got, f)
	for _, c := range got.Columns() {
		if c.Kind == frame.String {
			checkFirstAppearance(t, c)
		}
	}
}

func TestReaderClosed(t *testing.T) {
	ctx := context.Background()
	r, err := NewReader(ctx, strings.NewReader("a\n1\n"), CSV, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(ctx); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestReadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Decode(ctx, strings.NewReader("a\n1\n"), CSV, ReadOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		path   string
		format Format
		gz     bool
		ok     bool
	}{
		{"a.csv", CSV, false, true},
		{"dir/A.CSV", CSV, false, true},
		{"a.csv.gz", CSV, true, true},
		{"a.jsonl", JSONL, false, true},
		{"a.ndjson", JSONL, false, true},
		{"a.jsonl.gz", JSONL, true, true},
		{"a.parquet", Parquet, false, true},
		{"a.parquet.gz", 0, false, false},
		{"a.gz", 0, false, false},
		{"a.txt", 0, false, false},
		{"csv", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			format, gz, err := FormatOf(tt.path)
			if (err == nil) != tt.ok || format != tt.format || gz != tt.gz {
				t.Fatalf("FormatOf(%q) = %v, %v, %v", tt.path, format, gz, err)
			}
			if err != nil && !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("error %v is not ErrUnknownFormat", err)
			}
		})
	}
}
