package boost

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"riskflow/eval"
	"riskflow/gbt"
)

// train is Train with a background context, failing the test on error.
func train(t testing.TB, tr, va *Dataset, p Params) *Result {
	t.Helper()
	res, err := Train(context.Background(), tr, va, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// oneFeature returns a dataset with a single feature.
func oneFeature(x, y []float64, cat bool) *Dataset {
	return &Dataset{X: x, Rows: len(x), Features: []Feature{{Name: "x", Categorical: cat}}, Y: y}
}

func predictAll(m *gbt.Ensemble, ds *Dataset) []float64 {
	nf := len(ds.Features)
	out := make([]float64, ds.Rows)
	for i := range out {
		out[i] = m.Predict(ds.X[i*nf : (i+1)*nf])
	}
	return out
}

func TestTrainStump(t *testing.T) {
	var x, y []float64
	for i := range 10 {
		x = append(x, float64(i))
		y = append(y, step(i >= 5)*10)
	}
	p := DefaultParams()
	p.Objective, p.Trees, p.MaxDepth, p.LearningRate, p.Lambda, p.MinChildWeight = gbt.SquaredError, 1, 1, 1, 0, 0
	res := train(t, oneFeature(x, y, false), nil, p)
	m := res.Model
	if m.BaseScore != 5 {
		t.Errorf("base score %v, want the label mean 5", m.BaseScore)
	}
	nodes := m.Trees[0].Nodes
	if len(nodes) != 3 {
		t.Fatalf("%d nodes, want 3", len(nodes))
	}
	root, l, r := nodes[0], nodes[nodes[0].Left], nodes[nodes[0].Right]
	if root.Feature != 0 || root.Threshold != 5 || root.DefaultLeft {
		t.Errorf("root %+v, want x < 5, missing right", root)
	}
	if l.Value != -5 || r.Value != 5 {
		t.Errorf("leaves %v, %v, want -5, 5", l.Value, r.Value)
	}
	// XGBoost's gain: 25²/5 + 25²/5 − 0 = 250; cover is the hessian sum.
	if root.Gain != 250 || root.Cover != 10 || l.Cover != 5 {
		t.Errorf("gain %v cover %v/%v, want 250, 10/5", root.Gain, root.Cover, l.Cover)
	}
	for i, xi := range x {
		if got := m.Predict([]float64{xi}); got != y[i] {
			t.Errorf("predict(%v) = %v, want %v", xi, got, y[i])
		}
	}
}

func TestTrainMissingDirection(t *testing.T) {
	tests := []struct {
		name     string
		nanLabel float64 // label of the rows with a missing x
		lowLabel float64 // label of rows with x < 5
		wantLeft bool
	}{
		{"missing like low values", 1, 1, true},
		{"missing like high values", 0, 1, false},
		{"missing like high values, mirrored", 1, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var x, y []float64
			for i := range 300 {
				switch {
				case i%3 == 0:
					x, y = append(x, math.NaN()), append(y, tc.nanLabel)
				case i%10 < 5:
					x, y = append(x, float64(i%10)), append(y, tc.lowLabel)
				default:
					x, y = append(x, float64(i%10)), append(y, 1-tc.lowLabel)
				}
			}
			p := DefaultParams()
			p.Trees, p.MaxDepth = 1, 1
			root := train(t, oneFeature(x, y, false), nil, p).Model.Trees[0].Nodes[0]
			if root.Threshold != 5 || root.DefaultLeft != tc.wantLeft {
				t.Errorf("root threshold %v default left %v, want 5, %v", root.Threshold, root.DefaultLeft, tc.wantLeft)
			}
		})
	}
}

func TestTrainNeverMissingGoesRight(t *testing.T) {
	var x, y []float64
	for i := range 100 {
		x, y = append(x, float64(i%10)), append(y, step(i%10 < 3))
	}
	p := DefaultParams()
	p.Trees = 3
	for _, tr := range train(t, oneFeature(x, y, false), nil, p).Model.Trees {
		for _, n := range tr.Nodes {
			if !n.IsLeaf() && n.DefaultLeft {
				t.Fatalf("node %+v sends missing left but training had no missing values", n)
			}
		}
	}
}

func TestTrainCategorical(t *testing.T) {
	bad := map[int]bool{2: true, 5: true, 7: true}
	var x, y []float64
	for i := range 1000 {
		c := i % 10
		x = append(x, float64(c))
		y = append(y, step(bad[c]))
	}
	p := DefaultParams()
	p.Trees, p.MaxDepth = 1, 1
	m := train(t, oneFeature(x, y, true), nil, p).Model
	root := m.Trees[0].Nodes[0]
	if !root.Categorical {
		t.Fatalf("root %+v is not categorical", root)
	}
	set := root.Categories
	if !slices.Equal(set, []uint32{2, 5, 7}) && !slices.Equal(set, []uint32{0, 1, 3, 4, 6, 8, 9}) {
		t.Errorf("left categories %v, want {2,5,7} or its complement", set)
	}
	for c := range 10 {
		p := m.Predict([]float64{float64(c)})
		if bad[c] != (p > 0.5) {
			t.Errorf("code %d: p = %v", c, p)
		}
	}
}

func TestTrainCategoricalOther(t *testing.T) {
	// Codes beyond MaxCategories-1, negative or fractional share the "other" bin, which
	// gbt and training both send right.
	var x, y []float64
	for i := range 600 {
		switch i % 3 {
		case 0:
			x, y = append(x, 0), append(y, 0)
		case 1:
			x, y = append(x, 1), append(y, 1)
		default:
			x, y = append(x, []float64{300, -1, 0.5}[i%3]), append(y, 1)
		}
	}
	p := DefaultParams()
	p.Trees, p.MaxDepth = 5, 2
	res := train(t, oneFeature(x, y, true), nil, p)
	for i, m := range res.trainMargins {
		if want := res.Model.PredictMargin(x[i : i+1]); m != want {
			t.Fatalf("row %d (x=%v): training margin %v, model %v", i, x[i], m, want)
		}
	}
}

// TestTrainMarginsMatchModel checks that the margins training kept through the row
// partitions (and the binned walk of rows left out by subsampling) are exactly what the
// returned model predicts from the raw values.
func TestTrainMarginsMatchModel(t *testing.T) {
	ds, _ := synth(5000, 3)
	for _, tc := range []struct {
		name string
		edit func(*Params)
	}{
		{"depthwise", func(*Params) {}},
		{"lossguide", func(p *Params) { p.MaxLeaves, p.MaxDepth = 16, 0 }},
		{"subsample", func(p *Params) { p.Subsample, p.ColsampleByTree = 0.7, 0.5 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.Trees = 10
			tc.edit(&p)
			res := train(t, ds, nil, p)
			nf := len(ds.Features)
			for i, m := range res.trainMargins {
				want := res.Model.PredictMargin(ds.X[i*nf : (i+1)*nf])
				if math.Abs(m-want) > 1e-12 {
					t.Fatalf("row %d: training margin %v, model %v", i, m, want)
				}
			}
		})
	}
}

func TestValidationHistoryMatchesModel(t *testing.T) {
	tr, _ := synth(4000, 4)
	va, _ := synth(2000, 5)
	for _, metric := range []string{"logloss", "auc"} {
		t.Run(metric, func(t *testing.T) {
			p := DefaultParams()
			p.Trees, p.EvalMetric = 8, metric
			res := train(t, tr, va, p)
			if len(res.History) != p.Trees {
				t.Fatalf("history has %d entries, want %d", len(res.History), p.Trees)
			}
			pred := predictAll(res.Model, va)
			want := eval.LogLoss(va.Y, pred)
			if metric == "auc" {
				want = eval.AUC(va.Y, pred)
			}
			if got := res.History[len(res.History)-1]; math.Abs(got-want) > 1e-9 {
				t.Errorf("last %s %v, model gives %v", metric, got, want)
			}
		})
	}
}

func TestDeterministicAcrossThreads(t *testing.T) {
	ds, _ := synth(40_000, 6)
	ds.Features[0].Monotone = 1
	ds.Features[6].Monotone = 1
	for _, tc := range []struct {
		name string
		edit func(*Params)
	}{
		{"depthwise sampled", func(p *Params) { p.Subsample, p.ColsampleByTree = 0.8, 0.8 }},
		{"lossguide", func(p *Params) { p.MaxLeaves, p.MaxDepth = 24, 0 }},
		{"squared error", func(p *Params) { p.Objective, p.Subsample = gbt.SquaredError, 0.9 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first []byte
			for _, threads := range []int{1, 2, 3, 4} {
				p := DefaultParams()
				p.Trees, p.Threads, p.Seed = 5, threads, 42
				tc.edit(&p)
				b, err := json.Marshal(train(t, ds, nil, p).Model)
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = b
				} else if string(b) != string(first) {
					t.Fatalf("%d threads give a different model from 1 thread", threads)
				}
			}
		})
	}
}

