package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"riskflow/boost"
	"riskflow/bundle"
	"riskflow/calibrate"
	"riskflow/feature"
	"riskflow/frame"
	"riskflow/frameio"
	"riskflow/internal/atomicfile"
	"riskflow/internal/progress"
	"riskflow/train"
)

// trainFlags are the flags of `riskflow train`.
type trainFlags struct {
	data, label, featuresPath, valid, out string
	model, calibrate, positive, id        string
	exclude                               string
	holdout                               float64
	params                                boost.Params
	l2                                    float64
	quiet                                 bool
}

func (a *app) trainCmd() *cobra.Command {
	tf := trainFlags{params: boost.DefaultParams()}
	tf.params.Trees = 300
	tf.params.LearningRate = 0.1
	cmd := &cobra.Command{
		Use:   "train --data FILE --label COL --out model.bundle",
		Short: "Train a model (gradient-boosted trees or logistic regression) into a bundle",
		Long: `Train a model and write a bundle: the fitted feature transformer, the model, an optional
probability calibrator and metadata, in one checksummed file that 'riskflow predict' and
'riskflow serve' score with the same code.

Without --features the feature spec is inferred from the data and saved beside the bundle
(model.features.yaml). Without --valid a seeded --holdout share of the rows (default 10%) is
held out for validation metrics, early stopping and calibration.

The label may be numeric 0/1, boolean, or any column with --positive naming the value that
means default (for example --positive bad). Tree parameters follow XGBoost's names and
meanings.`,
		Example: `  riskflow train --data train.csv --label default --out model.bundle
  riskflow train --data train.parquet --label default --features features.yaml --valid valid.parquet \
      --trees 500 --early-stopping 30 --calibrate isotonic --out model.bundle
  riskflow train --data credit.csv --label Status --positive bad --model logistic --out credit.bundle`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.train(cmd.Context(), tf)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&tf.data, "data", "", "training data: .csv, .parquet or .jsonl (required)")
	fl.StringVar(&tf.label, "label", "", "label column (required)")
	fl.StringVar(&tf.positive, "positive", "", "label value that means default, when the label is not 0/1 or true/false")
	fl.StringVar(&tf.id, "id", "", "identifier column passed through by predict (default: inferred spec has none)")
	fl.StringVar(&tf.exclude, "exclude", "", "with an inferred spec: comma-separated columns that must not become features")
	fl.StringVar(&tf.featuresPath, "features", "", "feature spec, YAML (default: inferred and saved beside the bundle)")
	fl.StringVar(&tf.valid, "valid", "", "validation data (default: hold out --holdout of the training rows)")
	fl.Float64Var(&tf.holdout, "holdout", 0.1, "share of training rows held out for validation when --valid is not given; 0 trains on every row")
	fl.StringVar(&tf.out, "out", "", "output bundle file (required)")
	fl.StringVar(&tf.model, "model", "gbdt", "model type: gbdt or logistic")
	fl.StringVar(&tf.calibrate, "calibrate", "none", "probability calibration on the validation rows: none, platt or isotonic")
	p := &tf.params
	fl.IntVar(&p.Trees, "trees", p.Trees, "number of trees (boosting rounds)")
	fl.IntVar(&p.MaxDepth, "max-depth", p.MaxDepth, "maximum tree depth (with --max-leaves, 0 means unlimited)")
	fl.IntVar(&p.MaxLeaves, "max-leaves", 0, "grow leaf-wise up to this many leaves per tree (0: depth-wise)")
	fl.Float64Var(&p.LearningRate, "learning-rate", p.LearningRate, "shrinkage of each tree (XGBoost eta)")
	fl.IntVar(&p.MaxBin, "max-bin", p.MaxBin, "histogram bins per feature, 2..256")
	fl.Float64Var(&p.MinChildWeight, "min-child-weight", p.MinChildWeight, "minimum hessian sum in a child")
	fl.Float64Var(&p.Lambda, "lambda", p.Lambda, "L2 regularisation of leaf weights")
	fl.Float64Var(&p.Alpha, "alpha", p.Alpha, "L1 regularisation of leaf weights")
	fl.Float64Var(&p.Gamma, "gamma", p.Gamma, "minimum loss reduction to split")
	fl.Float64Var(&p.Subsample, "subsample", p.Subsample, "share of rows sampled per tree")
	fl.Float64Var(&p.ColsampleByTree, "colsample", p.ColsampleByTree, "share of features sampled per tree")
	fl.Float64Var(&p.ScalePosWeight, "scale-pos-weight", p.ScalePosWeight, "weight of positive (default) rows")
	fl.IntVar(&p.EarlyStopping, "early-stopping", 0, "stop when the validation metric has not improved for N trees (0: off)")
	fl.StringVar(&p.EvalMetric, "eval-metric", "logloss", "validation metric for early stopping: logloss or auc")
	fl.Uint64Var(&p.Seed, "seed", 1, "random seed (holdout split, sampling, target-encoding folds)")
	fl.IntVar(&p.Threads, "threads", 0, "worker goroutines (0: all cores)")
	fl.Float64Var(&tf.l2, "l2", 1, "logistic regression: L2 penalty λ (scikit-learn's C = 1/λ)")
	fl.BoolVarP(&tf.quiet, "quiet", "q", false, "no progress bar or summary")
	return cmd
}

