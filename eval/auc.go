package eval

import "math"

// AUC returns the area under the ROC curve: the probability that a random positive scores
// higher than a random negative, ties counting one half (the Mann–Whitney U statistic divided
// by n₊n₋). It is exact and O(n log n), and equals scikit-learn's roc_auc_score.
//
// Scores may be probabilities or margins: only their order matters. AUC returns NaN when the
// lengths differ, there are no rows, a label is not 0 or 1, a score is NaN, or only one class
// is present.
func AUC(y, p []float64) float64 {
	npos, _, err := checkBoth(y, p, 1)
	if err != nil {
		return math.NaN()
	}
	// The two classes' scores are sorted separately as order-preserving integer keys (radix
	// sort) and merged: the boost trainer calls AUC once per round for early stopping.
	buf := make([]uint64, 2*len(p))
	keys, scratch := buf[:len(p)], buf[len(p):]
	pos, neg := keys[:0:npos], keys[npos:npos]
	for i, v := range p {
		if y[i] == 1 {
			pos = append(pos, sortKey(v))
		} else {
			neg = append(neg, sortKey(v))
		}
	}
	radixSort(pos, scratch)
	radixSort(neg, scratch)
	return aucMerge(pos, neg)
}

// aucMerge computes the AUC from the ascending sort keys of the positives and of the
// negatives: each positive beats the negatives below its score and ties with those equal to
// it. The counts are integers, held exactly in float64 up to 2⁵³.
func aucMerge(pos, neg []uint64) float64 {
	var sum float64
	j := 0 // negatives below the current score
	for i := 0; i < len(pos); {
		v := pos[i]
		k := i + 1
		for k < len(pos) && pos[k] == v {
			k++
		}
		for j < len(neg) && neg[j] < v {
			j++
		}
		e := j
		for e < len(neg) && neg[e] == v {
			e++
		}
		sum += float64(k-i) * (float64(j) + float64(e-j)/2)
		i = k
	}
	return sum / (float64(len(pos)) * float64(len(neg)))
}

// Gini returns the Gini coefficient (accuracy ratio) 2·AUC − 1, NaN where AUC is NaN.
func Gini(y, p []float64) float64 {
	return 2*AUC(y, p) - 1
}

// WeightedAUC is AUC with per-row weights w: every positive–negative pair counts with the
// product of its weights. It equals roc_auc_score(y, p, sample_weight=w). It returns NaN where
// AUC does, and also when w has the wrong length, a weight is negative or not finite, or either
// class has zero total weight.
func WeightedAUC(y, p, w []float64) float64 {
	if _, err := check(y, p); err != nil {
		return math.NaN()
	}
	if err := checkWeights(w, len(y)); err != nil {
		return math.NaN()
	}
	g := tieGroups(y, p, w)
	var sum, negBelow, tp float64
	for _, t := range g {
		sum += t.pos * (negBelow + t.neg/2)
		negBelow += t.neg
		tp += t.pos
	}
	if tp == 0 || negBelow == 0 {
		return math.NaN()
	}
	return sum / (tp * negBelow)
}
