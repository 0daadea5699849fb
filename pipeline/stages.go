package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"riskflow/bundle"
	"riskflow/calibrate"
	"riskflow/eval"
	"riskflow/feature"
	"riskflow/frame"
	"riskflow/frameio"
	"riskflow/internal/atomicfile"
	"riskflow/train"
)

// job is one matrix job's working state while its stages run.
type job struct {
	spec     *Spec
	job      Job
	runID    string
	model    string // the registry model name
	dir      string // <home>/runs/<run>/<job>: files stages write before storing them
	inputs   map[string]string
	champion string // the champion's bundle digest, "" if none
	champVer int
	done     map[string]*cacheEntry // completed stages' outputs

	// base and baseVer are the model this job's model is compared with: the champion, or,
	// when this very model is the champion already (a re-run after it was deployed), the
	// champion it was first compared with, so that report and gate stay cache hits.
	base    string
	baseVer int
}

// stageFunc runs one stage and returns its outputs (files in j.dir, by output name) and
// metrics. notes carry small results (the gate's verdict) into the cache entry.
type stageFunc func(ctx context.Context, r *Runner, j *job) (files map[string]string, metrics map[string]float64, notes map[string]string, err error)

// runJob runs one matrix job's stages in order.
func (r *Runner) runJob(ctx context.Context, spec *Spec, jb Job, runID string, inputs map[string]string) JobResult {
	start := time.Now()
	j := &job{
		spec: spec, job: jb, runID: runID, model: jb.Expand(spec.Deploy.Model), inputs: inputs,
		dir:  filepath.Join(r.opt.Home, "runs", runID, jb.Name()),
		done: map[string]*cacheEntry{},
	}
	res := JobResult{Job: jb.Name(), Model: j.model, Status: StatusSucceeded}
	fail := func(stage string, err error) JobResult {
		res.Status, res.Error = StatusFailed, fmt.Sprintf("stage %s: %v", stage, err)
		res.Duration = time.Since(start).Seconds()
		r.say("[%s] %-10s failed: %v", jb.Name(), stage, err)
		return res
	}
	if err := os.MkdirAll(j.dir, 0o755); err != nil {
		return fail(StagePreprocess, err)
	}
	var err error
	if j.champion, j.champVer, err = r.opt.Registry.Current(ctx, j.model, "champion"); err != nil {
		return fail(StagePreprocess, fmt.Errorf("registry: %w", err))
	}
	stages := map[string]stageFunc{
		StagePreprocess: preprocess, StageTrain: trainStage, StagePredict: predictStage,
		StageReport: reportStage, StageGate: gateStage, StageDeploy: deployStage,
	}
	for _, name := range stageOrder {
		if name == StageDeploy && res.Status == StatusRejected {
			rec := StageRecord{RunID: runID, Job: jb.Name(), Stage: name, Status: "skipped", Started: time.Now().UTC(), Finished: time.Now().UTC()}
			_ = r.opt.Registry.RecordStage(context.WithoutCancel(ctx), rec)
			r.say("[%s] %-10s skipped: the gate rejected the model", jb.Name(), name)
			res.Stages = append(res.Stages, rec)
			break
		}
		rec, entry, err := r.runStage(ctx, j, name, stages[name])
		res.Stages = append(res.Stages, rec)
		if err != nil {
			return fail(name, err)
		}
		j.done[name] = entry
		switch name {
		case StageTrain:
			if err := r.setBaseline(j); err != nil {
				return fail(name, err)
			}
		case StagePredict:
			res.Metrics = entry.Metrics
		case StageReport:
			p, err := r.publishReport(ctx, j, entry)
			if err != nil {
				return fail(name, err)
			}
			res.Report = p
		case StageGate:
			res.Reason = entry.Notes["verdict"]
			if entry.Notes["decision"] == "reject" {
				res.Status = StatusRejected
			}
		case StageDeploy:
			res.Version = int(entry.Metrics["version"])
		}
	}
	res.Duration = time.Since(start).Seconds()
	return res
}

