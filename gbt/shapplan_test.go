package gbt

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"unsafe"
)

// walkExplainer returns an Explainer for e that walks every tree, as before plans.
func walkExplainer(e *Ensemble) *Explainer {
	ex := e.NewExplainer()
	ex.setPlan(nil)
	return ex
}

// withZeroCovers returns e rebuilt with the covers of about a fifth of its nodes set to zero
// (leaves, splits, and now and then both children of a split), as a trainer that does not
// record covers or an importer's empty branches would leave them.
func withZeroCovers(tb testing.TB, rng *rand.Rand, e *Ensemble) *Ensemble {
	tb.Helper()
	raw := Ensemble{Objective: e.Objective, BaseScore: e.BaseScore, NumFeatures: e.NumFeatures}
	for _, t := range e.Trees {
		nodes := slices.Clone(t.Nodes)
		for i := range nodes {
			switch nd := &nodes[i]; {
			case rng.IntN(5) == 0:
				nd.Cover = 0
			case !nd.IsLeaf() && rng.IntN(10) == 0:
				nodes[nd.Left].Cover, nodes[nd.Right].Cover = 0, 0
			}
		}
		raw.Trees = append(raw.Trees, Tree{Nodes: nodes})
	}
	out, err := New(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestSHAPPlanMatchesWalk compares the planned trees' SHAP values with the walk's on random
// ensembles of every depth from 1 to 10 (trees deeper than maxPlanDepth are walked either
// way), with missing values, dense and sparse categorical splits, features repeated on paths
// (few features), and zero covers.
func TestSHAPPlanMatchesWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for depth := 1; depth <= 10; depth++ {
		for ci, c := range []genConfig{
			{Trees: 15, Depth: depth, Features: 2, NumCat: 1, Codes: 5, SplitProb: 0.9},
			{Trees: 15, Depth: depth, Features: 4, NumCat: 1, Codes: 6, SplitProb: 0.7},
			{Trees: 15, Depth: depth, Features: 10, NumCat: 3, Codes: 40, CodeScale: 1000, SplitProb: 0.85},
			{Trees: 15, Depth: depth, Features: 30, NumCat: 4, Codes: 12, SplitProb: 0.95},
		} {
			for _, zero := range []bool{false, true} {
				e := genEnsemble(t, rng, c)
				if zero {
					e = withZeroCovers(t, rng, e)
				}
				ex, walk := e.NewExplainer(), walkExplainer(e)
				planned := 0
				for i, pt := range ex.plan.trees {
					want := !e.flat.isLeaf(e.flat.roots[i]) && e.flat.depths[i] <= maxPlanDepth
					if pt.planned() != want {
						t.Fatalf("depth %d config %d: tree %d of depth %d planned %v", depth, ci, i, e.flat.depths[i], pt.planned())
					}
					if want {
						planned++
					}
				}
				if depth <= maxPlanDepth && planned == 0 {
					t.Fatalf("depth %d config %d: no tree planned", depth, ci)
				}
				const rows = 60
				X := genRows(rng, c, rows)
				nf := c.Features
				phi, want := make([]float64, nf), make([]float64, nf)
				for r := range rows {
					x := X[r*nf : (r+1)*nf]
					expected, wantExpected := ex.SHAP(x, phi), walk.SHAP(x, want)
					if expected != wantExpected {
						t.Fatalf("depth %d config %d: expected value %v, walk %v", depth, ci, expected, wantExpected)
					}
					sum := expected
					for j := range phi {
						sum += phi[j]
						if !close(phi[j], want[j], 1e-12) {
							t.Fatalf("depth %d config %d zero covers %v row %v: phi[%d] = %v, walk %v", depth, ci, zero, x, j, phi[j], want[j])
						}
					}
					if m := e.PredictMargin(x); math.Abs(sum-m) > 1e-9 {
						t.Fatalf("depth %d config %d row %d: expected + Σphi = %v, margin %v", depth, ci, r, sum, m)
					}
				}
			}
		}
	}
}

// TestSHAPPlanBruteForce checks planned trees against the enumeration of Shapley values, with
// zero covers and repeated features.
func TestSHAPPlanBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	for _, c := range []genConfig{
		{Trees: 4, Depth: 6, Features: 3, NumCat: 1, Codes: 4, SplitProb: 0.9},
		{Trees: 6, Depth: 5, Features: 6, NumCat: 2, Codes: 30, CodeScale: 1000, SplitProb: 0.8},
		{Trees: 8, Depth: 1, Features: 2, SplitProb: 1},
	} {
		for range 4 {
			e := withZeroCovers(t, rng, genEnsemble(t, rng, c))
			ex := e.NewExplainer()
			X := genRows(rng, c, 30)
			phi := make([]float64, c.Features)
			for r := range 30 {
				x := X[r*c.Features : (r+1)*c.Features]
				expected := ex.SHAP(x, phi)
				want, wantExpected := bruteSHAP(e, x)
				if !close(expected, wantExpected, 1e-9) {
					t.Fatalf("expected value %v, brute force %v", expected, wantExpected)
				}
				for j := range phi {
					if !close(phi[j], want[j], 1e-9) {
						t.Fatalf("row %v: phi[%d] = %v, brute force %v", x, j, phi[j], want[j])
					}
				}
			}
		}
	}
}

