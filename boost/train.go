package boost

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"riskflow/eval"
	"riskflow/gbt"
)

// ErrData is wrapped by every error about a Dataset.
var ErrData = errors.New("boost: invalid dataset")

// check validates a dataset's shape, labels and weights for objective obj.
func (ds *Dataset) check(name string, obj gbt.Objective) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: "+format, append([]any{ErrData, name}, a...)...)
	}
	nf := len(ds.Features)
	switch {
	case ds.Rows < 1:
		return bad("%d rows", ds.Rows)
	case nf < 1:
		return bad("no features")
	case len(ds.X) != ds.Rows*nf:
		return bad("len(X) = %d, want rows × features = %d × %d", len(ds.X), ds.Rows, nf)
	case len(ds.Y) != ds.Rows:
		return bad("len(Y) = %d, want %d rows", len(ds.Y), ds.Rows)
	case ds.Weight != nil && len(ds.Weight) != ds.Rows:
		return bad("len(Weight) = %d, want %d rows", len(ds.Weight), ds.Rows)
	}
	for f, ft := range ds.Features {
		if ft.Monotone < -1 || ft.Monotone > 1 {
			return bad("feature %d (%s): monotone %d not in -1, 0, 1", f, ft.Name, ft.Monotone)
		}
		if ft.Monotone != 0 && ft.Categorical {
			return bad("feature %d (%s): a categorical feature cannot be monotone", f, ft.Name)
		}
	}
	for i, y := range ds.Y {
		if obj == gbt.Logistic && y != 0 && y != 1 {
			return bad("label %d is %v, want 0 or 1", i, y)
		}
		if math.IsNaN(y) || math.IsInf(y, 0) {
			return bad("label %d is %v", i, y)
		}
	}
	for i, w := range ds.Weight {
		if !(w >= 0) || math.IsInf(w, 0) {
			return bad("weight %d is %v", i, w)
		}
	}
	return nil
}

// Train fits a gradient-boosted tree ensemble to train. valid, if not nil, is scored after
// every tree with Params' metric (History), and drives early stopping. Train checks ctx
// between trees and returns its error, wrapped, when it is done.
//
// Train is deterministic: the same datasets and Params (Seed included) give the same model,
// node for node and bit for bit, whatever Params.Threads is.
func Train(ctx context.Context, train, valid *Dataset, p Params, opt Options) (*Result, error) {
	start := time.Now()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if train == nil {
		return nil, fmt.Errorf("%w: no training set", ErrData)
	}
	if err := train.check("train", p.Objective); err != nil {
		return nil, err
	}
	if valid != nil {
		if err := valid.check("valid", p.Objective); err != nil {
			return nil, err
		}
		if len(valid.Features) != len(train.Features) {
			return nil, fmt.Errorf("%w: valid has %d features, train %d", ErrData, len(valid.Features), len(train.Features))
		}
		for f := range train.Features {
			if valid.Features[f].Categorical != train.Features[f].Categorical {
				return nil, fmt.Errorf("%w: feature %d (%s) categorical in one set only", ErrData, f, train.Features[f].Name)
			}
		}
	}
	if p.EarlyStopping > 0 && valid == nil {
		return nil, fmt.Errorf("%w: early stopping needs a validation set", ErrParams)
	}
	threads := p.threads()
	nf := len(train.Features)

	bn := newBinner(train, p.MaxBin, threads)
	bins, cols, err := bn.binMatrix(train, threads, true)
	if err != nil {
		return nil, err
	}
	var vbins []uint8
	if valid != nil {
		if vbins, _, err = bn.binMatrix(valid, threads, false); err != nil {
			return nil, err
		}
	}

	ev := &evaluator{lambda: p.Lambda, alpha: p.Alpha, minChild: p.MinChildWeight, maxDelta: p.MaxDeltaStep,
		catSmooth: p.CatSmooth, monotone: make([]int8, nf)}
	names := make([]string, nf)
	for f, ft := range train.Features {
		ev.monotone[f] = ft.Monotone
		ev.constrained = ev.constrained || ft.Monotone != 0
		names[f] = ft.Name
	}
	obj := &objective{kind: p.Objective, y: train.Y, w: train.Weight, posW: p.ScalePosWeight}
	base := obj.baseScore()
	margins := make([]float64, train.Rows)
	for i := range margins {
		margins[i] = base
	}
	var vm *validator
	if valid != nil {
		vm = newValidator(valid, vbins, nf, base, p.metric())
	}

	g := newGrower(p, ev, bn, bins, cols, train.Rows)
	var inSample []bool
	if p.Subsample < 1 {
		inSample = make([]bool, train.Rows)
	}
	res := &Result{BestIteration: -1, BestScore: math.NaN()}
	trees := make([]gbt.Tree, 0, p.Trees)
	for t := 0; t < p.Trees; t++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("boost: training stopped after %d trees: %w", t, err)
		}
		obj.gradients(margins, &g.gr, threads)
		g.sc = g.gr.sc
		g.nrows = sampleRows(g.rows, inSample, p.Subsample, p.Seed, t)
		g.allowed = sampleFeatures(g.allowed, nf, p.ColsampleByTree, p.Seed, t)
		nodes := g.grow()
		g.updateMargins(margins, nodes, inSample, p.LearningRate)
		trees = append(trees, g.toTree(nodes, p.LearningRate))

		metric := math.NaN()
		if vm != nil {
			metric = vm.add(nodes, p.LearningRate, threads)
			res.History = append(res.History, metric)
			if res.BestIteration < 0 || vm.better(metric, res.BestScore) {
				res.BestIteration, res.BestScore = t, metric
			}
		}
		if opt.Progress != nil {
			best := res.BestIteration
			if vm == nil {
				best = t
			}
			opt.Progress(Progress{Tree: t + 1, Trees: p.Trees, Metric: metric, Best: best, Elapsed: time.Since(start)})
		}
		if p.EarlyStopping > 0 && t-res.BestIteration >= p.EarlyStopping {
			break
		}
	}
	if vm == nil {
		res.BestIteration = len(trees) - 1
	}
	if p.EarlyStopping > 0 {
		trees = trees[:res.BestIteration+1]
	}
	model, err := gbt.New(gbt.Ensemble{Objective: p.Objective, BaseScore: base, NumFeatures: nf,
		FeatureNames: names, Trees: trees})
	if err != nil {
		return nil, fmt.Errorf("boost: %w", err)
	}
	res.Model = model
	res.trainMargins = margins
	res.TrainTime = time.Since(start)
	return res, nil
}

