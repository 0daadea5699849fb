package calibrate

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// fixture is one dataset of testdata/sklearn.json (written by testdata/gen_sklearn.py).
type fixture struct {
	Name     string
	Scores   []float64
	Y        []float64
	Probes   []float64
	Isotonic struct {
		X, Y    []float64
		Predict []float64
	}
	Platt struct {
		A      float64 `json:"a"`
		B      float64 `json:"b"`
		AExact float64 `json:"a_exact"`
		BExact float64 `json:"b_exact"`
	}
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Eps      float64
		Datasets []fixture
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Eps != Eps || len(doc.Datasets) == 0 {
		t.Fatalf("fixture eps %v (want %v), %d datasets", doc.Eps, Eps, len(doc.Datasets))
	}
	return doc.Datasets
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestIsotonicMatchesSklearn(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			c, err := Fit(Isotonic, f.Scores, f.Y)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.X, f.Isotonic.X) {
				t.Fatalf("knots x = %v\nwant %v", c.X, f.Isotonic.X)
			}
			for i := range c.Y {
				if !near(c.Y[i], f.Isotonic.Y[i], 1e-14) {
					t.Errorf("knot %d: y = %.17g, want %.17g", i, c.Y[i], f.Isotonic.Y[i])
				}
			}
			for i, x := range f.Probes {
				if got, want := c.Apply(x), f.Isotonic.Predict[i]; !near(got, want, 1e-13) {
					t.Errorf("Apply(%v) = %.17g, want %.17g", x, got, want)
				}
			}
			if err := c.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestPlattMatchesSklearn(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			c, err := Fit(Platt, f.Scores, f.Y)
			if err != nil {
				t.Fatal(err)
			}
			// The exact optimum (a tight Newton iteration in numpy).
			if !near(c.A, f.Platt.AExact, 1e-9) || !near(c.B, f.Platt.BExact, 1e-9) {
				t.Errorf("A, B = %.15g, %.15g; exact %.15g, %.15g", c.A, c.B, f.Platt.AExact, f.Platt.BExact)
			}
			// scikit-learn's _sigmoid_calibration stops BFGS at gradient norm 1e-5.
			if !near(c.A, f.Platt.A, 1e-6) || !near(c.B, f.Platt.B, 1e-6) {
				t.Errorf("A, B = %.15g, %.15g; scikit-learn %.15g, %.15g", c.A, c.B, f.Platt.A, f.Platt.B)
			}
			ga, gb := plattGradient(f.Scores, f.Y, c.A, c.B)
			if math.Abs(ga) > 1e-8*float64(len(f.Y)) || math.Abs(gb) > 1e-8*float64(len(f.Y)) {
				t.Errorf("gradient at the solution (%g, %g)", ga, gb)
			}
		})
	}
}

// plattGradient is the gradient of Platt's objective, written out independently of fitPlatt:
// with pᵢ = 1/(1+exp(A·fᵢ+B)) and smoothed targets tᵢ, dF/dA = Σ (tᵢ − pᵢ)·fᵢ, dF/dB = Σ (tᵢ − pᵢ).
func plattGradient(scores, y []float64, a, b float64) (ga, gb float64) {
	var npos, nneg float64
	for _, v := range y {
		if v == 1 {
			npos++
		} else {
			nneg++
		}
	}
	for i, s := range scores {
		s = math.Min(math.Max(s, Eps), 1-Eps)
		f := math.Log(s / (1 - s))
		p := 1 / (1 + math.Exp(a*f+b))
		t := 1 / (nneg + 2)
		if y[i] == 1 {
			t = (npos + 1) / (npos + 2)
		}
		ga += (t - p) * f
		gb += t - p
	}
	return ga, gb
}

// miscalibrated returns labels drawn from true probabilities and scores that distort them:
// over-confident by a factor 2.5 on the logit, shifted by 0.8.
func miscalibrated(seed uint64, n int) (scores, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 11))
	scores = make([]float64, n)
	y = make([]float64, n)
	for i := range y {
		z := rng.NormFloat64() - 1
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
		scores[i] = 1 / (1 + math.Exp(-(2.5*z + 0.8)))
	}
	return scores, y
}

func logLoss(y, p []float64) float64 {
	var s float64
	for i, v := range p {
		v = math.Min(math.Max(v, 1e-15), 1-1e-15)
		if y[i] == 1 {
			s -= math.Log(v)
		} else {
			s -= math.Log(1 - v)
		}
	}
	return s / float64(len(p))
}

