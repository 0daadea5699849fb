package eval

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// PSI thresholds conventional in credit scoring (Siddiqi 2017, after Lewis 1994): below
// PSIMinor no significant shift, from PSIMinor to PSIMajor a minor shift, above PSIMajor a
// significant one. They are conventions and depend on sample size.
const (
	PSIMinor = 0.10
	PSIMajor = 0.25
)

// PSIFloor replaces a bin share of zero in either sample before the logarithm, so that an
// empty bin adds a large but finite term. Non-empty bins are not smoothed, so without empty
// bins PSI is the textbook value. 1e-4 is the common industry choice.
const PSIFloor = 1e-4

// PSIBin is one bin of a population stability index.
type PSIBin struct {
	// Label describes the bin: "<= 0.12", "(0.12, 0.35]", "> 0.9" or "all" for numeric
	// bins, "missing" for NaN values, the category itself for CategoricalPSI.
	Label         string  `json:"label"`
	ExpectedCount int     `json:"expected_count"`
	ActualCount   int     `json:"actual_count"`
	Expected      float64 `json:"expected"` // share of the expected sample, before smoothing
	Actual        float64 `json:"actual"`   // share of the actual sample, before smoothing
	Contribution  float64 `json:"contribution"`
}

// PSIResult is a population stability index: Value = Σ (a−e)·ln(a/e) over Bins, where e and
// a are the bin shares of the expected (development) and actual (recent) samples, each
// replaced by PSIFloor when zero. Edges are the inner cut points of numeric bins (nil for
// CategoricalPSI).
type PSIResult struct {
	Value float64   `json:"value"`
	Edges []float64 `json:"edges,omitempty"`
	Bins  []PSIBin  `json:"bins"`
}

// PSI compares the distribution of actual to that of expected (two score samples, or two
// samples of one numeric feature). The bins are quantile bins of the expected sample: the
// cut points are its empirical quantiles at 1/bins, 2/bins, … (the smallest value with at
// least that share of the sample at or below it; bins=10 gives deciles), with duplicates and
// the maximum dropped, so heavily tied samples get fewer bins and every bin holds at least
// one expected value. Bins are (−∞, c₁], (c₁, c₂], …, (cₖ, +∞). NaN values (missing) in
// either sample form their own bin, so a change in the missing rate counts as drift.
//
// Errors: ErrEmpty if either sample is empty; ErrBins if bins < 1.
func PSI(expected, actual []float64, bins int) (PSIResult, error) {
	if bins < 1 {
		return PSIResult{}, fmt.Errorf("%w: %d PSI bins", ErrBins, bins)
	}
	if len(expected) == 0 || len(actual) == 0 {
		return PSIResult{}, fmt.Errorf("%w: %d expected, %d actual values", ErrEmpty, len(expected), len(actual))
	}
	sorted := make([]float64, 0, len(expected))
	for _, v := range expected {
		if !math.IsNaN(v) {
			sorted = append(sorted, v)
		}
	}
	slices.Sort(sorted)
	var edges []float64
	if m := len(sorted); m > 0 {
		for k := 1; k < bins; k++ {
			i := (k*m+bins-1)/bins - 1 // ⌈k·m/bins⌉ − 1
			c := sorted[i]
			if c < sorted[m-1] && (len(edges) == 0 || c > edges[len(edges)-1]) {
				edges = append(edges, c)
			}
		}
	}
	nb := len(edges) + 1
	ec := make([]int, nb+1) // the last slot counts NaN
	ac := make([]int, nb+1)
	count := func(c []int, xs []float64) {
		for _, v := range xs {
			if math.IsNaN(v) {
				c[nb]++
			} else {
				c[numBin(v, edges)]++
			}
		}
	}
	count(ec, expected)
	count(ac, actual)
	labels := make([]string, nb+1)
	for k := range nb {
		labels[k] = numLabel(k, edges)
	}
	labels[nb] = "missing"
	if ec[nb] == 0 && ac[nb] == 0 {
		ec, ac, labels = ec[:nb], ac[:nb], labels[:nb]
	}
	r := psiFromCounts(labels, ec, ac, len(expected), len(actual))
	r.Edges = edges
	return r, nil
}

// numBin returns the index of the bin (c_{k}, c_{k+1}] holding v: the number of edges below v.
func numBin(v float64, edges []float64) int {
	k, _ := slices.BinarySearch(edges, v) // first edge ≥ v
	return k
}

func numLabel(k int, edges []float64) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	switch {
	case len(edges) == 0:
		return "all"
	case k == 0:
		return "<= " + f(edges[0])
	case k == len(edges):
		return "> " + f(edges[k-1])
	}
	return "(" + f(edges[k-1]) + ", " + f(edges[k]) + "]"
}

// CategoricalPSI is PSI for a categorical (string) feature: one bin per category seen in
// either sample, in lexical order. The empty string is a category like any other (the feature
// pipeline decides what missing looks like). Errors: ErrEmpty if either sample is empty.
func CategoricalPSI(expected, actual []string) (PSIResult, error) {
	if len(expected) == 0 || len(actual) == 0 {
		return PSIResult{}, fmt.Errorf("%w: %d expected, %d actual values", ErrEmpty, len(expected), len(actual))
	}
	counts := make(map[string][2]int)
	for _, v := range expected {
		c := counts[v]
		c[0]++
		counts[v] = c
	}
	for _, v := range actual {
		c := counts[v]
		c[1]++
		counts[v] = c
	}
	labels := make([]string, 0, len(counts))
	for k := range counts {
		labels = append(labels, k)
	}
	slices.Sort(labels)
	ec := make([]int, len(labels))
	ac := make([]int, len(labels))
	for i, l := range labels {
		ec[i], ac[i] = counts[l][0], counts[l][1]
	}
	return psiFromCounts(labels, ec, ac, len(expected), len(actual)), nil
}

func psiFromCounts(labels []string, ec, ac []int, ne, na int) PSIResult {
	r := PSIResult{Bins: make([]PSIBin, len(labels))}
	for k := range labels {
		e := float64(ec[k]) / float64(ne)
		a := float64(ac[k]) / float64(na)
		es, as := e, a
		if es == 0 {
			es = PSIFloor
		}
		if as == 0 {
			as = PSIFloor
		}
		c := (as - es) * math.Log(as/es)
		r.Bins[k] = PSIBin{Label: labels[k], ExpectedCount: ec[k], ActualCount: ac[k], Expected: e, Actual: a, Contribution: c}
		r.Value += c
	}
	return r
}
