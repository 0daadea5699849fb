package eval

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// AUCInterval is an AUC with its DeLong variance and a normal-approximation confidence
// interval AUC ± z·√Var, clipped to [0, 1].
type AUCInterval struct {
	AUC   float64 `json:"auc"`
	Var   float64 `json:"var"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Level float64 `json:"level"`
}

// PairedTest is DeLong's test that two models scored on the same rows have equal AUC:
// Z = (AUC1 − AUC2)/√(Var1 + Var2 − 2·Cov), P its two-sided p-value. When both the difference
// and its variance are zero (identical rankings) Z is 0 and P is 1.
type PairedTest struct {
	AUC1 float64 `json:"auc1"`
	AUC2 float64 `json:"auc2"`
	Var1 float64 `json:"var1"`
	Var2 float64 `json:"var2"`
	Cov  float64 `json:"cov"`
	Z    float64 `json:"z"`
	P    float64 `json:"p"`
}

// DeLongCI returns the AUC of scores p with DeLong's variance and a two-sided confidence
// interval at level (e.g. 0.95). The variance needs at least two positives and two negatives
// (ErrOneClass otherwise); level must lie in (0, 1).
func DeLongCI(y, p []float64, level float64) (AUCInterval, error) {
	if !(level > 0 && level < 1) {
		return AUCInterval{}, fmt.Errorf("eval: delong: confidence level %v not in (0, 1)", level)
	}
	npos, nneg, err := checkBoth(y, p, 2)
	if err != nil {
		return AUCInterval{}, err
	}
	auc, v := deLongGroups(tieGroups(y, p, nil), npos, nneg)
	return interval(auc, v, level), nil
}

func interval(auc, v, level float64) AUCInterval {
	z := distuv.UnitNormal.Quantile(0.5 + level/2)
	h := z * math.Sqrt(v)
	return AUCInterval{AUC: auc, Var: v, Lo: max(auc-h, 0), Hi: min(auc+h, 1), Level: level}
}

// deLongGroups returns the AUC and its DeLong variance from ascending tie groups. Every
// positive of a group has the same placement value V10 = (negatives below + ½·negatives in
// the group)/n₋, every negative V01 = 1 − (positives below + ½·positives in the group)/n₊
// (Sun & Xu 2014: the mid-rank differences), so the sample variances need one pass.
func deLongGroups(g []group, npos, nneg int) (auc, v float64) {
	m, n := float64(npos), float64(nneg)
	var negBelow, posBelow, s10, s01 float64
	v10 := make([]float64, len(g))
	v01 := make([]float64, len(g))
	for i, t := range g {
		v10[i] = (negBelow + t.neg/2) / n
		v01[i] = 1 - (posBelow+t.pos/2)/m
		s10 += t.pos * v10[i]
		s01 += t.neg * v01[i]
		negBelow += t.neg
		posBelow += t.pos
	}
	auc = s10 / m
	mean01 := s01 / n
	var q10, q01 float64
	for i, t := range g {
		d10, d01 := v10[i]-auc, v01[i]-mean01
		q10 += t.pos * d10 * d10
		q01 += t.neg * d01 * d01
	}
	return auc, q10/(m-1)/m + q01/(n-1)/n
}

// DeLongPaired runs DeLong's test for two models p1, p2 scored on the same rows with labels y.
// It needs at least two positives and two negatives.
func DeLongPaired(y, p1, p2 []float64) (PairedTest, error) {
	auc, cov, err := DeLongCov(y, p1, p2)
	if err != nil {
		return PairedTest{}, err
	}
	t := PairedTest{AUC1: auc[0], AUC2: auc[1], Var1: cov.At(0, 0), Var2: cov.At(1, 1), Cov: cov.At(0, 1)}
	d := t.AUC1 - t.AUC2
	v := t.Var1 + t.Var2 - 2*t.Cov
	switch {
	case v > 0:
		t.Z = d / math.Sqrt(v)
	case d == 0:
		t.Z = 0
	default: // a difference with no variance (rounding at most): infinitely significant
		t.Z = math.Copysign(math.Inf(1), d)
	}
	t.P = math.Erfc(math.Abs(t.Z) / math.Sqrt2) // 2·(1 − Φ(|z|))
	return t, nil
}

// DeLongCov returns the AUCs of k models scored on the same rows (scores[r] holds model r's
// scores) and DeLong's k×k covariance matrix of those AUCs, by Sun & Xu's O(k·N log N)
// mid-rank algorithm. It needs at least one model and at least two positives and two
// negatives; every score slice must match y in length and hold no NaN.
func DeLongCov(y []float64, scores ...[]float64) ([]float64, *mat.SymDense, error) {
	k := len(scores)
	if k == 0 {
		return nil, nil, fmt.Errorf("eval: delong: no models")
	}
	var npos, nneg int
	for r, p := range scores {
		var err error
		if npos, nneg, err = checkBoth(y, p, 2); err != nil {
			return nil, nil, fmt.Errorf("%w (model %d)", err, r)
		}
	}
	m, n := float64(npos), float64(nneg)
	// Placement values, one column per model: positives' V10 in x10, negatives' V01 in x01.
	x10 := mat.NewDense(npos, k, nil)
	x01 := mat.NewDense(nneg, k, nil)
	auc := make([]float64, k)
	// slot maps a row to its index among the positives or among the negatives.
	slot := make([]int, len(y))
	var ip, in int
	for i, v := range y {
		if v == 1 {
			slot[i], ip = ip, ip+1
		} else {
			slot[i], in = in, in+1
		}
	}
	idx := make([]int, len(y))
	for r, p := range scores {
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			switch {
			case p[a] < p[b]:
				return -1
			case p[a] > p[b]:
				return 1
			}
			return 0
		})
		var negBelow, posBelow, sum float64
		for i := 0; i < len(idx); {
			var gp, gn float64
			j := i
			for ; j < len(idx) && p[idx[j]] == p[idx[i]]; j++ {
				if y[idx[j]] == 1 {
					gp++
				} else {
					gn++
				}
			}
			v10 := (negBelow + gn/2) / n
			v01 := 1 - (posBelow+gp/2)/m
			for _, row := range idx[i:j] {
				if y[row] == 1 {
					x10.Set(slot[row], r, v10)
				} else {
					x01.Set(slot[row], r, v01)
				}
			}
			sum += gp * v10
			negBelow += gn
			posBelow += gp
			i = j
		}
		auc[r] = sum / m
	}
	s10 := mat.NewSymDense(k, nil)
	s01 := mat.NewSymDense(k, nil)
	stat.CovarianceMatrix(s10, x10, nil)
	stat.CovarianceMatrix(s01, x01, nil)
	cov := mat.NewSymDense(k, nil)
	for a := range k {
		for b := a; b < k; b++ {
			cov.SetSym(a, b, s10.At(a, b)/m+s01.At(a, b)/n)
		}
	}
	return auc, cov, nil
}