func (a *app) train(ctx context.Context, tf trainFlags) error {
	start := time.Now()
	if tf.data == "" || tf.label == "" || tf.out == "" {
		return usagef("train: --data, --label and --out are required")
	}
	if tf.model != bundle.TypeGBDT && tf.model != bundle.TypeLogistic {
		return usagef("train: --model %q: want gbdt or logistic", tf.model)
	}
	calMethod, err := calibrate.ParseMethod(tf.calibrate)
	if err != nil {
		return usageError{err}
	}
	if tf.holdout < 0 || tf.holdout >= 1 {
		return usagef("train: --holdout %v: want a share in [0, 1)", tf.holdout)
	}
	if tf.model == bundle.TypeGBDT {
		if err := tf.params.Validate(); err != nil {
			return usageError{err}
		}
	}
	// The data digest is computed while the file is read and the model trained.
	digest := make(chan string, 1)
	go func() { digest <- fileSHA256(tf.data) }()

	// 1. Read the data, with the spec's kinds when there is a spec.
	var spec *feature.Spec
	opt := frameio.ReadOptions{}
	if tf.featuresPath != "" {
		if spec, err = readSpec(tf.featuresPath); err != nil {
			return err
		}
		opt.Kinds = specKinds(spec)
	}
	all, err := a.readFrame(ctx, tf.data, opt, tf.quiet)
	if err != nil {
		return err
	}
	if _, ok := all.Column(tf.label); !ok {
		return fmt.Errorf("%s: no label column %q (columns: %s)", tf.data, tf.label, strings.Join(all.Schema().Names(), ", "))
	}
	if col, _ := all.Column(tf.label); col.Kind == frame.String && tf.positive == "" && (spec == nil || spec.Positive == "") {
		levels := col.Dict
		if len(levels) > 5 {
			levels = append(levels[:5:5], "...")
		}
		return usagef("train: label %s holds text (%s): give --positive VALUE naming the value that means default", tf.label, strings.Join(levels, ", "))
	}
	specSaved := ""
	if spec == nil {
		if spec, err = inferSpec(all, tf.label, tf.id, splitList(tf.exclude)); err != nil {
			return err
		}
		if tf.model == bundle.TypeLogistic {
			train.AdaptSpecForLinear(spec)
		}
		spec.Positive = tf.positive
		specSaved = strings.TrimSuffix(tf.out, filepath.Ext(tf.out)) + ".features.yaml"
		text, err := spec.YAML()
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(specSaved, text); err != nil {
			return err
		}
	} else {
		if spec.Label == "" {
			spec.Label = tf.label
		} else if spec.Label != tf.label {
			return usagef("train: --label %q but the feature spec says label: %s", tf.label, spec.Label)
		}
		if tf.positive != "" {
			spec.Positive = tf.positive
		}
	}

	// 2. Validation rows: a file, else a seeded holdout share (train.Run splits it off).
	cfg := train.Config{
		Spec:      spec,
		Train:     all,
		Holdout:   tf.holdout,
		Model:     tf.model,
		Params:    tf.params,
		L2:        tf.l2,
		Calibrate: calMethod,
	}
	if tf.valid != "" {
		if cfg.Valid, err = a.readFrame(ctx, tf.valid, frameio.ReadOptions{Kinds: specKinds(spec)}, tf.quiet); err != nil {
			return err
		}
		cfg.ValidInfo = bundle.DataInfo{Path: tf.valid, SHA256: fileSHA256(tf.valid)}
	}
	if calMethod != calibrate.None && cfg.Valid == nil && tf.holdout == 0 {
		return usagef("train: --calibrate %s needs validation rows: give --valid or a --holdout share", calMethod)
	}
	if tf.model == bundle.TypeGBDT && tf.params.EarlyStopping > 0 && cfg.Valid == nil && tf.holdout == 0 {
		return usagef("train: --early-stopping needs validation rows: give --valid or a --holdout share")
	}

	// 3. Fit the features, train, calibrate and evaluate.
	var bar *progress.Bar
	if tf.model == bundle.TypeGBDT {
		bar = progress.Start(a.stderr, !tf.quiet, progress.Options{Name: "training", Unit: "trees", Total: int64(tf.params.Trees)})
		metric := tf.params.EvalMetric
		cfg.Progress = func(p boost.Progress) {
			bar.SetCurrent(int64(p.Tree))
			if !math.IsNaN(p.Metric) {
				bar.Note(fmt.Sprintf("valid %s %.5f (best tree %d)", metric, p.Metric, p.Best+1))
			}
		}
	}
	cfg.TrainInfo = bundle.DataInfo{Path: tf.data}
	b, err := train.Run(ctx, cfg)
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return err
	}
	b.Meta.Training.SHA256 = <-digest
	if err := bundle.Write(tf.out, b); err != nil {
		return err
	}
	if !tf.quiet {
		a.trainSummary(b, tf, specSaved, time.Since(start))
	}
	return nil
}

