package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"riskflow/bundle"
	"riskflow/calibrate"
	"riskflow/eval"
	"riskflow/feature"
	"riskflow/frameio"
	"riskflow/gbt"
	"riskflow/internal/version"
	"riskflow/modelfmt/lightgbm"
	"riskflow/modelfmt/xgboost"
)

// importedModel is a model file read by an importer, before its features are matched to the
// transformer's outputs.
type importedModel struct {
	featureNames []string // as the file stores them; nil: matched by position
	numFeatures  int
	logistic     bool   // outputs a probability (so --calibrate applies)
	describe     string // for the summary and the bundle's params, e.g. "XGBoost 1.7.4 binary:logistic, 80 trees"
	// bundle builds the bundle, given for each model feature j the transformer output perm[j].
	bundle func(meta bundle.Metadata, t *feature.Transformer, perm []int, c *calibrate.Calibrator) (*bundle.Bundle, error)
}

// An importer reads one model format.
type importer func(path string) (*importedModel, error)

// importers lists the formats 'riskflow import' reads: one entry per format.
func importers() map[string]importer {
	return map[string]importer{
		"xgboost":  importXGBoost,
		"lightgbm": importLightGBM,
	}
}

func importXGBoost(path string) (*importedModel, error) {
	m, err := xgboost.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return treeModel(m.Ensemble, m.FeatureNames, fmt.Sprintf("XGBoost %s %s", m.Version, m.Objective)), nil
}

func importLightGBM(path string) (*importedModel, error) {
	m, err := lightgbm.ReadFile(path)
	if err != nil {
		return nil, err
	}
	names := m.FeatureNames
	if generatedNames(names) {
		names = nil // Column_0, Column_1, ...: LightGBM named them, the data did not
	}
	return treeModel(m.Ensemble, names, fmt.Sprintf("LightGBM %s %s", m.Version, m.Objective)), nil
}

var lightgbmDefaultName = regexp.MustCompile(`^Column_([0-9]+)$`)

// generatedNames reports whether names are LightGBM's defaults for unnamed columns.
func generatedNames(names []string) bool {
	for i, n := range names {
		if m := lightgbmDefaultName.FindStringSubmatch(n); m == nil || m[1] != fmt.Sprint(i) {
			return false
		}
	}
	return len(names) > 0
}

// treeModel wraps a converted tree ensemble.
func treeModel(e *gbt.Ensemble, names []string, what string) *importedModel {
	return &importedModel{
		featureNames: names,
		numFeatures:  e.NumFeatures,
		logistic:     e.Objective == gbt.Logistic,
		describe:     fmt.Sprintf("%s, %d trees", what, e.NumTrees()),
		bundle: func(meta bundle.Metadata, t *feature.Transformer, perm []int, c *calibrate.Calibrator) (*bundle.Bundle, error) {
			g, err := remapFeatures(e, perm, t.Names())
			if err != nil {
				return nil, err
			}
			return bundle.New(meta, t, g, nil, c)
		},
	}
}

// remapFeatures returns e reading model feature j from input perm[j] of names.
func remapFeatures(e *gbt.Ensemble, perm []int, names []string) (*gbt.Ensemble, error) {
	out := gbt.Ensemble{Objective: e.Objective, BaseScore: e.BaseScore, NumFeatures: len(names),
		FeatureNames: slices.Clone(names), Trees: make([]gbt.Tree, len(e.Trees))}
	for i, tr := range e.Trees {
		nodes := slices.Clone(tr.Nodes)
		for k := range nodes {
			if f := nodes[k].Feature; f >= 0 {
				nodes[k].Feature = int32(perm[f])
			}
		}
		out.Trees[i] = gbt.Tree{Nodes: nodes}
	}
	return gbt.New(out)
}

// matchFeatures maps each model feature to the transformer output of the same name, or of the
// same position when the model stores no names. Any difference is an error that lists them.
func matchFeatures(model []string, numModel int, outputs []string) ([]int, error) {
	if model == nil {
		if numModel != len(outputs) {
			return nil, fmt.Errorf("the model has %d features and the transformer %d outputs (the model file stores no feature names, so they are matched by position)",
				numModel, len(outputs))
		}
		perm := make([]int, numModel)
		for i := range perm {
			perm[i] = i
		}
		return perm, nil
	}
	index := make(map[string]int, len(outputs))
	for i, n := range outputs {
		index[n] = i
	}
	perm := make([]int, len(model))
	seen := make(map[string]bool, len(model))
	var missing, dup []string
	for j, n := range model {
		if seen[n] {
			dup = append(dup, n)
		}
		seen[n] = true
		i, ok := index[n]
		if !ok {
			missing = append(missing, n)
		}
		perm[j] = i
	}
	var extra []string
	for _, n := range outputs {
		if !seen[n] {
			extra = append(extra, n)
		}
	}
	if len(missing)+len(extra)+len(dup) == 0 {
		return perm, nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "in the model but not the transformer: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "in the transformer but not the model: "+strings.Join(extra, ", "))
	}
	if len(dup) > 0 {
		parts = append(parts, "named twice in the model: "+strings.Join(dup, ", "))
	}
	return nil, fmt.Errorf("the model's features do not match the transformer's outputs; %s", strings.Join(parts, "; "))
}

type importFlags struct {
	transformer, out, calibrate, valid string
	quiet                              bool
}

func (a *app) importCmd() *cobra.Command {
	var f importFlags
	formats := sortedKeys(importers())
	cmd := &cobra.Command{
		Use:   "import " + strings.Join(formats, "|") + " MODEL --transformer T.json --out F.bundle",
		Short: "Build a bundle from a model trained in another library",
		Long: `Build a bundle from a model trained in another library on the matrix that
'riskflow features transform' wrote with the same transformer. Tree models (XGBoost JSON from
save_model("m.json"), LightGBM text from save_model("m.txt")) become riskflow's own trees, with
the library's predictions, riskflow's speed, TreeSHAP and reason codes.

Features are matched by name when the model file stores names (XGBoost feature_names,
LightGBM feature_names=), else by position after checking the count; any difference is an
error listing the features. --calibrate fits a calibrator on the --valid rows, as in
'riskflow train'.`,
		Example: `  riskflow import xgboost model.json --transformer transformer.json --out model.bundle
  riskflow import lightgbm model.txt --transformer transformer.json --calibrate platt --valid valid.csv --out model.bundle`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("import: want a format (%s) and a model file, got %d arguments", strings.Join(formats, ", "), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runImport(cmd.Context(), args[0], args[1], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.transformer, "transformer", "", "fitted transformer, JSON: the one that made the training matrix (required)")
	fl.StringVar(&f.out, "out", "", "bundle output file (required)")
	fl.StringVar(&f.calibrate, "calibrate", "none", "probability calibration on the --valid rows: none, platt or isotonic")
	fl.StringVar(&f.valid, "valid", "", "validation data (raw, as the transformer reads it): metrics, and the rows --calibrate fits on")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no summary")
	return cmd
}

func (a *app) runImport(ctx context.Context, format, path string, f importFlags) error {
	imp, ok := importers()[format]
	if !ok {
		return usagef("import: unknown format %q (known: %s)", format, strings.Join(sortedKeys(importers()), ", "))
	}
	if f.transformer == "" || f.out == "" {
		return usagef("import: --transformer and --out are required")
	}
	method, err := calibrate.ParseMethod(f.calibrate)
	if err != nil {
		return usageError{err}
	}
	if method != calibrate.None && f.valid == "" {
		return usagef("import: --calibrate %s needs --valid rows to fit on", method)
	}
	t, err := readTransformer(f.transformer)
	if err != nil {
		return err
	}
	m, err := imp(path)
	if err != nil {
		return err
	}
	perm, err := matchFeatures(m.featureNames, m.numFeatures, t.Names())
	if err != nil {
		return fmt.Errorf("import %s: %s and %s: %w", format, path, f.transformer, err)
	}
	if method != calibrate.None && !m.logistic {
		return usagef("import: --calibrate needs a model that outputs a probability; %s is a regression", m.describe)
	}
	params, err := json.Marshal(map[string]string{"imported_from": format, "model_file": path,
		"model_sha256": fileSHA256(path), "model": m.describe})
	if err != nil {
		return err
	}
	spec := t.Spec()
	meta := bundle.Metadata{
		ModelType: bundle.TypeGBDT,
		CreatedAt: time.Now().UTC().Truncate(time.Second),
		Riskflow:  version.Get(),
		Label:     spec.Label,
		Positive:  spec.Positive,
		Params:    params,
	}
	b, err := m.bundle(meta, t, perm, nil)
	if err != nil {
		return fmt.Errorf("import %s: %w", format, err)
	}
	if f.valid != "" {
		if b, err = a.importValidate(ctx, b, m, perm, method, f); err != nil {
			return err
		}
	}
	if err := bundle.Write(f.out, b); err != nil {
		return err
	}
	if !f.quiet {
		w := a.stderr
		fmt.Fprintf(w, "imported %s: %d features matched %s\n", m.describe, m.numFeatures, map[bool]string{true: "by name", false: "by position"}[m.featureNames != nil])
		if v := b.Meta.Validation; v != nil {
			fmt.Fprintf(w, "validation (%d rows): AUC %.4f  log-loss %.4f  Brier %.4f  KS %.3f\n",
				v.Rows, b.Meta.Metrics["auc"], b.Meta.Metrics["logloss"], b.Meta.Metrics["brier"], b.Meta.Metrics["ks"])
		}
		fmt.Fprintf(w, "wrote %s\n", f.out)
	}
	return nil
}

// importValidate scores the --valid rows with b, fits the calibrator if asked, and returns the
// bundle with it and the validation metrics (of the calibrated probabilities).
func (a *app) importValidate(ctx context.Context, b *bundle.Bundle, m *importedModel, perm []int, method calibrate.Method, f importFlags) (*bundle.Bundle, error) {
	t := b.Transformer
	valid, err := a.readFrame(ctx, f.valid, frameio.ReadOptions{Kinds: transformerKinds(t)}, f.quiet)
	if err != nil {
		return nil, err
	}
	y, err := t.Label(valid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.valid, err)
	}
	p := make([]float64, valid.Len())
	if err := b.ScoreFrame(ctx, valid, p); err != nil {
		return nil, fmt.Errorf("%s: %w", f.valid, err)
	}
	meta := b.Meta
	var cal *calibrate.Calibrator
	if method != calibrate.None {
		if cal, err = calibrate.Fit(method, p, y); err != nil {
			return nil, fmt.Errorf("import: calibration on %s: %w", f.valid, err)
		}
		cal.ApplyBatch(p, p)
	}
	info := bundle.DataInfo{Path: f.valid, SHA256: fileSHA256(f.valid)}
	if m.logistic {
		res, err := eval.Compute(y, p)
		if err != nil {
			return nil, fmt.Errorf("import: validation metrics on %s: %w", f.valid, err)
		}
		meta.Metrics = map[string]float64{"auc": res.AUC, "logloss": res.LogLoss, "brier": res.Brier, "ks": res.KS, "average_precision": res.AveragePrecision}
		info.Rows, info.Positives, info.DefaultRate = res.Rows, res.Positives, res.PositiveRate
	} else {
		info.Rows = len(y)
	}
	meta.Validation = &info
	nb, err := m.bundle(meta, t, perm, cal)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return nb, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
