package eval

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// slowDeLong is the textbook O(n₊·n₋) DeLong estimator: placement values from the kernel
// ψ(x, y) = 1 if x > y, ½ if x = y, 0 otherwise, then sample covariances.
func slowDeLong(y []float64, scores ...[]float64) (auc []float64, cov [][]float64) {
	var pos, neg []int
	for i, v := range y {
		if v == 1 {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	m, n := float64(len(pos)), float64(len(neg))
	k := len(scores)
	v10 := make([][]float64, k)
	v01 := make([][]float64, k)
	auc = make([]float64, k)
	for r, p := range scores {
		v10[r] = make([]float64, len(pos))
		v01[r] = make([]float64, len(neg))
		for a, i := range pos {
			for b, j := range neg {
				var psi float64
				switch {
				case p[i] > p[j]:
					psi = 1
				case p[i] == p[j]:
					psi = 0.5
				}
				v10[r][a] += psi // counts first: exact in float64
				v01[r][b] += psi
				auc[r] += psi
			}
		}
		for a := range v10[r] {
			v10[r][a] /= n
		}
		for b := range v01[r] {
			v01[r][b] /= m
		}
		auc[r] /= m * n
	}
	sampleCov := func(a, b []float64, ma, mb float64) float64 {
		var s float64
		for i := range a {
			s += (a[i] - ma) * (b[i] - mb)
		}
		return s / float64(len(a)-1)
	}
	cov = make([][]float64, k)
	for r := range k {
		cov[r] = make([]float64, k)
		for s := range k {
			cov[r][s] = sampleCov(v10[r], v10[s], auc[r], auc[s])/m + sampleCov(v01[r], v01[s], auc[r], auc[s])/n
		}
	}
	return auc, cov
}

func TestDeLongAgainstFixture(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			auc, cov, err := DeLongCov(f.Y, f.P, f.P2)
			if err != nil {
				t.Fatal(err)
			}
			sauc, scov := slowDeLong(f.Y, f.P, f.P2)
			for r := range 2 {
				assertNear(t, "auc", auc[r], f.DeLong.AUC[r], tol)
				assertNear(t, "auc vs slow", auc[r], sauc[r], tol)
				for s := range 2 {
					assertNear(t, "cov", cov.At(r, s), f.DeLong.Cov[r][s], 1e-10)
					assertNear(t, "cov vs slow", cov.At(r, s), scov[r][s], 1e-10)
				}
			}
			pt, err := DeLongPaired(f.Y, f.P, f.P2)
			if err != nil {
				t.Fatal(err)
			}
			if f.DeLong.Z == nil { // a difference with zero variance
				if !math.IsInf(pt.Z, 0) || pt.P != 0 {
					t.Errorf("z %v p %v, want ±Inf and 0", pt.Z, pt.P)
				}
			} else {
				assertNear(t, "z", pt.Z, *f.DeLong.Z, 1e-9)
			}
			assertNear(t, "p", pt.P, f.DeLong.PValue, 1e-9)

			ci, err := DeLongCI(f.Y, f.P, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			assertNear(t, "ci auc", ci.AUC, f.AUC, tol)
			assertNear(t, "ci var", ci.Var, f.DeLong.Cov[0][0], 1e-10)
			h := 1.959963984540054 * math.Sqrt(ci.Var)
			assertNear(t, "ci lo", ci.Lo, max(f.AUC-h, 0), 1e-9)
			assertNear(t, "ci hi", ci.Hi, min(f.AUC+h, 1), 1e-9)
		})
	}
}

// TestDeLongRandom checks the fast estimator against the slow one on random data with ties,
// three models at once.
func TestDeLongRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		n := 5 + rng.IntN(200)
		y := make([]float64, n)
		ps := make([][]float64, 3)
		for r := range ps {
			ps[r] = make([]float64, n)
		}
		y[0], y[1] = 1, 1 // at least two of each class
		for i := range y {
			if i >= 4 && rng.Float64() < 0.3 {
				y[i] = 1
			}
			for r := range ps {
				// Few distinct values: plenty of ties within and across classes.
				ps[r][i] = math.Round((rng.NormFloat64()+y[i]*float64(r))*3) / 3
			}
		}
		auc, cov, err := DeLongCov(y, ps...)
		if err != nil {
			t.Fatal(err)
		}
		sauc, scov := slowDeLong(y, ps...)
		for r := range 3 {
			if !near(auc[r], sauc[r], tol) || !near(auc[r], AUC(y, ps[r]), tol) {
				t.Fatalf("trial %d model %d: auc %v, slow %v, AUC %v", trial, r, auc[r], sauc[r], AUC(y, ps[r]))
			}
			for s := range 3 {
				if !near(cov.At(r, s), scov[r][s], 1e-10) {
					t.Fatalf("trial %d cov[%d][%d] = %v, slow %v", trial, r, s, cov.At(r, s), scov[r][s])
				}
			}
			ci, err := DeLongCI(y, ps[r], 0.9)
			if err != nil {
				t.Fatal(err)
			}
			if !near(ci.Var, scov[r][r], 1e-10) {
				t.Fatalf("trial %d: DeLongCI var %v, slow %v", trial, ci.Var, scov[r][r])
			}
		}
	}
}

func TestDeLongErrors(t *testing.T) {
	tests := []struct {
		name   string
		y, p   []float64
		p2     []float64
		level  float64
		target error
	}{
		{"one positive", []float64{1, 0, 0}, []float64{.3, .2, .1}, []float64{.3, .2, .1}, 0.95, ErrOneClass},
		{"one class", []float64{0, 0, 0}, []float64{.3, .2, .1}, []float64{.3, .2, .1}, 0.95, ErrOneClass},
		{"empty", nil, nil, nil, 0.95, ErrEmpty},
		{"length", []float64{1, 0}, []float64{.3}, []float64{.3, .1}, 0.95, ErrLength},
		{"second length", []float64{1, 1, 0, 0}, []float64{.4, .3, .2, .1}, []float64{.3}, 0.95, ErrLength},
		{"nan", []float64{1, 1, 0, 0}, []float64{.4, math.NaN(), .2, .1}, []float64{.4, .3, .2, .1}, 0.95, ErrScore},
		{"label", []float64{1, 2, 0, 0}, []float64{.4, .3, .2, .1}, []float64{.4, .3, .2, .1}, 0.95, ErrLabel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DeLongPaired(tt.y, tt.p, tt.p2); !errors.Is(err, tt.target) {
				t.Errorf("DeLongPaired error %v, want %v", err, tt.target)
			}
			if tt.name != "second length" {
				if _, err := DeLongCI(tt.y, tt.p, tt.level); !errors.Is(err, tt.target) {
					t.Errorf("DeLongCI error %v, want %v", err, tt.target)
				}
			}
		})
	}
	if _, err := DeLongCI([]float64{1, 1, 0, 0}, []float64{.4, .3, .2, .1}, 1); err == nil {
		t.Error("DeLongCI accepted level 1")
	}
	if _, _, err := DeLongCov([]float64{1, 1, 0, 0}); err == nil {
		t.Error("DeLongCov accepted no models")
	}
}

func TestDeLongPairedIdentical(t *testing.T) {
	y := []float64{1, 0, 1, 0, 1, 0}
	p := []float64{.9, .1, .4, .5, .7, .2}
	pt, err := DeLongPaired(y, p, p)
	if err != nil {
		t.Fatal(err)
	}
	if pt.Z != 0 || pt.P != 1 {
		t.Errorf("identical models: z %v p %v, want 0 and 1", pt.Z, pt.P)
	}
}
