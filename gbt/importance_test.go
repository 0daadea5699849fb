package gbt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestImportanceSmall(t *testing.T) {
	e := mustNew(t, smallEnsemble())
	tests := []struct {
		kind ImportanceKind
		want []float64
	}{
		{SplitCount, []float64{1, 1, 1}},
		{TotalGain, []float64{12.5, 3, 4.25}},
		{AverageGain, []float64{12.5, 3, 4.25}},
		{TotalCover, []float64{240, 230, 110}},
		{AverageCover, []float64{240, 230, 110}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			if got := e.Importance(tt.kind); !slices.Equal(got, tt.want) {
				t.Errorf("Importance(%v) = %v, want %v", tt.kind, got, tt.want)
			}
		})
	}
}

func TestImportanceSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	c := genConfig{Trees: 40, Depth: 5, Features: 12, NumCat: 2, Codes: 8, SplitProb: 0.8}
	e := genEnsemble(t, rng, c)
	var splits, gain, cover float64
	perFeature := make([]float64, c.Features)
	for _, tr := range e.Trees {
		for _, n := range tr.Nodes {
			if !n.IsLeaf() {
				splits++
				gain += n.Gain
				cover += n.Cover
				perFeature[n.Feature]++
			}
		}
	}
	sum := func(v []float64) (s float64) {
		for _, x := range v {
			s += x
		}
		return s
	}
	if got := e.Importance(SplitCount); sum(got) != splits || !slices.Equal(got, perFeature) {
		t.Errorf("split counts %v sum to %v, want %v (%v)", got, sum(got), splits, perFeature)
	}
	if got := sum(e.Importance(TotalGain)); math.Abs(got-gain) > 1e-9*gain {
		t.Errorf("total gains sum to %v, want %v", got, gain)
	}
	if got := sum(e.Importance(TotalCover)); math.Abs(got-cover) > 1e-9*cover {
		t.Errorf("total covers sum to %v, want %v", got, cover)
	}
	avg, tot, n := e.Importance(AverageGain), e.Importance(TotalGain), e.Importance(SplitCount)
	for j := range avg {
		if n[j] == 0 && avg[j] != 0 || n[j] > 0 && math.Abs(avg[j]*n[j]-tot[j]) > 1e-9*tot[j] {
			t.Errorf("feature %d: average gain %v × %v splits != total %v", j, avg[j], n[j], tot[j])
		}
	}
	// A feature no split uses.
	e2 := mustNew(t, Ensemble{Objective: Logistic, NumFeatures: 2, Trees: []Tree{{Nodes: []Node{{Feature: -1, Left: -1, Right: -1}}}}})
	for k := SplitCount; k <= AverageCover; k++ {
		if got := e2.Importance(k); !slices.Equal(got, []float64{0, 0}) {
			t.Errorf("Importance(%v) of a model without splits = %v", k, got)
		}
	}
}