// TestSHAPPlanBudget checks that the trees past the plan's memory budget are walked, with the
// same values.
func TestSHAPPlanBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 66))
	c := genConfig{Trees: 40, Depth: 6, Features: 12, NumCat: 2, Codes: 8, SplitProb: 0.9}
	e := genEnsemble(t, rng, c)
	full := e.NewExplainer()
	part := e.NewExplainer()
	part.setPlan(buildShapPlan(e.flat, full.plan.bytes/2)) // about half the trees
	planned := 0
	for _, pt := range part.plan.trees {
		if pt.planned() {
			planned++
		}
	}
	t.Logf("%d of %d trees planned", planned, c.Trees)
	if part.plan.bytes > full.plan.bytes/2 {
		t.Errorf("plan of %d bytes for a budget of %d", part.plan.bytes, full.plan.bytes/2)
	}
	if planned == 0 || planned == c.Trees {
		t.Fatalf("%d of %d trees planned", planned, c.Trees)
	}
	X := genRows(rng, c, 50)
	phi, want := make([]float64, c.Features), make([]float64, c.Features)
	for r := range 50 {
		x := X[r*c.Features : (r+1)*c.Features]
		full.SHAP(x, want)
		part.SHAP(x, phi)
		for j := range phi {
			if !close(phi[j], want[j], 1e-12) {
				t.Fatalf("row %d: phi[%d] = %v with %d trees planned, %v with all", r, j, phi[j], planned, want[j])
			}
		}
	}
	if p := buildShapPlan(e.flat, 0); p.most != 0 || len(p.pairs) != 0 {
		t.Errorf("a zero budget planned %d splits and %d pairs", len(p.splits), len(p.pairs))
	}
}

// TestSHAPPlanFirstUseConcurrent explains rows on a new ensemble from several goroutines at
// once, so that they race to build the plan (run with -race).
func TestSHAPPlanFirstUseConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(67, 68))
	c := genConfig{Trees: 30, Depth: 6, Features: 8, NumCat: 2, Codes: 6, SplitProb: 0.9}
	e := genEnsemble(t, rng, c)
	const rows = 16
	X := genRows(rng, c, rows)
	got := make([][]float64, 4)
	var wg sync.WaitGroup
	for g := range got {
		got[g] = make([]float64, rows*c.Features)
		wg.Go(func() {
			for r := range rows {
				e.SHAP(X[r*c.Features:(r+1)*c.Features], got[g][r*c.Features:(r+1)*c.Features])
			}
		})
	}
	wg.Wait()
	for g := range got {
		if !slices.Equal(got[g], got[0]) {
			t.Fatalf("goroutine %d: values differ", g)
		}
	}
}

func TestSHAPPlanSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"planSplit", unsafe.Sizeof(planSplit{}), planSplitSize},
		{"planPair", unsafe.Sizeof(planPair{}), planPairSize},
		{"planRep", unsafe.Sizeof(planRep{}), planRepSize},
		{"planTree", unsafe.Sizeof(planTree{}), planTreeSize},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d bytes, counted as %d", c.name, c.got, c.want)
		}
	}
}
