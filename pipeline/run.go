package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"riskflow/bundle"
	"riskflow/eval"
	"riskflow/frame"
	"riskflow/internal/atomicfile"
	"riskflow/internal/version"
)

// Store keeps stage outputs by content: the artifact store satisfies it.
type Store interface {
	// PutFile stores a file and returns its SHA-256 (hex).
	PutFile(ctx context.Context, path string) (string, error)
	// GetFile writes the artifact with that digest to path, atomically, after verifying it.
	GetFile(ctx context.Context, digest, path string) error
}

// Registry is what the pipeline needs of the model registry.
type Registry interface {
	// Current returns the bundle digest and version number a model's alias points at, or
	// ("", 0, nil) when the model or alias does not exist.
	Current(ctx context.Context, model, alias string) (digest string, version int, err error)
	// Deploy registers the bundle as a version of the model (reusing the version that already
	// holds this digest, so a resumed deploy never makes a second one) and points the alias
	// at it. It returns the version number.
	Deploy(ctx context.Context, d Deployment) (int, error)
	// RecordRun and RecordStage keep the run's history and lineage.
	RecordRun(ctx context.Context, r RunRecord) error
	RecordStage(ctx context.Context, s StageRecord) error
}

// Deployment is one deploy stage's request to the registry.
type Deployment struct {
	Model, Alias, Mode string
	BundleDigest       string
	RunID              string
	Metrics            map[string]float64
	Params             json.RawMessage
	DataDigests        map[string]string
	FeatureSpec        string
	Reason             string
}

// RunRecord is a run's row in the registry.
type RunRecord struct {
	ID, Pipeline, Status string
	Started, Finished    time.Time
}

// StageRecord is one stage of one matrix job of a run.
type StageRecord struct {
	RunID, Job, Stage, Status, CacheKey string
	Cached                              bool
	Started, Finished                   time.Time
	Outputs                             map[string]string
	Metrics                             map[string]float64
	Error                               string
}

// ReportInput is what the report stage hands the Reporter.
type ReportInput struct {
	Model, Baseline         *bundle.Bundle // Baseline nil: no champion yet
	ModelName, BaselineName string
	Test, Train             *frame.Frame
	Label, Segment          string
	Threshold               float64
	PDF, HTML, JSON         string // output paths
}

// Reporter writes the performance report (PDF, HTML and JSON) for a model.
type Reporter func(ctx context.Context, in ReportInput) error

// Options configure a Runner; Home, Store and Registry are required.
type Options struct {
	Home     string // the home folder: runs/ and cache/ live here
	Store    Store
	Registry Registry
	Reporter Reporter // nil: the report stage writes only metrics.json
	Parallel int      // matrix jobs run at once (default 1)
	Force    []string // stages to re-run even when cached
	NoCache  bool     // re-run every stage
	Out      io.Writer
	// Backoff is the first retry delay (default 1s), doubled per retry.
	Backoff time.Duration
}

// Executor runs the matrix jobs of a run. Local runs them in-process; a distributed engine can
// run the same jobs elsewhere.
type Executor interface {
	Execute(ctx context.Context, jobs []Job, run func(ctx context.Context, j Job) error) error
}

// Local runs jobs in this process, at most Parallel at once.
type Local struct{ Parallel int }

