package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"riskflow/bundle"
	"riskflow/frameio"
	"riskflow/report"
)

// reportFlags are the flags of `riskflow report`.
type reportFlags struct {
	bundlePath, data, label, positive, baseline string
	model, home                                 string
	train, segment, out, html, json             string
	threshold                                   float64
	seed                                        uint64
	resamples                                   int
	quiet                                       bool
}

func (a *app) reportCmd() *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "report --bundle model.bundle --data test.csv --out report.pdf",
		Short: "Write a model performance report (PDF, optionally HTML and JSON) on labelled test data",
		Long: `Evaluate a model bundle on labelled test data and write a performance report: a summary
page with the headline metrics and their 95% confidence intervals (DeLong for AUC, a seeded
bootstrap for Gini, KS, PR-AUC, log-loss, Brier and ECE) and a plain-language verdict; ROC,
precision-recall, KS, cumulative gains, reliability and score distribution plots; a decile
lift table; feature importance (gain and mean |SHAP|) with SHAP dependence plots of the top
fields; population stability (PSI of the score and every input between the training and the
test data, flagged at 0.10 and 0.25); metrics per --segment value; and with --baseline a
champion/challenger comparison on the same rows (side-by-side metrics, overlaid ROC curves,
DeLong's paired test and the number of accept/decline decisions that change).

The training data for the stability section is --train, else the file the bundle was trained
on if it still exists at the path recorded in the bundle; otherwise the section says it is
unavailable.

A row is declined when its default probability is at or above --threshold. Without
--threshold each model declines its riskiest 10% of the test rows, so both decline about as
many orders and the comparison shows which orders change.`,
		Example: `  riskflow report --bundle model.bundle --data test.csv --out report.pdf
  riskflow report --bundle new.bundle --baseline current.bundle --data test.parquet --train train.parquet \
      --segment market --threshold 0.12 --out report.pdf --html report.html --json metrics.json
  riskflow report --bundle credit.bundle --data credit_test.csv --label Status --positive bad --out credit.pdf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.report(cmd.Context(), rf)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&rf.bundlePath, "bundle", "", "model bundle to evaluate (this or --model)")
	fl.StringVar(&rf.model, "model", "", "registered model to evaluate: NAME (its champion), NAME@VERSION or NAME:ALIAS")
	fl.StringVar(&rf.home, "home", "", "with --model or a registered --baseline: home folder (default $RISKFLOW_HOME, else ./.riskflow)")
	fl.StringVar(&rf.data, "data", "", "labelled test data: .csv, .parquet or .jsonl (required)")
	fl.StringVar(&rf.out, "out", "", "PDF report to write (required)")
	fl.StringVar(&rf.html, "html", "", "also write the report as one self-contained HTML file")
	fl.StringVar(&rf.json, "json", "", "also write every metric as JSON")
	fl.StringVar(&rf.label, "label", "", "label column (default: the bundle's label)")
	fl.StringVar(&rf.positive, "positive", "", "label value that means default (default: the bundle's)")
	fl.StringVar(&rf.baseline, "baseline", "", "champion bundle to compare the model with on the same rows")
	fl.StringVar(&rf.train, "train", "", "training data for the stability section (default: the bundle's training file, if it exists)")
	fl.StringVar(&rf.segment, "segment", "", "column of the test data to break the metrics down by")
	fl.Float64Var(&rf.threshold, "threshold", 0, "decline orders with a default probability at or above this (default: each model declines its riskiest 10%)")
	fl.Uint64Var(&rf.seed, "seed", 1, "seed of the bootstrap and the SHAP sample")
	fl.IntVar(&rf.resamples, "resamples", report.DefaultResamples, "bootstrap resamples per confidence interval")
	fl.BoolVarP(&rf.quiet, "quiet", "q", false, "no progress or summary")
	return cmd
}

func (a *app) report(ctx context.Context, rf reportFlags) error {
	if rf.bundlePath != "" && rf.model != "" {
		return usagef("report: give --bundle FILE or --model NAME[@VERSION|:ALIAS], not both")
	}
	if rf.model != "" {
		p, err := modelBundle(ctx, homeDir(rf.home), rf.model)
		if err != nil {
			return err
		}
		rf.bundlePath = p
	}
	if rf.baseline != "" && !strings.HasSuffix(rf.baseline, ".bundle") {
		if _, err := os.Stat(rf.baseline); err != nil {
			p, err := modelBundle(ctx, homeDir(rf.home), rf.baseline)
			if err != nil {
				return fmt.Errorf("--baseline %s: not a file, and %w", rf.baseline, err)
			}
			rf.baseline = p
		}
	}
	if rf.bundlePath == "" || rf.data == "" || rf.out == "" {
		return usagef("report: --bundle, --data and --out are required")
	}
	if rf.threshold < 0 || rf.threshold >= 1 {
		return usagef("report: --threshold %v: want a probability in (0, 1)", rf.threshold)
	}
	if rf.resamples < 1 {
		return usagef("report: --resamples %d: want at least 1", rf.resamples)
	}
	b, err := bundle.Read(rf.bundlePath)
	if err != nil {
		return err
	}
	kinds := transformerKinds(b.Transformer)
	in := report.Input{
		Model:     b,
		ModelName: bundleName(b, rf.bundlePath),
		Label:     rf.label,
		Positive:  rf.positive,
		Segment:   rf.segment,
		Threshold: rf.threshold,
		Seed:      rf.seed,
		Resamples: rf.resamples,
	}
	if rf.baseline != "" {
		if in.Baseline, err = bundle.Read(rf.baseline); err != nil {
			return err
		}
		in.BaselineName = bundleName(in.Baseline, rf.baseline)
		if in.BaselineName == in.ModelName {
			in.BaselineName += " (baseline)"
		}
		for name, k := range transformerKinds(in.Baseline.Transformer) {
			if _, ok := kinds[name]; !ok {
				kinds[name] = k
			}
		}
	}
	if in.Data, err = a.readFrame(ctx, rf.data, frameio.ReadOptions{Kinds: kinds}, rf.quiet); err != nil {
		return err
	}
	trainPath := rf.train
	if trainPath == "" {
		switch p := b.Meta.Training.Path; {
		case p == "":
			in.TrainNote = "the bundle records no training data file and no --train was given"
		case !fileExists(p):
			in.TrainNote = fmt.Sprintf("the bundle's training file %s does not exist here and no --train was given", p)
		default:
			trainPath = p
		}
	}
	if trainPath != "" {
		if in.Train, err = a.readFrame(ctx, trainPath, frameio.ReadOptions{Kinds: kinds}, rf.quiet); err != nil {
			return fmt.Errorf("report: training data: %w", err)
		}
		in.TrainNote = "training data: " + trainPath
	}
	r, err := report.Build(ctx, in)
	if err != nil {
		return err
	}
	if err := r.WritePDF(rf.out); err != nil {
		return err
	}
	if rf.html != "" {
		if err := r.WriteHTML(rf.html); err != nil {
			return err
		}
	}
	if rf.json != "" {
		if err := r.WriteJSON(rf.json); err != nil {
			return err
		}
	}
	if !rf.quiet {
		m := r.Metrics
		fmt.Fprintf(a.stderr, "%s on %d rows (default rate %.2f%%): AUC %.4f [%.4f, %.4f]  KS %.3f  log-loss %.4f  Brier %.5f\n",
			r.ModelName, m.Rows, 100*m.PositiveRate, m.AUC, r.AUC.Lo, r.AUC.Hi, m.KS, m.LogLoss, m.Brier)
		if c := r.Comparison; c != nil {
			fmt.Fprintf(a.stderr, "baseline %s: AUC %.4f; paired DeLong p = %.4g; %d decisions change\n",
				c.BaselineName, c.BaselineMetrics.AUC, c.Paired.P, c.DecisionChanges)
		}
		fmt.Fprintf(a.stderr, "%s\n", r.Verdict)
		written := []string{rf.out}
		for _, p := range []string{rf.html, rf.json} {
			if p != "" {
				written = append(written, p)
			}
		}
		fmt.Fprintf(a.stderr, "wrote %s\n", strings.Join(written, ", "))
	}
	return nil
}

// bundleName names a bundle in the report: its metadata name, else its file name.
func bundleName(b *bundle.Bundle, path string) string {
	if b.Meta.Name != "" {
		return b.Meta.Name
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// fileExists reports whether path is an existing regular file.
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
