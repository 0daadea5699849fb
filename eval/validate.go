package eval

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors wrapped by the functions that return an error. Functions that return only a
// float64 report the same conditions as NaN.
var (
	// ErrLength: labels, scores or weights differ in length.
	ErrLength = errors.New("eval: length mismatch")
	// ErrEmpty: there are no rows.
	ErrEmpty = errors.New("eval: no rows")
	// ErrLabel: a label is not exactly 0 or 1.
	ErrLabel = errors.New("eval: label not 0 or 1")
	// ErrScore: a score is NaN, or a probability lies outside [0, 1] where one is required.
	ErrScore = errors.New("eval: invalid score")
	// ErrWeight: a weight is negative, NaN or infinite, or the weights sum to zero.
	ErrWeight = errors.New("eval: invalid weight")
	// ErrOneClass: the labels hold only positives or only negatives (or too few of one class
	// for a variance), so a rank metric is undefined.
	ErrOneClass = errors.New("eval: not enough of both classes")
	// ErrBins: a bin or group count is out of range.
	ErrBins = errors.New("eval: invalid bin count")
)

// check validates labels and scores and returns the number of positives. Scores may be any
// non-NaN value (±Inf included: only their order matters to rank metrics).
func check(y, p []float64) (npos int, err error) {
	if len(y) != len(p) {
		return 0, fmt.Errorf("%w: %d labels, %d scores", ErrLength, len(y), len(p))
	}
	if len(y) == 0 {
		return 0, ErrEmpty
	}
	for i, v := range y {
		switch v {
		case 1:
			npos++
		case 0:
		default:
			return 0, fmt.Errorf("%w: row %d has %v", ErrLabel, i, v)
		}
		if math.IsNaN(p[i]) {
			return 0, fmt.Errorf("%w: row %d is NaN", ErrScore, i)
		}
	}
	return npos, nil
}

// checkProb is check plus the requirement that every score is a probability in [0, 1].
func checkProb(y, p []float64) (npos int, err error) {
	npos, err = check(y, p)
	if err != nil {
		return 0, err
	}
	for i, v := range p {
		if v < 0 || v > 1 {
			return 0, fmt.Errorf("%w: row %d is %v, not a probability", ErrScore, i, v)
		}
	}
	return npos, nil
}

// checkBoth is check plus the requirement that each class occurs at least need times.
func checkBoth(y, p []float64, need int) (npos, nneg int, err error) {
	npos, err = check(y, p)
	if err != nil {
		return 0, 0, err
	}
	nneg = len(y) - npos
	if npos < need || nneg < need {
		return 0, 0, fmt.Errorf("%w: %d positives, %d negatives (need %d of each)", ErrOneClass, npos, nneg, need)
	}
	return npos, nneg, nil
}

// checkWeights validates per-row weights: finite, non-negative, with a positive sum.
func checkWeights(w []float64, n int) error {
	if len(w) != n {
		return fmt.Errorf("%w: %d weights for %d rows", ErrLength, len(w), n)
	}
	var sum float64
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 1) {
			return fmt.Errorf("%w: row %d has %v", ErrWeight, i, v)
		}
		sum += v
	}
	if !(sum > 0) || math.IsInf(sum, 1) {
		return fmt.Errorf("%w: weights sum to %v", ErrWeight, sum)
	}
	return nil
}
