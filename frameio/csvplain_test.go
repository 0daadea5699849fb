package frameio

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"riskflow/frame"
)

// TestScanNumber checks scanNumber, the CSV reader's fused split-and-parse of plain decimals,
// against strconv.ParseFloat: fast says whether the field must take the fast path (the others
// must be left to the general path, which parses them with strconv or rejects them).
func TestScanNumber(t *testing.T) {
	tests := []struct {
		in   string
		fast bool
	}{
		{"0", true},
		{"-0", true},
		{"+0", true},
		{"42", true},
		{"+42", true},
		{"-42", true},
		{"123.45", true},
		{"-1834.2871", true},
		{".5", true},
		{"-.5", true},
		{"5.", true},
		{"0.1", true},
		{"007.250", true},
		{"0.000123", true},
		{"999999999999999", true},    // 15 digits
		{"0.00000000000001", true},   // 15 digits, 14 fraction digits
		{"0.000000000000001", false}, // 16 digits
		{".999999999999999", true},   // 15 fraction digits
		{"9999999999999999", false},  // 16 digits: 2^53 < m is possible
		{"1234567890123456789", false},
		{"3.141592653589793", false},
		{"1e5", false},
		{"1E-7", false},
		{"1e400", false},
		{"-1e400", false},
		{"4.9e-324", false},
		{"0x1p-2", false},
		{"nan", false},
		{"NaN", false},
		{"inf", false},
		{"-Inf", false},
		{"NA", false},
		{"", false},
		{"-", false},
		{"+", false},
		{".", false},
		{"-.", false},
		{"1.2.3", false},
		{"1_000", false},
		{" 1", false},
		{"1 ", false},
		{"1\t", false},
		{"++1", false},
		{"1-", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			// The field alone, followed by more fields, and after another field.
			for _, c := range []struct {
				rec string
				p   int
			}{{tt.in, 0}, {tt.in + ",7,x", 0}, {"ab," + tt.in, 3}, {"ab," + tt.in + ",", 3}} {
				v, end, ok := scanNumber([]byte(c.rec), c.p)
				if ok != tt.fast {
					t.Fatalf("scanNumber(%q, %d) ok = %v, want %v", c.rec, c.p, ok, tt.fast)
				}
				if !ok {
					continue
				}
				if end != c.p+len(tt.in) {
					t.Fatalf("scanNumber(%q, %d) ends at %d, want %d", c.rec, c.p, end, c.p+len(tt.in))
				}
				want, err := strconv.ParseFloat(tt.in, 64)
				if err != nil {
					t.Fatalf("scanNumber(%q) = %v, strconv fails: %v", tt.in, v, err)
				}
				if math.Float64bits(v) != math.Float64bits(want) {
					t.Fatalf("scanNumber(%q) = %v (%#x), strconv %v (%#x)", tt.in, v, math.Float64bits(v), want, math.Float64bits(want))
				}
			}
		})
	}
}

// FuzzScanNumber: whatever scanNumber accepts, from any offset, ends at the next ',' (or the
// end) and has the bits strconv.ParseFloat gives the field.
func FuzzScanNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "123.45", "0.1", ".5", "5.", "+5", "999999999999999", "9999999999999999",
		"1e5", "-7.25,1", "0.000001", "x,1.5", "1,,2", "nan", "inf", "1e400", " 1"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, rec string, at uint8) {
		p := 0
		if len(rec) > 0 {
			p = int(at) % (len(rec) + 1)
		}
		v, end, ok := scanNumber([]byte(rec), p)
		if !ok {
			return
		}
		want := len(rec)
		if i := strings.IndexByte(rec[p:], ','); i >= 0 {
			want = p + i
		}
		if end != want {
			t.Fatalf("scanNumber(%q, %d) ends at %d, want %d", rec, p, end, want)
		}
		field := rec[p:end]
		w, err := strconv.ParseFloat(field, 64)
		if err != nil {
			t.Fatalf("scanNumber accepts %q as %v, strconv: %v", field, v, err)
		}
		if math.Float64bits(v) != math.Float64bits(w) {
			t.Fatalf("scanNumber(%q) = %v (%#x), strconv %v (%#x)", field, v, math.Float64bits(v), w, math.Float64bits(w))
		}
	})
}

