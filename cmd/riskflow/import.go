package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	"riskflow/registry"
)

// importedModel is a model file read by an importer, its features matched to the
// transformer's outputs.
type importedModel struct {
	byName   bool   // features matched by name (else by position)
	logistic bool   // outputs a probability (so --calibrate applies)
	describe string // for the summary and the bundle's params, e.g. "XGBoost 1.7.4 binary:logistic, 80 trees"
	// bundle builds the bundle from the model, the transformer and an optional calibrator.
	bundle func(meta bundle.Metadata, t *feature.Transformer, c *calibrate.Calibrator) (*bundle.Bundle, error)
}

// An importer reads one model format and matches the model's features to the transformer's
// outputs (feature.Transformer.Names).
type importer func(path string, outputs []string) (*importedModel, error)

// importers lists the formats 'riskflow import' reads: one entry per format.
func importers() map[string]importer {
	return map[string]importer{
		"xgboost":  importXGBoost,
		"lightgbm": importLightGBM,
		"onnx":     importONNX,
	}
}

func importXGBoost(path string, outputs []string) (*importedModel, error) {
	m, err := xgboost.ReadFile(path)
	if err != nil {
		return nil, err
	}
	e, err := m.ForOutputs(outputs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return treeModel(e, m.FeatureNames != nil, fmt.Sprintf("XGBoost %s %s", m.Version, m.Objective)), nil
}

func importLightGBM(path string, outputs []string) (*importedModel, error) {
	m, err := lightgbm.ReadFile(path)
	if err != nil {
		return nil, err
	}
	e, err := m.ForOutputs(outputs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return treeModel(e, !m.NamesGenerated(), fmt.Sprintf("LightGBM %s %s", m.Version, m.Objective)), nil
}

// treeModel wraps a converted tree ensemble.
func treeModel(e *gbt.Ensemble, byName bool, what string) *importedModel {
	return &importedModel{
		byName:   byName,
		logistic: e.Objective == gbt.Logistic,
		describe: fmt.Sprintf("%s, %d trees", what, e.NumTrees()),
		bundle: func(meta bundle.Metadata, t *feature.Transformer, c *calibrate.Calibrator) (*bundle.Bundle, error) {
			return bundle.New(meta, t, e, nil, c)
		},
	}
}

type importFlags struct {
	transformer, out, calibrate, valid string
	name, alias, home                  string
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
	fl.StringVar(&f.out, "out", "", "bundle output file (this, --name, or both)")
	fl.StringVar(&f.name, "name", "", "register the bundle as a new version of this model in the registry (--home)")
	fl.StringVar(&f.alias, "alias", "", "with --name: point this alias (e.g. champion, challenger) at the new version")
	fl.StringVar(&f.home, "home", "", "with --name: home folder (default $RISKFLOW_HOME, else ./.riskflow)")
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
	if f.transformer == "" || (f.out == "" && f.name == "") {
		return usagef("import: --transformer and one of --out or --name are required")
	}
	if f.alias != "" && f.name == "" {
		return usagef("import: --alias needs --name")
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
	m, err := imp(path, t.Names())
	if err != nil {
		return fmt.Errorf("import %s: %w", format, err)
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
	b, err := m.bundle(meta, t, nil)
	if err != nil {
		return fmt.Errorf("import %s: %w", format, err)
	}
	if f.valid != "" {
		if b, err = a.importValidate(ctx, b, m, method, f); err != nil {
			return err
		}
	}
	out := f.out
	if out == "" {
		home, err := ensureHome(homeDir(f.home))
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp(home, "import-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		out = filepath.Join(dir, "model.bundle")
	}
	if err := bundle.Write(out, b); err != nil {
		return err
	}
	registered := ""
	if f.name != "" {
		if registered, err = registerImport(ctx, homeDir(f.home), out, f, b); err != nil {
			return err
		}
	}
	if !f.quiet {
		w := a.stderr
		how := "by position"
		if m.byName {
			how = "by name"
		}
		fmt.Fprintf(w, "imported %s: %d features matched %s\n", m.describe, t.NumOutputs(), how)
		if v := b.Meta.Validation; v != nil {
			fmt.Fprintf(w, "validation (%d rows): AUC %.4f  log-loss %.4f  Brier %.4f  KS %.3f\n",
				v.Rows, b.Meta.Metrics["auc"], b.Meta.Metrics["logloss"], b.Meta.Metrics["brier"], b.Meta.Metrics["ks"])
		}
		if f.out != "" {
			fmt.Fprintf(w, "wrote %s\n", f.out)
		}
		if registered != "" {
			fmt.Fprintln(w, registered)
		}
	}
	return nil
}

// registerImport stores an imported bundle in the home folder's artifact store and registers
// it as a new version of f.name (moving f.alias to it, if given).
func registerImport(ctx context.Context, home, path string, f importFlags, b *bundle.Bundle) (string, error) {
	home, err := ensureHome(home)
	if err != nil {
		return "", err
	}
	env, err := openHome(ctx, home)
	if err != nil {
		return "", err
	}
	defer env.Close()
	digest, err := env.store.PutFile(ctx, path)
	if err != nil {
		return "", err
	}
	info := version.Get()
	v, err := env.reg.RegisterVersion(ctx, registry.NewVersion{
		Model: f.name, BundleDigest: digest, Metrics: b.Meta.Metrics, Params: b.Meta.Params,
		RiskflowVersion: info.Version, GitCommit: info.Commit, CreatedBy: actor(),
	})
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("registered %s version %d (bundle %s) in %s", f.name, v.Number, digest[:12], home)
	if f.alias != "" {
		if err := env.reg.SetAlias(ctx, registry.AliasChange{Model: f.name, Alias: f.alias, Version: v.Number, Actor: actor(), Reason: "riskflow import " + path}); err != nil {
			return "", err
		}
		msg += fmt.Sprintf("; %s → version %d", f.alias, v.Number)
	}
	return msg, nil
}

// importValidate scores the --valid rows with b, fits the calibrator if asked, and returns the
// bundle with it and the validation metrics (of the calibrated probabilities).
func (a *app) importValidate(ctx context.Context, b *bundle.Bundle, m *importedModel, method calibrate.Method, f importFlags) (*bundle.Bundle, error) {
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
	nb, err := m.bundle(meta, t, cal)
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