// TestCalibrationImprovesLogLoss fits on one sample and measures on another.
func TestCalibrationImprovesLogLoss(t *testing.T) {
	fitS, fitY := miscalibrated(1, 4000)
	testS, testY := miscalibrated(2, 4000)
	before := logLoss(testY, testS)
	for _, m := range []Method{Platt, Isotonic} {
		t.Run(string(m), func(t *testing.T) {
			c, err := Fit(m, fitS, fitY)
			if err != nil {
				t.Fatal(err)
			}
			p := make([]float64, len(testS))
			c.ApplyBatch(p, testS)
			after := logLoss(testY, p)
			if !(after < before-0.02) {
				t.Errorf("log-loss %v before, %v after %s calibration", before, after, m)
			}
			// Calibration is monotone: the order of the scores is kept.
			for i := range 200 {
				a, b := testS[i], testS[i+1]
				if (a < b && c.Apply(a) > c.Apply(b)) || (a > b && c.Apply(a) < c.Apply(b)) {
					t.Fatalf("not monotone at %v, %v", a, b)
				}
			}
		})
	}
	// Platt recovers the distortion: p = σ((logit s − 0.8)/2.5) means A = −0.4, B = 0.32.
	c, _ := Fit(Platt, fitS, fitY)
	if math.Abs(c.A+0.4) > 0.05 || math.Abs(c.B-0.32) > 0.1 {
		t.Errorf("Platt A, B = %v, %v; want about −0.4, 0.32", c.A, c.B)
	}
}

func TestFitErrors(t *testing.T) {
	tests := []struct {
		name      string
		m         Method
		scores, y []float64
		target    error
	}{
		{"unknown method", "beta", []float64{.1, .9}, []float64{0, 1}, ErrInvalid},
		{"empty method", "", []float64{.1, .9}, []float64{0, 1}, ErrInvalid},
		{"length", Platt, []float64{.1}, []float64{0, 1}, ErrInput},
		{"empty", Isotonic, nil, nil, ErrInput},
		{"label", Platt, []float64{.1, .9}, []float64{0, 2}, ErrInput},
		{"nan score", Isotonic, []float64{math.NaN(), .9}, []float64{0, 1}, ErrInput},
		{"score above 1", Platt, []float64{.1, 1.5}, []float64{0, 1}, ErrInput},
		{"negative score", Isotonic, []float64{-.1, .5}, []float64{0, 1}, ErrInput},
		{"one class", Platt, []float64{.1, .9}, []float64{1, 1}, ErrInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Fit(tt.m, tt.scores, tt.y); !errors.Is(err, tt.target) {
				t.Errorf("error %v, want %v", err, tt.target)
			}
		})
	}
	c, err := Fit(None, nil, nil)
	if err != nil || c.Method != None || c.Apply(0.3) != 0.3 {
		t.Errorf("Fit(None) = %+v, %v", c, err)
	}
}

