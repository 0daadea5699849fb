package gbt

import (
	"cmp"
	"fmt"
	"slices"
)

// Reason is a group of features (typically the model features derived from one raw input
// field) and the sum of their SHAP values for one prediction, in margin units.
type Reason struct {
	Group        int
	Contribution float64
}

// GroupContributions sums phi by group: dst[g] = Σ phi[i] over the features i with
// group[i] == g. A feature with a negative group is left out; a nil group makes each feature
// its own group. dst is reused if it is long enough and is returned resliced to the number of
// groups (the largest group index plus one).
func GroupContributions(phi []float64, group []int, dst []float64) []float64 {
	n := numGroups(phi, group)
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	clear(dst)
	for i, p := range phi {
		if g := groupOf(group, i); g >= 0 {
			dst[g] += p
		}
	}
	return dst
}

// TopReasons returns the reason codes of a prediction: the at most k groups (see
// GroupContributions) whose features together pushed the margin (the risk) up, largest
// contribution first, ties by group index. Groups that lowered the margin or did not change it
// are never reasons: for an adverse-action notice, the reasons are what raised the estimated
// risk, so the order is by signed contribution, not by magnitude.
//
// dst is used as scratch space and for the result if its capacity is at least the number of
// groups; TopReasons then does not allocate.
func TopReasons(phi []float64, group []int, k int, dst []Reason) []Reason {
	n := numGroups(phi, group)
	if cap(dst) < n {
		dst = make([]Reason, n)
	}
	dst = dst[:n]
	for g := range dst {
		dst[g] = Reason{Group: g}
	}
	for i, p := range phi {
		if g := groupOf(group, i); g >= 0 {
			dst[g].Contribution += p
		}
	}
	slices.SortFunc(dst, func(a, b Reason) int {
		if c := cmp.Compare(b.Contribution, a.Contribution); c != 0 {
			return c
		}
		return cmp.Compare(a.Group, b.Group)
	})
	m := 0
	for m < len(dst) && m < k && dst[m].Contribution > 0 {
		m++
	}
	return dst[:m]
}

func numGroups(phi []float64, group []int) int {
	if group == nil {
		return len(phi)
	}
	if len(group) != len(phi) {
		panic(fmt.Sprintf("gbt: %d groups for %d contributions", len(group), len(phi)))
	}
	n := 0
	for _, g := range group {
		n = max(n, g+1)
	}
	return n
}

func groupOf(group []int, i int) int {
	if group == nil {
		return i
	}
	return group[i]
}