// Execute runs every job and returns the first error after all have finished.
func (l Local) Execute(ctx context.Context, jobs []Job, run func(context.Context, Job) error) error {
	g := new(errgroup.Group)
	g.SetLimit(max(l.Parallel, 1))
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		g.Go(func() error {
			errs[i] = run(ctx, j)
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// Runner runs pipelines.
type Runner struct {
	opt  Options
	exec Executor
	mu   sync.Mutex // serialises output lines
}

// NewRunner returns a runner with the local executor.
func NewRunner(opt Options) (*Runner, error) {
	if opt.Home == "" || opt.Store == nil || opt.Registry == nil {
		return nil, errors.New("pipeline: Home, Store and Registry are required")
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.Backoff == 0 {
		opt.Backoff = time.Second
	}
	return &Runner{opt: opt, exec: Local{Parallel: opt.Parallel}}, nil
}

// Run statuses.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusRejected  = "rejected" // a gate kept a model out; not an error
	StatusFailed    = "failed"
)

// JobResult is one matrix job's outcome.
type JobResult struct {
	Job      string             `json:"job"`
	Model    string             `json:"model"`
	Status   string             `json:"status"`
	Version  int                `json:"version,omitempty"` // the deployed version
	Metrics  map[string]float64 `json:"metrics,omitempty"` // test metrics
	Report   string             `json:"report,omitempty"`  // the PDF report's path
	Reason   string             `json:"reason,omitempty"`  // the gate's verdict
	Error    string             `json:"error,omitempty"`
	Stages   []StageRecord      `json:"stages"`
	Duration float64            `json:"seconds"`
}

// Result is a run's outcome.
type Result struct {
	RunID  string      `json:"run_id"`
	Status string      `json:"status"`
	Jobs   []JobResult `json:"jobs"`
}

// state is a run's journal, kept at <home>/runs/<id>/run.json so a run can be resumed.
type state struct {
	ID       string    `json:"id"`
	Pipeline string    `json:"pipeline"` // the pipeline file's absolute path
	Sets     []string  `json:"sets,omitempty"`
	Status   string    `json:"status"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Result   *Result   `json:"result,omitempty"`
}

// NewRunID returns a fresh, sortable run id.
func NewRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// ResumeInfo returns the pipeline file and overrides a run was started with.
func ResumeInfo(home, runID string) (path string, sets []string, err error) {
	st, err := readState(home, runID)
	if err != nil {
		return "", nil, err
	}
	return st.Pipeline, st.Sets, nil
}

func readState(home, id string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(home, "runs", id, "run.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("pipeline: no run %q in %s", id, home)
		}
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("pipeline: run %s: run.json: %w", id, err)
	}
	return &st, nil
}

func (r *Runner) writeState(st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Join(r.opt.Home, "runs", st.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "run.json"), b)
}

// Run runs the pipeline spec (read from file path with overrides sets) as run runID: every
// matrix job's stages in order, skipping cached ones. A resumed run passes the id it had.
func (r *Runner) Run(ctx context.Context, spec *Spec, path string, sets []string, runID string) (*Result, error) {
	abs, _ := filepath.Abs(path)
	st := &state{ID: runID, Pipeline: abs, Sets: sets, Status: StatusRunning, Started: time.Now().UTC()}
	if old, err := readState(r.opt.Home, runID); err == nil {
		st.Started = old.Started
	}
	if err := r.writeState(st); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if err := r.opt.Registry.RecordRun(ctx, RunRecord{ID: runID, Pipeline: spec.Name, Status: StatusRunning, Started: st.Started}); err != nil {
		return nil, fmt.Errorf("pipeline: registry: %w", err)
	}

	inputs, err := r.inputDigests(ctx, spec)
	if err != nil {
		return nil, err
	}
	jobs := spec.Jobs()
	results := make([]JobResult, len(jobs))
	index := make(map[string]int, len(jobs))
	for i, j := range jobs {
		index[j.Name()] = i
	}
	execErr := r.exec.Execute(ctx, jobs, func(ctx context.Context, j Job) error {
		res := r.runJob(ctx, spec, j, runID, inputs)
		results[index[j.Name()]] = res
		if res.Status == StatusFailed {
			return fmt.Errorf("%s: %s", j.Name(), res.Error)
		}
		return nil
	})
	res := &Result{RunID: runID, Status: StatusSucceeded, Jobs: results}
	for _, jr := range results {
		switch {
		case jr.Status == StatusFailed:
			res.Status = StatusFailed
		case jr.Status == StatusRejected && res.Status != StatusFailed:
			res.Status = StatusRejected
		}
	}
	if ctx.Err() != nil {
		res.Status = StatusFailed
	}
	st.Status, st.Finished, st.Result = res.Status, time.Now().UTC(), res
	// The journal and registry record the outcome even when the context was canceled.
	bg := context.WithoutCancel(ctx)
	if err := r.writeState(st); err != nil {
		return res, fmt.Errorf("pipeline: %w", err)
	}
	if err := r.opt.Registry.RecordRun(bg, RunRecord{ID: runID, Pipeline: spec.Name, Status: res.Status, Started: st.Started, Finished: st.Finished}); err != nil {
		return res, fmt.Errorf("pipeline: registry: %w", err)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, execErr
}

// inputDigests hashes the data and feature files once per run.
func (r *Runner) inputDigests(ctx context.Context, spec *Spec) (map[string]string, error) {
	out := map[string]string{}
	for name, p := range map[string]string{"train": spec.Data.Train, "test": spec.Data.Test, "features": spec.Features} {
		if p == "" {
			continue
		}
		d, err := fileDigest(spec.Path(p))
		if err != nil {
			return nil, fmt.Errorf("pipeline: data.%s: %w", name, err)
		}
		out[name] = d
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// say prints one progress line.
func (r *Runner) say(format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.opt.Out, format+"\n", a...)
}

// cacheEntry is a completed stage's record in <home>/cache/steps/<key>.json.
type cacheEntry struct {
	Stage   string             `json:"stage"`
	Outputs map[string]string  `json:"outputs"` // name → artifact digest
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Notes   map[string]string  `json:"notes,omitempty"`
	Created time.Time          `json:"created"`
}

// stageKey hashes what determines a stage's outputs.
func stageKey(stage string, config any, inputs map[string]string) string {
	h := sha256.New()
	cfg, _ := json.Marshal(config)
	v := version.Get()
	fmt.Fprintf(h, "riskflow-step-v1\x00%s\x00%s\x00%s\x00%s\x00", stage, cfg, v.Version, v.Commit)
	keys := make([]string, 0, len(inputs))
	for k := range inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, inputs[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (r *Runner) cachePath(key string) string {
	return filepath.Join(r.opt.Home, "cache", "steps", key+".json")
}

func (r *Runner) lookup(key string) (*cacheEntry, bool) {
	b, err := os.ReadFile(r.cachePath(key))
	if err != nil {
		return nil, false
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil {
		return nil, false
	}
	return &e, true
}

func (r *Runner) remember(key string, e *cacheEntry) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.cachePath(key)), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(r.cachePath(key), b)
}

func (r *Runner) forced(stage string) bool {
	if r.opt.NoCache {
		return true
	}
	for _, s := range r.opt.Force {
		if s == stage || s == "all" {
			return true
		}
	}
	return false
}

// fetch returns a local path holding the artifact with that digest, fetching it once into
// <home>/cache/blobs.
func (r *Runner) fetch(ctx context.Context, digest, ext string) (string, error) {
	p := filepath.Join(r.opt.Home, "cache", "blobs", digest+ext)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	if err := r.opt.Store.GetFile(ctx, digest, p); err != nil {
		return "", err
	}
	return p, nil
}

// gateMetrics says for each gate metric whether higher is better.
var gateMetrics = map[string]bool{"auc": true, "ks": true, "average_precision": true, "logloss": false, "brier": false}

func metricOf(m eval.Metrics, name string) float64 {
	switch name {
	case "auc":
		return m.AUC
	case "ks":
		return m.KS
	case "average_precision":
		return m.AveragePrecision
	case "logloss":
		return m.LogLoss
	case "brier":
		return m.Brier
	}
	return 0
}

func metricsMap(m eval.Metrics) map[string]float64 {
	return map[string]float64{
		"rows": float64(m.Rows), "default_rate": m.PositiveRate, "auc": m.AUC, "auc_lo": m.AUCLo, "auc_hi": m.AUCHi,
		"gini": m.Gini, "ks": m.KS, "average_precision": m.AveragePrecision, "logloss": m.LogLoss,
		"brier": m.Brier, "ece": m.ECE,
	}
}
