package eval

import "slices"

// group is a set of rows with one score: the (weighted) numbers of positives and negatives.
type group struct {
	score    float64
	pos, neg float64
}

// tieGroups sorts the rows by ascending score and merges rows with equal scores. w may be nil
// (every row weighs 1). Inputs must be valid (see check).
func tieGroups(y, p, w []float64) []group {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	var g []group
	for k, i := range idx {
		if k == 0 || p[i] != g[len(g)-1].score {
			g = append(g, group{score: p[i]})
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		if y[i] == 1 {
			g[len(g)-1].pos += wi
		} else {
			g[len(g)-1].neg += wi
		}
	}
	return g
}

// totals returns the total positives and negatives of groups.
func totals(g []group) (pos, neg float64) {
	for _, t := range g {
		pos += t.pos
		neg += t.neg
	}
	return pos, neg
}