// sampleRows writes this tree's rows to rows and returns their count: every row, or with
// subsample < 1 each row with probability subsample, decided by a hash of (seed, tree, row)
// so that the draw is independent of threads. inSample records the draw.
func sampleRows(rows []uint32, inSample []bool, subsample float64, seed uint64, tree int) int {
	if inSample == nil {
		for i := range rows {
			rows[i] = uint32(i)
		}
		return len(rows)
	}
	k := splitmix(seed ^ splitmix(uint64(tree)+0x5851f42d4c957f2d))
	limit := uint64(subsample * (1 << 53))
	n := 0
	for i := range inSample {
		in := splitmix(k+uint64(i))>>11 < limit
		inSample[i] = in
		if in {
			rows[n] = uint32(i)
			n++
		}
	}
	return n
}

// sampleFeatures returns the features tree may split on, ascending: all of them, or
// max(1, ⌊colsample·nf⌋) drawn without replacement from a generator seeded by (seed, tree).
func sampleFeatures(dst []int, nf int, colsample float64, seed uint64, tree int) []int {
	dst = dst[:0]
	for f := range nf {
		dst = append(dst, f)
	}
	if colsample >= 1 {
		return dst
	}
	k := max(1, int(colsample*float64(nf)))
	r := rand.New(rand.NewPCG(seed, uint64(tree)))
	r.Shuffle(len(dst), func(i, j int) { dst[i], dst[j] = dst[j], dst[i] })
	dst = dst[:k]
	for i := 1; i < len(dst); i++ { // insertion sort: k is small
		for j := i; j > 0 && dst[j] < dst[j-1]; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst
}

// updateMargins adds the tree's leaf values (times eta) to the training margins: through the
// row partition for this tree's rows, by walking the binned tree for rows left out by
// subsampling.
func (g *grower) updateMargins(margins []float64, nodes []bnode, inSample []bool, eta float64) {
	type piece struct {
		begin, end int
		v          float64
	}
	var pieces []piece
	for i := range nodes {
		n := &nodes[i]
		if n.left >= 0 {
			continue
		}
		v := n.weight * eta
		for lo := n.begin; lo < n.end; lo += gradChunk {
			pieces = append(pieces, piece{lo, min(lo+gradChunk, n.end), v})
		}
	}
	forEach(g.threads, len(pieces), func(_, k int) {
		pc := pieces[k]
		for _, r := range g.rows[pc.begin:pc.end] {
			margins[r] += pc.v
		}
	})
	if inSample == nil {
		return
	}
	nf := g.nf
	forEach(g.threads, chunks(len(margins), gradChunk), func(_, c int) {
		for r := c * gradChunk; r < min((c+1)*gradChunk, len(margins)); r++ {
			if !inSample[r] {
				margins[r] += nodes[leafOf(nodes, g.bins[r*nf:r*nf+nf])].weight * eta
			}
		}
	})
}

// validator keeps the validation margins up to date and scores them.
type validator struct {
	ds      *Dataset
	bins    []uint8
	nf      int
	margins []float64
	probs   []float64
	metric  string
}

func newValidator(ds *Dataset, bins []uint8, nf int, base float64, metric string) *validator {
	v := &validator{ds: ds, bins: bins, nf: nf, margins: make([]float64, ds.Rows), metric: metric}
	for i := range v.margins {
		v.margins[i] = base
	}
	if metric == "logloss" {
		v.probs = make([]float64, ds.Rows)
	}
	return v
}

// add adds a tree to the validation margins and returns the metric.
func (v *validator) add(nodes []bnode, eta float64, threads int) float64 {
	nf := v.nf
	forEach(threads, chunks(v.ds.Rows, gradChunk), func(_, c int) {
		for r := c * gradChunk; r < min((c+1)*gradChunk, v.ds.Rows); r++ {
			v.margins[r] += nodes[leafOf(nodes, v.bins[r*nf:r*nf+nf])].weight * eta
		}
	})
	y, w := v.ds.Y, v.ds.Weight
	switch v.metric {
	case "auc":
		// The margin orders rows as the probability does, without sigmoid's saturation.
		if w != nil {
			return eval.WeightedAUC(y, v.margins, w)
		}
		return eval.AUC(y, v.margins)
	case "logloss":
		for i, m := range v.margins {
			v.probs[i] = 1 / (1 + math.Exp(-m))
		}
		if w != nil {
			return eval.WeightedLogLoss(y, v.probs, w)
		}
		return eval.LogLoss(y, v.probs)
	default: // rmse
		var s, sw float64
		for i, m := range v.margins {
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			d := m - y[i]
			s += wi * d * d
			sw += wi
		}
		return math.Sqrt(s / sw)
	}
}

// better reports whether metric a improves on b (strictly, as XGBoost's early stopping).
func (v *validator) better(a, b float64) bool {
	if math.IsNaN(b) {
		return !math.IsNaN(a)
	}
	if v.metric == "auc" {
		return a > b
	}
	return a < b
}
