package feature

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSetters(t *testing.T) {
	tr := mustFit(t, smallSpec, smallFrame())
	idx := func(name string) int {
		i, ok := tr.InputIndex(name)
		if !ok {
			t.Fatalf("no input %q", name)
		}
		return i
	}
	amount, market, tier, first, ts := idx("amount"), idx("market"), idx("tier"), idx("first"), idx("ts")
	if _, ok := tr.InputIndex("y"); ok {
		t.Fatal("the label must not be an input")
	}
	tests := []struct {
		name  string
		set   func(r *Record) error
		field string // the field to check
		want  string // its value, or the error's text
		isErr bool
	}{
		{"float", func(r *Record) error { return r.SetFloat(amount, 2.5) }, "amount", "2.5", false},
		{"float NaN is missing", func(r *Record) error { return r.SetFloat(amount, math.NaN()) }, "amount", "-", false},
		{"float Inf", func(r *Record) error { return r.SetFloat(amount, math.Inf(-1)) }, "amount", `field "amount": non-finite number`, true},
		{"float for category", func(r *Record) error { return r.SetFloat(market, 1) }, "market", `field "market": got a number, want a string (categorical)`, true},
		{"string", func(r *Record) error { return r.SetString(market, "NO") }, "market", "NO", false},
		{"string unknown", func(r *Record) error { return r.SetString(market, "PL") }, "market", "?", false},
		{"string unknown rejected", func(r *Record) error { return r.SetString(tier, "bronze") }, "tier", `field "tier": unknown category "bronze" (the spec says unknown: error)`, true},
		{"string for number", func(r *Record) error { return r.SetString(amount, "1") }, "amount", `field "amount": got a string, want a number`, true},
		{"string time", func(r *Record) error { return r.SetString(ts, "2025-05-05T05:05:05Z") }, "ts", "2025-05-05T05:05:05Z", false},
		{"bool", func(r *Record) error { return r.SetBool(first, true) }, "first", "true", false},
		{"bool for number", func(r *Record) error { return r.SetBool(amount, true) }, "amount", `got a boolean, want a number`, true},
		{"time", func(r *Record) error {
			return r.SetTime(ts, time.Date(2025, 6, 7, 8, 9, 10, 11, time.FixedZone("", 3600)))
		}, "ts", "2025-06-07T07:09:10.000000011Z", false},
		{"time out of range", func(r *Record) error { return r.SetTime(ts, time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)) }, "ts", "time out of range", true},
		{"time for bool", func(r *Record) error { return r.SetTime(first, time.Now()) }, "first", "got a time, want true or false", true},
		{"missing", func(r *Record) error { r.SetMissing(market); return nil }, "market", "-", false},

		{"text number", func(r *Record) error { return r.SetText(amount, []byte(" 1e3 ")) }, "amount", "1000", false},
		{"text NA", func(r *Record) error { return r.SetText(amount, []byte("NA")) }, "amount", "-", false},
		{"text empty", func(r *Record) error { return r.SetText(market, nil) }, "market", "-", false},
		{"text null category", func(r *Record) error { return r.SetText(market, []byte("NULL")) }, "market", "-", false},
		{"text category kept as is", func(r *Record) error { return r.SetText(market, []byte(" DE")) }, "market", "?", false},
		{"text nan", func(r *Record) error { return r.SetText(amount, []byte("nan")) }, "amount", "-", false},
		{"text inf", func(r *Record) error { return r.SetText(amount, []byte("inf")) }, "amount", "non-finite number", true},
		{"text overflow", func(r *Record) error { return r.SetText(amount, []byte("1e999")) }, "amount", "non-finite number", true},
		{"text not a number", func(r *Record) error { return r.SetText(amount, []byte("12 EUR")) }, "amount", `not a number: "12 EUR"`, true},
		{"text bool", func(r *Record) error { return r.SetText(first, []byte("F")) }, "first", "false", false},
		{"text bool 1", func(r *Record) error { return r.SetText(first, []byte("1")) }, "first", "true", false},
		{"text not a bool", func(r *Record) error { return r.SetText(first, []byte("yes")) }, "first", `not a boolean: "yes"`, true},
		{"text time", func(r *Record) error { return r.SetText(ts, []byte("2025-01-02 03:04:05-01:00")) }, "ts", "2025-01-02T04:04:05Z", false},
		{"text bad time", func(r *Record) error { return r.SetText(ts, []byte("02/01/2025")) }, "ts", "not an RFC 3339 timestamp", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tr.NewRecord()
			err := tt.set(r)
			if tt.isErr {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want a *FieldError for %s containing %q", err, tt.field, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := slot(t, r, tt.field); got != tt.want {
				t.Fatalf("%s = %s, want %s", tt.field, got, tt.want)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC; "" for an error
	}{
		{"2025-03-30T01:59:59Z", "2025-03-30T01:59:59Z"},
		{"2025-03-30t01:59:59z", "2025-03-30T01:59:59Z"},
		{"2025-03-30 01:59:59+02:00", "2025-03-29T23:59:59Z"},
		{"2024-02-29T12:00:00.5-05:30", "2024-02-29T17:30:00.5Z"},
		{"2000-01-01T00:00:00.000000001Z", "2000-01-01T00:00:00.000000001Z"},
		{"1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999999Z"},
		{"1700-06-15T00:00:00Z", "1700-06-15T00:00:00Z"},
		{"2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854775807Z"}, // the last representable instant
		{"1677-09-21T00:12:44Z", "1677-09-21T00:12:44Z"},
		{"2025-12-31", "2025-12-31T00:00:00Z"},
		{"2262-04-11T23:47:16.854775808Z", ""}, // one nanosecond beyond
		{"1600-01-01T00:00:00Z", ""},
		{"2023-02-29T00:00:00Z", ""}, // not a leap year
		{"1900-02-29", ""},           // not a leap year either
		{"2025-13-01T00:00:00Z", ""},
		{"2025-00-01T00:00:00Z", ""},
		{"2025-04-31T00:00:00Z", ""},
		{"2025-01-01T24:00:00Z", ""},
		{"2025-01-01T23:60:00Z", ""},
		{"2025-01-01T23:59:60Z", ""},
		{"2025-01-01T00:00:00", ""},             // no zone
		{"2025-01-01T00:00:00.Z", ""},           // empty fraction
		{"2025-01-01T00:00:00.1234567890Z", ""}, // ten digits
		{"2025-01-01T00:00:00+0100", ""},
		{"2025-01-01T00:00:00+24:00", ""},
		{"2025-01-01T00:00:00Zjunk", ""},
		{"2025-01-01X00:00:00Z", ""},
		{"2025-1-01", ""},
		{"25-01-01", ""},
		{"", ""},
		{"2025", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ns, err := parseTime(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("= %v, want an error", time.Unix(0, ns).UTC())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := time.Unix(0, ns).UTC().Format(time.RFC3339Nano); got != tt.want {
				t.Fatalf("= %s, want %s", got, tt.want)
			}
			if ns2, err := parseTime([]byte(tt.in)); err != nil || ns2 != ns {
				t.Fatalf("the []byte instantiation gives %d, %v", ns2, err)
			}
		})
	}
}

func TestDaysFromCivil(t *testing.T) {
	for d := time.Date(-400, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2500; d = d.AddDate(0, 0, 17) {
		want := d.Unix() / 86400
		if got := daysFromCivil(int64(d.Year()), int64(d.Month()), int64(d.Day())); got != want {
			t.Fatalf("%s: %d, want %d", d.Format(time.DateOnly), got, want)
		}
	}
}

func TestVectorPanicsOnForeignRecord(t *testing.T) {
	a := mustFit(t, smallSpec, smallFrame())
	b := mustFit(t, smallSpec, smallFrame())
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	_, _ = a.Vector(nil, b.NewRecord())
}
