package report

import (
	"strings"
	"testing"

	"riskflow/frame"
)

func TestLabels(t *testing.T) {
	nan := func() float64 { var z float64; return z / z }()
	tests := []struct {
		name     string
		col      *frame.Column
		positive string
		want     []float64
		err      string
	}{
		{"numeric", frame.NumericColumn("y", []float64{0, 1, 1}), "", []float64{0, 1, 1}, ""},
		{"numeric 2", frame.NumericColumn("y", []float64{0, 2}), "", nil, "is 2 in row 2"},
		{"numeric missing", frame.NumericColumn("y", []float64{0, nan}), "", nil, "missing in row 2"},
		{"bool", frame.BoolColumn("y", []bool{true, false}), "", []float64{1, 0}, ""},
		{"text positive", frame.StringColumn("y", []string{"good", "bad", "bad"}), "bad", []float64{0, 1, 1}, ""},
		{"text 0/1", frame.StringColumn("y", []string{"1", "0", "True"}), "", []float64{1, 0, 1}, ""},
		{"text no positive", frame.StringColumn("y", []string{"good", "bad"}), "", nil, `row 1: text value "good"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Labels(frame.MustNew(tt.col), "y", tt.positive)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	if _, err := Labels(frame.MustNew(frame.NumericColumn("y", nil)), "z", ""); err == nil || !strings.Contains(err.Error(), `no label column "z"`) {
		t.Fatalf("missing column: %v", err)
	}
}

// FuzzLabelValue: a text label maps to exactly 0 or 1, or fails; with a positive value it never fails.
func FuzzLabelValue(f *testing.F) {
	for _, s := range []string{"bad", "good", "1", "0", " true ", "", "FALSE"} {
		f.Add(s, "bad")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, positive string) {
		v, err := labelValue(s, positive)
		if err != nil {
			if positive != "" {
				t.Fatalf("labelValue(%q, %q) failed with a positive value: %v", s, positive, err)
			}
			return
		}
		if v != 0 && v != 1 {
			t.Fatalf("labelValue(%q, %q) = %v", s, positive, v)
		}
		if positive != "" && (v == 1) != (s == positive) {
			t.Fatalf("labelValue(%q, %q) = %v", s, positive, v)
		}
	})
}
