package feature

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func addFiles(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files %s: %v", pattern, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzDecodeJSON: any input decodes or fails cleanly; what it accepts is valid JSON, and what it
// calls a syntax error is not.
func FuzzDecodeJSON(f *testing.F) {
	addFiles(f, "testdata/requests/*.json")
	for _, s := range []string{
		`{"order_amount": 1e400}`, `{"market": "\ud800"}`, `{"x": [[[[{}]]]]}`, `{"order_amount": 1, "order_amount": 2}`,
		`{"order_ts": "2025-01-01T00:00:00.123+14:00"}`, `{"is_first_order": null}`, `{"a":"\u00e9\n"}  `, `{`, `"`, `{"\`,
	} {
		f.Add([]byte(s))
	}
	tr := mustFit(f, orderSpecYAML, orderFrame(1000, 1, genOptions{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := tr.NewRecord()
		err := rec.DecodeJSON(data)
		var se *SyntaxError
		var fe *FieldError
		switch {
		case err == nil:
			if !json.Valid(data) {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			if _, err := tr.Vector(nil, rec); err != nil && !errors.As(err, &fe) {
				t.Fatalf("Vector: %v", err)
			}
		case errors.As(err, &se):
			if se.Offset < 0 || se.Offset > len(data) {
				t.Fatalf("syntax error offset %d of %d bytes", se.Offset, len(data))
			}
			notObject := se.Msg == "want an object" && !strings.HasPrefix(strings.TrimLeft(string(data), " \t\r\n"), "{")
			if se.Msg != "nested too deep" && !notObject && json.Valid(data) {
				t.Fatalf("rejected valid JSON %q: %v", data, err)
			}
		case errors.As(err, &fe):
		default:
			t.Fatalf("error of type %T: %v", err, err)
		}
		n, err := rec.DecodeJSONObject(data)
		if n < 0 || n > len(data) {
			t.Fatalf("consumed %d of %d bytes (%v)", n, len(data), err)
		}
	})
}

// FuzzParseSpec: any input parses or fails cleanly; what parses survives YAML and JSON round
// trips.
func FuzzParseSpec(f *testing.F) {
	addFiles(f, "testdata/spec/*.yaml")
	f.Add([]byte(orderSpecYAML))
	f.Add([]byte("features:\n  - {name: a, type: numeric, expr: 'log(`b c`) / d'}\n"))
	for _, s := range []string{
		"a: &x [1]\nb: *x\n",
		"features:\n  - &f {name: a, type: numeric}\n  - *f\n",
		"label: y\nfeatures:\n  - {name: a, type: categorical, encoding: target, smoothing: 0.5, max_categories: 3, unknown: other, missing: mode}\n",
		"features:\n  - {name: t, type: datetime, parts: [unix, year], missing: error}\n  - {name: b, type: boolean, missing: 'constant:1', monotone: -1}\n",
		"features:\n  - name: x\n    type: numeric\n    transform: clip(p1,p99)\n    missing: ~\n    pii: false\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec(data)
		if err != nil {
			if !errors.Is(err, ErrSpec) {
				t.Fatalf("error does not wrap ErrSpec: %v", err)
			}
			return
		}
		out, err := s.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		back, err := ParseSpec(out)
		if err != nil {
			t.Fatalf("ParseSpec(YAML()) of %q: %v\n%s", data, err, out)
		}
		if !reflect.DeepEqual(clearLines(s), clearLines(back)) {
			t.Fatalf("YAML round trip changed %q:\n%+v\n%+v", data, s, back)
		}
		j, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON Spec
		if err := json.Unmarshal(j, &fromJSON); err != nil {
			t.Fatal(err)
		}
		if err := fromJSON.Validate(); err != nil || !reflect.DeepEqual(clearLines(&fromJSON), clearLines(s)) {
			t.Fatalf("JSON round trip: %v", err)
		}
	})
}

// FuzzExpr: any expression parses or fails cleanly; a parsed one prints canonically, and its
// canonical form evaluates bit-identically.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		"a / b", "log(a + 1) * -b", "min(a, max(b, c), 3.5e2)", "`x y` - sqrt(abs(a))", "((a))", "--a",
		"log1p(a) / 0", "max(a,b,c,d,e,f,g)", "1e308 * a", "a.b.c + _x",
	} {
		f.Add(s, 1.5, -2.0)
	}
	f.Fuzz(func(t *testing.T, src string, x, y float64) {
		n, err := parseExpr(src)
		if err != nil {
			return
		}
		printed := n.String()
		n2, err := parseExpr(printed)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", src, printed, err)
		}
		if p2 := n2.String(); p2 != printed {
			t.Fatalf("%q printed %q, then %q", src, printed, p2)
		}
		refs := n.refs()
		slot := func(name string) int {
			for i, r := range refs {
				if r == name {
					return i
				}
			}
			t.Fatalf("reference %q not in refs %v", name, refs)
			return -1
		}
		p1, err1 := n.compile(slot)
		p2, err2 := n2.compile(slot)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("compile: %v vs %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		vals := make([]float64, len(refs))
		for i := range vals {
			vals[i] = []float64{x, y, math.NaN(), 0}[i%4]
		}
		r1, r2 := p1.eval(vals), p2.eval(vals)
		if math.Float64bits(r1) != math.Float64bits(r2) && !(math.IsNaN(r1) && math.IsNaN(r2)) {
			t.Fatalf("%q = %v, its canonical form %q = %v", src, r1, printed, r2)
		}
		if math.IsInf(r1, 0) {
			t.Fatalf("%q evaluated to %v; non-finite results must be missing", src, r1)
		}
	})
}

var strictRFC3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$`)

// FuzzParseTime: the hand-written parser agrees with time.Parse on RFC 3339.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2025-03-30T01:59:59Z", "2024-02-29T12:00:00.5-05:30", "1969-12-31T23:59:59.999999999Z", "2025-12-31",
		"2262-04-11T23:47:16.854775807Z", "1677-09-21T00:12:44Z", "2025-03-30 01:59:59+02:00", "0000-01-01T00:00:00Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := parseTime(s)
		if err == nil {
			// Normalize the forms RFC 3339 allows but time.Parse does not.
			n := s
			if len(n) == 10 {
				n += "T00:00:00Z"
			}
			n = n[:10] + "T" + n[11:len(n)-1] + strings.ToUpper(n[len(n)-1:])
			want, err := time.Parse(time.RFC3339Nano, n)
			if err != nil {
				t.Fatalf("parseTime accepts %q, time.Parse rejects %q: %v", s, n, err)
			}
			if want.UnixNano() != ns {
				t.Fatalf("parseTime(%q) = %d, time.Parse gives %d", s, ns, want.UnixNano())
			}
			return
		}
		// time.Parse is laxer than RFC 3339 (one-digit hours, a comma before the fraction, more
		// than nine fraction digits); compare only on strictly formed timestamps.
		want, terr := time.Parse(time.RFC3339Nano, s)
		if terr != nil || !strictRFC3339.MatchString(s) {
			return
		}
		if y := want.Year(); y > 1678 && y < 2262 {
			t.Fatalf("time.Parse accepts %q (%v), parseTime rejects it: %v", s, want, err)
		}
	})
}