// stageInputs returns the digests a stage reads, which (with its config) key its cache entry.
func (j *job) stageInputs(stage string) (map[string]string, any) {
	s := j.spec
	out := func(st, name string) string {
		if e := j.done[st]; e != nil {
			return e.Outputs[name]
		}
		return ""
	}
	switch stage {
	case StagePreprocess:
		return map[string]string{"train": j.inputs["train"], "test": j.inputs["test"], "features": j.inputs["features"]},
			map[string]any{"filter": j.job.Expand(s.Data.Filter), "label": s.Label, "model": s.Model.Type}
	case StageTrain:
		p, _ := s.TreeParams()
		return map[string]string{"train": out(StagePreprocess, "train.parquet"), "features": out(StagePreprocess, "features.yaml")},
			map[string]any{"type": s.Model.Type, "params": p, "calibrate": s.Model.Calibrate, "holdout": s.Model.Holdout, "l2": s.L2(), "name": j.model}
	case StagePredict:
		return map[string]string{"bundle": out(StageTrain, "model.bundle"), "test": out(StagePreprocess, "test.parquet")}, nil
	case StageReport:
		return map[string]string{"bundle": out(StageTrain, "model.bundle"), "test": out(StagePreprocess, "test.parquet"),
				"train": out(StagePreprocess, "train.parquet"), "champion": j.base},
			map[string]any{"segment": s.Report.Segment, "threshold": s.Report.Threshold, "model": j.model}
	case StageGate:
		return map[string]string{"bundle": out(StageTrain, "model.bundle"), "test": out(StagePreprocess, "test.parquet"), "champion": j.base},
			s.Gate
	}
	return nil, nil
}

