package eval

import (
	"fmt"
	"math"
)

// Bin is one equal-width probability bin of a reliability diagram: the rows whose predicted
// probability falls in it, their mean prediction and their observed positive rate. An empty
// bin has Count 0 and zero means (JSON has no NaN); plots should skip it.
type Bin struct {
	Lo            float64 `json:"lo"`
	Hi            float64 `json:"hi"`
	Count         int     `json:"count"`
	MeanPredicted float64 `json:"mean_predicted"`
	Observed      float64 `json:"observed"`
}

// CalibrationBins splits [0, 1] into bins equal-width bins and returns all of them, empty ones
// included, in ascending order. Bin k covers (Lo, Hi], except the first, which also holds 0;
// the edges are k·(1/bins) as numpy.linspace computes them, so the non-empty bins agree with
// scikit-learn's calibration_curve(y, p, n_bins=bins, strategy="uniform") exactly (it returns
// Observed as prob_true and MeanPredicted as prob_pred, and drops empty bins).
//
// Probabilities must lie in [0, 1] (ErrScore otherwise); bins must be at least 1 (ErrBins).
func CalibrationBins(y, p []float64, bins int) ([]Bin, error) {
	if bins < 1 {
		return nil, fmt.Errorf("%w: %d calibration bins", ErrBins, bins)
	}
	if _, err := checkProb(y, p); err != nil {
		return nil, err
	}
	edges := make([]float64, bins+1)
	step := 1 / float64(bins)
	for k := range edges {
		edges[k] = float64(k) * step
	}
	edges[bins] = 1
	out := make([]Bin, bins)
	sumP := make([]float64, bins)
	sumY := make([]float64, bins)
	for i, v := range p {
		k := binOf(v, edges)
		out[k].Count++
		sumP[k] += v
		sumY[k] += y[i]
	}
	for k := range out {
		out[k].Lo, out[k].Hi = edges[k], edges[k+1]
		if c := float64(out[k].Count); c > 0 {
			out[k].MeanPredicted = sumP[k] / c
			out[k].Observed = sumY[k] / c
		}
	}
	return out, nil
}

// binOf returns the bin of probability v: the number of inner edges strictly below v, as
// numpy.searchsorted(edges[1:-1], v) counts them. It starts from the arithmetic guess and
// corrects for the rounding of the edges.
func binOf(v float64, edges []float64) int {
	bins := len(edges) - 1
	k := min(max(int(v*float64(bins)), 0), bins-1)
	for k > 0 && v <= edges[k] {
		k--
	}
	for k < bins-1 && v > edges[k+1] {
		k++
	}
	return k
}

// ECE returns the expected calibration error over bins equal-width bins (see CalibrationBins):
// Σₖ (nₖ/N)·|observedₖ − mean predictedₖ| (Naeini et al. 2015; Guo et al. 2017 use 15 bins,
// 10 is also common). ECE depends on the binning and is biased upwards on small samples. It
// returns NaN where CalibrationBins errs.
func ECE(y, p []float64, bins int) float64 {
	b, err := CalibrationBins(y, p, bins)
	if err != nil {
		return math.NaN()
	}
	return eceBins(b, len(p))
}

func eceBins(b []Bin, n int) float64 {
	var e float64
	for _, k := range b {
		e += float64(k.Count) / float64(n) * math.Abs(k.Observed-k.MeanPredicted)
	}
	return e
}
