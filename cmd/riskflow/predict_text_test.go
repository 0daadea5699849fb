package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"riskflow/frame"
	"riskflow/frameio"
)

// typedVersusText reads a two-column CSV document whose first column holds cell, once with the
// column's kind forced (what predict does without --on-error skip) and once as text typed by
// typeColumns (what it does with skip), and requires the same outcome: the same value bits, or
// a parse error on one side and a rejected row on the other.
func typedVersusText(t *testing.T, cell string, kind frame.Kind) {
	ctx := context.Background()
	doc := []byte("a,b\n" + cell + ",1\n")
	typed, terr := frameio.Decode(ctx, bytes.NewReader(doc), frameio.CSV, frameio.ReadOptions{Kinds: map[string]frame.Kind{"a": kind}})
	text, xerr := frameio.Decode(ctx, bytes.NewReader(doc), frameio.CSV, frameio.ReadOptions{Kinds: map[string]frame.Kind{"a": frame.String}})
	if xerr != nil {
		if terr == nil {
			t.Fatalf("%q: read as %s but not as text: %v", cell, kind, xerr)
		}
		return // a malformed document: no rows either way
	}
	if text.Len() != 1 {
		if terr == nil && typed.Len() != text.Len() {
			t.Fatalf("%q: %d rows as %s, %d as text", cell, typed.Len(), kind, text.Len())
		}
		return
	}
	got, why, err := typeColumns(ctx, text, map[string]frame.Kind{"a": kind})
	if err != nil {
		t.Fatalf("%q: typeColumns: %v", cell, err)
	}
	var pe *frameio.ParseError
	switch {
	case terr != nil && errors.As(terr, &pe):
		if why == nil || why[0] == "" {
			t.Fatalf("%q: read as %s fails (%v) but typing the text accepts it", cell, kind, terr)
		}
	case terr != nil:
		t.Fatalf("%q: %v", cell, terr)
	default:
		if why != nil {
			t.Fatalf("%q: read as %s but typing the text rejects it: %s", cell, kind, why[0])
		}
		a, b := typed.Col(0), got.Col(0)
		same := false
		switch kind {
		case frame.Numeric:
			same = math.Float64bits(a.Num[0]) == math.Float64bits(b.Num[0])
		case frame.Bool:
			same = a.Bools[0] == b.Bools[0]
		case frame.Time:
			same = a.Times[0] == b.Times[0]
		}
		if !same {
			t.Fatalf("%q as %s: typed read %s, typed text %s", cell, kind, a.Format(0), b.Format(0))
		}
	}
}

func TestTypeColumnsMatchesTypedRead(t *testing.T) {
	tests := []struct {
		cell string
		kind frame.Kind
	}{
		{"12.5", frame.Numeric}, {"-0", frame.Numeric}, {"1e308", frame.Numeric}, {"1e309", frame.Numeric},
		{"0.1000000000000000055511151231257827", frame.Numeric}, {`"7"`, frame.Numeric}, {`"NA"`, frame.Numeric},
		{"NA", frame.Numeric}, {"", frame.Numeric}, {"twelve", frame.Numeric}, {" 3", frame.Numeric}, {"0x10", frame.Numeric},
		{"true", frame.Bool}, {"FALSE", frame.Bool}, {"1", frame.Bool}, {"maybe", frame.Bool}, {`"True"`, frame.Bool},
		{"2025-01-01T00:32:04.691Z", frame.Time}, {"2025-01-01", frame.Time}, {"2025-01-01 10:00:00", frame.Time},
		{"2025-02-30", frame.Time}, {"yesterday", frame.Time}, {`"2025-01-01T00:00:00+02:00"`, frame.Time},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+"/"+tt.cell, func(t *testing.T) { typedVersusText(t, tt.cell, tt.kind) })
	}
}

func TestTypeColumnsManyValues(t *testing.T) {
	// Bisection over a dictionary with bad values here and there, including adjacent ones.
	vals := make([]string, 1000)
	bad := map[int]bool{0: true, 17: true, 18: true, 500: true, 999: true}
	for i := range vals {
		vals[i] = "1." + string(rune('0'+i%10)) + "e" + string(rune('0'+i%3))
		if bad[i] {
			vals[i] = "x" + vals[i]
		}
	}
	col := frame.StringColumn("a", vals)
	f := frame.MustNew(col)
	got, why, err := typeColumns(context.Background(), f, map[string]frame.Kind{"a": frame.Numeric})
	if err != nil {
		t.Fatal(err)
	}
	for i := range vals {
		if bad[i] != (why != nil && why[i] != "") {
			t.Fatalf("row %d (%q): reason %q", i, vals[i], why[i])
		}
		if !bad[i] && got.Col(0).Num[i] == 0 {
			t.Fatalf("row %d: %q typed as 0", i, vals[i])
		}
	}
}

func FuzzTypeColumns(f *testing.F) {
	for _, s := range []string{"12.5", `"1,5"`, "NA", `""`, "true", "2025-01-01", `"a""b"`, "1e999", "\"x\ny\""} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, cell string, k uint8) {
		kind := []frame.Kind{frame.Numeric, frame.Bool, frame.Time}[int(k)%3]
		typedVersusText(t, cell, kind)
	})
}
