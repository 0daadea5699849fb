package gbt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// This file holds the test helpers: the reference prediction walk over canonical trees, and
// generators of random but realistic ensembles and rows.

// refMargin is the reference prediction: a plain walk over the canonical Nodes of each tree,
// summed in tree order. The compiled predictor must match it bit for bit.
func refMargin(e *Ensemble, x []float64) float64 {
	m := e.BaseScore
	for i := range e.Trees {
		m += e.Trees[i].Nodes[refLeaf(&e.Trees[i], x)].Value
	}
	return m
}

// refLeaf returns the index of the leaf row x reaches in t.
func refLeaf(t *Tree, x []float64) int32 {
	i := int32(0)
	for {
		nd := &t.Nodes[i]
		if nd.Feature < 0 {
			return i
		}
		if refGoesLeft(nd, x[nd.Feature]) {
			i = nd.Left
		} else {
			i = nd.Right
		}
	}
}

// refGoesLeft is the split rule of Node's documentation, written as plainly as possible.
func refGoesLeft(nd *Node, v float64) bool {
	if math.IsNaN(v) {
		return nd.DefaultLeft
	}
	if !nd.Categorical {
		return v < nd.Threshold
	}
	if v < 0 || v != math.Trunc(v) || v > math.MaxUint32 {
		return false
	}
	_, found := slices.BinarySearch(nd.Categories, uint32(v))
	return found
}

// genConfig describes a random ensemble. Features [0, NumCat) are categorical with codes in
// [0, Codes); the rest are numeric, roughly standard normal.
type genConfig struct {
	Trees, Depth, Features int
	NumCat, Codes          int     // categorical features and their number of codes
	CodeScale              int     // if > 1, the codes are multiples of it (sparse sets)
	SplitProb              float64 // probability that a node above Depth splits (the root always does)
	Objective              Objective
}

// benchConfig is the benchmark model: 300 depth-6 trees over 40 features, 4 of them
// categorical, grown like trained trees (not complete: most nodes split, some stop early).
var benchConfig = genConfig{Trees: 300, Depth: 6, Features: 40, NumCat: 4, Codes: 12, SplitProb: 0.95, Objective: Logistic}

// genEnsemble returns a random ensemble. Trees are stored in breadth-first order (the order a
// depthwise trainer creates nodes in), so compiling must reorder them. Covers are consistent:
// a node's cover is the sum of its children's.
func genEnsemble(tb testing.TB, rng *rand.Rand, c genConfig) *Ensemble {
	tb.Helper()
	e := Ensemble{Objective: c.Objective, BaseScore: rng.NormFloat64(), NumFeatures: c.Features}
	if e.Objective == "" {
		e.Objective = Logistic
	}
	for range c.Trees {
		e.Trees = append(e.Trees, genTree(rng, c))
	}
	out, err := New(e)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func genTree(rng *rand.Rand, c genConfig) Tree {
	type item struct {
		idx   int32
		depth int
	}
	nodes := []Node{{Cover: 100 + 1000*rng.Float64()}}
	queue := []item{{0, 0}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		nd := &nodes[it.idx]
		if c.Features == 0 || it.depth >= c.Depth || (it.depth > 0 && rng.Float64() >= c.SplitProb) {
			*nd = Node{Feature: -1, Left: -1, Right: -1, Value: 0.2 * rng.NormFloat64(), Cover: nd.Cover}
			continue
		}
		f := rng.IntN(c.Features)
		nd.Feature = int32(f)
		nd.DefaultLeft = rng.IntN(2) == 0
		nd.Gain = 10 * rng.ExpFloat64()
		nd.Value = 0.2 * rng.NormFloat64()
		if f < c.NumCat {
			nd.Categorical = true
			for code := range c.Codes {
				if rng.IntN(3) == 0 {
					nd.Categories = append(nd.Categories, uint32(code*max(c.CodeScale, 1)))
				}
			}
		} else {
			nd.Threshold = 0.8 * rng.NormFloat64()
		}
		share := 0.1 + 0.8*rng.Float64()
		l, r := int32(len(nodes)), int32(len(nodes)+1)
		nd.Left, nd.Right = l, r
		cover := nd.Cover
		nodes = append(nodes, Node{Cover: cover * share}, Node{Cover: cover - cover*share})
		queue = append(queue, item{l, it.depth + 1}, item{r, it.depth + 1})
	}
	return Tree{Nodes: nodes}
}

// genRows returns n rows for a model made by genConfig c: numeric values standard normal with
// 5% missing, categorical codes uniform in [0, Codes] (Codes itself is in no set) with 5%
// missing, and now and then an odd code (negative, fractional, huge).
func genRows(rng *rand.Rand, c genConfig, n int) []float64 {
	x := make([]float64, n*c.Features)
	for i := range x {
		f := i % c.Features
		switch {
		case rng.IntN(20) == 0:
			x[i] = math.NaN()
		case f >= c.NumCat:
			x[i] = rng.NormFloat64()
		case rng.IntN(50) == 0:
			x[i] = []float64{-1, 2.5, 1e12, math.Inf(1), math.Inf(-1), -0.0, math.MaxUint32 + 1}[rng.IntN(7)]
		default:
			x[i] = float64(rng.IntN(c.Codes+1) * max(c.CodeScale, 1))
		}
	}
	return x
}