func TestSeedChangesSampling(t *testing.T) {
	ds, _ := synth(3000, 7)
	p := DefaultParams()
	p.Trees, p.Subsample = 3, 0.5
	a, _ := json.Marshal(train(t, ds, nil, p).Model)
	p.Seed = 99
	b, _ := json.Marshal(train(t, ds, nil, p).Model)
	if string(a) == string(b) {
		t.Error("different seeds gave the same subsampled model")
	}
}

// TestMonotone moves one constrained feature across its range for random rows and checks
// that the prediction never moves the wrong way, exactly.
func TestMonotone(t *testing.T) {
	ds, _ := synth(20_000, 8)
	// x00 raises risk, x05 lowers it (log1p), x02 is sin-shaped: constrain it both ways.
	cons := map[int]int8{0: 1, 5: -1, 2: 1, 14: -1}
	for f, c := range cons {
		ds.Features[f].Monotone = c
	}
	for _, tc := range []struct {
		name string
		edit func(*Params)
	}{
		{"depthwise", func(*Params) {}},
		{"lossguide", func(p *Params) { p.MaxLeaves, p.MaxDepth = 32, 0 }},
		{"max delta step and alpha", func(p *Params) { p.MaxDeltaStep, p.Alpha = 0.7, 0.5 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.Trees = 30
			tc.edit(&p)
			m := train(t, ds, nil, p).Model
			nf := len(ds.Features)
			r := rand.New(rand.NewPCG(1, 1))
			row := make([]float64, nf)
			for f, c := range cons {
				// The sweep: sorted observed values of the feature, plus values beyond them.
				var grid []float64
				for i := 0; i < ds.Rows; i += 37 {
					if v := ds.X[i*nf+f]; !math.IsNaN(v) {
						grid = append(grid, v)
					}
				}
				slices.Sort(grid)
				grid = append([]float64{grid[0] - 1}, append(grid, grid[len(grid)-1]+1)...)
				for range 40 {
					copy(row, ds.X[r.IntN(ds.Rows)*nf:])
					prev := math.NaN()
					for _, v := range grid {
						row[f] = v
						m := m.PredictMargin(row)
						if !math.IsNaN(prev) && ((c > 0 && m < prev) || (c < 0 && m > prev)) {
							t.Fatalf("feature %d (monotone %+d): margin moves from %v to %v at %v", f, c, prev, m, v)
						}
						prev = m
					}
				}
			}
		})
	}
}

