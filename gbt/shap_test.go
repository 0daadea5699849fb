package gbt

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// bruteSHAP computes exact Shapley values by enumerating all feature subsets of the game TreeSHAP
// (path-dependent) explains: v(S) = BaseScore + Σ trees condExp(root, S), where a split on a
// feature in S follows x and any other split averages its children weighted by cover.
func bruteSHAP(e *Ensemble, x []float64) (phi []float64, expected float64) {
	m := e.NumFeatures
	v := make([]float64, 1<<m)
	for s := range v {
		v[s] = e.BaseScore
		for i := range e.Trees {
			v[s] += condExp(&e.Trees[i], 0, x, uint64(s))
		}
	}
	fact := make([]float64, m+1)
	fact[0] = 1
	for i := 1; i <= m; i++ {
		fact[i] = fact[i-1] * float64(i)
	}
	phi = make([]float64, m)
	for j := range m {
		for s := range v {
			if s&(1<<j) != 0 {
				continue
			}
			k := popcount(s)
			phi[j] += fact[k] * fact[m-k-1] / fact[m] * (v[s|1<<j] - v[s])
		}
	}
	return phi, v[0]
}

func popcount(s int) int {
	n := 0
	for ; s != 0; s &= s - 1 {
		n++
	}
	return n
}

func condExp(t *Tree, i int32, x []float64, s uint64) float64 {
	nd := &t.Nodes[i]
	if nd.IsLeaf() {
		return nd.Value
	}
	if s&(1<<nd.Feature) != 0 {
		if refGoesLeft(nd, x[nd.Feature]) {
			return condExp(t, nd.Left, x, s)
		}
		return condExp(t, nd.Right, x, s)
	}
	fr := coverFractions(t.Nodes[nd.Left].Cover, t.Nodes[nd.Right].Cover)
	return fr.left*condExp(t, nd.Left, x, s) + fr.right*condExp(t, nd.Right, x, s)
}

func TestSHAPMatchesBruteForce(t *testing.T) {
	configs := []genConfig{
		{Trees: 1, Depth: 1, Features: 1, SplitProb: 1},
		{Trees: 3, Depth: 3, Features: 2, NumCat: 1, Codes: 4, SplitProb: 1},   // repeated features on paths
		{Trees: 4, Depth: 5, Features: 4, NumCat: 1, Codes: 5, SplitProb: 0.8}, // uneven trees
		{Trees: 5, Depth: 4, Features: 7, NumCat: 2, Codes: 6, SplitProb: 0.9},
		{Trees: 2, Depth: 8, Features: 3, SplitProb: 0.9}, // long paths, many repeats
		{Trees: 6, Depth: 0, Features: 3},                 // single leaves
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for ci, c := range configs {
		for range 5 {
			e := genEnsemble(t, rng, c)
			ex := e.NewExplainer()
			X := genRows(rng, c, 40)
			phi := make([]float64, c.Features)
			for r := range 40 {
				x := X[r*c.Features : (r+1)*c.Features]
				expected := ex.SHAP(x, phi)
				want, wantExpected := bruteSHAP(e, x)
				if !close(expected, wantExpected, 1e-9) {
					t.Fatalf("config %d row %d: expected value %v, brute force %v", ci, r, expected, wantExpected)
				}
				for j := range phi {
					if !close(phi[j], want[j], 1e-9) {
						t.Fatalf("config %d row %v: phi[%d] = %v, brute force %v\nphi %v\nwant %v", ci, x, j, phi[j], want[j], phi, want)
					}
				}
			}
		}
	}
}

func close(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestSHAPAdditivity(t *testing.T) {
	configs := []struct {
		name string
		cfg  genConfig
	}{
		{"bench", benchConfig},
		{"deep", genConfig{Trees: 20, Depth: 12, Features: 10, NumCat: 2, Codes: 30, SplitProb: 0.8}},
		{"many features", genConfig{Trees: 50, Depth: 6, Features: 300, NumCat: 20, Codes: 100, SplitProb: 0.9}},
	}
	for _, tc := range configs {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			e := genEnsemble(t, rng, tc.cfg)
			ex := e.NewExplainer()
			nf := tc.cfg.Features
			const n = 500
			X := genRows(rng, tc.cfg, n)
			phi := make([]float64, nf)
			for r := range n {
				x := X[r*nf : (r+1)*nf]
				sum := ex.SHAP(x, phi)
				for _, p := range phi {
					sum += p
				}
				if m := e.PredictMargin(x); math.Abs(sum-m) > 1e-9 {
					t.Fatalf("row %d: expected + Σphi = %v, margin %v", r, sum, m)
				}
			}
		})
	}
}

