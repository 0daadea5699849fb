package gbt

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Objective names the loss a model was trained for and so the transform from margin to output.
type Objective string

// The supported objectives (XGBoost's names).
const (
	Logistic     Objective = "binary:logistic"  // output = sigmoid(margin)
	SquaredError Objective = "reg:squarederror" // output = margin
)

// Ensemble is a trained additive tree model: margin = BaseScore + Σ tree leaf values.
//
// Build one with New (or decode one, see UnmarshalJSON): New validates it and compiles the
// trees into the layout the predictor walks. An Ensemble returned by New is read-only: its
// methods are safe for concurrent use, and changing its fields would leave the compiled form
// stale. The methods that predict or explain panic on an Ensemble not built by New.
type Ensemble struct {
	Objective    Objective
	BaseScore    float64  // margin before the first tree (log-odds for Logistic)
	NumFeatures  int      // length of the input vector
	FeatureNames []string // len NumFeatures, may be nil
	Trees        []Tree

	flat *flat // compiled by New
}

// ErrInvalid is wrapped by every validation error of New.
var ErrInvalid = errors.New("gbt: invalid ensemble")

// New validates the ensemble and returns a copy of it (sharing no memory with e), compiled
// and ready to predict. It rejects, with an error wrapping ErrInvalid that names the tree and
// node: an unknown objective; NumFeatures negative or above 2²⁰; feature names that do not
// match NumFeatures; a non-finite base score; an empty tree; a child index out of range,
// pointing at the root, or reached twice (cycles and shared subtrees); a split feature out of
// range or a leaf feature other than -1; a leaf with children or categories; a non-finite
// value, gain, cover or numeric threshold; a negative cover; category lists that are not
// strictly increasing, or on a numeric split; a tree deeper than 512. Nodes that no path from
// a root reaches are ignored (not validated, counted or compiled).
func New(e Ensemble) (*Ensemble, error) {
	out := e.clone()
	f, err := compile(out)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out.flat = f
	return out, nil
}

// PredictMargin returns the raw margin for one row x (x[:NumFeatures] is read): BaseScore
// plus the leaf value of each tree, added in tree order, so the result is the same, bit for
// bit, whatever the path (single row, batch, any number of goroutines). It does not allocate
// once warm. It panics if len(x) < NumFeatures.
func (e *Ensemble) PredictMargin(x []float64) float64 {
	return e.compiled(x).margin(x, e.BaseScore)
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

// mustCompiled returns the compiled form, checking that e was built by New.
func (e *Ensemble) mustCompiled() *flat {
	if e.flat == nil {
		panic("gbt: Ensemble not built by New")
	}
	return e.flat
}

// compiled returns the compiled form, checking that e was built by New and x is long enough.
func (e *Ensemble) compiled(x []float64) *flat {
	e.mustCompiled()
	if len(x) < e.NumFeatures {
		panic(fmt.Sprintf("gbt: row has %d features, model needs %d", len(x), e.NumFeatures))
	}
	return e.flat
}

// clone returns a deep copy of e's exported fields.
func (e *Ensemble) clone() *Ensemble {
	out := &Ensemble{
		Objective:    e.Objective,
		BaseScore:    e.BaseScore,
		NumFeatures:  e.NumFeatures,
		FeatureNames: slices.Clone(e.FeatureNames),
		Trees:        make([]Tree, len(e.Trees)),
	}
	for i, t := range e.Trees {
		nodes := slices.Clone(t.Nodes)
		for j := range nodes {
			nodes[j].Categories = slices.Clone(nodes[j].Categories)
		}
		out.Trees[i] = Tree{Nodes: nodes}
	}
	return out
}

// NumTrees returns the number of trees.
func (e *Ensemble) NumTrees() int { return len(e.Trees) }

// NumNodes returns the number of nodes, leaves included, reachable from the trees' roots.
func (e *Ensemble) NumNodes() int { return e.mustCompiled().numNodes }

// MaxDepth returns the depth of the deepest tree: the number of splits on its longest path
// from the root to a leaf (0 if every tree is a single leaf).
func (e *Ensemble) MaxDepth() int { return e.mustCompiled().maxDepth }

// ExpectedValue returns BaseScore plus each tree's cover-weighted mean leaf value: the
// prediction TreeSHAP attributes from (see Explainer.SHAP).
func (e *Ensemble) ExpectedValue() float64 { return e.mustCompiled().expected }

// Truncate returns the ensemble of the first n trees, e.g. those up to the best iteration of
// early stopping. It panics unless 0 <= n <= NumTrees.
func (e *Ensemble) Truncate(n int) *Ensemble {
	e.mustCompiled()
	if n < 0 || n > len(e.Trees) {
		panic(fmt.Sprintf("gbt: truncate %d trees to %d", len(e.Trees), n))
	}
	t := *e
	t.Trees = e.Trees[:n]
	out, err := New(t)
	if err != nil {
		panic(fmt.Sprintf("gbt: ensemble modified after New: %v", err))
	}
	return out
}

// SHAP is Explainer.SHAP with an Explainer from a pool the ensemble keeps: it is safe for
// concurrent use and, once the pool is warm, does not allocate.
func (e *Ensemble) SHAP(x, phi []float64) (expected float64) {
	f := e.mustCompiled()
	ex, _ := f.explainers.Get().(*Explainer)
	if ex == nil {
		ex = e.NewExplainer()
	}
	expected = ex.SHAP(x, phi)
	f.explainers.Put(ex)
	return expected
}
