package linear

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

type solution struct {
	Weights   []float64
	Intercept float64
	GradNorm  float64 `json:"grad_norm"`
	Proba     []float64
}

// fixture is one dataset of testdata/sklearn.json (written by testdata/gen_sklearn.py).
type fixture struct {
	Name         string
	Rows, Cols   int
	X, Y         []float64
	FeatureNames []string `json:"feature_names"`
	L2           float64
	Standardize  bool
	Sklearn      map[string]solution
	Exact        solution
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Datasets []fixture }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Datasets) == 0 {
		t.Fatal("no datasets")
	}
	return doc.Datasets
}

// closeTo compares coefficients relative to their size, with an absolute floor for
// coefficients near zero.
func closeTo(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= max(abs, rel*math.Abs(want))
}

func TestMatchesSklearn(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			m, err := Train(context.Background(), f.X, f.Rows, f.Cols, f.Y, Params{
				L2: f.L2, Standardize: f.Standardize, FeatureNames: f.FeatureNames, Tol: 1e-8,
			})
			if err != nil {
				t.Fatal(err)
			}
			// The exact optimum and scikit-learn's newton-cg solution: tight.
			for _, ref := range []struct {
				name string
				s    solution
				rel  float64
			}{{"exact", f.Exact, 1e-6}, {"newton-cg", f.Sklearn["newton-cg"], 1e-6}} {
				for j, w := range m.Weights {
					if !closeTo(w, ref.s.Weights[j], ref.rel, ref.rel*1e-2) {
						t.Errorf("%s: weight %d = %.12g, want %.12g", ref.name, j, w, ref.s.Weights[j])
					}
				}
				if !closeTo(m.Intercept, ref.s.Intercept, ref.rel, ref.rel*1e-2) {
					t.Errorf("%s: intercept = %.12g, want %.12g", ref.name, m.Intercept, ref.s.Intercept)
				}
			}
			// With the default tolerance: the ~1e-4 agreement a production fit needs.
			d, err := Train(context.Background(), f.X, f.Rows, f.Cols, f.Y, Params{L2: f.L2, Standardize: f.Standardize})
			if err != nil {
				t.Fatal(err)
			}
			for j, w := range d.Weights {
				if !closeTo(w, f.Exact.Weights[j], 1e-4, 1e-6) {
					t.Errorf("default tol: weight %d = %.12g, want %.12g", j, w, f.Exact.Weights[j])
				}
			}
			if !closeTo(d.Intercept, f.Exact.Intercept, 1e-4, 1e-6) {
				t.Errorf("default tol: intercept = %.12g, want %.12g", d.Intercept, f.Exact.Intercept)
			}
			// scikit-learn's default lbfgs stops early on badly scaled data (and cannot
			// identify a weight on a constant column), so compare its predictions: within 1e-4.
			lb := f.Sklearn["lbfgs"]
			x := make([]float64, f.Cols)
			for i := range f.Rows {
				copy(x, f.X[i*f.Cols:(i+1)*f.Cols])
				p := m.Predict(x)
				if math.Abs(p-f.Exact.Proba[i]) > 1e-7 {
					t.Fatalf("row %d: p = %v, exact %v", i, p, f.Exact.Proba[i])
				}
				if math.Abs(p-lb.Proba[i]) > 1e-4 {
					t.Fatalf("row %d: p = %v, sklearn lbfgs %v", i, p, lb.Proba[i])
				}
			}
		})
	}
}