func TestEarlyStopping(t *testing.T) {
	tr, _ := synth(3000, 9)
	va, _ := synth(3000, 10)
	for _, metric := range []string{"logloss", "auc"} {
		t.Run(metric, func(t *testing.T) {
			p := DefaultParams()
			p.Trees, p.EarlyStopping, p.EvalMetric, p.LearningRate = 500, 5, metric, 0.5
			res := train(t, tr, va, p)
			n := len(res.History)
			if n == p.Trees {
				t.Fatal("did not stop early")
			}
			if n != res.BestIteration+1+p.EarlyStopping {
				t.Errorf("stopped after %d rounds, best %d, patience %d", n, res.BestIteration, p.EarlyStopping)
			}
			if len(res.Model.Trees) != res.BestIteration+1 {
				t.Errorf("model has %d trees, want best iteration + 1 = %d", len(res.Model.Trees), res.BestIteration+1)
			}
			for i, v := range res.History {
				if (metric == "auc" && v > res.BestScore) || (metric == "logloss" && v < res.BestScore) {
					t.Errorf("round %d has %s %v, better than best %v", i, metric, v, res.BestScore)
				}
			}
			if res.History[res.BestIteration] != res.BestScore {
				t.Errorf("best score %v is not history[%d] = %v", res.BestScore, res.BestIteration, res.History[res.BestIteration])
			}
		})
	}
}