// TestFieldEnd compares fieldEnd's word-at-a-time search with bytes.IndexByte for every comma
// position and start offset in records of up to 40 bytes, over bytes around ',' (0x2C) that a
// faulty bit trick could confuse with it.
func TestFieldEnd(t *testing.T) {
	fill := []byte{'a', ',' - 1, ',' + 1, ',' | 0x80, 0x00, 0xff, '0'}
	for n := 0; n <= 40; n++ {
		for _, b := range fill {
			for comma := -1; comma < n; comma++ {
				rec := bytes.Repeat([]byte{b}, n)
				if comma >= 0 {
					rec[comma] = ','
					if comma+3 < n {
						rec[comma+3] = ',' // a second comma after the first
					}
				}
				for p := 0; p <= n; p++ {
					want := n
					if i := bytes.IndexByte(rec[p:], ','); i >= 0 {
						want = p + i
					}
					if got := fieldEnd(rec, p); got != want {
						t.Fatalf("fieldEnd(%q, %d) = %d, want %d", rec, p, got, want)
					}
				}
			}
		}
	}
}

// FuzzFieldEnd compares fieldEnd with bytes.IndexByte on arbitrary records.
func FuzzFieldEnd(f *testing.F) {
	for _, s := range []string{"", ",", "abcdefgh,", "abcdefghijklmnop,q", "\xac\x2c", "\x2b\x2c\x2d"} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, rec []byte, at uint8) {
		p := int(at) % (len(rec) + 1)
		want := len(rec)
		if i := bytes.IndexByte(rec[p:], ','); i >= 0 {
			want = p + i
		}
		if got := fieldEnd(rec, p); got != want {
			t.Fatalf("fieldEnd(%q, %d) = %d, want %d", rec, p, got, want)
		}
	})
}

// plainColumns are the forced kinds of the columns FuzzReadCSVPlain reads.
var plainColumns = []struct {
	name string
	kind frame.Kind
}{{"n", frame.Numeric}, {"s", frame.String}, {"t", frame.Time}, {"b", frame.Bool}, {"m", frame.Numeric}}

// FuzzReadCSVPlain: records without quotes take the reader's fused path (csvWorker.parsePlain).
// Whatever the body, the read agrees with splitting each line at commas and parsing each cell
// with the general cell parsers: the same values, or an error for a line the general parsers
// reject (wrong field count, a cell that does not parse).
func FuzzReadCSVPlain(f *testing.F) {
	for _, s := range []string{
		"1.5,a,2025-01-01,true,-0\n", "NA,,,,\n", "1e5,x,2025-01-01T10:00:00Z,FALSE,.5\n2,y,,false,5.\n",
		"1,a,2025-01-01,true\n", "1,a,2025-01-01,true,2,3\n", "x,a,2025-01-01,true,1\n", "1,a,2025-13-01,true,1\n",
		"1,a,2025-01-01,yes,1\n", "999999999999999,a,,,0.000000000000001\n\n7,b,,,inf\n", "1,a,,,1 \n",
	} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, body string, chunk uint8) {
		if strings.ContainsAny(body, "\"\r") {
			return // quoted records and CRLF take other paths (FuzzReadCSV)
		}
		kinds := map[string]frame.Kind{}
		var header []string
		for _, c := range plainColumns {
			kinds[c.name] = c.kind
			header = append(header, c.name)
		}
		data := strings.Join(header, ",") + "\n" + body
		opt := ReadOptions{ChunkRows: 1 + int(chunk%8), Kinds: kinds}
		got, err := Decode(context.Background(), strings.NewReader(data), CSV, opt)

		// The reference: split and parse every cell with the general parsers.
		var rows [][]string
		wantErr := false
		for _, line := range strings.Split(body, "\n") {
			if line == "" {
				continue
			}
			fields := strings.Split(line, ",")
			if len(fields) != len(plainColumns) {
				wantErr = true
				break
			}
			for j, c := range plainColumns {
				b := []byte(fields[j])
				if isMissingToken(b) || c.kind == frame.String {
					continue
				}
				var ok bool
				switch c.kind {
				case frame.Numeric:
					_, ok = parseNumber(b)
				case frame.Time:
					_, ok = parseTime(b)
				case frame.Bool:
					_, ok = parseBool(b)
				}
				if !ok {
					wantErr = true
				}
			}
			if wantErr {
				break
			}
			rows = append(rows, fields)
		}
		if wantErr {
			if err == nil {
				t.Fatalf("read %q without error, want one", data)
			}
			return
		}
		if err != nil {
			t.Fatalf("read %q: %v", data, err)
		}
		if got.Len() != len(rows) {
			t.Fatalf("read %d rows, want %d", got.Len(), len(rows))
		}
		for i, fields := range rows {
			for j, c := range plainColumns {
				col := got.Col(j)
				b := []byte(fields[j])
				switch {
				case c.kind == frame.String:
					v, ok := col.StringAt(i)
					if ok == isMissingToken(b) || (ok && v != fields[j]) {
						t.Fatalf("row %d %s: got %q (present %v), want %q", i, c.name, v, ok, fields[j])
					}
				case isMissingToken(b):
					if !col.IsMissing(i) {
						t.Fatalf("row %d %s: got %q, want missing", i, c.name, col.Format(i))
					}
				case c.kind == frame.Numeric:
					want, _ := parseNumber(b)
					if math.Float64bits(col.Num[i]) != math.Float64bits(want) {
						t.Fatalf("row %d %s: got %v (%#x), want %v (%#x)", i, c.name, col.Num[i], math.Float64bits(col.Num[i]), want, math.Float64bits(want))
					}
				case c.kind == frame.Time:
					if want, _ := parseTime(b); col.Times[i] != want {
						t.Fatalf("row %d %s: got %d, want %d", i, c.name, col.Times[i], want)
					}
				case c.kind == frame.Bool:
					if want, _ := parseBool(b); col.Bools[i] != want {
						t.Fatalf("row %d %s: got %d, want %d", i, c.name, col.Bools[i], want)
					}
				}
			}
		}
	})
}

