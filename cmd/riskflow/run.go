package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"riskflow/pipeline"
)

// runFlags are the flags of `riskflow run`.
type runFlags struct {
	home     string
	sets     []string
	resume   string
	force    []string
	noCache  bool
	parallel int
	json     bool
}

func (a *app) runCmd() *cobra.Command {
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "run PIPELINE.yaml [--set key=value]... [--resume RUN] [--force STAGE] [--no-cache]",
		Short: "Run a pipeline: preprocess → train → predict → report → gate → deploy, cached and resumable",
		Long: `Run a pipeline file: for every value of its matrix (one model per market, say) the stages
preprocess, train, predict, report, gate and deploy, in order.

Each stage's outputs are stored by content in the home folder's artifact store and keyed by a
hash of the stage, its configuration, the riskflow version and its inputs' digests: a stage
whose key is unchanged is not run again and prints "cached". A run that was interrupted
(Ctrl-C, a crash, kill -9) continues with --resume RUN, or by running the pipeline again:
finished stages are reused. The gate compares the new model with the registry's champion on
the same test rows and deploys it only if it is better; a rejected model ends the run with
status "rejected" (exit status 0).

--set overrides a value of the file by its path, e.g. --set model.params.trees=100 or
--set data.train=other.parquet.`,
		Example: `  riskflow run examples/deferred-payment/pipeline.yaml
  riskflow run pipeline.yaml --set model.params.trees=500 --parallel 2
  riskflow run --resume 20261206-101500-a1b2c3
  riskflow run pipeline.yaml --force train`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			_, err := a.runPipeline(cmd.Context(), path, rf)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&rf.home, "home", "", "home folder (default $RISKFLOW_HOME, else ./.riskflow)")
	fl.StringArrayVar(&rf.sets, "set", nil, "override a pipeline value: key.path=value (repeatable)")
	fl.StringVar(&rf.resume, "resume", "", "continue the run with this id, reusing its finished stages")
	fl.StringArrayVar(&rf.force, "force", nil, "re-run this stage even if cached (repeatable; 'all' for every stage)")
	fl.BoolVar(&rf.noCache, "no-cache", false, "re-run every stage")
	fl.IntVar(&rf.parallel, "parallel", 1, "matrix values run at once")
	fl.BoolVar(&rf.json, "json", false, "print the result as JSON")
	return cmd
}

// runPipeline runs (or resumes) a pipeline and prints its result.
func (a *app) runPipeline(ctx context.Context, path string, rf runFlags) (*pipeline.Result, error) {
	home, err := ensureHome(homeDir(rf.home))
	if err != nil {
		return nil, err
	}
	runID := rf.resume
	if runID != "" {
		p, sets, err := pipeline.ResumeInfo(home, runID)
		if err != nil {
			return nil, err
		}
		if path != "" && path != p {
			abs, _ := filepath.Abs(path)
			if abs != p {
				return nil, usagef("run: --resume %s ran %s, not %s", runID, p, path)
			}
		}
		path = p
		if len(rf.sets) == 0 {
			rf.sets = sets
		}
	} else {
		runID = pipeline.NewRunID()
	}
	if path == "" {
		return nil, usagef("run: give a pipeline file, or --resume RUN")
	}
	for _, s := range rf.force {
		if s != "all" && !contains(pipeline.Stages(), s) {
			return nil, usagef("run: --force %s: no such stage (stages: %v)", s, pipeline.Stages())
		}
	}
	if rf.parallel < 1 {
		return nil, usagef("run: --parallel %d: want ≥ 1", rf.parallel)
	}
	spec, err := pipeline.Load(path, rf.sets)
	if err != nil {
		return nil, usageError{err}
	}
	env, err := openHome(ctx, home)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	out := a.stderr
	if rf.json {
		out = io.Discard
	}
	r, err := pipeline.NewRunner(pipeline.Options{
		Home: home, Store: env.store, Registry: env.pipelineRegistry(), Reporter: writeReport,
		Parallel: rf.parallel, Force: rf.force, NoCache: rf.noCache, Out: out,
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "run %s: pipeline %s, %d model(s), home %s\n", runID, spec.Name, len(spec.Jobs()), home)
	res, err := r.Run(ctx, spec, path, rf.sets, runID)
	if res != nil {
		if rf.json {
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(res); jerr != nil {
				return res, jerr
			}
		} else {
			printRunResult(a.stdout, res)
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(a.stderr, "run %s interrupted; continue it with: riskflow run --resume %s\n", runID, runID)
		}
		return res, fmt.Errorf("run %s: %w", runID, err)
	}
	return res, nil
}

// printRunResult prints one line per model.
func printRunResult(w io.Writer, res *pipeline.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nrun %s: %s\n", res.RunID, res.Status)
	fmt.Fprintln(tw, "MODEL\tSTATUS\tVERSION\tTEST AUC\tBAYES AUC\tGATE\tREPORT")
	for _, j := range res.Jobs {
		ver, auc, bayes := "-", "-", "-"
		if j.Version > 0 {
			ver = fmt.Sprint(j.Version)
		}
		if v, ok := j.Metrics["auc"]; ok {
			auc = fmt.Sprintf("%.4f", v)
		}
		if v, ok := j.Metrics["bayes_auc"]; ok {
			bayes = fmt.Sprintf("%.4f", v)
		}
		gate := j.Reason
		if j.Error != "" {
			gate = j.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.Model, j.Status, ver, auc, bayes, gate, j.Report)
	}
	tw.Flush()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ensureHome creates the home folder and returns its absolute path.
func ensureHome(home string) (string, error) {
	abs, err := filepath.Abs(home)
	if err != nil {
		return "", err
	}
	for _, d := range []string{abs, filepath.Join(abs, "artifacts"), filepath.Join(abs, "runs"), filepath.Join(abs, "logs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("home folder: %w", err)
		}
	}
	return abs, nil
}