// runStage runs one stage with its cache, retries and timeout, and records it.
func (r *Runner) runStage(ctx context.Context, j *job, name string, fn stageFunc) (StageRecord, *cacheEntry, error) {
	rec := StageRecord{RunID: j.runID, Job: j.job.Name(), Stage: name, Started: time.Now().UTC()}
	record := func(status string, err error) {
		rec.Status, rec.Finished = status, time.Now().UTC()
		if err != nil {
			rec.Error = err.Error()
		}
		_ = r.opt.Registry.RecordStage(context.WithoutCancel(ctx), rec)
	}
	ins, cfg := j.stageInputs(name)
	cacheable := name != StageDeploy // deploy changes the registry: always run (it is idempotent)
	if cacheable {
		rec.CacheKey = stageKey(name, cfg, ins)
		if e, ok := r.lookup(rec.CacheKey); ok && !r.forced(name) && r.outputsPresent(ctx, e) {
			rec.Cached, rec.Outputs, rec.Metrics = true, e.Outputs, e.Metrics
			record("succeeded", nil)
			r.say("[%s] %-10s cached", j.job.Name(), name)
			return rec, e, nil
		}
	}
	st := j.spec.Stages[name]
	var files map[string]string
	var metrics map[string]float64
	var notes map[string]string
	var err error
	begin := time.Now()
	for attempt := 0; ; attempt++ {
		sctx, cancel := ctx, context.CancelFunc(func() {})
		if st.Timeout > 0 {
			sctx, cancel = context.WithTimeout(ctx, st.Timeout)
		}
		files, metrics, notes, err = fn(sctx, r, j)
		if err != nil && st.Timeout > 0 && errors.Is(sctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("timed out after %s: %w", st.Timeout, err)
		}
		cancel()
		if err == nil || attempt >= st.Retries || ctx.Err() != nil {
			break
		}
		wait := r.opt.Backoff << attempt
		r.say("[%s] %-10s attempt %d failed (%v); retrying in %s", j.job.Name(), name, attempt+1, err, wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	if err != nil {
		record("failed", err)
		return rec, nil, err
	}
	e := &cacheEntry{Stage: name, Outputs: map[string]string{}, Metrics: metrics, Notes: notes, Created: time.Now().UTC()}
	for out, path := range files {
		d, err := r.opt.Store.PutFile(ctx, path)
		if err != nil {
			record("failed", err)
			return rec, nil, fmt.Errorf("storing %s: %w", out, err)
		}
		e.Outputs[out] = d
	}
	if cacheable {
		if err := r.remember(rec.CacheKey, e); err != nil {
			record("failed", err)
			return rec, nil, err
		}
	}
	rec.Outputs, rec.Metrics = e.Outputs, e.Metrics
	record("succeeded", nil)
	r.say("[%s] %-10s done in %.1fs%s", j.job.Name(), name, time.Since(begin).Seconds(), summary(name, metrics, notes))
	return rec, e, nil
}

// outputsPresent reports whether a cache entry's outputs can still be fetched.
func (r *Runner) outputsPresent(ctx context.Context, e *cacheEntry) bool {
	for _, d := range e.Outputs {
		if _, err := r.fetch(ctx, d, ""); err != nil {
			return false
		}
	}
	return true
}

func summary(stage string, m map[string]float64, notes map[string]string) string {
	switch stage {
	case StagePreprocess:
		return fmt.Sprintf(" (%.0f training rows, %.0f test rows)", m["train_rows"], m["test_rows"])
	case StageTrain:
		return fmt.Sprintf(" (validation AUC %.4f)", m["auc"])
	case StagePredict:
		s := fmt.Sprintf(" (test AUC %.4f, log-loss %.4f)", m["auc"], m["logloss"])
		if b, ok := m["bayes_auc"]; ok {
			s = fmt.Sprintf(" (test AUC %.4f, Bayes limit %.4f)", m["auc"], b)
		}
		return s
	case StageGate:
		return ": " + notes["verdict"]
	case StageDeploy:
		return fmt.Sprintf(": version %.0f", m["version"])
	}
	return ""
}

// local returns a local path for a completed stage's output.
func (r *Runner) local(ctx context.Context, j *job, stage, name string) (string, error) {
	e := j.done[stage]
	if e == nil || e.Outputs[name] == "" {
		return "", fmt.Errorf("no %s output %s", stage, name)
	}
	return r.fetch(ctx, e.Outputs[name], filepath.Ext(name))
}

func (r *Runner) readFrame(ctx context.Context, j *job, stage, name string) (*frame.Frame, error) {
	p, err := r.local(ctx, j, stage, name)
	if err != nil {
		return nil, err
	}
	return frameio.Read(ctx, p, frameio.ReadOptions{})
}

func (r *Runner) readBundle(ctx context.Context, digest string) (*bundle.Bundle, error) {
	p, err := r.fetch(ctx, digest, ".bundle")
	if err != nil {
		return nil, err
	}
	return bundle.Read(p)
}

// preprocess reads the train and test files, keeps the job's rows, infers the feature spec if
// the pipeline names none, fits the transformer and writes the filtered data, the spec and
// the fitted transformer (the matrix another library would train on is one
// `riskflow features transform` away).
func preprocess(ctx context.Context, r *Runner, j *job) (map[string]string, map[string]float64, map[string]string, error) {
	s := j.spec
	var spec *feature.Spec
	opt := frameio.ReadOptions{}
	if s.Features != "" {
		text, err := os.ReadFile(s.Path(s.Features))
		if err != nil {
			return nil, nil, nil, err
		}
		if spec, err = feature.ParseSpec(text); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", s.Features, err)
		}
		opt.Kinds = spec.Kinds()
	}
	filt, err := parseFilter(j.job.Expand(s.Data.Filter))
	if err != nil {
		return nil, nil, nil, err
	}
	read := func(p string) (*frame.Frame, error) {
		f, err := frameio.Read(ctx, s.Path(p), opt)
		if err != nil {
			return nil, err
		}
		if f, err = filt.apply(f); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if f.Len() == 0 {
			return nil, fmt.Errorf("%s: no rows pass the filter %q", p, j.job.Expand(s.Data.Filter))
		}
		return f, nil
	}
	tr, err := read(s.Data.Train)
	if err != nil {
		return nil, nil, nil, err
	}
	te, err := read(s.Data.Test)
	if err != nil {
		return nil, nil, nil, err
	}
	if spec == nil {
		// The truth column of generated data is the answer, never an input.
		cols := tr.Schema().Names()
		keep := cols[:0:0]
		for _, c := range cols {
			if c != "true_probability" {
				keep = append(keep, c)
			}
		}
		sel, err := tr.Select(keep...)
		if err != nil {
			return nil, nil, nil, err
		}
		if spec, err = feature.Infer(sel, s.Label, ""); err != nil {
			return nil, nil, nil, err
		}
		if s.Model.Type == train.Logistic {
			train.AdaptSpecForLinear(spec)
		}
	}
	if spec.Label == "" {
		spec.Label = s.Label
	} else if spec.Label != s.Label {
		return nil, nil, nil, fmt.Errorf("the pipeline's label is %s but the feature spec says %s", s.Label, spec.Label)
	}
	t, err := feature.Fit(spec, tr)
	if err != nil {
		return nil, nil, nil, err
	}
	files := map[string]string{
		"train.parquet":    filepath.Join(j.dir, "train.parquet"),
		"test.parquet":     filepath.Join(j.dir, "test.parquet"),
		"features.yaml":    filepath.Join(j.dir, "features.yaml"),
		"transformer.json": filepath.Join(j.dir, "transformer.json"),
	}
	if err := frameio.Write(ctx, files["train.parquet"], tr); err != nil {
		return nil, nil, nil, err
	}
	if err := frameio.Write(ctx, files["test.parquet"], te); err != nil {
		return nil, nil, nil, err
	}
	text, err := spec.YAML()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := atomicfile.WriteFile(files["features.yaml"], text); err != nil {
		return nil, nil, nil, err
	}
	tj, err := json.Marshal(t)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := atomicfile.WriteFile(files["transformer.json"], tj); err != nil {
		return nil, nil, nil, err
	}
	return files, map[string]float64{"train_rows": float64(tr.Len()), "test_rows": float64(te.Len())}, nil, nil
}

// trainStage trains the model on the job's training rows (a seeded holdout validates,
// stops early and calibrates) through train.Run, the code `riskflow train` runs.
func trainStage(ctx context.Context, r *Runner, j *job) (map[string]string, map[string]float64, map[string]string, error) {
	s := j.spec
	tr, err := r.readFrame(ctx, j, StagePreprocess, "train.parquet")
	if err != nil {
		return nil, nil, nil, err
	}
	sp, err := r.local(ctx, j, StagePreprocess, "features.yaml")
	if err != nil {
		return nil, nil, nil, err
	}
	text, err := os.ReadFile(sp)
	if err != nil {
		return nil, nil, nil, err
	}
	spec, err := feature.ParseSpec(text)
	if err != nil {
		return nil, nil, nil, err
	}
	params, _ := s.TreeParams()
	cal, _ := calibrate.ParseMethod(s.Model.Calibrate)
	b, err := train.Run(ctx, train.Config{
		Spec: spec, Train: tr, Holdout: s.Model.Holdout, Model: s.Model.Type, Params: params,
		L2: s.L2(), Calibrate: cal, Name: j.model,
		TrainInfo: bundle.DataInfo{Path: s.Path(s.Data.Train), SHA256: j.inputs["train"]},
	})
	if err != nil {
		return nil, nil, nil, err
	}
	out := filepath.Join(j.dir, "model.bundle")
	if err := bundle.Write(out, b); err != nil {
		return nil, nil, nil, err
	}
	m := map[string]float64{}
	for k, v := range b.Meta.Metrics {
		m[k] = v
	}
	if b.GBT != nil {
		m["trees"] = float64(len(b.GBT.Trees))
	}
	return map[string]string{"model.bundle": out}, m, nil, nil
}

// testScores scores the job's test rows with a bundle and returns labels and probabilities.
func testScores(ctx context.Context, b *bundle.Bundle, te *frame.Frame) ([]float64, []float64, error) {
	y, err := train.Labels(b.Transformer, te)
	if err != nil {
		return nil, nil, fmt.Errorf("test data: %w", err)
	}
	p := make([]float64, te.Len())
	if err := b.ScoreFrame(ctx, te, p); err != nil {
		return nil, nil, fmt.Errorf("test data: %w", err)
	}
	return y, p, nil
}

// scoreTest scores the job's test rows with its new model and returns the rows, the bundle,
// labels, probabilities and metrics.
func (r *Runner) scoreTest(ctx context.Context, j *job) (*frame.Frame, *bundle.Bundle, []float64, []float64, eval.Metrics, error) {
	te, err := r.readFrame(ctx, j, StagePreprocess, "test.parquet")
	if err != nil {
		return nil, nil, nil, nil, eval.Metrics{}, err
	}
	b, err := r.readBundle(ctx, j.done[StageTrain].Outputs["model.bundle"])
	if err != nil {
		return nil, nil, nil, nil, eval.Metrics{}, err
	}
	y, p, err := testScores(ctx, b, te)
	if err != nil {
		return nil, nil, nil, nil, eval.Metrics{}, err
	}
	m, err := eval.Compute(y, p)
	if err != nil {
		return nil, nil, nil, nil, eval.Metrics{}, fmt.Errorf("test metrics: %w", err)
	}
	return te, b, y, p, m, nil
}

// predictStage writes batch predictions for the test rows and their metrics (with the Bayes
// limit when the data carries datagen's true_probability).
func predictStage(ctx context.Context, r *Runner, j *job) (map[string]string, map[string]float64, map[string]string, error) {
	te, b, y, p, m, err := r.scoreTest(ctx, j)
	if err != nil {
		return nil, nil, nil, err
	}
	metrics := metricsMap(m)
	cols := []*frame.Column{}
	if id := b.Transformer.Spec().ID; id != "" {
		if c, ok := te.Column(id); ok {
			cols = append(cols, c)
		}
	}
	cols = append(cols, frame.NumericColumn(j.spec.Label, y), frame.NumericColumn("probability", p))
	if c, ok := te.Column("true_probability"); ok && c.Kind == frame.Numeric {
		cols = append(cols, c)
		if a := eval.AUC(y, c.Num); !math.IsNaN(a) {
			metrics["bayes_auc"] = a
			metrics["bayes_logloss"] = eval.LogLoss(y, c.Num)
		}
	}
	out, err := frame.New(cols...)
	if err != nil {
		return nil, nil, nil, err
	}
	path := filepath.Join(j.dir, "predictions.parquet")
	if err := frameio.Write(ctx, path, out); err != nil {
		return nil, nil, nil, err
	}
	return map[string]string{"predictions.parquet": path}, metrics, nil, nil
}

// reportStage writes the performance report, against the champion when there is one.
func reportStage(ctx context.Context, r *Runner, j *job) (map[string]string, map[string]float64, map[string]string, error) {
	te, err := r.readFrame(ctx, j, StagePreprocess, "test.parquet")
	if err != nil {
		return nil, nil, nil, err
	}
	tr, err := r.readFrame(ctx, j, StagePreprocess, "train.parquet")
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := r.readBundle(ctx, j.done[StageTrain].Outputs["model.bundle"])
	if err != nil {
		return nil, nil, nil, err
	}
	in := ReportInput{
		Model: b, ModelName: j.model, Test: te, Train: tr, Label: j.spec.Label,
		Segment: j.spec.Report.Segment, Threshold: j.spec.Report.Threshold,
		PDF:  filepath.Join(j.dir, "report.pdf"),
		HTML: filepath.Join(j.dir, "report.html"),
		JSON: filepath.Join(j.dir, "metrics.json"),
	}
	if j.base != "" {
		if in.Baseline, err = r.readBundle(ctx, j.base); err != nil {
			return nil, nil, nil, fmt.Errorf("champion %s v%d: %w", j.model, j.baseVer, err)
		}
		in.BaselineName = fmt.Sprintf("%s v%d (champion)", j.model, j.baseVer)
	}
	files := map[string]string{"metrics.json": in.JSON}
	if r.opt.Reporter != nil {
		if err := r.opt.Reporter(ctx, in); err != nil {
			return nil, nil, nil, err
		}
		files["report.pdf"], files["report.html"] = in.PDF, in.HTML
	} else {
		_, _, _, _, m, err := r.scoreTest(ctx, j)
		if err != nil {
			return nil, nil, nil, err
		}
		text, _ := json.MarshalIndent(m, "", "  ")
		if err := atomicfile.WriteFile(in.JSON, text); err != nil {
			return nil, nil, nil, err
		}
	}
	return files, nil, nil, nil
}

// gateStage compares the new model with the champion on the same test rows.
func gateStage(ctx context.Context, r *Runner, j *job) (map[string]string, map[string]float64, map[string]string, error) {
	g := j.spec.Gate
	te, _, y, p, m, err := r.scoreTest(ctx, j)
	if err != nil {
		return nil, nil, nil, err
	}
	newV := metricOf(m, g.Metric)
	metrics := map[string]float64{"new": newV}
	notes := map[string]string{"decision": "pass"}
	if j.base == "" {
		notes["verdict"] = fmt.Sprintf("pass: no champion yet (%s %.4f)", g.Metric, newV)
		return nil, metrics, notes, nil
	}
	cb, err := r.readBundle(ctx, j.base)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("champion v%d: %w", j.baseVer, err)
	}
	_, pc, err := testScores(ctx, cb, te)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("champion v%d: %w", j.baseVer, err)
	}
	cm, err := eval.Compute(y, pc)
	if err != nil {
		return nil, nil, nil, err
	}
	oldV := metricOf(cm, g.Metric)
	delta := newV - oldV
	if !gateMetrics[g.Metric] {
		delta = oldV - newV // lower is better
	}
	metrics["champion"], metrics["delta"] = oldV, delta
	pval := ""
	if pt, err := eval.DeLongPaired(y, p, pc); err == nil {
		metrics["delong_p"] = pt.P
		pval = fmt.Sprintf(", DeLong p = %.3g", pt.P)
	}
	if delta > g.MinDelta || (g.MinDelta == 0 && delta > 0) {
		notes["verdict"] = fmt.Sprintf("pass: %s %.4f vs champion v%d %.4f (improvement %+.4f > %.4f%s)", g.Metric, newV, j.baseVer, oldV, delta, g.MinDelta, pval)
	} else {
		notes["decision"] = "reject"
		notes["verdict"] = fmt.Sprintf("rejected: %s %.4f vs champion v%d %.4f (improvement %+.4f, needed > %.4f%s)", g.Metric, newV, j.baseVer, oldV, delta, g.MinDelta, pval)
	}
	return nil, metrics, notes, nil
}

