package feature

import (
	"math"
	"testing"
	"time"

	"riskflow/frame"
)

func TestRecordValue(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	f := frame.MustNew(
		frame.NumericColumn("amount", []float64{12.5, math.NaN()}),
		frame.StringColumn("market", []string{"de", "fr"}),
		frame.BoolColumn("match", []bool{true, false}),
		frame.TimeColumn("ts", []time.Time{at, at}),
		frame.NumericColumn("y", []float64{0, 1}),
	)
	spec := &Spec{Label: "y", Features: []Def{
		{Name: "amount", Type: Numeric},
		{Name: "market", Type: Categorical},
		{Name: "match", Type: Boolean},
		{Name: "ts", Type: Datetime},
	}}
	tr, err := Fit(spec, f)
	if err != nil {
		t.Fatal(err)
	}
	idx := func(name string) int {
		i, ok := tr.InputIndex(name)
		if !ok {
			t.Fatalf("no input %s", name)
		}
		return i
	}
	rec := tr.NewRecord()
	if err := rec.DecodeJSON([]byte(`{"amount": 3.25, "market": "de", "match": true, "ts": "2025-03-04T06:06:07+01:00"}`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field string
		want  any
	}{
		{"amount", 3.25}, {"market", "de"}, {"match", true}, {"ts", at},
	}
	for _, tt := range tests {
		if got := rec.Value(idx(tt.field)); got != tt.want {
			t.Errorf("Value(%s) = %v (%T), want %v", tt.field, got, got, tt.want)
		}
	}
	rec.Reset()
	if err := rec.DecodeJSON([]byte(`{"market": "xx", "match": null}`)); err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]any{"amount": nil, "market": UnknownLevel, "match": nil, "ts": nil} {
		if got := rec.Value(idx(field)); got != want {
			t.Errorf("Value(%s) = %v, want %v", field, got, want)
		}
	}
}
