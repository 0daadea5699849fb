package eval

import (
	"fmt"
	"slices"
)

// LiftRow is one group (decile for 10 groups) of a lift/gains table. Group 1 holds the highest
// scores.
type LiftRow struct {
	Group    int     `json:"group"`
	Rows     int     `json:"rows"`
	MinScore float64 `json:"min_score"`
	MaxScore float64 `json:"max_score"`
	// Positives may be fractional where tied scores straddle a group boundary (see Lift).
	Positives float64 `json:"positives"`
	Rate      float64 `json:"rate"` // Positives / Rows
	Lift      float64 `json:"lift"` // Rate / overall positive rate
	// Cumulative over groups 1..Group.
	CumRows      int     `json:"cum_rows"`
	CumPositives float64 `json:"cum_positives"`
	Gains        float64 `json:"gains"`    // CumPositives / all positives: share of bads captured
	CumLift      float64 `json:"cum_lift"` // (CumPositives / CumRows) / overall positive rate
}

// Lift returns the lift/gains table for groups equal-count groups (10 for deciles) of rows
// ranked by descending score. Group g holds ranks [⌊g·n/groups⌋, ⌊(g+1)·n/groups⌋), so sizes
// differ by at most one row.
//
// Ties: rows with equal scores cannot be ordered, so a block of tied rows that straddles a
// group boundary contributes its positives pro rata: each group receives the block's positive
// rate times the number of the block's ranks it holds. The table is then independent of row
// order, group sizes stay equal, and Positives can be fractional. (The alternative, keeping
// ties together, makes group sizes depend on the ties: a constant score would give one group.)
//
// Errors: the validation sentinels; ErrOneClass when there are no positives (lift divides by
// the positive rate); ErrBins unless 1 ≤ groups ≤ len(y).
func Lift(y, p []float64, groups int) ([]LiftRow, error) {
	npos, err := check(y, p)
	if err != nil {
		return nil, err
	}
	if npos == 0 {
		return nil, fmt.Errorf("%w: no positives", ErrOneClass)
	}
	n := len(y)
	if groups < 1 || groups > n {
		return nil, fmt.Errorf("%w: %d lift groups for %d rows", ErrBins, groups, n)
	}
	s := sortScored(y, p)
	slices.Reverse(s) // descending; ties are handled by blocks, so their order is irrelevant
	rate := float64(npos) / float64(n)
	out := make([]LiftRow, groups)
	bound := func(g int) int { return g * n / groups }
	for g := range out {
		lo, hi := bound(g), bound(g+1)
		out[g] = LiftRow{Group: g + 1, Rows: hi - lo, MaxScore: s[lo].p, MinScore: s[hi-1].p}
	}
	// Walk tie blocks [a, b) and spread each block's positives over the groups it overlaps.
	for a := 0; a < n; {
		b, bp := a, 0.0
		for ; b < n && s[b].p == s[a].p; b++ {
			if s[b].pos {
				bp++
			}
		}
		if bp > 0 {
			for g := a * groups / n; g < groups && bound(g) < b; g++ {
				o := min(b, bound(g+1)) - max(a, bound(g))
				if o > 0 {
					out[g].Positives += bp * float64(o) / float64(b-a)
				}
			}
		}
		a = b
	}
	var cumRows int
	var cumPos float64
	for g := range out {
		r := &out[g]
		r.Rate = r.Positives / float64(r.Rows)
		r.Lift = r.Rate / rate
		cumRows += r.Rows
		cumPos += r.Positives
		r.CumRows, r.CumPositives = cumRows, cumPos
		r.Gains = cumPos / float64(npos)
		r.CumLift = cumPos / float64(cumRows) / rate
	}
	return out, nil
}

// scored is one row: its score and whether it is a positive.
type scored struct {
	p   float64
	pos bool
}

// sortScored returns the rows sorted by ascending score. Scores must not be NaN.
func sortScored(y, p []float64) []scored {
	s := make([]scored, len(p))
	for i := range p {
		s[i] = scored{p: p[i], pos: y[i] == 1}
	}
	// A plain comparison: the callers have excluded NaN.
	slices.SortFunc(s, func(a, b scored) int {
		switch {
		case a.p < b.p:
			return -1
		case a.p > b.p:
			return 1
		}
		return 0
	})
	return s
}