// TestLocalDictShortCache: codes from a worker's dictionary are right whether they come from
// its cache of short values or from its table: with more distinct values than the cache has
// slots (so that values evict each other) and with few, of every length around the 8-byte limit,
// values that differ only in length (trailing zero bytes), and after resets that change the
// order of first appearance (so that stale cached codes would be wrong).
func TestLocalDictShortCache(t *testing.T) {
	few := []string{"", "\x00", "\x00\x00", "a\x00", "a", "DE", "AT", "12345678", "123456789", "\x00\x00\x00\x00\x00\x00\x00\x00", "mcc_5000", "web"}
	var many []string
	for i := range 3000 {
		many = append(many, strconv.Itoa(i), "v"+strconv.Itoa(i)+"xxxx")
	}
	many = append(many, few...)
	seed := newSink(nil, 0).seed
	for _, vals := range [][]string{few, many} {
		ld := localDict{lookups: shortAfter - 1} // the cache is used from the first lookup on
		for round := range 4 {
			for pass := range 3 {
				for k := range vals {
					v := vals[(k*7+pass+round*5)%len(vals)] // another first order each round
					c := ld.code([]byte(v), seed)
					if c < 0 || int(c) >= len(ld.vals) || ld.vals[c] != v {
						t.Fatalf("%d values, round %d pass %d: code(%q) = %d, not its code", len(vals), round, pass, v, c)
					}
				}
			}
			if ld.short == nil {
				t.Fatal("the cache of short values is not used")
			}
			if len(ld.vals) != len(vals) || len(ld.hashes) != len(vals) {
				t.Fatalf("round %d: %d values, %d hashes in the dictionary, want %d", round, len(ld.vals), len(ld.hashes), len(vals))
			}
			ld.reset()
		}
	}
}

// TestLocalDictShortCacheSmall: a dictionary that sees few values (a request body) does without
// the cache, and allocates it once it has seen shortAfter values.
func TestLocalDictShortCacheSmall(t *testing.T) {
	seed := newSink(nil, 0).seed
	var ld localDict
	for i := range shortAfter - 1 {
		ld.code([]byte(strconv.Itoa(i%10)), seed)
	}
	if ld.short != nil {
		t.Fatalf("cache allocated after %d lookups, want after %d", shortAfter-1, shortAfter)
	}
	ld.code([]byte("x"), seed)
	if ld.short == nil {
		t.Fatalf("no cache after %d lookups", shortAfter)
	}
}
