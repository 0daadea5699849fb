package gbt

import (
	"math"
	"reflect"
	"slices"
	"testing"
)

func TestTopReasons(t *testing.T) {
	phi := []float64{0.5, -0.2, 0.1, 0.3, 0, -1, 0.2}
	group := []int{0, 0, 1, 2, 3, 4, 2} // 0: 0.3, 1: 0.1, 2: 0.5, 3: 0, 4: -1
	tests := []struct {
		name  string
		phi   []float64
		group []int
		k     int
		want  []Reason
	}{
		{"grouped", phi, group, 3, []Reason{{2, 0.5}, {0, 0.3}, {1, 0.1}}},
		{"k larger than positives", phi, group, 10, []Reason{{2, 0.5}, {0, 0.3}, {1, 0.1}}},
		{"top one", phi, group, 1, []Reason{{2, 0.5}}},
		{"k zero", phi, group, 0, []Reason{}},
		{"ungrouped", phi, nil, 2, []Reason{{0, 0.5}, {3, 0.3}}},
		{"ties by group", []float64{0.1, 0.2, 0.1}, nil, 3, []Reason{{1, 0.2}, {0, 0.1}, {2, 0.1}}},
		{"ignored features", phi, []int{-1, 0, 1, -1, -1, -1, 0}, 5, []Reason{{1, 0.1}}},
		{"none positive", []float64{-1, 0}, nil, 2, []Reason{}},
		{"empty", nil, nil, 2, []Reason{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TopReasons(tt.phi, tt.group, tt.k, nil)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			for i := range got {
				got[i].Contribution = round(got[i].Contribution)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("TopReasons = %v, want %v", got, tt.want)
			}
		})
	}
}

func round(v float64) float64 { return math.Round(v*1e9) / 1e9 }

func TestTopReasonsReusesDst(t *testing.T) {
	phi := []float64{0.5, -0.2, 0.1, 0.3}
	dst := make([]Reason, 0, 8)
	if a := testing.AllocsPerRun(10, func() { dst = TopReasons(phi, nil, 2, dst[:0]) }); a != 0 {
		t.Errorf("TopReasons allocates %v times with a large enough dst", a)
	}
	if !reflect.DeepEqual(dst, []Reason{{0, 0.5}, {3, 0.3}}) {
		t.Errorf("TopReasons = %v", dst)
	}
}

func TestGroupContributions(t *testing.T) {
	got := GroupContributions([]float64{1, 2, 4, 8}, []int{1, -1, 1, 3}, nil)
	if want := []float64{0, 5, 0, 8}; !slices.Equal(got, want) {
		t.Errorf("GroupContributions = %v, want %v", got, want)
	}
	buf := make([]float64, 10)
	got = GroupContributions([]float64{1, 2}, nil, buf)
	if !slices.Equal(got, []float64{1, 2}) || &got[0] != &buf[0] {
		t.Errorf("GroupContributions did not reuse dst: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a group slice of the wrong length")
		}
	}()
	GroupContributions([]float64{1, 2}, []int{0}, nil)
}
