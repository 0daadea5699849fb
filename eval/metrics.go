package eval

import "fmt"

// Metrics holds the headline metrics of a model on one labelled sample, for the report, the
// CLI and bundle metadata. Every field is finite, so the JSON form is always valid.
type Metrics struct {
	Rows           int     `json:"rows"`
	Positives      int     `json:"positives"`
	PositiveRate   float64 `json:"positive_rate"`
	MeanPrediction float64 `json:"mean_prediction"`
	AUC            float64 `json:"auc"`
	// AUCLo and AUCHi bound DeLong's 95% confidence interval of the AUC; with a single
	// positive or a single negative the variance is undefined and the interval is [0, 1].
	AUCLo            float64 `json:"auc_lo"`
	AUCHi            float64 `json:"auc_hi"`
	Gini             float64 `json:"gini"`
	KS               float64 `json:"ks"`
	KSThreshold      float64 `json:"ks_threshold"`
	AveragePrecision float64 `json:"average_precision"`
	LogLoss          float64 `json:"log_loss"`
	Brier            float64 `json:"brier"`
	ECE              float64 `json:"ece"` // 10 equal-width bins
}

// Compute returns the headline metrics of probabilities p against labels y, sorting the rows
// once for all the rank metrics. Errors: the validation sentinels, ErrScore for a probability
// outside [0, 1], and ErrOneClass unless both classes occur.
func Compute(y, p []float64) (Metrics, error) {
	npos, err := checkProb(y, p)
	if err == nil && (npos == 0 || npos == len(y)) {
		err = fmt.Errorf("%w: %d positives of %d rows", ErrOneClass, npos, len(y))
	}
	if err != nil {
		return Metrics{}, err
	}
	nneg := len(y) - npos
	g := tieGroups(y, p, nil)
	m := Metrics{
		Rows:         len(y),
		Positives:    npos,
		PositiveRate: float64(npos) / float64(len(y)),
	}
	var sum float64
	for _, v := range p {
		sum += v
	}
	m.MeanPrediction = sum / float64(len(p))
	if npos >= 2 && nneg >= 2 {
		auc, v := deLongGroups(g, npos, nneg)
		ci := interval(auc, v, 0.95)
		m.AUC, m.AUCLo, m.AUCHi = ci.AUC, ci.Lo, ci.Hi
	} else {
		m.AUC, _ = deLongGroups(g, npos, nneg) // the AUC part needs no variance
		m.AUCLo, m.AUCHi = 0, 1
	}
	m.Gini = 2*m.AUC - 1
	ks := ksGroups(g)
	m.KS, m.KSThreshold = ks.KS, ks.At
	m.AveragePrecision = apGroups(g)
	m.LogLoss = LogLoss(y, p)
	m.Brier = Brier(y, p)
	bins, err := CalibrationBins(y, p, 10)
	if err != nil {
		return Metrics{}, err // unreachable: inputs checked
	}
	m.ECE = eceBins(bins, len(p))
	return m, nil
}
