package eval

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestDegenerateScalars(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		y, p      []float64
		auc, loss float64 // want; NaN means NaN
	}{
		{"empty", nil, nil, nan, nan},
		{"length mismatch", []float64{1, 0}, []float64{.5}, nan, nan},
		{"nan score", []float64{1, 0}, []float64{nan, .5}, nan, nan},
		{"bad label", []float64{1, 0.5}, []float64{.2, .5}, nan, nan},
		{"nan label", []float64{1, nan}, []float64{.2, .5}, nan, nan},
		{"only positives", []float64{1, 1}, []float64{.5, .5}, nan, -math.Log(.5)},
		{"only negatives", []float64{0, 0}, []float64{.5, .5}, nan, -math.Log(.5)},
		{"one of each", []float64{1, 0}, []float64{.8, .2}, 1, -math.Log(.8)},
		{"reversed", []float64{1, 0}, []float64{.2, .8}, 0, -math.Log(.2)},
		{"tie", []float64{1, 0}, []float64{.5, .5}, 0.5, -math.Log(.5)},
		{"infinite margins", []float64{1, 0, 1}, []float64{math.Inf(1), math.Inf(-1), 0}, 1, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AUC(tt.y, tt.p); !near(got, tt.auc, tol) {
				t.Errorf("AUC = %v, want %v", got, tt.auc)
			}
			if tt.name != "infinite margins" {
				if got := LogLoss(tt.y, tt.p); !near(got, tt.loss, tol) {
					t.Errorf("LogLoss = %v, want %v", got, tt.loss)
				}
			}
			// None of these may panic, whatever they return.
			_ = Brier(tt.y, tt.p)
			_ = KS(tt.y, tt.p)
			_ = AveragePrecision(tt.y, tt.p)
			_ = ECE(tt.y, tt.p, 10)
			_ = WeightedAUC(tt.y, tt.p, tt.p)
			_, _ = Compute(tt.y, tt.p)
			_, _ = Lift(tt.y, tt.p, 2)
			_, _ = ROCCurve(tt.y, tt.p)
			_, _ = PRCurve(tt.y, tt.p)
			_, _ = DeLongCI(tt.y, tt.p, .95)
			_, _ = Bootstrap(tt.y, tt.p, AUC, 3, 1)
		})
	}
}

