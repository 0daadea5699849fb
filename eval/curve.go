package eval

import (
	"encoding/json"
	"fmt"
	"math"
)

// Curve is a sequence of points (X[i], Y[i]), the i-th reached at the score cutoff
// Thresholds[i]: rows whose score is ≥ the cutoff are predicted positive. Thresholds descend
// and Thresholds[0] is +Inf (no row predicted positive). The three slices have equal length.
//
// Curve implements the XYer interface of gonum's plotter package (Len and XY), so it plots
// directly. Its JSON form writes the +Inf threshold as null (JSON has no infinity) and reads
// null back as +Inf.
type Curve struct {
	X, Y       []float64
	Thresholds []float64
}

// Len returns the number of points.
func (c Curve) Len() int { return len(c.X) }

// XY returns point i.
func (c Curve) XY(i int) (x, y float64) { return c.X[i], c.Y[i] }

// curveJSON is Curve's JSON form; nil thresholds stand for infinities.
type curveJSON struct {
	X          []float64  `json:"x"`
	Y          []float64  `json:"y"`
	Thresholds []*float64 `json:"thresholds"`
}

// MarshalJSON encodes the curve as {"x":[...],"y":[...],"thresholds":[null,...]}.
func (c Curve) MarshalJSON() ([]byte, error) {
	j := curveJSON{X: c.X, Y: c.Y, Thresholds: make([]*float64, len(c.Thresholds))}
	for i := range c.Thresholds {
		if !math.IsInf(c.Thresholds[i], 0) {
			j.Thresholds[i] = &c.Thresholds[i]
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes MarshalJSON's form, checking that the slices have equal lengths.
func (c *Curve) UnmarshalJSON(b []byte) error {
	var j curveJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("eval: curve: %w", err)
	}
	if len(j.X) != len(j.Y) || len(j.X) != len(j.Thresholds) {
		return fmt.Errorf("%w: curve has %d x, %d y, %d thresholds", ErrLength, len(j.X), len(j.Y), len(j.Thresholds))
	}
	t := make([]float64, len(j.Thresholds))
	for i, v := range j.Thresholds {
		if v == nil {
			t[i] = math.Inf(1)
		} else {
			t[i] = *v
		}
	}
	*c = Curve{X: j.X, Y: j.Y, Thresholds: t}
	return nil
}

// ROCCurve returns the ROC curve: X is the false-positive rate, Y the true-positive rate, one
// point per distinct score from (0, 0) at +Inf to (1, 1) at the lowest score. It equals
// scikit-learn's roc_curve(y, p, drop_intermediate=False), except that scikit-learn's first
// threshold is max(p)+1 (version 1.2) where this one is +Inf. Simplify drops the collinear
// points as drop_intermediate=True does. Errors: the validation sentinels and ErrOneClass.
func ROCCurve(y, p []float64) (Curve, error) {
	if _, _, err := checkBoth(y, p, 1); err != nil {
		return Curve{}, err
	}
	g := tieGroups(y, p, nil)
	tpos, tneg := totals(g)
	c := newCurve(len(g) + 1)
	c.add(0, 0, math.Inf(1))
	var tp, fp float64
	for i := len(g) - 1; i >= 0; i-- {
		tp += g[i].pos
		fp += g[i].neg
		c.add(fp/tneg, tp/tpos, g[i].score)
	}
	return c, nil
}

func newCurve(n int) Curve {
	return Curve{X: make([]float64, 0, n), Y: make([]float64, 0, n), Thresholds: make([]float64, 0, n)}
}

func (c *Curve) add(x, y, t float64) {
	c.X = append(c.X, x)
	c.Y = append(c.Y, y)
	c.Thresholds = append(c.Thresholds, t)
}

// Simplify returns the curve without the points that lie on a straight line between their
// neighbours in both X and Y steps (the first and last points always stay), as scikit-learn's
// roc_curve(drop_intermediate=True) does. The area under the curve is unchanged. c is not
// modified.
func (c Curve) Simplify() Curve {
	n := c.Len()
	if n <= 3 { // scikit-learn's rule applies to the points after the (0, 0) origin
		return Curve{X: clone(c.X), Y: clone(c.Y), Thresholds: clone(c.Thresholds)}
	}
	out := newCurve(n)
	out.add(c.X[0], c.Y[0], c.Thresholds[0])
	out.add(c.X[1], c.Y[1], c.Thresholds[1])
	for i := 2; i < n-1; i++ {
		// Second differences of the cumulative counts, computed on the rates: the rates share a
		// denominator, so a zero second difference of counts is one of rates up to rounding.
		if !collinear(c.X[i-1], c.X[i], c.X[i+1]) || !collinear(c.Y[i-1], c.Y[i], c.Y[i+1]) {
			out.add(c.X[i], c.Y[i], c.Thresholds[i])
		}
	}
	out.add(c.X[n-1], c.Y[n-1], c.Thresholds[n-1])
	return out
}

// collinear reports whether b−a equals c−b up to rounding of rates with a common denominator.
func collinear(a, b, c float64) bool {
	return math.Abs((c-b)-(b-a)) <= 1e-12*math.Max(1, math.Abs(c))
}

func clone(s []float64) []float64 { return append([]float64(nil), s...) }

// PRCurve returns the precision–recall curve: X is recall, Y precision, one point per distinct
// score in descending order, after a first point (recall 0, precision 1) at +Inf. It holds
// the points of scikit-learn's precision_recall_curve in reverse order (scikit-learn lists
// recall descending and gives its final (0, 1) point no threshold). Errors: the validation
// sentinels and ErrOneClass when there is no positive (the curve needs at least one; negatives
// may be absent).
func PRCurve(y, p []float64) (Curve, error) {
	npos, err := check(y, p)
	if err == nil && npos == 0 {
		err = fmt.Errorf("%w: no positives", ErrOneClass)
	}
	if err != nil {
		return Curve{}, err
	}
	g := tieGroups(y, p, nil)
	tpos, _ := totals(g)
	c := newCurve(len(g) + 1)
	c.add(0, 1, math.Inf(1))
	var tp, fp float64
	for i := len(g) - 1; i >= 0; i-- {
		tp += g[i].pos
		fp += g[i].neg
		c.add(tp/tpos, tp/(tp+fp), g[i].score)
	}
	return c, nil
}

// AveragePrecision returns the area under the precision–recall curve as a step function,
// AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over distinct thresholds in descending order — scikit-learn's
// average_precision_score, which does not interpolate (the trapezoidal area is optimistic).
// A random model scores the positive rate. It returns NaN for invalid input or no positives.
func AveragePrecision(y, p []float64) float64 {
	return averagePrecision(y, p, nil)
}

// WeightedAveragePrecision is AveragePrecision with per-row weights, equal to
// average_precision_score(y, p, sample_weight=w); NaN for invalid input or weights.
func WeightedAveragePrecision(y, p, w []float64) float64 {
	if err := checkWeights(w, len(y)); err != nil {
		return math.NaN()
	}
	return averagePrecision(y, p, w)
}

func averagePrecision(y, p, w []float64) float64 {
	if _, err := check(y, p); err != nil {
		return math.NaN()
	}
	return apGroups(tieGroups(y, p, w))
}

// apGroups computes average precision from ascending tie groups.
func apGroups(g []group) float64 {
	tpos, _ := totals(g)
	if tpos == 0 {
		return math.NaN()
	}
	var ap, tp, fp float64
	for i := len(g) - 1; i >= 0; i-- {
		tp += g[i].pos
		fp += g[i].neg
		if g[i].pos > 0 { // a recall step; zero-width steps add nothing
			ap += g[i].pos / tpos * (tp / (tp + fp))
		}
	}
	return ap
}

// KSCurve holds the two cumulative score distributions of the Kolmogorov–Smirnov plot:
// CumPos[i] and CumNeg[i] are the shares of positives and of negatives scoring ≤ Thresholds[i],
// over the distinct scores in ascending order. KS is the largest gap |CumPos − CumNeg| and At
// the threshold where it first occurs. The thresholds are the scores, so the JSON form is
// valid whenever the scores are finite.
type KSCurve struct {
	Thresholds []float64 `json:"thresholds"`
	CumPos     []float64 `json:"cum_pos"`
	CumNeg     []float64 `json:"cum_neg"`
	KS         float64   `json:"ks"`
	At         float64   `json:"at"`
}

// Len returns the number of thresholds.
func (k KSCurve) Len() int { return len(k.Thresholds) }

// KSStat returns the KS curve and statistic: the largest gap between the score distributions
// of positives and negatives, two-sided, equal to scipy.stats.ks_2samp(p[y==1],
// p[y==0]).statistic and to max |TPR − FPR| over thresholds. Errors: the validation sentinels
// and ErrOneClass.
func KSStat(y, p []float64) (KSCurve, error) {
	if _, _, err := checkBoth(y, p, 1); err != nil {
		return KSCurve{}, err
	}
	return ksGroups(tieGroups(y, p, nil)), nil
}

func ksGroups(g []group) KSCurve {
	tpos, tneg := totals(g)
	k := KSCurve{
		Thresholds: make([]float64, len(g)),
		CumPos:     make([]float64, len(g)),
		CumNeg:     make([]float64, len(g)),
	}
	var cp, cn float64
	for i, t := range g {
		cp += t.pos
		cn += t.neg
		k.Thresholds[i] = t.score
		k.CumPos[i] = cp / tpos
		k.CumNeg[i] = cn / tneg
		if d := math.Abs(k.CumPos[i] - k.CumNeg[i]); d > k.KS {
			k.KS, k.At = d, t.score
		}
	}
	if k.KS == 0 {
		k.At = g[0].score
	}
	return k
}

// KS returns the Kolmogorov–Smirnov statistic of KSStat, or NaN where KSStat errs.
func KS(y, p []float64) float64 {
	k, err := KSStat(y, p)
	if err != nil {
		return math.NaN()
	}
	return k.KS
}