func TestPlattEdgeCases(t *testing.T) {
	tests := []struct {
		name      string
		scores, y []float64
	}{
		{"all scores equal", []float64{.3, .3, .3, .3}, []float64{0, 1, 0, 0}},
		{"perfect separation", []float64{.1, .2, .8, .9}, []float64{0, 0, 1, 1}},
		{"saturated scores", []float64{0, 0, 1, 1, 0.5}, []float64{0, 1, 1, 1, 0}},
		{"reversed", []float64{.9, .8, .2, .1}, []float64{0, 0, 1, 1}},
		{"two rows", []float64{.4, .6}, []float64{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Fit(Platt, tt.scores, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			ga, gb := plattGradient(tt.scores, tt.y, c.A, c.B)
			if math.Hypot(ga, gb) > 1e-7 && tt.name != "all scores equal" {
				t.Errorf("gradient (%g, %g) at A=%v B=%v", ga, gb, c.A, c.B)
			}
			for _, s := range tt.scores {
				if p := c.Apply(s); !(p > 0 && p < 1) {
					t.Errorf("Apply(%v) = %v", s, p)
				}
			}
		})
	}
	// All scores equal: only A·f + B is identified; the fit must match the smoothed base rate.
	c, _ := Fit(Platt, []float64{.3, .3, .3, .3}, []float64{0, 1, 0, 0})
	want := (1*(2.0/3) + 3*(1.0/5)) / 4 // mean smoothed target
	if p := c.Apply(.3); !near(p, want, 1e-9) {
		t.Errorf("constant scores: Apply = %v, want %v", p, want)
	}
}

func TestIsotonicHandCases(t *testing.T) {
	tests := []struct {
		name      string
		scores, y []float64
		x, v      []float64
	}{
		{"already monotone", []float64{.1, .2, .3}, []float64{0, 0, 1}, []float64{.1, .2, .3}, []float64{0, 0, 1}},
		{"one violation", []float64{.1, .2, .3, .4}, []float64{0, 1, 0, 1}, []float64{.1, .2, .3, .4}, []float64{0, .5, .5, 1}},
		{"ties pooled", []float64{.5, .5, .5, .2}, []float64{1, 0, 1, 0}, []float64{.2, .5}, []float64{0, 2.0 / 3}},
		{"decreasing", []float64{.1, .2, .3}, []float64{1, 1, 0}, []float64{.1, .3}, []float64{2.0 / 3, 2.0 / 3}},
		{"constant run trimmed", []float64{.1, .2, .3, .4, .5}, []float64{0, 0, 0, 1, 1}, []float64{.1, .3, .4, .5}, []float64{0, 0, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Fit(Isotonic, tt.scores, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.X, tt.x) {
				t.Errorf("x = %v, want %v", c.X, tt.x)
			}
			if len(c.Y) != len(tt.v) {
				t.Fatalf("y = %v, want %v", c.Y, tt.v)
			}
			for i := range c.Y {
				if !near(c.Y[i], tt.v[i], 1e-15) {
					t.Errorf("y = %v, want %v", c.Y, tt.v)
				}
			}
		})
	}
}

func TestApply(t *testing.T) {
	iso := &Calibrator{Method: Isotonic, X: []float64{.2, .4, .6}, Y: []float64{.1, .3, .3}}
	tests := []struct {
		c    *Calibrator
		in   float64
		want float64
	}{
		{iso, 0, .1}, {iso, .2, .1}, {iso, .3, .2}, {iso, .4, .3}, {iso, .5, .3}, {iso, .6, .3}, {iso, 1, .3},
		{iso, math.NaN(), math.NaN()},
		{&Calibrator{Method: Isotonic, X: []float64{.5}, Y: []float64{.25}}, .9, .25},
		{&Calibrator{Method: Platt, A: -1, B: 0}, .7, .7},
		{&Calibrator{Method: Platt, A: -1, B: 0}, 0, Eps},
		{&Calibrator{Method: Platt, A: 0, B: math.Log(3)}, .9, .25},
		{&Calibrator{Method: Platt, A: -2, B: 0}, .5, .5},
		{&Calibrator{Method: Platt, A: -1, B: 1}, math.NaN(), math.NaN()},
		{&Calibrator{Method: None}, .42, .42},
		{&Calibrator{}, .42, .42},
	}
	for _, tt := range tests {
		got := tt.c.Apply(tt.in)
		if math.IsNaN(tt.want) {
			if !math.IsNaN(got) {
				t.Errorf("%+v.Apply(NaN) = %v", tt.c, got)
			}
			continue
		}
		if !near(got, tt.want, 1e-12) {
			t.Errorf("%s.Apply(%v) = %v, want %v", tt.c.Method, tt.in, got, tt.want)
		}
	}
	// Extreme Platt arguments do not overflow.
	p := &Calibrator{Method: Platt, A: -50, B: 0}
	if v := p.Apply(1); v != 1 && !(v > 0.999999) {
		t.Errorf("Apply(1) = %v", v)
	}
	if v := p.Apply(0); !(v >= 0 && v < 1e-300) {
		t.Errorf("Apply(0) = %v", v)
	}
	if allocs := testing.AllocsPerRun(100, func() { iso.Apply(.35); p.Apply(.35) }); allocs != 0 {
		t.Errorf("Apply allocates %v times", allocs)
	}
}

func TestApplyBatchPanicsOnLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	(&Calibrator{Method: None}).ApplyBatch(make([]float64, 1), make([]float64, 2))
}

func TestParseMethod(t *testing.T) {
	for _, s := range []string{"none", "platt", "isotonic"} {
		if m, err := ParseMethod(s); err != nil || string(m) != s {
			t.Errorf("ParseMethod(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMethod("Platt"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseMethod(Platt) error %v", err)
	}
}
