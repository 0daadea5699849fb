package gbt

import (
	"errors"
	"fmt"
	"math"
)

// Objective names the loss a model was trained for and so the transform from margin to output.
type Objective string

// The supported objectives (XGBoost's names).
const (
	Logistic     Objective = "binary:logistic"  // output = sigmoid(margin)
	SquaredError Objective = "reg:squarederror" // output = margin
)

// Ensemble is a trained additive tree model: margin = BaseScore + Σ tree leaf values.
type Ensemble struct {
	Objective    Objective
	BaseScore    float64  // margin before the first tree (log-odds for Logistic)
	NumFeatures  int      // length of the input vector
	FeatureNames []string // len NumFeatures, may be nil
	Trees        []Tree
}

// ErrInvalid is wrapped by every validation error of New.
var ErrInvalid = errors.New("gbt: invalid ensemble")

// New validates the ensemble's structure (child indices, features in range, no cycles) and
// returns it ready to predict.
func New(e Ensemble) (*Ensemble, error) {
	switch e.Objective {
	case Logistic, SquaredError:
	default:
		return nil, fmt.Errorf("%w: unsupported objective %q", ErrInvalid, e.Objective)
	}
	if e.NumFeatures < 0 || (e.FeatureNames != nil && len(e.FeatureNames) != e.NumFeatures) {
		return nil, fmt.Errorf("%w: %d feature names for %d features", ErrInvalid, len(e.FeatureNames), e.NumFeatures)
	}
	if math.IsNaN(e.BaseScore) || math.IsInf(e.BaseScore, 0) {
		return nil, fmt.Errorf("%w: base score %v", ErrInvalid, e.BaseScore)
	}
	for i := range e.Trees {
		if err := validateTree(&e.Trees[i], e.NumFeatures); err != nil {
			return nil, fmt.Errorf("%w: tree %d: %v", ErrInvalid, i, err)
		}
	}
	out := e
	return &out, nil
}

func validateTree(t *Tree, nf int) error {
	n := len(t.Nodes)
	if n == 0 {
		return errors.New("no nodes")
	}
	seen := make([]bool, n)
	stack := []int32{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			return fmt.Errorf("node %d reached twice", i)
		}
		seen[i] = true
		nd := &t.Nodes[i]
		if math.IsNaN(nd.Value) || math.IsInf(nd.Value, 0) {
			return fmt.Errorf("node %d has value %v", i, nd.Value)
		}
		if nd.IsLeaf() {
			continue
		}
		if int(nd.Feature) >= nf {
			return fmt.Errorf("node %d splits on feature %d of %d", i, nd.Feature, nf)
		}
		if nd.Left <= 0 || nd.Right <= 0 || int(nd.Left) >= n || int(nd.Right) >= n || nd.Left == nd.Right {
			return fmt.Errorf("node %d has children %d, %d (of %d nodes)", i, nd.Left, nd.Right, n)
		}
		if !nd.Categorical && math.IsNaN(nd.Threshold) {
			return fmt.Errorf("node %d has a NaN threshold", i)
		}
		stack = append(stack, nd.Left, nd.Right)
	}
	return nil
}

// PredictMargin returns the raw margin for one row.
func (e *Ensemble) PredictMargin(x []float64) float64 {
	if len(x) < e.NumFeatures {
		panic(fmt.Sprintf("gbt: row has %d features, model needs %d", len(x), e.NumFeatures))
	}
	m := e.BaseScore
	for i := range e.Trees {
		m += e.Trees[i].Nodes[e.Trees[i].leaf(x)].Value
	}
	return m
}

// Predict returns the model's output for one row: a probability for Logistic.
func (e *Ensemble) Predict(x []float64) float64 { return e.Transform(e.PredictMargin(x)) }

// Transform maps a margin to the objective's output space.
func (e *Ensemble) Transform(margin float64) float64 {
	if e.Objective == Logistic {
		return 1 / (1 + math.Exp(-margin))
	}
	return margin
}

// leaf returns the index of the leaf row x reaches.
func (t *Tree) leaf(x []float64) int32 {
	i := int32(0)
	for {
		nd := &t.Nodes[i]
		if nd.Feature < 0 {
			return i
		}
		if goesLeft(nd, x[nd.Feature]) {
			i = nd.Left
		} else {
			i = nd.Right
		}
	}
}

func goesLeft(nd *Node, v float64) bool {
	if math.IsNaN(v) {
		return nd.DefaultLeft
	}
	if !nd.Categorical {
		return v < nd.Threshold
	}
	if v < 0 || v != math.Trunc(v) || v > math.MaxUint32 {
		return false
	}
	c := uint32(v)
	lo, hi := 0, len(nd.Categories)
	for lo < hi {
		mid := (lo + hi) / 2
		if nd.Categories[mid] < c {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo < len(nd.Categories) && nd.Categories[lo] == c
}