func TestSHAPZeroCover(t *testing.T) {
	// Covers of zero (a trainer that does not record them, or an empty branch) must neither
	// divide by zero nor break additivity.
	leaf := func(v, c float64) Node { return Node{Feature: -1, Left: -1, Right: -1, Value: v, Cover: c} }
	e, err := New(Ensemble{Objective: SquaredError, NumFeatures: 2, Trees: []Tree{
		{Nodes: []Node{{Feature: 0, Threshold: 0, Left: 1, Right: 2}, {Feature: 1, Threshold: 1, Left: 3, Right: 4}, leaf(3, 0), leaf(1, 0), leaf(2, 0)}},
		{Nodes: []Node{{Feature: 1, Threshold: 0, Left: 1, Right: 2, Cover: 5}, leaf(-1, 5), {Feature: 1, Threshold: 2, Left: 3, Right: 4}, leaf(7, 0), leaf(4, 0)}},
		{Nodes: []Node{{Feature: 0, Threshold: 0, Left: 1, Right: 2, Cover: 4}, leaf(10, 0), leaf(20, 4)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ex := e.NewExplainer()
	for _, x := range [][]float64{{-1, 0}, {1, 5}, {math.NaN(), 1.5}, {-1, -1}, {1, 0.5}} {
		phi := make([]float64, 2)
		expected := ex.SHAP(x, phi)
		want, wantExpected := bruteSHAP(e, x)
		if !close(expected, wantExpected, 1e-12) || !close(phi[0], want[0], 1e-12) || !close(phi[1], want[1], 1e-12) {
			t.Errorf("x %v: phi %v expected %v, brute force %v %v", x, phi, expected, want, wantExpected)
		}
		if s := expected + phi[0] + phi[1]; !close(s, e.PredictMargin(x), 1e-12) {
			t.Errorf("x %v: expected + Σphi = %v, margin %v", x, s, e.PredictMargin(x))
		}
	}
}

func TestSHAPAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	e := genEnsemble(t, rng, benchConfig)
	X := genRows(rng, benchConfig, 10)
	ex := e.NewExplainer()
	phi := make([]float64, e.NumFeatures)
	if a := testing.AllocsPerRun(20, func() { ex.SHAP(X[:e.NumFeatures], phi) }); a != 0 {
		t.Errorf("Explainer.SHAP allocates %v times per row", a)
	}
}

func TestEnsembleSHAPConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	c := genConfig{Trees: 40, Depth: 5, Features: 10, NumCat: 2, Codes: 6, SplitProb: 0.9}
	e := genEnsemble(t, rng, c)
	const rows = 64
	X := genRows(rng, c, rows)
	want := make([]float64, rows*c.Features)
	ex := e.NewExplainer()
	for r := range rows {
		ex.SHAP(X[r*c.Features:(r+1)*c.Features], want[r*c.Features:(r+1)*c.Features])
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			phi := make([]float64, c.Features)
			for r := range rows {
				if got := e.SHAP(X[r*c.Features:(r+1)*c.Features], phi); got != e.ExpectedValue() {
					t.Errorf("expected value %v, want %v", got, e.ExpectedValue())
				}
				if !slices.Equal(phi, want[r*c.Features:(r+1)*c.Features]) {
					t.Errorf("row %d: concurrent SHAP differs", r)
				}
			}
		})
	}
	wg.Wait()
}
