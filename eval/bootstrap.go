package eval

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Metric is a function of labels and scores, such as AUC, LogLoss or Brier.
type Metric func(y, p []float64) float64

// Bootstrap returns a 95% percentile bootstrap confidence interval of metric over n resamples;
// see BootstrapLevel.
func Bootstrap(y, p []float64, metric Metric, n int, seed uint64) (lo, hi float64) {
	return BootstrapLevel(y, p, metric, n, seed, 0.95)
}

// BootstrapLevel returns a percentile bootstrap confidence interval at level (e.g. 0.90) of
// metric over n resamples drawn with a PCG generator seeded by seed, so results are
// reproducible. Resampling is stratified: positives and negatives are each drawn with
// replacement from their own class, so every resample keeps the class counts (as pROC does for
// AUC) and a rank metric is never undefined for lack of a class. lo and hi are the empirical
// (1−level)/2 and (1+level)/2 quantiles of the n metric values.
//
// It returns NaN, NaN when the input is invalid (see AUC), n < 1, level is outside (0, 1), or
// the metric is NaN on the sample or on any resample. Cost: n calls of metric on len(y) rows.
func BootstrapLevel(y, p []float64, metric Metric, n int, seed uint64, level float64) (lo, hi float64) {
	nan := math.NaN()
	if n < 1 || !(level > 0 && level < 1) || metric == nil {
		return nan, nan
	}
	if _, err := check(y, p); err != nil {
		return nan, nan
	}
	if math.IsNaN(metric(y, p)) {
		return nan, nan
	}
	var pos, neg []int
	for i, v := range y {
		if v == 1 {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	yb := make([]float64, len(y))
	pb := make([]float64, len(p))
	vals := make([]float64, n)
	for b := range vals {
		k := 0
		for _, class := range [2][]int{pos, neg} {
			for range class {
				i := class[rng.IntN(len(class))]
				yb[k], pb[k] = y[i], p[i]
				k++
			}
		}
		vals[b] = metric(yb, pb)
		if math.IsNaN(vals[b]) {
			return nan, nan
		}
	}
	slices.Sort(vals)
	return stat.Quantile((1-level)/2, stat.Empirical, vals, nil),
		stat.Quantile((1+level)/2, stat.Empirical, vals, nil)
}