// synthetic returns rows×cols standard-normal features (column j scaled by scale[j]) and
// labels from a known logistic model.
func synthetic(seed uint64, rows int, scale []float64) (X, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	cols := len(scale)
	X = make([]float64, rows*cols)
	y = make([]float64, rows)
	for i := range rows {
		z := -1.0
		for j := range cols {
			v := rng.NormFloat64() * scale[j]
			X[i*cols+j] = v
			z += v / scale[j] * (float64(j%3) - 1) // weights −1, 0, 1, … on the unit scale
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	return X, y
}

// objectiveGradient is the gradient of Σ logloss + λ/2·‖w‖² (raw penalty) at a model,
// written independently of the training code.
func objectiveGradient(X []float64, rows, cols int, y []float64, m *Model, l2 float64) []float64 {
	g := make([]float64, cols+1)
	for i := range rows {
		x := X[i*cols : (i+1)*cols]
		r := m.Predict(x) - y[i]
		for j := range cols {
			g[j] += r * x[j]
		}
		g[cols] += r
	}
	for j := range cols {
		g[j] += l2 * m.Weights[j]
	}
	return g
}

func TestGradientZeroAtSolution(t *testing.T) {
	scale := []float64{1, 1000, 0.01, 5}
	X, y := synthetic(1, 2000, scale)
	m, err := Train(context.Background(), X, 2000, len(scale), y, Params{L2: 3, Tol: 1e-8})
	if err != nil {
		t.Fatal(err)
	}
	for j, g := range objectiveGradient(X, 2000, len(scale), y, m, 3) {
		// The gradient of the summed objective; Tol applies per row, in standardised units.
		if math.Abs(g) > 1e-6*2000*math.Max(1, scale[min(j, len(scale)-1)]) {
			t.Errorf("gradient component %d = %g", j, g)
		}
	}
}

func TestL2ShrinksWeights(t *testing.T) {
	X, y := synthetic(2, 1000, []float64{1, 1, 1})
	prev := math.Inf(1)
	for _, l2 := range []float64{1e-6, 1, 100, 1e4} {
		m, err := Train(context.Background(), X, 1000, 3, y, Params{L2: l2})
		if err != nil {
			t.Fatal(err)
		}
		var norm float64
		for _, w := range m.Weights {
			norm += w * w
		}
		if !(norm < prev) {
			t.Errorf("L2 %v: ‖w‖² = %v, not below %v", l2, norm, prev)
		}
		prev = norm
	}
}

func TestStandardizeIsScaleInvariant(t *testing.T) {
	X, y := synthetic(3, 800, []float64{1, 1, 1})
	X2 := make([]float64, len(X))
	for i, v := range X {
		X2[i] = v * []float64{1, 250, 0.004}[i%3] // change the units of two features
	}
	p := Params{L2: 20, Standardize: true, Tol: 1e-8}
	a, err := Train(context.Background(), X, 800, 3, y, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), X2, 800, 3, y, p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 800 {
		pa, pb := a.Predict(X[i*3:i*3+3]), b.Predict(X2[i*3:i*3+3])
		if math.Abs(pa-pb) > 1e-8 {
			t.Fatalf("row %d: %v vs %v after rescaling", i, pa, pb)
		}
	}
}

func TestContributions(t *testing.T) {
	X, y := synthetic(4, 500, []float64{1, 2, 3, 4})
	m, err := Train(context.Background(), X, 500, 4, y, Params{})
	if err != nil {
		t.Fatal(err)
	}
	phi := make([]float64, 4)
	var meanPhi [4]float64
	for i := range 500 {
		x := X[i*4 : i*4+4]
		e := m.Contributions(x, phi)
		var s float64
		for j, v := range phi {
			s += v
			meanPhi[j] += v / 500
		}
		if math.Abs(s+e-m.PredictMargin(x)) > 1e-12 {
			t.Fatalf("row %d: Σphi + expected = %v, margin %v", i, s+e, m.PredictMargin(x))
		}
	}
	// Against the training means, contributions average to zero.
	for j, v := range meanPhi {
		if math.Abs(v) > 1e-12 {
			t.Errorf("feature %d: mean contribution %v", j, v)
		}
	}
}

func TestTrainErrors(t *testing.T) {
	X := []float64{1, 2, 3, 4, 5, 6}
	y := []float64{0, 1, 0}
	tests := []struct {
		name       string
		X          []float64
		rows, cols int
		y          []float64
		p          Params
		target     error
		mentions   string
	}{
		{"negative l2", X, 3, 2, y, Params{L2: -1}, ErrParams, "L2"},
		{"nan tol", X, 3, 2, y, Params{Tol: math.NaN()}, ErrParams, "Tol"},
		{"negative iterations", X, 3, 2, y, Params{MaxIter: -1}, ErrParams, "MaxIter"},
		{"shape", X, 2, 2, y, Params{}, ErrInput, "X has 6"},
		{"zero rows", nil, 0, 2, nil, Params{}, ErrInput, "0 rows"},
		{"labels length", X, 3, 2, y[:2], Params{}, ErrInput, "2 labels"},
		{"names length", X, 3, 2, y, Params{FeatureNames: []string{"a"}}, ErrInput, "1 feature names"},
		{"nan named", []float64{1, 2, 3, math.NaN(), 5, 6}, 3, 2, y, Params{FeatureNames: []string{"age", "income"}}, ErrInput, `"income" (1)`},
		{"nan unnamed", []float64{1, 2, 3, 4, math.NaN(), 6}, 3, 2, y, Params{}, ErrInput, "column 0 has NaN in row 2"},
		{"inf", []float64{1, 2, math.Inf(1), 4, 5, 6}, 3, 2, y, Params{}, ErrInput, "+Inf"},
		{"label", X, 3, 2, []float64{0, 2, 1}, Params{}, ErrInput, "label 2"},
		{"one class", X, 3, 2, []float64{1, 1, 1}, Params{}, ErrInput, "both classes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Train(context.Background(), tt.X, tt.rows, tt.cols, tt.y, tt.p)
			if !errors.Is(err, tt.target) || m != nil {
				t.Fatalf("Train = %v, %v; want error %v", m, err, tt.target)
			}
			if !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("error %q does not mention %q", err, tt.mentions)
			}
		})
	}
}

