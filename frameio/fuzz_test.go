package frameio

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"riskflow/frame"
)

// FuzzReadCSV: arbitrary input never panics; a successful read has columns of equal length, and
// where encoding/csv can serve as an oracle (no '\r', whose handling differs on purpose: quoted
// CRLF is kept) it agrees on every record and every value, read with all columns as strings.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a\n\"x\"\"y\"\n", "\xef\xbb\xbfa,b\r\n1,\"x\ny\"\r\n", "a,b\n1,2,3\n", "a,a\n1,2\n",
		"a\n1\n\n2\n", "a,b\n\"\",NA\n", "x,y\n1.5,true\n2,FALSE\n", "t\n2025-01-01\n2025-01-01T00:00:00Z\n", "a\n\"x",
	} {
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		ctx := context.Background()
		opt := ReadOptions{ChunkRows: 1 + int(uint(chunk)%64), SampleRows: 3}
		got, err := Decode(ctx, bytes.NewReader(data), CSV, opt)
		if err == nil {
			for _, c := range got.Columns() {
				if c.Len() != got.Len() {
					t.Fatalf("column %s has %d rows, frame %d", c.Name, c.Len(), got.Len())
				}
			}
		}
		if bytes.IndexByte(data, '\r') >= 0 {
			return
		}
		// The oracle: every column forced to String.
		records, cerr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM))).ReadAll()
		if cerr != nil || len(records) == 0 {
			if err == nil && got.NumCols() > 0 {
				t.Fatalf("encoding/csv fails (%v), frameio reads %d rows", cerr, got.Len())
			}
			return
		}
		kinds := map[string]frame.Kind{}
		for _, name := range records[0] {
			kinds[name] = frame.String
		}
		opt.Kinds = kinds
		strs, err := Decode(ctx, bytes.NewReader(data), CSV, opt)
		if err != nil {
			return // e.g. duplicate or empty header names, which encoding/csv accepts
		}
		if strs.Len() != len(records)-1 {
			t.Fatalf("frameio reads %d rows, encoding/csv %d", strs.Len(), len(records)-1)
		}
		for j, c := range strs.Columns() {
			for i := 0; i < strs.Len(); i++ {
				want := records[i+1][j]
				v, ok := c.StringAt(i)
				if (!ok && !isMissingString(want)) || (ok && v != want) {
					t.Fatalf("row %d column %d: frameio %q (present %v), encoding/csv %q", i, j, v, ok, want)
				}
			}
		}
	})
}

// FuzzReadJSONL: arbitrary input never panics; a successful read means every non-blank line is
// valid JSON to encoding/json, and String columns hold what encoding/json decodes.
func FuzzReadJSONL(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n", "{\"a\":\"x\",\"b\":true}\n{\"a\":null}\n", "{}\n", "{\"a\":\"\\u00e9\\ud83d\\ude00\"}\n",
		"{\"a\":[1,{\"b\":2}]}", "{\"a\":1,\"a\":2}", "{\"t\":\"2025-01-01\"}\n\n{\"t\":\"2025-01-02T03:04:05Z\"}", "[1]",
		"{\"a\":-0.5e+3}", "{\"a\":\"bad \xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(context.Background(), bytes.NewReader(data), JSONL, ReadOptions{ChunkRows: 3, SampleRows: 2})
		if err != nil {
			return
		}
		var objs []map[string]any
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Trim(line, " \t\r") == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil || m == nil {
				t.Fatalf("frameio accepted %q, encoding/json: %v", line, err)
			}
			objs = append(objs, m)
		}
		if got.NumCols() > 0 && got.Len() != len(objs) {
			t.Fatalf("frameio reads %d rows, input has %d objects", got.Len(), len(objs))
		}
		for _, c := range got.Columns() {
			if c.Len() != got.Len() {
				t.Fatalf("column %s has %d rows, frame %d", c.Name, c.Len(), got.Len())
			}
			for i := 0; i < c.Len(); i++ {
				v, present := objs[i][c.Name]
				switch c.Kind {
				case frame.String:
					if s, ok := v.(string); ok {
						if gs, _ := c.StringAt(i); gs != s {
							t.Fatalf("row %d %s: frameio %q, encoding/json %q", i, c.Name, gs, s)
						}
					}
				case frame.Numeric:
					if x, ok := v.(float64); ok && math.Float64bits(x) != math.Float64bits(c.Num[i]) && !(x == 0 && c.Num[i] == 0) {
						t.Fatalf("row %d %s: frameio %v, encoding/json %v", i, c.Name, c.Num[i], x)
					}
				}
				if (!present || v == nil) && !c.IsMissing(i) {
					t.Fatalf("row %d %s: absent or null, but frameio has %q", i, c.Name, c.Format(i))
				}
			}
		}
	})
}

// TestReadersNeverHang feeds readers truncated streams that fail midway.
func TestReadersNeverHang(t *testing.T) {
	in, _ := genCSV(3000)
	for _, format := range []Format{CSV, JSONL} {
		r := io.MultiReader(strings.NewReader(in[:len(in)/2]), errReader{})
		if format == JSONL {
			r = io.MultiReader(strings.NewReader("{\"a\":1}\n{\"a\":2}\n"), errReader{})
		}
		_, err := Decode(context.Background(), r, format, ReadOptions{SampleRows: 10})
		if !errors.Is(err, errBroken) {
			t.Errorf("%v: got %v, want the reader's error", format, err)
		}
	}
}

var errBroken = errors.New("broken pipe")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }
