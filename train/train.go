// Package train turns a feature spec and training rows into a bundle: it fits the feature
// transformer, trains the estimator (gradient-boosted trees through boost, or logistic
// regression through linear), fits an optional calibrator on validation rows, computes the
// validation metrics and assembles the bundle with its metadata.
//
// It is the one training path: `riskflow train` and the pipeline's train stage both call Run,
// so a model trained from the command line and one trained by a pipeline are made by the same
// code. It sits below bundle in DESIGN.md's table (it imports bundle, boost, linear, calibrate
// and eval) and above pipeline; serve never imports it.
package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"riskflow/boost"
	"riskflow/bundle"
	"riskflow/calibrate"
	"riskflow/eval"
	"riskflow/feature"
	"riskflow/frame"
	"riskflow/gbt"
	"riskflow/internal/version"
	"riskflow/linear"
)

// Model types.
const (
	GBDT     = bundle.TypeGBDT
	Logistic = bundle.TypeLogistic
)

// Config says what to train. The zero values of the optional fields mean: no validation rows
// (unless Holdout > 0), trees, no calibration.
type Config struct {
	// Spec is the feature spec, with its Label set. Required.
	Spec *feature.Spec
	// Train holds the training rows (features and label). Required.
	Train *frame.Frame
	// TrainInfo describes the training data (path, SHA-256); Run fills in the row counts.
	TrainInfo bundle.DataInfo
	// Valid holds validation rows; when nil and Holdout > 0, a seeded Holdout share of Train
	// is held out instead.
	Valid     *frame.Frame
	ValidInfo bundle.DataInfo
	Holdout   float64
	// Model is GBDT (default) or Logistic.
	Model string
	// Params are the tree parameters (boost.DefaultParams when zero). Params.Seed also seeds
	// the holdout split and the target-encoding folds.
	Params boost.Params
	// L2 is logistic regression's penalty λ (default 1).
	L2 float64
	// Calibrate fits a calibrator on the validation rows.
	Calibrate calibrate.Method
	// Name goes into the bundle's metadata.
	Name string
	// Progress, if set, is called after every tree.
	Progress func(boost.Progress)
}

// Run trains a bundle as cfg says.
func Run(ctx context.Context, cfg Config) (*bundle.Bundle, error) {
	if cfg.Spec == nil || cfg.Train == nil {
		return nil, errors.New("train: a feature spec and training rows are required")
	}
	if cfg.Spec.Label == "" {
		return nil, errors.New("train: the feature spec names no label")
	}
	if cfg.Model == "" {
		cfg.Model = GBDT
	}
	if cfg.Model != GBDT && cfg.Model != Logistic {
		return nil, fmt.Errorf("train: model %q: want %s or %s", cfg.Model, GBDT, Logistic)
	}
	if cfg.Params == (boost.Params{}) {
		cfg.Params = boost.DefaultParams()
	}
	if cfg.L2 == 0 {
		cfg.L2 = 1
	}
	if cfg.Calibrate == "" {
		cfg.Calibrate = calibrate.None
	}
	if cfg.Model == GBDT {
		if err := cfg.Params.Validate(); err != nil {
			return nil, err
		}
	}
	if cfg.Holdout < 0 || cfg.Holdout >= 1 {
		return nil, fmt.Errorf("train: holdout %v: want a share in [0, 1)", cfg.Holdout)
	}
	if _, ok := cfg.Train.Column(cfg.Spec.Label); !ok {
		return nil, fmt.Errorf("train: no label column %q in the training data", cfg.Spec.Label)
	}

	trainRows, valid := cfg.Train, cfg.Valid
	var validInfo *bundle.DataInfo
	if valid != nil {
		vi := cfg.ValidInfo
		validInfo = &vi
	} else if cfg.Holdout > 0 {
		trainRows, valid = HoldoutSplit(cfg.Train, cfg.Holdout, cfg.Params.Seed)
		vi := bundle.DataInfo{Path: fmt.Sprintf("%s (seeded %.0f%% holdout)", cfg.TrainInfo.Path, cfg.Holdout*100)}
		validInfo = &vi
	}
	if cfg.Calibrate != calibrate.None && valid == nil {
		return nil, fmt.Errorf("train: calibration (%s) needs validation rows", cfg.Calibrate)
	}
	if cfg.Params.EarlyStopping > 0 && valid == nil && cfg.Model == GBDT {
		return nil, errors.New("train: early stopping needs validation rows")
	}

	t, xTrain, err := feature.FitTransform(cfg.Spec, trainRows, feature.FitOptions{Seed: cfg.Params.Seed})
	if err != nil {
		return nil, err
	}
	yTrain, err := Labels(t, trainRows)
	if err != nil {
		return nil, fmt.Errorf("training data: %w", err)
	}
	var xValid *feature.Matrix
	var yValid []float64
	if valid != nil {
		if xValid, err = t.Transform(valid); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
		if yValid, err = Labels(t, valid); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
	}

	meta := bundle.Metadata{
		Name:      cfg.Name,
		ModelType: cfg.Model,
		CreatedAt: time.Now().UTC().Truncate(time.Second),
		Riskflow:  version.Get(),
		Label:     cfg.Spec.Label,
		Positive:  cfg.Spec.Positive,
	}
	var g *gbt.Ensemble
	var lin *linear.Model
	start := time.Now()
	switch cfg.Model {
	case GBDT:
		res, err := trees(ctx, cfg, t, xTrain, yTrain, xValid, yValid)
		if err != nil {
			return nil, err
		}
		g = res.Model
		meta.BestIteration = res.BestIteration
		meta.Params, _ = json.Marshal(cfg.Params)
	case Logistic:
		lp := linear.Params{L2: cfg.L2, Standardize: true, FeatureNames: t.Names()}
		if lin, err = linear.Train(ctx, xTrain.Data, xTrain.Rows, xTrain.Cols, yTrain, lp); err != nil {
			return nil, err
		}
		meta.Params, _ = json.Marshal(lp)
	}
	meta.TrainSeconds = time.Since(start).Seconds()

	b, err := bundle.New(meta, t, g, lin, nil)
	if err != nil {
		return nil, err
	}
	var cal *calibrate.Calibrator
	if valid != nil {
		p := make([]float64, valid.Len())
		if err := b.ScoreFrame(ctx, valid, p); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
		if cfg.Calibrate != calibrate.None {
			if cal, err = calibrate.Fit(cfg.Calibrate, p, yValid); err != nil {
				return nil, err
			}
			cal.ApplyBatch(p, p)
		}
		m, err := eval.Compute(yValid, p)
		if err != nil {
			return nil, fmt.Errorf("validation metrics: %w", err)
		}
		meta.Metrics = map[string]float64{"auc": m.AUC, "logloss": m.LogLoss, "brier": m.Brier, "ks": m.KS, "average_precision": m.AveragePrecision}
		validInfo.Rows, validInfo.Positives, validInfo.DefaultRate = m.Rows, m.Positives, m.PositiveRate
		meta.Validation = validInfo
	}
	meta.Training = cfg.TrainInfo
	meta.Training.Rows = trainRows.Len()
	meta.Training.Positives = 0
	for _, v := range yTrain {
		if v == 1 {
			meta.Training.Positives++
		}
	}
	meta.Training.DefaultRate = float64(meta.Training.Positives) / float64(max(trainRows.Len(), 1))
	return bundle.New(meta, t, g, lin, cal)
}