func (a *app) trainSummary(b *bundle.Bundle, tf trainFlags, specSaved string, took time.Duration) {
	w := a.stderr
	m := b.Meta
	fmt.Fprintf(w, "\ntrained %s on %d rows (default rate %.2f%%), %d features → %d model columns\n",
		m.ModelType, m.Training.Rows, 100*m.Training.DefaultRate, len(b.Transformer.Inputs()), b.Transformer.NumOutputs())
	if b.GBT != nil {
		fmt.Fprintf(w, "trees kept: %d of %d\n", len(b.GBT.Trees), tf.params.Trees)
	}
	if m.Validation != nil {
		fmt.Fprintf(w, "validation (%d rows): AUC %.4f  log-loss %.4f  Brier %.4f  KS %.3f\n",
			m.Validation.Rows, m.Metrics["auc"], m.Metrics["logloss"], m.Metrics["brier"], m.Metrics["ks"])
	}
	if specSaved != "" {
		fmt.Fprintf(w, "feature spec inferred and saved to %s\n", specSaved)
	}
	fmt.Fprintf(w, "wrote %s in %.1fs (training %.1fs)\n", tf.out, took.Seconds(), m.TrainSeconds)
}

// fileSHA256 returns the hex SHA-256 of a file's bytes, or "" if it cannot be read.
func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}
