package bundle

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"riskflow/feature"
	"riskflow/frame"
	"riskflow/gbt"
	"riskflow/linear"
	"riskflow/nn"
)

// estimator is what a bundle needs of a model: margins one row or many at a time, the map from
// margin to probability, and additive contributions (SHAP) for reason codes (newExplainer
// returns nil for a model that gives none).
type estimator interface {
	numFeatures() int
	margin(x []float64) float64
	marginBatch(x, dst []float64)
	output(margin float64) float64
	newExplainer() explainer
}

// nnEstimator scores with a network. Its "margin" is the graph's output as it is (a probability
// or a logit, per the graph's OutputKind), so a probability output reaches the calibrator
// unchanged. It has no explainer: Explain on a network bundle gives no reason codes.
type nnEstimator struct{ g *nn.Graph }

func (n nnEstimator) numFeatures() int             { return n.g.NumFeatures }
func (n nnEstimator) margin(x []float64) float64   { return n.g.Eval(x) }
func (n nnEstimator) marginBatch(x, dst []float64) { n.g.EvalBatch(x, dst) }
func (n nnEstimator) output(m float64) float64 {
	if n.g.OutputKind == nn.Logit {
		return nn.Sigmoid(m)
	}
	return m
}
func (n nnEstimator) newExplainer() explainer { return nil }

// explainer computes per-feature contributions phi (len numFeatures) of one row and returns
// the expected margin: Σphi + expected = margin. It holds scratch space; one per goroutine.
type explainer interface {
	explain(x, phi []float64) float64
}

type treeEstimator struct{ e *gbt.Ensemble }

func (t treeEstimator) numFeatures() int             { return t.e.NumFeatures }
func (t treeEstimator) margin(x []float64) float64   { return t.e.PredictMargin(x) }
func (t treeEstimator) marginBatch(x, dst []float64) { t.e.PredictMarginBatch(x, dst) }
func (t treeEstimator) output(m float64) float64     { return t.e.Transform(m) }
func (t treeEstimator) newExplainer() explainer      { return treeExplainer{t.e.NewExplainer()} }

type treeExplainer struct{ x *gbt.Explainer }

func (t treeExplainer) explain(x, phi []float64) float64 { return t.x.SHAP(x, phi) }

type linearEstimator struct{ m *linear.Model }

func (l linearEstimator) numFeatures() int           { return len(l.m.Weights) }
func (l linearEstimator) margin(x []float64) float64 { return l.m.PredictMargin(x) }
func (l linearEstimator) marginBatch(x, dst []float64) {
	n := len(l.m.Weights)
	for i := range dst {
		dst[i] = l.m.PredictMargin(x[i*n : (i+1)*n])
	}
}
func (l linearEstimator) output(m float64) float64 { return 1 / (1 + math.Exp(-m)) }
func (l linearEstimator) newExplainer() explainer  { return l }
func (l linearEstimator) explain(x, phi []float64) float64 {
	return l.m.Contributions(x, phi)
}

// scratch is the per-call working memory of Score and Explain.
type scratch struct {
	x      []float64
	phi    []float64
	group  []float64
	order  []int
	expl   explainer
	record *feature.Record
}

type scratchPool struct{ p sync.Pool }

func (s *scratchPool) init(b *Bundle) {
	s.p.New = func() any {
		n := b.est.numFeatures()
		return &scratch{x: make([]float64, 0, n)}
	}
}

func (s *scratchPool) get() *scratch  { return s.p.Get().(*scratch) }
func (s *scratchPool) put(x *scratch) { s.p.Put(x) }

// NewRecord returns an empty record for this bundle's inputs.
func (b *Bundle) NewRecord() *feature.Record { return b.Transformer.NewRecord() }

// Score returns the default probability of one record: transformer, model, calibrator.
func (b *Bundle) Score(rec *feature.Record) (float64, error) {
	s := b.scratch.get()
	defer b.scratch.put(s)
	x, err := b.Transformer.Vector(s.x[:0], rec)
	if err != nil {
		return math.NaN(), err
	}
	return b.finish(b.est.margin(x)), nil
}

// finish maps a margin to the bundle's output probability.
func (b *Bundle) finish(margin float64) float64 {
	p := b.est.output(margin)
	if b.Calibrator != nil {
		p = b.Calibrator.Apply(p)
	}
	return p
}

