package eval

import (
	"cmp"
	"math"
	"slices"
)

// scored is one row: its score and whether it is a positive.
type scored struct {
	p   float64
	pos bool
}

// sortScored returns the rows sorted by ascending score.
func sortScored(y, p []float64) []scored {
	s := make([]scored, len(p))
	for i := range p {
		s[i] = scored{p: p[i], pos: y[i] == 1}
	}
	slices.SortFunc(s, func(a, b scored) int { return cmp.Compare(a.p, b.p) })
	return s
}

// AUC returns the area under the ROC curve: the probability that a random positive scores
// higher than a random negative, ties counting one half (the Mann–Whitney U statistic divided
// by n₊n₋). It is exact and O(n log n), and equals scikit-learn's roc_auc_score.
//
// Scores may be probabilities or margins: only their order matters. AUC returns NaN when the
// lengths differ, there are no rows, a label is not 0 or 1, a score is NaN, or only one class
// is present.
func AUC(y, p []float64) float64 {
	npos, nneg, err := checkBoth(y, p)
	if err != nil {
		return math.NaN()
	}
	return aucSorted(sortScored(y, p), npos, nneg)
}

// aucSorted computes the AUC of rows sorted by ascending score by walking groups of tied
// scores: each positive in a group beats every negative below the group and ties with the
// negatives inside it. The counts are integers held exactly in float64 up to 2⁵³.
func aucSorted(s []scored, npos, nneg int) float64 {
	var sum, negBelow float64
	for i := 0; i < len(s); {
		var gp, gn float64
		j := i
		for ; j < len(s) && s[j].p == s[i].p; j++ {
			if s[j].pos {
				gp++
			} else {
				gn++
			}
		}
		sum += gp * (negBelow + gn/2)
		negBelow += gn
		i = j
	}
	return sum / (float64(npos) * float64(nneg))
}

// Gini returns the Gini coefficient (accuracy ratio) 2·AUC − 1, NaN where AUC is NaN.
func Gini(y, p []float64) float64 {
	return 2*AUC(y, p) - 1
}
