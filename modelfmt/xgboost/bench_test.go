package xgboost

import (
	"context"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"riskflow/boost"
	"riskflow/gbt"
)

// benchRows reads testdata/X.csv (the transformed training data of the fixtures) without its
// label and blanks 5% of the values, as gen.py does for training.
func benchRows(tb testing.TB) (x, y []float64, names []string) {
	tb.Helper()
	f, err := os.Open("testdata/X.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	names = recs[0][1:]
	rng := rand.New(rand.NewPCG(5, 5))
	for _, rec := range recs[1:] {
		label, err := strconv.ParseFloat(rec[0], 64)
		if err != nil {
			tb.Fatal(err)
		}
		y = append(y, label)
		for _, s := range rec[1:] {
			v := math.NaN()
			if s != "" && rng.Float64() >= 0.05 {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					tb.Fatal(err)
				}
			}
			x = append(x, v)
		}
	}
	return x, y, names
}

// benchModels returns the imported 300-tree depth-6 XGBoost model (testdata/bench.json) and a
// model of the same shape trained by riskflow's boost with XGBoost's parameters, on the same
// data.
func benchModels(tb testing.TB) (imported, native *gbt.Ensemble, x []float64) {
	tb.Helper()
	m, err := ReadFile("testdata/bench.json")
	if err != nil {
		tb.Fatal(err)
	}
	x, y, names := benchRows(tb)
	feats := make([]boost.Feature, len(names))
	for j, n := range names {
		feats[j] = boost.Feature{Name: n}
	}
	p := boost.DefaultParams()
	p.Trees, p.MaxDepth, p.LearningRate, p.MinChildWeight, p.Lambda = 300, 6, 0.05, 0, 0.1
	res, err := boost.Train(context.Background(), &boost.Dataset{X: x, Rows: len(y), Features: feats, Y: y}, nil, p, boost.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return m.Ensemble, res.Model, x
}

// BenchmarkPredict compares the single-row prediction time of the imported XGBoost model with
// a native riskflow model of the same shape (300 trees, depth 6), over the 3000 data rows.
//
//	go test -run XXX -bench Predict ./modelfmt/xgboost
func BenchmarkPredict(b *testing.B) {
	imported, native, x := benchModels(b)
	for _, bc := range []struct {
		name string
		e    *gbt.Ensemble
	}{{"imported", imported}, {"native", native}} {
		b.Run(bc.name, func(b *testing.B) {
			nf := bc.e.NumFeatures
			rows := len(x) / nf
			b.ReportMetric(float64(bc.e.NumNodes()), "nodes")
			b.ReportMetric(float64(bc.e.MaxDepth()), "depth")
			var sink float64
			i := 0
			for b.Loop() {
				sink += bc.e.PredictMargin(x[i*nf : (i+1)*nf])
				if i++; i == rows {
					i = 0
				}
			}
			_ = sink
		})
	}
}

// TestBenchShape checks that the benchmark compares models of the same shape.
func TestBenchShape(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a 300-tree model")
	}
	imported, native, _ := benchModels(t)
	for _, e := range []*gbt.Ensemble{imported, native} {
		if e.NumTrees() != 300 || e.MaxDepth() != 6 {
			t.Errorf("%d trees of depth %d, want 300 of depth 6", e.NumTrees(), e.MaxDepth())
		}
	}
	t.Logf("nodes: imported %d, native %d", imported.NumNodes(), native.NumNodes())
}
