package eval

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors wrapped by the functions that return an error. Functions that return only a
// float64 report the same conditions as NaN.
var (
	// ErrLength: y and p (or the two score slices of a paired test) differ in length.
	ErrLength = errors.New("eval: length mismatch")
	// ErrEmpty: there are no rows.
	ErrEmpty = errors.New("eval: no rows")
	// ErrLabel: a label is not exactly 0 or 1.
	ErrLabel = errors.New("eval: label not 0 or 1")
	// ErrScore: a score is NaN.
	ErrScore = errors.New("eval: NaN score")
	// ErrOneClass: the labels hold only positives or only negatives, so a rank metric
	// (AUC, KS, average precision) is undefined.
	ErrOneClass = errors.New("eval: only one class present")
)

// check validates labels and scores and returns the number of positives.
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
			return 0, fmt.Errorf("%w: row %d", ErrScore, i)
		}
	}
	return npos, nil
}

// checkBoth is check plus the requirement that both classes occur.
func checkBoth(y, p []float64) (npos, nneg int, err error) {
	npos, err = check(y, p)
	if err != nil {
		return 0, 0, err
	}
	nneg = len(y) - npos
	if npos == 0 || nneg == 0 {
		return 0, 0, fmt.Errorf("%w: %d positives, %d negatives", ErrOneClass, npos, nneg)
	}
	return npos, nneg, nil
}
