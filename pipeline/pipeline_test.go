package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"riskflow/datagen"
	"riskflow/frameio"
)

// memStore is an in-memory Store.
type memStore struct {
	mu    sync.Mutex
	blobs map[string][]byte
	puts  int
}

func (m *memStore) PutFile(_ context.Context, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	d := hex.EncodeToString(sum[:])
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blobs == nil {
		m.blobs = map[string][]byte{}
	}
	m.blobs[d] = b
	m.puts++
	return d, nil
}

func (m *memStore) GetFile(_ context.Context, digest, path string) error {
	m.mu.Lock()
	b, ok := m.blobs[digest]
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("no blob %s", digest)
	}
	return os.WriteFile(path, b, 0o644)
}

// memRegistry is an in-memory Registry.
type memRegistry struct {
	mu       sync.Mutex
	versions map[string][]string       // model → bundle digests (version i+1)
	aliases  map[string]map[string]int // model → alias → version
	stages   []StageRecord
	runs     map[string]RunRecord
}

func newMemRegistry() *memRegistry {
	return &memRegistry{versions: map[string][]string{}, aliases: map[string]map[string]int{}, runs: map[string]RunRecord{}}
}

func (m *memRegistry) Current(_ context.Context, model, alias string) (string, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.aliases[model][alias]
	if v == 0 {
		return "", 0, nil
	}
	return m.versions[model][v-1], v, nil
}

func (m *memRegistry) Deploy(_ context.Context, d Deployment) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := 0
	for i, dg := range m.versions[d.Model] {
		if dg == d.BundleDigest {
			v = i + 1
		}
	}
	if v == 0 {
		m.versions[d.Model] = append(m.versions[d.Model], d.BundleDigest)
		v = len(m.versions[d.Model])
	}
	if m.aliases[d.Model] == nil {
		m.aliases[d.Model] = map[string]int{}
	}
	m.aliases[d.Model][d.Alias] = v
	return v, nil
}

func (m *memRegistry) RecordRun(_ context.Context, r RunRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs[r.ID] = r
	return nil
}

func (m *memRegistry) RecordStage(_ context.Context, s StageRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stages = append(m.stages, s)
	return nil
}

