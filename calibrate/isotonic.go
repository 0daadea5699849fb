package calibrate

import (
	"cmp"
	"slices"
)

// fitIsotonic fits a non-decreasing function of the score to the labels by least squares
// (pool adjacent violators) and returns its knots, as scikit-learn's
// IsotonicRegression(out_of_bounds="clip") does: rows with equal scores are pooled first
// (their mean label, weighted by their count), PAV merges adjacent blocks until the block
// means strictly increase, and each block contributes its first and last score as knots (one
// knot if it spans a single score). Between knots Apply interpolates linearly. O(n log n) for
// the sort, O(n) after. Inputs are valid (see checkInput).
func fitIsotonic(scores, y []float64) (x, v []float64) {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })

	// A block is a run of distinct scores [lo, hi] holding w rows with label sum s.
	type block struct {
		lo, hi float64
		s, w   float64
	}
	stack := make([]block, 0, 64)
	for k := 0; k < len(idx); {
		x0 := scores[idx[k]]
		cur := block{lo: x0, hi: x0}
		for ; k < len(idx) && scores[idx[k]] == x0; k++ { // pool ties in x
			cur.s += y[idx[k]]
			cur.w++
		}
		// Merge while the previous block's mean is not below the new one's (pooling equal
		// means too, so that the final blocks have strictly increasing means).
		for len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.s*cur.w < cur.s*top.w {
				break
			}
			cur = block{lo: top.lo, hi: cur.hi, s: top.s + cur.s, w: top.w + cur.w}
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, cur)
	}
	x = make([]float64, 0, 2*len(stack))
	v = make([]float64, 0, 2*len(stack))
	for _, bl := range stack {
		m := bl.s / bl.w
		x = append(x, bl.lo)
		v = append(v, m)
		if bl.hi != bl.lo {
			x = append(x, bl.hi)
			v = append(v, m)
		}
	}
	return x, v
}