func TestScalePosWeightIsAWeight(t *testing.T) {
	// Few distinct values, so that the weights (which move quantile cuts) leave the bins alone.
	r := rand.New(rand.NewPCG(11, 11))
	ds := &Dataset{Rows: 3000, Features: []Feature{{Name: "a"}, {Name: "b"}, {Name: "c", Categorical: true}}}
	for range ds.Rows {
		a, b, c := float64(r.IntN(30)), float64(r.IntN(10)), float64(r.IntN(5))
		ds.X = append(ds.X, a, b, c)
		ds.Y = append(ds.Y, step(r.Float64() < 0.1+0.02*a-0.01*b+0.05*c))
	}
	p := DefaultParams()
	p.Trees, p.ScalePosWeight = 4, 3
	a, _ := json.Marshal(train(t, ds, nil, p).Model)
	ds.Weight = make([]float64, ds.Rows)
	for i, y := range ds.Y {
		ds.Weight[i] = 1 + 2*y
	}
	p.ScalePosWeight = 1
	b, _ := json.Marshal(train(t, ds, nil, p).Model)
	if string(a) != string(b) {
		t.Error("scale_pos_weight 3 differs from weight 3 on positives")
	}
}

func TestLossguideLeaves(t *testing.T) {
	ds, _ := synth(5000, 12)
	p := DefaultParams()
	p.Trees, p.MaxLeaves, p.MaxDepth = 5, 12, 0
	sawMax := false
	for _, tr := range train(t, ds, nil, p).Model.Trees {
		leaves := 0
		for _, n := range tr.Nodes {
			if n.IsLeaf() {
				leaves++
			}
		}
		if leaves > p.MaxLeaves {
			t.Errorf("tree with %d leaves > max %d", leaves, p.MaxLeaves)
		}
		sawMax = sawMax || leaves == p.MaxLeaves
	}
	if !sawMax {
		t.Error("no tree reached max leaves")
	}
}

func TestCoverAndGain(t *testing.T) {
	ds, _ := synth(3000, 13)
	p := DefaultParams()
	p.Trees = 3
	for _, tr := range train(t, ds, nil, p).Model.Trees {
		for _, n := range tr.Nodes {
			if n.IsLeaf() {
				continue
			}
			l, r := tr.Nodes[n.Left], tr.Nodes[n.Right]
			if math.Abs(l.Cover+r.Cover-n.Cover) > 1e-9*n.Cover {
				t.Errorf("cover %v ≠ %v + %v", n.Cover, l.Cover, r.Cover)
			}
			if n.Gain <= kRtEps || l.Cover < p.MinChildWeight || r.Cover < p.MinChildWeight {
				t.Errorf("split %+v has gain %v, child covers %v %v", n, n.Gain, l.Cover, r.Cover)
			}
		}
	}
}