func TestTrainCancelled(t *testing.T) {
	X, y := synthetic(5, 200, []float64{1, 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, X, 200, 2, y, Params{}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestTrainIterationLimit(t *testing.T) {
	X, y := synthetic(6, 500, []float64{1, 100, 0.1})
	m, err := Train(context.Background(), X, 500, 3, y, Params{MaxIter: 1, Tol: 1e-14})
	if !errors.Is(err, ErrNoConvergence) {
		t.Fatalf("error %v, want ErrNoConvergence", err)
	}
	if m == nil || m.Validate() != nil {
		t.Errorf("no usable model with the convergence error: %+v", m)
	}
}

func TestPredict(t *testing.T) {
	m := &Model{Weights: []float64{2, -1}, Intercept: 0.5, Means: []float64{0, 0}}
	tests := []struct {
		x            []float64
		margin, prob float64
	}{
		{[]float64{0, 0}, 0.5, 1 / (1 + math.Exp(-0.5))},
		{[]float64{1, 3}, -0.5, 1 / (1 + math.Exp(0.5))},
		{[]float64{400, 0}, 800.5, 1},
		{[]float64{-400, 0}, -799.5, math.Exp(-799.5)},
	}
	for _, tt := range tests {
		if got := m.PredictMargin(tt.x); got != tt.margin {
			t.Errorf("PredictMargin(%v) = %v, want %v", tt.x, got, tt.margin)
		}
		if got := m.Predict(tt.x); math.Abs(got-tt.prob) > 1e-15*math.Max(tt.prob, 1e-300) && got != tt.prob {
			t.Errorf("Predict(%v) = %v, want %v", tt.x, got, tt.prob)
		}
	}
	if p := m.Predict([]float64{math.NaN(), 0}); !math.IsNaN(p) {
		t.Errorf("Predict(NaN) = %v, want NaN", p)
	}
	dst := make([]float64, 2)
	m.PredictBatch(dst, []float64{0, 0, 1, 3})
	if dst[0] != m.Predict([]float64{0, 0}) || dst[1] != m.Predict([]float64{1, 3}) {
		t.Errorf("PredictBatch = %v", dst)
	}
	for name, f := range map[string]func(){
		"PredictMargin": func() { m.PredictMargin([]float64{1}) },
		"PredictBatch":  func() { m.PredictBatch(make([]float64, 2), make([]float64, 3)) },
		"Contributions": func() { m.Contributions([]float64{1, 2}, make([]float64, 1)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic on a shape mismatch", name)
				}
			}()
			f()
		}()
	}
}