func trees(ctx context.Context, cfg Config, t *feature.Transformer, x *feature.Matrix, y []float64, xv *feature.Matrix, yv []float64) (*boost.Result, error) {
	feats := make([]boost.Feature, x.Cols)
	for j, o := range t.Outputs() {
		feats[j] = boost.Feature{Name: o.Name, Categorical: o.Categorical, Monotone: int8(o.Monotone)}
	}
	tr := &boost.Dataset{X: x.Data, Rows: x.Rows, Features: feats, Y: y}
	var va *boost.Dataset
	if xv != nil {
		va = &boost.Dataset{X: xv.Data, Rows: xv.Rows, Features: feats, Y: yv}
	}
	return boost.Train(ctx, tr, va, cfg.Params, boost.Options{Progress: cfg.Progress})
}

// Labels returns f's label column as 0/1 through t's label rules, and fails on a missing or
// non-binary label, naming the row.
func Labels(t *feature.Transformer, f *frame.Frame) ([]float64, error) {
	y, err := t.Label(f)
	if err != nil {
		return nil, err
	}
	label := t.Spec().Label
	for i, v := range y {
		if v != 0 && v != 1 {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("label %s is missing in row %d", label, i+1)
			}
			return nil, fmt.Errorf("label %s is %v in row %d: want 0/1, true/false, or a positive value naming default", label, v, i+1)
		}
	}
	return y, nil
}

// HoldoutSplit splits f into a training and a validation frame, with a seeded random share of
// the rows held out.
func HoldoutSplit(f *frame.Frame, share float64, seed uint64) (*frame.Frame, *frame.Frame) {
	rng := rand.New(rand.NewPCG(seed, 0x686f6c646f7574))
	var tr, va []int
	for i := 0; i < f.Len(); i++ {
		if rng.Float64() < share {
			va = append(va, i)
		} else {
			tr = append(tr, i)
		}
	}
	return f.Take(tr), f.Take(va)
}

// AdaptSpecForLinear makes an inferred spec usable by logistic regression: numeric and boolean
// missing values imputed (booleans by their training share of true), categoricals one-hot
// encoded.
func AdaptSpecForLinear(s *feature.Spec) {
	for i := range s.Features {
		d := &s.Features[i]
		switch d.Type {
		case feature.Numeric:
			d.Missing = "median"
		case feature.Boolean:
			d.Missing = "mean"
		case feature.Categorical:
			d.Encoding = feature.OneHot
		}
	}
}