// writeData writes small generated train and test files for two markets.
func writeData(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	for name, cfg := range map[string]datagen.Config{
		"train.parquet": {Rows: 6000, Seed: 1, Markets: []string{"de", "fr"}},
		"test.parquet":  {Rows: 3000, Seed: 2, Markets: []string{"de", "fr"}, WithTruth: true},
	} {
		f, err := datagen.GenerateFrame(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := frameio.Write(ctx, filepath.Join(dir, name), f); err != nil {
			t.Fatal(err)
		}
	}
}

const testPipeline = `name: test
matrix:
  market: [de, fr]
data:
  train: train.parquet
  test: test.parquet
  filter: market == "{{market}}"
label: default
model:
  type: gbdt
  params: {trees: 20, max_depth: 3, learning_rate: 0.3}
gate:
  metric: auc
deploy:
  model: dp-{{market}}
`

type fixture struct {
	dir, path string
	store     *memStore
	reg       *memRegistry
	out       bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{dir: t.TempDir(), store: &memStore{}, reg: newMemRegistry()}
	writeData(t, f.dir)
	f.path = filepath.Join(f.dir, "pipeline.yaml")
	if err := os.WriteFile(f.path, []byte(testPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) run(t *testing.T, sets []string, force ...string) *Result {
	t.Helper()
	spec, err := Load(f.path, sets)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(Options{Home: filepath.Join(f.dir, "home"), Store: f.store, Registry: f.reg, Out: &f.out, Force: force})
	if err != nil {
		t.Fatal(err)
	}
	f.out.Reset()
	res, err := r.Run(context.Background(), spec, f.path, sets, NewRunID())
	if err != nil {
		t.Fatalf("run: %v\n%s", err, f.out.String())
	}
	return res
}

func cachedStages(res *Result) (cached, ran int) {
	for _, j := range res.Jobs {
		for _, s := range j.Stages {
			if s.Stage == StageDeploy {
				continue
			}
			if s.Cached {
				cached++
			} else {
				ran++
			}
		}
	}
	return
}

func TestRunCacheGate(t *testing.T) {
	f := newFixture(t)

	// First run: every stage runs, both models deploy as version 1.
	res := f.run(t, nil)
	if res.Status != StatusSucceeded || len(res.Jobs) != 2 {
		t.Fatalf("status %s, %d jobs\n%s", res.Status, len(res.Jobs), f.out.String())
	}
	for _, j := range res.Jobs {
		if j.Version != 1 || j.Metrics["auc"] < 0.6 || j.Metrics["bayes_auc"] < j.Metrics["auc"]-0.05 {
			t.Errorf("%s: version %d, metrics %v", j.Job, j.Version, j.Metrics)
		}
	}
	if c, r := cachedStages(res); c != 0 || r != 10 {
		t.Errorf("first run: %d cached, %d ran; want 0 and 10", c, r)
	}

	// Unchanged: every cacheable stage is a hit and nothing new is deployed.
	res = f.run(t, nil)
	if c, r := cachedStages(res); c != 10 || r != 0 {
		t.Errorf("second run: %d cached, %d ran; want 10 and 0\n%s", c, r, f.out.String())
	}
	if !strings.Contains(f.out.String(), "cached") {
		t.Errorf("output does not say cached:\n%s", f.out.String())
	}
	for _, j := range res.Jobs {
		if j.Version != 1 || j.Status != StatusSucceeded {
			t.Errorf("%s: version %d status %s", j.Job, j.Version, j.Status)
		}
	}

	// --force train re-runs train; its bundle records a new creation time, so predict,
	// report and gate run again, and the gate rejects a model that only equals the champion.
	res = f.run(t, nil, StageTrain)
	if c, r := cachedStages(res); c != 2 || r != 8 {
		t.Errorf("forced train: %d cached, %d ran; want 2 and 8\n%s", c, r, f.out.String())
	}
	if res.Status != StatusRejected {
		t.Errorf("an equal model: status %s, want rejected", res.Status)
	}

	// A much worse model (one shallow tree) is rejected by the gate and not deployed.
	res = f.run(t, []string{"model.params.trees=1", "model.params.max_depth=1"})
	if res.Status != StatusRejected {
		t.Fatalf("worse model: status %s\n%s", res.Status, f.out.String())
	}
	for _, j := range res.Jobs {
		if j.Status != StatusRejected || !strings.Contains(j.Reason, "rejected") {
			t.Errorf("%s: status %s reason %q", j.Job, j.Status, j.Reason)
		}
		if _, v, _ := f.reg.Current(context.Background(), j.Model, "champion"); v != 1 {
			t.Errorf("%s: champion moved to v%d", j.Model, v)
		}
	}

	// A better model (more trees) passes and becomes version 2.
	res = f.run(t, []string{"model.params.trees=60"})
	for _, j := range res.Jobs {
		if j.Status == StatusSucceeded && j.Version != 2 {
			t.Errorf("%s: better model deployed as v%d", j.Job, j.Version)
		}
		if j.Status == StatusFailed {
			t.Errorf("%s failed: %s", j.Job, j.Error)
		}
	}
}

func TestRunFailureNamesStage(t *testing.T) {
	f := newFixture(t)
	spec, err := Load(f.path, []string{`data.filter=country == "{{market}}"`})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := NewRunner(Options{Home: filepath.Join(f.dir, "home"), Store: f.store, Registry: f.reg, Out: &f.out})
	res, err := r.Run(context.Background(), spec, f.path, nil, NewRunID())
	if err == nil || res.Status != StatusFailed {
		t.Fatalf("want a failure, got %v (status %s)", err, res.Status)
	}
	if !strings.Contains(res.Jobs[0].Error, "stage preprocess") || !strings.Contains(res.Jobs[0].Error, `no column "country"`) {
		t.Errorf("error %q does not name the stage and the column", res.Jobs[0].Error)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"no name", "data: {train: a, test: b}\nlabel: y\ndeploy: {model: m}", "name: required"},
		{"unknown key", testPipeline + "colour: red\n", "colour"},
		{"bad param", strings.Replace(testPipeline, "trees: 20", "trees: many", 1), "not a number"},
		{"unknown param", strings.Replace(testPipeline, "trees: 20", "treez: 20", 1), "unknown parameter"},
		{"bad filter", strings.Replace(testPipeline, `market == "{{market}}"`, `market ~ x`, 1), "data.filter"},
		{"bad gate", testPipeline + "gate: {metric: accuracy}\n", ""},
		{"mode on champion", strings.Replace(testPipeline, "model: dp-{{market}}", "model: dp-{{market}}\n  mode: shadow", 1), "deploy.mode"},
		{"bad stage", testPipeline + "stages: {training: {retries: 2}}\n", "no such stage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestJobsAndFilter(t *testing.T) {
	s, err := Parse([]byte(testPipeline), []string{"matrix.segment=[a, b, c]"})
	if err != nil {
		t.Fatal(err)
	}
	jobs := s.Jobs()
	if len(jobs) != 6 || jobs[0].Name() != "de-a" || jobs[5].Name() != "fr-c" {
		t.Errorf("jobs: %d, first %s last %s", len(jobs), jobs[0].Name(), jobs[len(jobs)-1].Name())
	}
	f, err := parseFilter(`market == "de" and device != 'mobile'`)
	if err != nil || len(f) != 2 || f[1].col != "device" || !f[1].neg || f[1].val != "mobile" {
		t.Errorf("filter %+v, %v", f, err)
	}
}

func TestRetriesAndTimeout(t *testing.T) {
	f := newFixture(t)
	spec, err := Load(f.path, []string{"matrix.market=[de]", "stages.report.retries=2"})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	flaky := func(ctx context.Context, in ReportInput) error {
		calls++
		if calls < 3 {
			return fmt.Errorf("flaky %d", calls)
		}
		for _, p := range []string{in.PDF, in.HTML, in.JSON} {
			if err := os.WriteFile(p, []byte("report"), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	r, _ := NewRunner(Options{Home: filepath.Join(f.dir, "home"), Store: f.store, Registry: f.reg, Out: &f.out, Reporter: flaky, Backoff: time.Millisecond})
	res, err := r.Run(context.Background(), spec, f.path, nil, NewRunID())
	if err != nil || res.Status != StatusSucceeded || calls != 3 {
		t.Fatalf("status %s, %d calls, err %v\n%s", res.Status, calls, err, f.out.String())
	}
	if !strings.Contains(f.out.String(), "attempt 2 failed (flaky 2); retrying") {
		t.Errorf("no retry lines:\n%s", f.out.String())
	}

	// A stage that outlives its timeout fails, naming the timeout.
	spec, _ = Load(f.path, []string{"matrix.market=[fr]", "stages.report.timeout=50ms"})
	slow := func(ctx context.Context, in ReportInput) error {
		<-ctx.Done()
		return ctx.Err()
	}
	r, _ = NewRunner(Options{Home: filepath.Join(f.dir, "home"), Store: f.store, Registry: f.reg, Out: &f.out, Reporter: slow})
	res, err = r.Run(context.Background(), spec, f.path, nil, NewRunID())
	if err == nil || res.Status != StatusFailed || !strings.Contains(res.Jobs[0].Error, "stage report: timed out after 50ms") {
		t.Fatalf("slow report: status %s, err %v, job error %q", res.Status, err, res.Jobs[0].Error)
	}
}