func TestErrorsWrapSentinels(t *testing.T) {
	y := []float64{1, 0, 1, 0}
	p := []float64{.9, .2, .6, .4}
	tests := []struct {
		name   string
		err    error
		target error
	}{
		{"roc one class", second(ROCCurve([]float64{1, 1}, []float64{.1, .2})), ErrOneClass},
		{"pr no positives", second(PRCurve([]float64{0, 0}, []float64{.1, .2})), ErrOneClass},
		{"ks length", second(KSStat(y, p[:3])), ErrLength},
		{"bins zero", second(CalibrationBins(y, p, 0)), ErrBins},
		{"bins out of range", second(CalibrationBins(y, []float64{.9, .2, 1.5, .4}, 10)), ErrScore},
		{"lift groups", second(Lift(y, p, 5)), ErrBins},
		{"lift no positives", second(Lift([]float64{0, 0}, []float64{.1, .2}, 1)), ErrOneClass},
		{"psi empty", second(PSI(nil, p, 10)), ErrEmpty},
		{"psi bins", second(PSI(p, p, 0)), ErrBins},
		{"categorical psi empty", second(CategoricalPSI([]string{"a"}, nil)), ErrEmpty},
		{"compute one class", second(Compute([]float64{1, 1}, []float64{.1, .2})), ErrOneClass},
		{"compute not probability", second(Compute(y, []float64{.9, .2, -1, .4})), ErrScore},
		{"compute label", second(Compute([]float64{1, 3}, []float64{.1, .2})), ErrLabel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.target) {
				t.Errorf("error %v, want %v", tt.err, tt.target)
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }

func TestWeightsInvalid(t *testing.T) {
	y := []float64{1, 0, 1}
	p := []float64{.3, .2, .1}
	for _, w := range [][]float64{nil, {1, 1}, {1, -1, 1}, {0, 0, 0}, {1, math.NaN(), 1}, {1, math.Inf(1), 1}} {
		if v := WeightedAUC(y, p, w); !math.IsNaN(v) {
			t.Errorf("WeightedAUC(w=%v) = %v, want NaN", w, v)
		}
		if v := WeightedLogLoss(y, p, w); !math.IsNaN(v) {
			t.Errorf("WeightedLogLoss(w=%v) = %v, want NaN", w, v)
		}
		if v := WeightedBrier(y, p, w); !math.IsNaN(v) {
			t.Errorf("WeightedBrier(w=%v) = %v, want NaN", w, v)
		}
		if v := WeightedAveragePrecision(y, p, w); !math.IsNaN(v) {
			t.Errorf("WeightedAveragePrecision(w=%v) = %v, want NaN", w, v)
		}
	}
	// Unit weights reproduce the unweighted metrics.
	w := []float64{1, 1, 1}
	if a, b := WeightedAUC(y, p, w), AUC(y, p); a != b {
		t.Errorf("WeightedAUC with unit weights %v, AUC %v", a, b)
	}
}

// randomSample returns n labelled scores with ties (scores on a grid of step 1/grid).
func randomSample(seed uint64, n int, grid float64) (y, p []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	y = make([]float64, n)
	p = make([]float64, n)
	for i := range y {
		if rng.Float64() < 0.2 {
			y[i] = 1
		}
		s := 1 / (1 + math.Exp(-(rng.NormFloat64() + 1.5*y[i] - 1.5)))
		if grid > 0 {
			s = math.Round(s*grid) / grid
		}
		p[i] = s
	}
	return y, p
}

// TestKSBruteForce checks KS against max |F₊(t) − F₋(t)| evaluated at every score.
func TestKSBruteForce(t *testing.T) {
	for seed := range uint64(10) {
		y, p := randomSample(seed, 300, float64(5+10*seed))
		var want float64
		var npos, nneg float64
		for _, v := range y {
			if v == 1 {
				npos++
			} else {
				nneg++
			}
		}
		for _, th := range p {
			var fp, fn float64
			for i := range p {
				if p[i] <= th {
					if y[i] == 1 {
						fp++
					} else {
						fn++
					}
				}
			}
			want = max(want, math.Abs(fp/npos-fn/nneg))
		}
		k, err := KSStat(y, p)
		if err != nil {
			t.Fatal(err)
		}
		if !near(k.KS, want, tol) {
			t.Errorf("seed %d: KS %v, brute force %v", seed, k.KS, want)
		}
		// At is where the gap is reached.
		i := slices.Index(k.Thresholds, k.At)
		if i < 0 || !near(math.Abs(k.CumPos[i]-k.CumNeg[i]), k.KS, tol) {
			t.Errorf("seed %d: At %v does not reach KS", seed, k.At)
		}
		// KS is also max |TPR − FPR| on the ROC curve.
		roc, _ := ROCCurve(y, p)
		var r float64
		for j := range roc.Len() {
			r = max(r, math.Abs(roc.Y[j]-roc.X[j]))
		}
		if !near(r, want, tol) {
			t.Errorf("seed %d: max |TPR−FPR| %v, KS %v", seed, r, want)
		}
	}
}

func TestCalibrationBinsEdges(t *testing.T) {
	// Values on the edges go to the lower bin (numpy.searchsorted, side left), except 0.
	y := []float64{0, 1, 0, 1, 1, 0, 1}
	p := []float64{0, 0.1, 0.30000000000000004, 0.3, 0.7, 1, 0.15}
	bins, err := CalibrationBins(y, p, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{2, 1, 2, 0, 0, 0, 1, 0, 0, 1} // 0.3 and 0.30000000000000004 both ≤ 3·0.1
	for k, b := range bins {
		if b.Count != want[k] {
			t.Errorf("bin %d (%v, %v] holds %d, want %d", k, b.Lo, b.Hi, b.Count, want[k])
		}
	}
	if bins[0].Lo != 0 || bins[9].Hi != 1 {
		t.Errorf("edges %v..%v, want 0..1", bins[0].Lo, bins[9].Hi)
	}
	if ece := ECE(y, p, 10); !(ece >= 0 && ece <= 1) {
		t.Errorf("ECE = %v", ece)
	}
	// A perfectly calibrated histogram: ECE 0.
	if e := ECE([]float64{0, 1, 0, 1}, []float64{.5, .5, .5, .5}, 10); e != 0 {
		t.Errorf("ECE of calibrated sample = %v, want 0", e)
	}
	// One bin: |mean p − mean y|.
	if e := ECE([]float64{1, 0, 0}, []float64{.9, .9, .6}, 1); !near(e, .8-1.0/3, tol) {
		t.Errorf("ECE with one bin = %v", e)
	}
}

func TestLift(t *testing.T) {
	t.Run("no ties", func(t *testing.T) {
		// 10 rows, 5 groups of 2; positives at scores 10, 9, 6, 1.
		y := []float64{1, 1, 0, 0, 1, 0, 0, 0, 0, 1}
		p := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
		rows, err := Lift(y, p, 5)
		if err != nil {
			t.Fatal(err)
		}
		wantPos := []float64{2, 0, 1, 0, 1}
		wantGains := []float64{.5, .5, .75, .75, 1}
		for g, r := range rows {
			if r.Group != g+1 || r.Rows != 2 || r.Positives != wantPos[g] || !near(r.Gains, wantGains[g], tol) {
				t.Errorf("group %d: %+v", g+1, r)
			}
			if !near(r.Lift, wantPos[g]/2/0.4, tol) {
				t.Errorf("group %d lift %v", g+1, r.Lift)
			}
		}
		if rows[0].MaxScore != 10 || rows[0].MinScore != 9 || rows[4].MinScore != 1 {
			t.Errorf("score ranges %+v", rows)
		}
		if !near(rows[4].CumLift, 1, tol) || rows[4].CumRows != 10 {
			t.Errorf("last group %+v", rows[4])
		}
	})
	t.Run("ties straddle", func(t *testing.T) {
		// Scores: 5, then a block of four 3s holding two positives, then 1. Groups of 2:
		// [5, 3], [3, 3], [3, 1]: the block spreads ½ positive per rank.
		y := []float64{0, 1, 0, 1, 0, 1}
		p := []float64{5, 3, 3, 3, 3, 1}
		rows, err := Lift(y, p, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{0.5, 1, 1.5}
		for g, r := range rows {
			if !near(r.Positives, want[g], tol) {
				t.Errorf("group %d positives %v, want %v", g+1, r.Positives, want[g])
			}
		}
		// The table must not depend on the order of tied rows.
		y2 := []float64{0, 0, 1, 0, 1, 1}
		rows2, _ := Lift(y2, p, 3)
		for g := range rows {
			if rows[g] != rows2[g] {
				t.Errorf("group %d depends on row order: %+v vs %+v", g+1, rows[g], rows2[g])
			}
		}
	})
	t.Run("constant score", func(t *testing.T) {
		y := []float64{1, 0, 0, 1, 0, 0, 0}
		p := make([]float64, 7)
		rows, err := Lift(y, p, 3) // sizes 2, 2, 3
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if !near(r.Lift, 1, tol) {
				t.Errorf("group %d lift %v, want 1", r.Group, r.Lift)
			}
		}
		if rows[0].Rows+rows[1].Rows+rows[2].Rows != 7 || !near(rows[2].Gains, 1, tol) {
			t.Errorf("rows %+v", rows)
		}
	})
	t.Run("random invariants", func(t *testing.T) {
		y, p := randomSample(3, 1003, 20)
		rows, err := Lift(y, p, 10)
		if err != nil {
			t.Fatal(err)
		}
		var pos float64
		for _, v := range y {
			pos += v
		}
		var sum float64
		for g, r := range rows {
			sum += r.Positives
			if r.Rows < 100 || r.Rows > 101 {
				t.Errorf("group %d has %d rows", g+1, r.Rows)
			}
			if g > 0 && r.MaxScore > rows[g-1].MinScore {
				t.Errorf("group %d scores above group %d", g+1, g)
			}
		}
		if !near(sum, pos, 1e-9) || !near(rows[9].Gains, 1, 1e-12) {
			t.Errorf("positives %v of %v, gains %v", sum, pos, rows[9].Gains)
		}
	})
}

func TestPSI(t *testing.T) {
	t.Run("identical", func(t *testing.T) {
		_, p := randomSample(1, 500, 0)
		r, err := PSI(p, p, 10)
		if err != nil {
			t.Fatal(err)
		}
		if r.Value != 0 || len(r.Bins) != 10 || len(r.Edges) != 9 {
			t.Errorf("PSI of a sample with itself: %v with %d bins", r.Value, len(r.Bins))
		}
		for _, b := range r.Bins {
			if b.ExpectedCount != 50 {
				t.Errorf("bin %s holds %d expected values, want 50", b.Label, b.ExpectedCount)
			}
		}
	})
	t.Run("hand computed", func(t *testing.T) {
		expected := []float64{1, 2, 3, 4}
		actual := []float64{1, 1, 1, 4, 4, 5, 6, 7}
		// Quartile cut points 1, 2, 3 (4 is the maximum and dropped): bins ≤1, (1,2], (2,3], >3.
		r, err := PSI(expected, actual, 4)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.Edges, []float64{1, 2, 3}) {
			t.Fatalf("edges %v", r.Edges)
		}
		e := []float64{.25, .25, .25, .25}
		a := []float64{3.0 / 8, PSIFloor, PSIFloor, 5.0 / 8}
		var want float64
		for k := range e {
			want += (a[k] - e[k]) * math.Log(a[k]/e[k])
		}
		if !near(r.Value, want, tol) {
			t.Errorf("PSI = %v, want %v", r.Value, want)
		}
		labels := []string{"<= 1", "(1, 2]", "(2, 3]", "> 3"}
		for k, b := range r.Bins {
			if b.Label != labels[k] {
				t.Errorf("bin %d label %q, want %q", k, b.Label, labels[k])
			}
		}
		if r.Bins[1].Actual != 0 || r.Bins[1].ActualCount != 0 {
			t.Errorf("empty bin reported as %+v", r.Bins[1])
		}
	})
	t.Run("ties and missing", func(t *testing.T) {
		expected := []float64{0, 0, 0, 0, 0, 0, 0, 1, 2, math.NaN()}
		actual := []float64{0, 1, 1, 2, math.NaN(), math.NaN()}
		r, err := PSI(expected, actual, 10)
		if err != nil {
			t.Fatal(err)
		}
		// Deciles of the 9 non-missing values: 0 (×7), 1; 2 is the maximum. Bins ≤0, (0,1], >1.
		if !slices.Equal(r.Edges, []float64{0, 1}) || len(r.Bins) != 4 || r.Bins[3].Label != "missing" {
			t.Fatalf("edges %v bins %+v", r.Edges, r.Bins)
		}
		wantE := []int{7, 1, 1, 1}
		wantA := []int{1, 2, 1, 2}
		for k, b := range r.Bins {
			if b.ExpectedCount != wantE[k] || b.ActualCount != wantA[k] {
				t.Errorf("bin %s: %d/%d, want %d/%d", b.Label, b.ExpectedCount, b.ActualCount, wantE[k], wantA[k])
			}
		}
	})
	t.Run("shift grows PSI", func(t *testing.T) {
		_, e := randomSample(1, 2000, 0)
		prev := 0.0
		for _, shift := range []float64{0.01, 0.05, 0.1, 0.2} {
			a := make([]float64, len(e))
			for i, v := range e {
				a[i] = v + shift
			}
			r, err := PSI(e, a, 10)
			if err != nil {
				t.Fatal(err)
			}
			if r.Value <= prev {
				t.Errorf("shift %v: PSI %v not above %v", shift, r.Value, prev)
			}
			prev = r.Value
		}
		if prev < PSIMajor {
			t.Errorf("a shift of 0.2 gives PSI %v, want above %v", prev, PSIMajor)
		}
	})
	t.Run("constant expected", func(t *testing.T) {
		r, err := PSI([]float64{3, 3, 3}, []float64{3, 4}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Bins) != 1 || r.Bins[0].Label != "all" || r.Value != 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("categorical", func(t *testing.T) {
		r, err := CategoricalPSI([]string{"a", "a", "b", "c"}, []string{"a", "b", "b", "d"})
		if err != nil {
			t.Fatal(err)
		}
		e := []float64{.5, .25, .25, PSIFloor}
		a := []float64{.25, .5, PSIFloor, .25}
		var want float64
		for k := range e {
			want += (a[k] - e[k]) * math.Log(a[k]/e[k])
		}
		if !near(r.Value, want, tol) {
			t.Errorf("PSI = %v, want %v", r.Value, want)
		}
		for k, l := range []string{"a", "b", "c", "d"} {
			if r.Bins[k].Label != l {
				t.Errorf("bin %d is %q, want %q", k, r.Bins[k].Label, l)
			}
		}
	})
}

func TestBootstrap(t *testing.T) {
	y, p := randomSample(5, 400, 0)
	lo, hi := Bootstrap(y, p, AUC, 200, 42)
	lo2, hi2 := Bootstrap(y, p, AUC, 200, 42)
	if lo != lo2 || hi != hi2 {
		t.Fatalf("not reproducible: [%v, %v] vs [%v, %v]", lo, hi, lo2, hi2)
	}
	auc := AUC(y, p)
	if !(lo < auc && auc < hi) {
		t.Errorf("interval [%v, %v] misses the AUC %v", lo, hi, auc)
	}
	// The bootstrap and DeLong intervals agree roughly.
	ci, err := DeLongCI(y, p, .95)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lo-ci.Lo) > 0.02 || math.Abs(hi-ci.Hi) > 0.02 {
		t.Errorf("bootstrap [%v, %v], DeLong [%v, %v]", lo, hi, ci.Lo, ci.Hi)
	}
	if l3, h3 := Bootstrap(y, p, AUC, 200, 43); l3 == lo && h3 == hi {
		t.Errorf("another seed gives the same interval")
	}
	if l, h := BootstrapLevel(y, p, LogLoss, 100, 1, 0.5); !(l < h) {
		t.Errorf("50%% log-loss interval [%v, %v]", l, h)
	}
	for _, tc := range []struct {
		name  string
		n     int
		level float64
		m     Metric
	}{{"n 0", 0, .95, AUC}, {"level 1", 10, 1, AUC}, {"nil metric", 10, .95, nil}, {"nan metric", 10, .95, func(_, _ []float64) float64 { return math.NaN() }}} {
		if l, h := BootstrapLevel(y, p, tc.m, tc.n, 1, tc.level); !math.IsNaN(l) || !math.IsNaN(h) {
			t.Errorf("%s: [%v, %v], want NaN", tc.name, l, h)
		}
	}
}

func TestCompute(t *testing.T) {
	y, p := randomSample(9, 1000, 50)
	m, err := Compute(y, p)
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := DeLongCI(y, p, .95)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"auc", m.AUC, AUC(y, p)},
		{"auc lo", m.AUCLo, ci.Lo},
		{"auc hi", m.AUCHi, ci.Hi},
		{"gini", m.Gini, Gini(y, p)},
		{"ks", m.KS, KS(y, p)},
		{"ap", m.AveragePrecision, AveragePrecision(y, p)},
		{"log loss", m.LogLoss, LogLoss(y, p)},
		{"brier", m.Brier, Brier(y, p)},
		{"ece", m.ECE, ECE(y, p, 10)},
	}
	for _, c := range checks {
		if !near(c.got, c.want, tol) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if m.Rows != 1000 || m.Positives == 0 || !near(m.PositiveRate, float64(m.Positives)/1000, tol) {
		t.Errorf("counts %+v", m)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Error(err)
	}
	// One positive: no DeLong variance; the interval is [0, 1].
	m, err = Compute([]float64{1, 0, 0}, []float64{.9, .2, .3})
	if err != nil {
		t.Fatal(err)
	}
	if m.AUC != 1 || m.AUCLo != 0 || m.AUCHi != 1 {
		t.Errorf("one positive: %+v", m)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Error(err)
	}
}

func TestCurveJSON(t *testing.T) {
	y, p := randomSample(2, 50, 10)
	roc, err := ROCCurve(y, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(roc)
	if err != nil {
		t.Fatal(err)
	}
	var back Curve
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.X, roc.X) || !slices.Equal(back.Y, roc.Y) || !slices.Equal(back.Thresholds, roc.Thresholds) {
		t.Errorf("round trip changed the curve")
	}
	for _, bad := range []string{`{"x":[1],"y":[],"thresholds":[null]}`, `{"x":"a"}`, `[`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("decoded %s", bad)
		}
	}
}

func FuzzCurveJSON(f *testing.F) {
	f.Add([]byte(`{"x":[0,1],"y":[0,1],"thresholds":[null,0.5]}`))
	f.Add([]byte(`{"x":[],"y":[],"thresholds":[]}`))
	f.Add([]byte(`{"x":[1e308],"y":[-0],"thresholds":[1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Curve
		if err := json.Unmarshal(b, &c); err != nil {
			return
		}
		if len(c.X) != len(c.Y) || len(c.X) != len(c.Thresholds) {
			t.Fatalf("decoded unequal lengths %d %d %d", len(c.X), len(c.Y), len(c.Thresholds))
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var d Curve
		if err := json.Unmarshal(out, &d); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !slices.Equal(c.Thresholds, d.Thresholds) || !slices.Equal(c.X, d.X) {
			t.Fatalf("round trip changed %s", out)
		}
	})
}

func TestPRCurveNoNegatives(t *testing.T) {
	c, err := PRCurve([]float64{1, 1}, []float64{.2, .7})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Y, []float64{1, 1, 1}) || !slices.Equal(c.X, []float64{0, .5, 1}) {
		t.Errorf("curve %+v", c)
	}
	if ap := AveragePrecision([]float64{1, 1}, []float64{.2, .7}); ap != 1 {
		t.Errorf("AP = %v", ap)
	}
}
