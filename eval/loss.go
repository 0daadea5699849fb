package eval

import "math"

// Eps is the clipping bound of LogLoss: probabilities are clipped to [Eps, 1−Eps] before the
// logarithm, as scikit-learn's log_loss does with eps=1e-15.
const Eps = 1e-15

// LogLoss returns the mean negative log-likelihood −mean[y·ln p + (1−y)·ln(1−p)] of
// probabilities p, each clipped to [Eps, 1−Eps] first so that a confident mistake costs about
// 34.5 rather than +Inf. It equals scikit-learn's log_loss(y, p, eps=1e-15) (which clips p, then
// takes 1−p, so a negative predicted at exactly 1 costs −ln(1−(1−1e-15)) ≈ 34.5396, not
// −ln(1e-15) ≈ 34.5388). Probabilities outside [0, 1] are clipped too.
//
// LogLoss returns NaN when the lengths differ, there are no rows, a label is not 0 or 1, or a
// probability is NaN. One class only is fine.
func LogLoss(y, p []float64) float64 {
	if _, err := check(y, p); err != nil {
		return math.NaN()
	}
	var sum float64
	for i, v := range p {
		sum += rowLoss(y[i], v)
	}
	return sum / float64(len(p))
}

// rowLoss is one row's clipped log-loss.
func rowLoss(y, p float64) float64 {
	p = min(max(p, Eps), 1-Eps)
	if y == 1 {
		return -math.Log(p)
	}
	return -math.Log1p(-p)
}

// WeightedLogLoss is LogLoss with per-row weights w: Σ wᵢ·lossᵢ / Σ wᵢ. It equals
// log_loss(y, p, eps=1e-15, sample_weight=w) and returns NaN where LogLoss does or w is
// invalid (wrong length, negative or non-finite weight, zero sum).
func WeightedLogLoss(y, p, w []float64) float64 {
	if _, err := check(y, p); err != nil {
		return math.NaN()
	}
	if err := checkWeights(w, len(y)); err != nil {
		return math.NaN()
	}
	var sum, ws float64
	for i, v := range p {
		sum += w[i] * rowLoss(y[i], v)
		ws += w[i]
	}
	return sum / ws
}

// Brier returns the Brier score mean[(p − y)²] of probabilities p (not clipped). It equals
// scikit-learn's brier_score_loss. It returns NaN under the same conditions as LogLoss.
func Brier(y, p []float64) float64 {
	if _, err := check(y, p); err != nil {
		return math.NaN()
	}
	var sum float64
	for i, v := range p {
		d := v - y[i]
		sum += d * d
	}
	return sum / float64(len(p))
}

// WeightedBrier is Brier with per-row weights w, equal to brier_score_loss(y, p,
// sample_weight=w). It returns NaN where WeightedLogLoss does.
func WeightedBrier(y, p, w []float64) float64 {
	if _, err := check(y, p); err != nil {
		return math.NaN()
	}
	if err := checkWeights(w, len(y)); err != nil {
		return math.NaN()
	}
	var sum, ws float64
	for i, v := range p {
		d := v - y[i]
		sum += w[i] * d * d
		ws += w[i]
	}
	return sum / ws
}