func TestSquaredError(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	ds := &Dataset{Features: []Feature{{Name: "a"}, {Name: "b"}}}
	for range 4000 {
		a, b := r.Float64()*6, r.NormFloat64()
		ds.X = append(ds.X, a, b)
		ds.Y = append(ds.Y, math.Sin(a)+0.5*b+0.1*r.NormFloat64())
	}
	ds.Rows = len(ds.Y)
	p := DefaultParams()
	p.Objective, p.Trees = gbt.SquaredError, 50
	res := train(t, ds, ds, p)
	if rmse := res.History[len(res.History)-1]; rmse > 0.15 {
		t.Errorf("training RMSE %v, want < 0.15 (noise 0.1)", rmse)
	}
	if !slices.IsSortedFunc(res.History, func(a, b float64) int { return -cmpFloat(a, b) }) {
		t.Error("training RMSE does not decrease")
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestAccuracy(t *testing.T) {
	tr, _ := synth(20_000, 14)
	te, truth := synth(20_000, 15)
	p := DefaultParams()
	p.Trees, p.LearningRate = 60, 0.1
	auc := eval.AUC(te.Y, predictAll(train(t, tr, nil, p).Model, te))
	bayes := eval.AUC(te.Y, truth)
	if auc < bayes-0.05 { // XGBoost: 0.789 at 20,000 rows, Bayes 0.839

		t.Errorf("test AUC %.4f, Bayes %.4f", auc, bayes)
	}
}

func TestProgressAndCancel(t *testing.T) {
	ds, _ := synth(2000, 16)
	p := DefaultParams()
	p.Trees = 5
	var seen []int
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Train(ctx, ds, nil, p, Options{Progress: func(pr Progress) {
		seen = append(seen, pr.Tree)
		if pr.Tree == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !slices.Equal(seen, []int{1, 2, 3}) {
		t.Errorf("progress saw trees %v, want 1 2 3", seen)
	}
}

func TestTrainRejectsBadData(t *testing.T) {
	good := func() *Dataset {
		return &Dataset{X: []float64{1, 2, 3, 4}, Rows: 2, Features: []Feature{{Name: "a"}, {Name: "b"}}, Y: []float64{0, 1}}
	}
	tests := []struct {
		name  string
		edit  func(*Dataset)
		valid bool // edit the validation set instead
	}{
		{"no rows", func(d *Dataset) { d.Rows, d.X, d.Y = 0, nil, nil }, false},
		{"short X", func(d *Dataset) { d.X = d.X[:3] }, false},
		{"short Y", func(d *Dataset) { d.Y = d.Y[:1] }, false},
		{"label 2", func(d *Dataset) { d.Y[0] = 2 }, false},
		{"label NaN", func(d *Dataset) { d.Y[0] = math.NaN() }, false},
		{"negative weight", func(d *Dataset) { d.Weight = []float64{1, -1} }, false},
		{"short weight", func(d *Dataset) { d.Weight = []float64{1} }, false},
		{"infinite value", func(d *Dataset) { d.X[2] = math.Inf(-1) }, false},
		{"monotone categorical", func(d *Dataset) { d.Features[0].Categorical, d.Features[0].Monotone = true, 1 }, false},
		{"monotone 2", func(d *Dataset) { d.Features[0].Monotone = 2 }, false},
		{"valid features", func(d *Dataset) { d.Features, d.X = d.Features[:1], d.X[:2] }, true},
		{"valid categorical", func(d *Dataset) { d.Features[1].Categorical = true }, true},
		{"valid infinite", func(d *Dataset) { d.X[0] = math.Inf(1) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, va := good(), good()
			if tc.valid {
				tc.edit(va)
			} else {
				tc.edit(tr)
			}
			p := DefaultParams()
			p.Trees = 1
			if _, err := Train(context.Background(), tr, va, p, Options{}); err == nil {
				t.Fatal("no error")
			}
		})
	}
	p := DefaultParams()
	p.EarlyStopping = 3
	if _, err := Train(context.Background(), good(), nil, p, Options{}); !errors.Is(err, ErrParams) {
		t.Errorf("early stopping without a validation set: %v", err)
	}
}