// deployStage registers the bundle as a version and moves the alias to it.
func deployStage(ctx context.Context, r *Runner, j *job) (map[string]string, map[string]float64, map[string]string, error) {
	s := j.spec
	spec, _ := os.ReadFile(filepath.Join(j.dir, "features.yaml"))
	if p, err := r.local(ctx, j, StagePreprocess, "features.yaml"); err == nil {
		spec, _ = os.ReadFile(p)
	}
	params, _ := json.Marshal(s.Model)
	v, err := r.opt.Registry.Deploy(ctx, Deployment{
		Model: j.model, Alias: s.Deploy.Alias, Mode: s.Deploy.Mode,
		BundleDigest: j.done[StageTrain].Outputs["model.bundle"],
		RunID:        j.runID,
		Metrics:      j.done[StagePredict].Metrics,
		Params:       params,
		DataDigests:  map[string]string{"train": j.inputs["train"], "test": j.inputs["test"], "train_rows": j.done[StagePreprocess].Outputs["train.parquet"]},
		FeatureSpec:  string(spec),
		Reason:       fmt.Sprintf("pipeline %s run %s: %s", s.Name, j.runID, j.done[StageGate].Notes["verdict"]),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return nil, map[string]float64{"version": float64(v)}, nil, nil
}

// baseline is the record, kept per bundle digest, of the champion a model was first compared
// with.
type baseline struct {
	Digest  string `json:"digest"`
	Version int    `json:"version"`
}

// setBaseline chooses what the job's new model is compared with (see job.base).
func (r *Runner) setBaseline(j *job) error {
	model := j.done[StageTrain].Outputs["model.bundle"]
	path := filepath.Join(r.opt.Home, "cache", "baselines", model+".json")
	if j.champion == model {
		var b baseline
		if text, err := os.ReadFile(path); err == nil && json.Unmarshal(text, &b) == nil {
			j.base, j.baseVer = b.Digest, b.Version
		}
		return nil
	}
	j.base, j.baseVer = j.champion, j.champVer
	text, _ := json.Marshal(baseline{Digest: j.base, Version: j.baseVer})
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, text)
}

// publishReport copies a job's report files to <home>/reports/<model>/ (report.pdf,
// report.html, metrics.json: the latest run's), where people look for them, and returns the
// PDF's path ("" when the report stage wrote no PDF).
func (r *Runner) publishReport(ctx context.Context, j *job, e *cacheEntry) (string, error) {
	dir := filepath.Join(r.opt.Home, "reports", j.model)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	pdf := ""
	for _, name := range []string{"report.pdf", "report.html", "metrics.json"} {
		d, ok := e.Outputs[name]
		if !ok {
			continue
		}
		src, err := r.fetch(ctx, d, filepath.Ext(name))
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return "", err
		}
		dst := filepath.Join(dir, name)
		if err := atomicfile.WriteFile(dst, b); err != nil {
			return "", err
		}
		if name == "report.pdf" {
			pdf = dst
		}
	}
	return pdf, nil
}
