package gbt

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// The benchmark model is benchConfig: 300 depth-6 trees over 40 features, about 10% of the
// splits categorical, 5% of the inputs missing.

func benchModel(tb testing.TB) (*Ensemble, []float64) { return benchModelCfg(tb, benchConfig) }

func benchModelCfg(tb testing.TB, c genConfig) (*Ensemble, []float64) {
	rng := rand.New(rand.NewPCG(7, 8))
	e := genEnsemble(tb, rng, c)
	return e, genRows(rng, c, 4096)
}

// BenchmarkPredictMargin predicts one row at a time, cycling through 4096 rows.
func BenchmarkPredictMargin(b *testing.B) {
	e, X := benchModel(b)
	benchRows(b, e, X, func(x []float64) { e.PredictMargin(x) })
}

// BenchmarkPredictMarginNoCat is BenchmarkPredictMargin for a model without categorical splits.
func BenchmarkPredictMarginNoCat(b *testing.B) {
	c := benchConfig
	c.NumCat = 0
	e, X := benchModelCfg(b, c)
	benchRows(b, e, X, func(x []float64) { e.PredictMargin(x) })
}

// BenchmarkPredictMarginManyCat is BenchmarkPredictMargin for a model with a third of its
// features categorical, as many splits as the models trained on riskflow's generated orders.
func BenchmarkPredictMarginManyCat(b *testing.B) {
	c := benchConfig
	c.NumCat = 13
	e, X := benchModelCfg(b, c)
	benchRows(b, e, X, func(x []float64) { e.PredictMargin(x) })
}

// BenchmarkPredictMarginReference is the reference walk over canonical Nodes, for comparison.
func BenchmarkPredictMarginReference(b *testing.B) {
	e, X := benchModel(b)
	benchRows(b, e, X, func(x []float64) { refMargin(e, x) })
}

// BenchmarkPredictBatch predicts 200,000 rows per op with PredictMarginBatch (GOMAXPROCS
// goroutines); the ns/row metric is the per-row cost.
func BenchmarkPredictBatch(b *testing.B) {
	e, _ := benchModel(b)
	const rows = 200_000
	X := genRows(rand.New(rand.NewPCG(1, 2)), benchConfig, rows)
	dst := make([]float64, rows)
	b.ReportAllocs()
	b.SetBytes(int64(len(X) * 8))
	for b.Loop() {
		e.PredictMarginBatch(X, dst)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}

// BenchmarkSHAP explains one row at a time with a reused Explainer.
func BenchmarkSHAP(b *testing.B) {
	e, X := benchModel(b)
	ex := e.NewExplainer()
	phi := make([]float64, e.NumFeatures)
	benchRows(b, e, X, func(x []float64) { ex.SHAP(x, phi) })
}

// BenchmarkSHAPWalk is BenchmarkSHAP with every tree walked, as trees deeper than
// maxPlanDepth are (see shapPlan).
func BenchmarkSHAPWalk(b *testing.B) {
	e, X := benchModel(b)
	ex := walkExplainer(e)
	phi := make([]float64, e.NumFeatures)
	benchRows(b, e, X, func(x []float64) { ex.SHAP(x, phi) })
}

// BenchmarkSHAPPlan builds the benchmark model's TreeSHAP plan, what the first NewExplainer
// of an ensemble does; plan-bytes is its size.
func BenchmarkSHAPPlan(b *testing.B) {
	e, _ := benchModel(b)
	b.ReportAllocs()
	var p *shapPlan
	for b.Loop() {
		p = buildShapPlan(e.flat, maxPlanBytes)
	}
	b.ReportMetric(float64(p.bytes), "plan-bytes")
}

func benchRows(b *testing.B, e *Ensemble, X []float64, fn func(x []float64)) {
	nf := e.NumFeatures
	rows := len(X) / nf
	b.ReportAllocs()
	r := 0
	for b.Loop() {
		fn(X[r*nf : (r+1)*nf])
		if r++; r == rows {
			r = 0
		}
	}
}

// BenchmarkPredictBatchXGBoost is BenchmarkPredictBatch for the XGBoost model named by
// $GBT_XGBOOST_MODEL (a 300-tree model made by testdata/xgboost/bench_predict.py, which also
// times XGBoost on the same kind of data), converted as in TestXGBoostParity.
func BenchmarkPredictBatchXGBoost(b *testing.B) {
	path := os.Getenv("GBT_XGBOOST_MODEL")
	if path == "" {
		b.Skip("set GBT_XGBOOST_MODEL to an XGBoost JSON model")
	}
	e := loadXGBoost(b, path)
	const rows = 200_000
	rng := rand.New(rand.NewPCG(1, 2))
	X := make([]float64, rows*e.NumFeatures)
	for i := range X {
		X[i] = rng.NormFloat64()
		if rng.IntN(20) == 0 {
			X[i] = math.NaN()
		}
	}
	dst := make([]float64, rows)
	b.ReportAllocs()
	for b.Loop() {
		e.PredictMarginBatch(X, dst)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
