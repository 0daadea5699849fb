package eval

import "math"

// Eps is the clipping bound of LogLoss: probabilities are clipped to [Eps, 1−Eps] before the
// logarithm, as scikit-learn's log_loss does with eps=1e-15.
const Eps = 1e-15

// LogLoss returns the mean negative log-likelihood −mean[y·ln p + (1−y)·ln(1−p)] of
// probabilities p, each clipped to [Eps, 1−Eps] first so that a confident mistake costs
// about 34.5 rather than +Inf. It equals scikit-learn's log_loss(y, p, eps=1e-15).
//
// LogLoss returns NaN when the lengths differ, there are no rows, a label is not 0 or 1, or a
// probability is NaN. One class only is fine.
func LogLoss(y, p []float64) float64 {
	if _, err := check(y, p); err != nil {
		return math.NaN()
	}
	var sum float64
	for i, v := range p {
		v = min(max(v, Eps), 1-Eps)
		if y[i] == 1 {
			sum -= math.Log(v)
		} else {
			sum -= math.Log1p(-v)
		}
	}
	return sum / float64(len(p))
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
