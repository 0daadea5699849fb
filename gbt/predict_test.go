package gbt

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPredictMatchesReference(t *testing.T) {
	configs := []struct {
		name string
		cfg  genConfig
	}{
		{"bench", benchConfig},
		{"stumps", genConfig{Trees: 50, Depth: 1, Features: 3, NumCat: 1, Codes: 4, SplitProb: 1}},
		{"deep", genConfig{Trees: 7, Depth: 14, Features: 5, NumCat: 2, Codes: 70, SplitProb: 0.7}},
		{"leaves only", genConfig{Trees: 5, Depth: 0, Features: 2}},
		{"no features", genConfig{Trees: 3, Depth: 3, Features: 0}},
		{"no trees", genConfig{Trees: 0, Features: 4}},
		{"odd tree count", genConfig{Trees: 11, Depth: 5, Features: 9, NumCat: 3, Codes: 300, SplitProb: 0.9}},
		{"sparse categories", genConfig{Trees: 30, Depth: 5, Features: 6, NumCat: 3, Codes: 40, CodeScale: 1000, SplitProb: 0.9}},
		// Codes up to the largest dense one: feature 0's codes, which numeric nodes of the
		// branchless walk read, reach the last of the zero words (see walkStep).
		{"largest dense codes", genConfig{Trees: 40, Depth: 6, Features: 4, NumCat: 2, Codes: maxDenseCode - 1, SplitProb: 0.9}},
	}
	for _, tc := range configs {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			e := genEnsemble(t, rng, tc.cfg)
			const n = 3000
			X := genRows(rng, tc.cfg, n)
			nf := tc.cfg.Features
			for r := range n {
				x := X[r*nf : (r+1)*nf]
				got, want := e.PredictMargin(x), refMargin(e, x)
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("row %d: margin %v, reference %v", r, got, want)
				}
			}
		})
	}
}

// TestWalkLayout checks which walk each kind of model gets, so that the tests above cover each.
func TestWalkLayout(t *testing.T) {
	for _, tc := range []struct {
		name             string
		cfg              genConfig
		mask, walk, cats bool
	}{
		{"numeric", genConfig{Trees: 5, Depth: 3, Features: 4}, false, false, false},
		{"few codes", genConfig{Trees: 5, Depth: 3, Features: 4, NumCat: 2, Codes: 61, SplitProb: 1}, true, false, true},
		{"80 codes", genConfig{Trees: 5, Depth: 3, Features: 4, NumCat: 2, Codes: 80, SplitProb: 1}, false, true, true},
		{"dense", genConfig{Trees: 5, Depth: 3, Features: 4, NumCat: 2, Codes: maxDenseCode - 1, SplitProb: 1}, false, true, true},
		{"sparse", genConfig{Trees: 5, Depth: 3, Features: 4, NumCat: 2, Codes: 40, CodeScale: 1000, SplitProb: 1}, false, false, true},
	} {
		e := genEnsemble(t, rand.New(rand.NewPCG(3, 4)), tc.cfg)
		f := e.mustCompiled()
		if (f.mwalk != nil) != tc.mask || (f.walk != nil) != tc.walk || f.hasCat != tc.cats {
			t.Errorf("%s: mask walk %v, bitset walk %v, categorical %v; want %v, %v, %v", tc.name, f.mwalk != nil, f.walk != nil, f.hasCat, tc.mask, tc.walk, tc.cats)
		}
		if f.hasCat && len(f.bits) < zeroWords {
			t.Errorf("%s: %d words of sets", tc.name, len(f.bits))
		}
		for _, c := range f.catFeatures {
			if int(c.never/64) >= zeroWords {
				t.Errorf("%s: feature %d: never-code %d beyond the zero words", tc.name, c.feat, c.never)
			}
		}
	}
}

func TestBatchMatchesSingle(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cfgs := []genConfig{
		benchConfig,
		{Trees: 13, Depth: 3, Features: 5, NumCat: 2, Codes: 6, SplitProb: 0.9},
		{Trees: 9, Depth: 4, Features: 5, NumCat: 2, Codes: 30, CodeScale: 100, SplitProb: 0.9},
		{Trees: 17, Depth: 6, Features: 5, NumCat: 2, Codes: maxDenseCode - 1, SplitProb: 0.9},
		{Trees: 4, Features: 0},
	}
	for _, c := range cfgs {
		e := genEnsemble(t, rng, c)
		for _, rows := range []int{0, 1, 7, 8, 9, 63, 64, 65, 200, 1000, 3001} {
			X := genRows(rng, c, rows)
			got := make([]float64, rows)
			e.PredictMarginBatch(X, got)
			probs := make([]float64, rows)
			e.PredictBatch(X, probs)
			for r := range rows {
				x := X[r*c.Features : (r+1)*c.Features]
				if want := e.PredictMargin(x); math.Float64bits(got[r]) != math.Float64bits(want) {
					t.Fatalf("%d trees, %d rows: row %d: batch margin %v, single %v", c.Trees, rows, r, got[r], want)
				}
				if want := e.Predict(x); math.Float64bits(probs[r]) != math.Float64bits(want) {
					t.Fatalf("%d trees, %d rows: row %d: batch prediction %v, single %v", c.Trees, rows, r, probs[r], want)
				}
			}
		}
	}
}

func TestPredictAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	e := genEnsemble(t, rng, benchConfig)
	X := genRows(rng, benchConfig, 100)
	dst := make([]float64, 100)
	if a := testing.AllocsPerRun(20, func() { e.PredictMargin(X[:e.NumFeatures]) }); a != 0 {
		t.Errorf("PredictMargin allocates %v times", a)
	}
	if a := testing.AllocsPerRun(20, func() { e.PredictMarginBatch(X[:10*e.NumFeatures], dst[:10]) }); a != 0 {
		t.Errorf("PredictMarginBatch of 10 rows allocates %v times", a)
	}
}

// TestMixedFeatureSplits checks a model with a feature split both ways, which the mask walk
// cannot take (it replaces a categorical feature's slots by +Inf).
func TestMixedFeatureSplits(t *testing.T) {
	leaf := func(v float64) Node { return Node{Feature: -1, Left: -1, Right: -1, Value: v, Cover: 1} }
	e := mustNew(t, Ensemble{Objective: SquaredError, NumFeatures: 2, Trees: []Tree{
		{Nodes: []Node{{Feature: 0, Categorical: true, Categories: []uint32{1, 3}, Left: 1, Right: 2, Cover: 2}, leaf(-1), leaf(1)}},
		{Nodes: []Node{{Feature: 0, Threshold: 2.5, DefaultLeft: true, Left: 1, Right: 2, Cover: 2}, leaf(-10), leaf(10)}},
		{Nodes: []Node{{Feature: 1, Categorical: true, Categories: []uint32{0}, Left: 1, Right: 2, Cover: 2}, leaf(-100), leaf(100)}},
	}})
	f := e.mustCompiled()
	if f.mwalk != nil || f.walk == nil {
		t.Fatalf("mask walk %v, bitset walk %v; want the bitset walk", f.mwalk != nil, f.walk != nil)
	}
	nan := math.NaN()
	for _, x := range [][]float64{{1, 0}, {3, 1}, {2, 0}, {0, nan}, {nan, 0}, {2.5, 5}, {4, 0}, {-1, -1}} {
		if got, want := e.PredictMargin(x), refMargin(e, x); got != want {
			t.Errorf("PredictMargin(%v) = %v, reference %v", x, got, want)
		}
	}
}
