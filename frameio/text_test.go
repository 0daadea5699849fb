package frameio

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"-0", math.Copysign(0, -1), true},
		{"42", 42, true},
		{"+42", 42, true},
		{"123.45", 123.45, true},
		{"-1834.2871", -1834.2871, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"0.1", 0.1, true},
		{"999999999999999", 999999999999999, true},
		{"1234567890123456789", 1234567890123456789, true}, // slow path
		{"0.000000000000000001", 1e-18, true},
		{"1e-7", 1e-7, true},
		{"1E21", 1e21, true},
		{"0x1p-2", 0.25, true}, // strconv.ParseFloat semantics
		{"4.9e-324", 5e-324, true},
		{"1.7976931348623157e308", math.MaxFloat64, true},
		{"", 0, false},
		{"-", 0, false},
		{".", 0, false},
		{"12,5", 0, false},
		{"1.2.3", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"inf", 0, false},
		{"-Infinity", 0, false},
		{"NaN", 0, false},
		{"1e400", 0, false}, // overflows to +Inf
		{"abc", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseNumber([]byte(tt.in))
			if ok != tt.ok || (ok && math.Float64bits(got) != math.Float64bits(tt.want)) {
				t.Fatalf("parseNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzParseNumber checks the fast path against strconv.ParseFloat bit for bit.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "123.45", "0.1", ".5", "5.", "999999999999999", "9999999999999999", "1e5", "-7.25", "0.000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseNumber([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		wantOK := err == nil && !math.IsInf(want, 0) && !math.IsNaN(want)
		if ok != wantOK {
			t.Fatalf("parseNumber(%q) ok = %v, strconv says %v (%v)", s, ok, wantOK, err)
		}
		if ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseNumber(%q) = %v (%#x), strconv = %v (%#x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	})
}

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) int64 {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC).UnixNano()
	}
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2025-03-01", utc(2025, 3, 1, 0, 0, 0, 0), true},
		{"2025-03-01T12:30:05Z", utc(2025, 3, 1, 12, 30, 5, 0), true},
		{"2025-03-01t12:30:05z", utc(2025, 3, 1, 12, 30, 5, 0), true},
		{"2025-03-01 12:30:05", utc(2025, 3, 1, 12, 30, 5, 0), true},
		{"2025-03-01T12:30:05.5Z", utc(2025, 3, 1, 12, 30, 5, 5e8), true},
		{"2025-03-01T12:30:05.123456789Z", utc(2025, 3, 1, 12, 30, 5, 123456789), true},
		{"2025-03-01T12:30:05+01:00", utc(2025, 3, 1, 11, 30, 5, 0), true},
		{"2025-03-01T00:30:05-02:30", utc(2025, 3, 1, 3, 0, 5, 0), true},
		{"2024-02-29", utc(2024, 2, 29, 0, 0, 0, 0), true},
		{"1969-12-31T23:59:59.999999999Z", -1, true},
		{"1700-01-01", utc(1700, 1, 1, 0, 0, 0, 0), true},
		{"2262-04-11T23:47:16Z", utc(2262, 4, 11, 23, 47, 16, 0), true},
		{"2023-02-29", 0, false},
		{"2025-13-01", 0, false},
		{"2025-00-10", 0, false},
		{"2025-04-31", 0, false},
		{"2025-03-01T24:00:00Z", 0, false},
		{"2025-03-01T12:60:00Z", 0, false},
		{"2025-03-01T12:30:60Z", 0, false},
		{"2025-03-01T12:30Z", 0, false},
		{"2025-03-01T12:30:05.Z", 0, false},
		{"2025-03-01T12:30:05.1234567890Z", 0, false},
		{"2025-03-01T12:30:05+0100", 0, false},
		{"2025-03-01T12:30:05 Z", 0, false},
		{"2025-3-01", 0, false},
		{"20250301", 0, false},
		{"1600-01-01", 0, false}, // before 1678: does not fit int64 nanoseconds
		{"2263-01-01", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseTime([]byte(tt.in))
			if ok != tt.ok || (ok && got != tt.want) {
				t.Fatalf("parseTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzParseTime checks every accepted input against time.Parse of its RFC 3339 spelling.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2025-03-01", "2025-03-01T12:30:05Z", "2025-03-01 12:30:05.25+05:30", "1999-12-31t23:59:59z", "2000-02-29T00:00:00-00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseTime([]byte(s))
		if !ok {
			return
		}
		norm := s
		if len(norm) == 10 {
			norm += "T00:00:00"
		}
		norm = norm[:10] + "T" + norm[11:]
		if strings.HasSuffix(norm, "z") {
			norm = norm[:len(norm)-1] + "Z"
		}
		if !strings.HasSuffix(norm, "Z") && !strings.ContainsAny(norm[19:], "+-") {
			norm += "Z"
		}
		want, err := time.Parse(time.RFC3339Nano, norm)
		if err != nil {
			t.Fatalf("parseTime(%q) accepted, time.Parse(%q): %v", s, norm, err)
		}
		if want.UnixNano() != got {
			t.Fatalf("parseTime(%q) = %v, time.Parse = %v", s, time.Unix(0, got).UTC(), want.UTC())
		}
	})
}

func TestParseBoolAndMissing(t *testing.T) {
	bools := map[string]int{"true": 1, "TRUE": 1, "True": 1, "tRuE": 1, "false": 0, "False": 0, "FALSE": 0,
		"1": -1, "0": -1, "yes": -1, "t": -1, "truee": -1, "": -1}
	for in, want := range bools {
		got, ok := parseBool([]byte(in))
		if (want < 0 && ok) || (want >= 0 && (!ok || int(got) != want)) {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, s := range []string{"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"} {
		if !isMissingToken([]byte(s)) || !isMissingString(s) {
			t.Errorf("%q should be missing", s)
		}
	}
	for _, s := range []string{"na", "none", "Null", "NAN", " ", "-", "0", "n/a?"} {
		if isMissingToken([]byte(s)) || isMissingString(s) {
			t.Errorf("%q should not be missing", s)
		}
	}
}
