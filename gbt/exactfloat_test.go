package gbt

import (
	"math"
	"strconv"
	"testing"
)

func TestExactFloat(t *testing.T) {
	tests := []struct {
		in   string
		fast bool // exactFloat takes it
	}{
		{"0", true}, {"-0", true}, {"0.0", true}, {"-0.000", true}, {"1", true}, {"-1", true},
		{"0.1", true}, {"123.456", true}, {"1e22", true}, {"1e23", false}, {"1e-22", true}, {"1e-23", false},
		{"9007199254740991", true},  // 2^53 − 1
		{"9007199254740992", false}, // 2^53
		{"9007199254740993", false}, // 2^53 + 1: ParseFloat rounds it
		{"0.1234567890123456", true}, {"0.12345678901234567", false}, {"-0.012345678901234567", false},
		{"1.5e300", false}, {"5e-324", false}, {"1e400", false}, {"123456789012345.6", true},
		{"0.00000000000000000000001", false}, {"1.0000000000000000000000", false}, {"2.5E+3", true},
		{"7e-1", true}, {"100000000000000000000000", false}, {"3.14159265358979", true},
	}
	for _, tt := range tests {
		got, ok := exactFloat([]byte(tt.in))
		if ok != tt.fast {
			t.Errorf("%s: fast path %v, want %v", tt.in, ok, tt.fast)
		}
		want, err := strconv.ParseFloat(tt.in, 64)
		if ok && (err != nil || math.Float64bits(got) != math.Float64bits(want)) {
			t.Errorf("%s: %v (%x), ParseFloat %v (%x)", tt.in, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
}

// FuzzExactFloat checks exactFloat against strconv.ParseFloat, bit for bit, on every JSON
// number literal it takes.
func FuzzExactFloat(f *testing.F) {
	for _, s := range []string{"0", "-0.5", "123.456e-7", "9007199254740991", "0.1234567890123456", "1e22", "-2.5E+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := jsonDecoder{b: []byte(s)}
		lit, _, err := d.number()
		if err != nil || d.i != len(s) {
			return // not one JSON number
		}
		got, ok := exactFloat(lit)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(string(lit), 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%s: %v (%x), ParseFloat %v (%x), %v", lit, got, math.Float64bits(got), want, math.Float64bits(want), err)
		}
	})
}