// Reason is one reason code: a raw input field and its contribution to the score, in log-odds
// (positive: it raised the default risk).
type Reason struct {
	Feature      string  `json:"feature"`
	Contribution float64 `json:"contribution"`
}

// Explain scores rec and returns its top k reason codes: the raw input fields whose
// contributions (exact TreeSHAP for trees; w·(x−mean) for logistic regression, both in
// log-odds and summed over all model columns a field feeds, e.g. one-hot columns) raised the
// default risk the most, in descending order. A network bundle (NewNN) returns no reasons. Fields that lowered the risk are listed only when
// fewer than k fields raised it. dst is reused if it has capacity.
func (b *Bundle) Explain(rec *feature.Record, k int, dst []Reason) (float64, []Reason, error) {
	s := b.scratch.get()
	defer b.scratch.put(s)
	x, err := b.Transformer.Vector(s.x[:0], rec)
	if err != nil {
		return math.NaN(), dst[:0], err
	}
	p := b.finish(b.est.margin(x))
	return p, b.reasons(s, x, k, dst[:0]), nil
}

// reasons computes reason codes for a feature vector x.
func (b *Bundle) reasons(s *scratch, x []float64, k int, dst []Reason) []Reason {
	if k <= 0 || !b.explains {
		return dst
	}
	if s.expl == nil {
		s.expl = b.est.newExplainer()
		s.phi = make([]float64, len(x))
		s.group = make([]float64, len(b.fields))
		s.order = make([]int, len(b.fields))
	}
	s.expl.explain(x, s.phi)
	clear(s.group)
	for j, v := range s.phi {
		s.group[b.groups[j]] += v
	}
	// Partial insertion sort of the top k fields by contribution (k is small); ties keep field
	// order. No allocation, unlike sort.SliceStable's closure.
	g := s.group
	top := s.order[:0]
	for i, v := range g {
		if len(top) == k && v <= g[top[k-1]] {
			continue
		}
		if len(top) < k {
			top = append(top, i)
		}
		j := len(top) - 1
		for j > 0 && g[top[j-1]] < v {
			top[j] = top[j-1]
			j--
		}
		top[j] = i
	}
	for _, i := range top {
		dst = append(dst, Reason{Feature: b.fields[i], Contribution: g[i]})
	}
	return dst
}

// ScoreFrame scores every row of f into dst (len f.Len()) with the same code as Score, in
// parallel. A row the transformer rejects (for example a missing value where the spec says
// missing: error) fails the call with an error naming the row.
func (b *Bundle) ScoreFrame(ctx context.Context, f *frame.Frame, dst []float64) error {
	if len(dst) != f.Len() {
		return fmt.Errorf("bundle: ScoreFrame: dst has %d slots for %d rows", len(dst), f.Len())
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := b.Transformer.Transform(f)
	if err != nil {
		return err
	}
	b.est.marginBatch(m.Data, dst)
	for i, v := range dst {
		dst[i] = b.finish(v)
	}
	return nil
}

// ExplainFrame scores every row of f into p and writes k reason codes per row into reasons
// (len f.Len()*k; rows with fewer reasons are padded with empty Reasons).
func (b *Bundle) ExplainFrame(ctx context.Context, f *frame.Frame, k int, p []float64, reasons []Reason) error {
	if len(p) != f.Len() || len(reasons) != f.Len()*k {
		return fmt.Errorf("bundle: ExplainFrame: %d probabilities and %d reasons for %d rows and k=%d", len(p), len(reasons), f.Len(), k)
	}
	m, err := b.Transformer.Transform(f)
	if err != nil {
		return err
	}
	b.est.marginBatch(m.Data, p)
	for i, v := range p {
		p[i] = b.finish(v)
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	rows := f.Len()
	per := (rows + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, rows)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := b.scratch.get()
			defer b.scratch.put(s)
			var buf []Reason
			for i := lo; i < hi; i++ {
				if i%1024 == 0 && ctx.Err() != nil {
					return
				}
				buf = b.reasons(s, m.Row(i), k, buf[:0])
				n := copy(reasons[i*k:(i+1)*k], buf)
				clear(reasons[i*k+n : (i+1)*k])
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
