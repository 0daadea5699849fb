package registrytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"riskflow/registry"
)

// Run runs the conformance suite. open must return a registry on a new, empty database for
// each new t, and a second handle on the same database when it is called again with the same
// t (the two-handle test does that).
func Run(t *testing.T, open func(t *testing.T) *registry.Registry) {
	tests := []struct {
		name string
		fn   func(t *testing.T, r *registry.Registry)
	}{
		{"VersionsNumbered", testVersionsNumbered},
		{"VersionsImmutable", testVersionsImmutable},
		{"InvalidInput", testInvalidInput},
		{"NotFound", testNotFound},
		{"AliasesAndAudit", testAliasesAndAudit},
		{"Rollback", testRollback},
		{"RunsAndStages", testRunsAndStages},
		{"Lineage", testLineage},
		{"ConcurrentWriters", testConcurrentWriters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
	t.Run("TwoHandles", func(t *testing.T) {
		r1, r2 := open(t), open(t)
		if r1 == r2 {
			t.Fatal("open returned the same handle twice")
		}
		testTwoHandles(t, r1, r2)
	})
}

func ctx(t *testing.T) context.Context { return t.Context() }

func register(t *testing.T, r *registry.Registry, model, digest string) registry.Version {
	t.Helper()
	v, err := r.RegisterVersion(ctx(t), registry.NewVersion{Model: model, BundleDigest: digest, CreatedBy: "test"})
	if err != nil {
		t.Fatalf("RegisterVersion(%s): %v", model, err)
	}
	return v
}

func testVersionsNumbered(t *testing.T, r *registry.Registry) {
	for i := 1; i <= 3; i++ {
		if v := register(t, r, "dp-de", fmt.Sprintf("d%d", i)); v.Number != i {
			t.Fatalf("version %d numbered %d", i, v.Number)
		}
	}
	if v := register(t, r, "dp-fr", "x"); v.Number != 1 {
		t.Fatalf("a second model's first version is %d, want 1", v.Number)
	}
	vs, err := r.Versions(ctx(t), "dp-de")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[0].Number != 1 || vs[2].Number != 3 || vs[2].BundleDigest != "d3" {
		t.Fatalf("Versions = %+v", vs)
	}
	ms, err := r.Models(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "dp-de" || ms[0].Latest != 3 || ms[1].Name != "dp-fr" || ms[1].Latest != 1 {
		t.Fatalf("Models = %+v", ms)
	}
	if ms[0].CreatedAt.IsZero() {
		t.Error("model without creation time")
	}
}

func testVersionsImmutable(t *testing.T, r *registry.Registry) {
	nv := registry.NewVersion{
		Model:           "m",
		BundleDigest:    "abc",
		Metrics:         map[string]float64{"auc": 0.75, "brier": 0.1},
		Params:          json.RawMessage(`{"trees":300,"max_depth":6}`),
		DataDigests:     map[string]string{"train": "t1", "test": "t2"},
		FeatureSpec:     "fs1",
		RiskflowVersion: "v1.2.3",
		GitCommit:       "deadbeef",
		CreatedBy:       "alice",
	}
	before := time.Now().Add(-time.Second)
	v1, err := r.RegisterVersion(ctx(t), nv)
	if err != nil {
		t.Fatal(err)
	}
	// Changing the caller's maps afterwards must not change the stored version.
	nv.Metrics["auc"] = 0.1
	nv.BundleDigest = "other"
	v2, err := r.RegisterVersion(ctx(t), nv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Version(ctx(t), "m", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.BundleDigest != "abc" || got.Metrics["auc"] != 0.75 || got.Metrics["brier"] != 0.1 ||
		got.DataDigests["test"] != "t2" || got.FeatureSpec != "fs1" || got.RiskflowVersion != "v1.2.3" ||
		got.GitCommit != "deadbeef" || got.CreatedBy != "alice" || got.Model != "m" || got.Number != 1 {
		t.Fatalf("stored version 1 = %+v", got)
	}
	var params map[string]int
	if err := json.Unmarshal(got.Params, &params); err != nil || params["trees"] != 300 {
		t.Fatalf("params %s: %v", got.Params, err)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("created at %v", got.CreatedAt)
	}
	if !got.CreatedAt.Equal(v1.CreatedAt) || v2.Number != 2 || v2.BundleDigest != "other" {
		t.Fatalf("RegisterVersion returned %+v and %+v", v1, v2)
	}
	// A version without params, metrics or data digests reads back as empty, not nil-vs-{} noise.
	v3 := register(t, r, "m", "plain")
	if v3.Params != nil || v3.Metrics == nil || len(v3.Metrics) != 0 || v3.DataDigests == nil {
		t.Fatalf("plain version = %+v", v3)
	}
}

func testInvalidInput(t *testing.T, r *registry.Registry) {
	bad := []registry.NewVersion{
		{Model: "", BundleDigest: "d"},
		{Model: "has space", BundleDigest: "d"},
		{Model: "-leading", BundleDigest: "d"},
		{Model: "m", BundleDigest: ""},
		{Model: "m", BundleDigest: "d", Params: json.RawMessage(`{nope`)},
	}
	for _, nv := range bad {
		if _, err := r.RegisterVersion(ctx(t), nv); err == nil {
			t.Errorf("RegisterVersion(%+v) succeeded", nv)
		}
	}
	register(t, r, "m", "d")
	badAlias := []registry.AliasChange{
		{Model: "m", Alias: "", Version: 1, Actor: "a"},
		{Model: "m", Alias: "champion", Version: 1, Actor: ""},
		{Model: "m", Alias: "champion", Version: 1, Actor: "a", Mode: "canary:101"},
		{Model: "m", Alias: "champion", Version: 1, Actor: "a", Mode: "blue-green"},
	}
	for _, c := range badAlias {
		if err := r.SetAlias(ctx(t), c); err == nil {
			t.Errorf("SetAlias(%+v) succeeded", c)
		}
	}
	if err := r.CreateRun(ctx(t), registry.Run{ID: "", Pipeline: "p", Status: "running"}); err == nil {
		t.Error("CreateRun without an id succeeded")
	}
	if err := r.CreateRun(ctx(t), registry.Run{ID: "r", Pipeline: "p", Status: "running"}); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateRun(ctx(t), registry.Run{ID: "r", Pipeline: "p", Status: "running"}); !errors.Is(err, registry.ErrExists) {
		t.Errorf("CreateRun with a duplicate id: %v, want ErrExists", err)
	}
}

func testNotFound(t *testing.T, r *registry.Registry) {
	c := ctx(t)
	register(t, r, "m", "d")
	checks := map[string]error{}
	_, checks["Version of a missing model"] = r.Version(c, "nope", 1)
	_, checks["missing version"] = r.Version(c, "m", 2)
	_, checks["Versions"] = r.Versions(c, "nope")
	_, checks["Model"] = r.Model(c, "nope")
	_, _, checks["Alias of a missing model"] = r.Alias(c, "nope", "champion")
	_, _, checks["missing alias"] = r.Alias(c, "m", "champion")
	_, checks["AliasHistory"] = r.AliasHistory(c, "nope")
	checks["SetAlias to a missing version"] = r.SetAlias(c, registry.AliasChange{Model: "m", Alias: "champion", Version: 7, Actor: "a"})
	checks["SetAlias of a missing model"] = r.SetAlias(c, registry.AliasChange{Model: "nope", Alias: "champion", Version: 1, Actor: "a"})
	_, _, checks["Rollback of a missing alias"] = r.Rollback(c, "m", "champion", "a", "")
	_, _, checks["Run"] = r.Run(c, "nope")
	checks["UpdateRun"] = r.UpdateRun(c, "nope", "failed", time.Now())
	checks["RecordStage"] = r.RecordStage(c, registry.StageRecord{RunID: "nope", Stage: "train", Status: "ok"})
	_, checks["RegisterVersion with a missing run"] = r.RegisterVersion(c, registry.NewVersion{Model: "m", BundleDigest: "d", RunID: "nope"})
	for _, name := range slices.Sorted(maps.Keys(checks)) {
		if err := checks[name]; !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if vs, _ := r.Versions(c, "m"); len(vs) != 1 {
		t.Errorf("failed registrations left %d versions, want 1", len(vs))
	}
}

func testAliasesAndAudit(t *testing.T, r *registry.Registry) {
	c := ctx(t)
	for range 3 {
		register(t, r, "m", "d")
	}
	steps := []registry.AliasChange{
		{Model: "m", Alias: "champion", Version: 1, Actor: "alice", Reason: "first"},
		{Model: "m", Alias: "challenger", Version: 2, Mode: "canary:10", Actor: "bob", Reason: "try 2"},
		{Model: "m", Alias: "champion", Version: 2, Actor: "carol", Reason: "2 won"},
		{Model: "m", Alias: "challenger", Version: 3, Mode: "shadow", Actor: "bob"},
	}
	for _, s := range steps {
		if err := r.SetAlias(c, s); err != nil {
			t.Fatal(err)
		}
	}
	v, info, err := r.Alias(c, "m", "champion")
	if err != nil || v.Number != 2 || info.Version != 2 || info.UpdatedBy != "carol" || info.Reason != "2 won" || info.Mode != "" {
		t.Fatalf("champion = %+v %+v %v", v, info, err)
	}
	if _, info, _ := r.Alias(c, "m", "challenger"); info.Mode != "shadow" || info.Version != 3 {
		t.Fatalf("challenger = %+v", info)
	}
	m, err := r.Model(c, "m")
	if err != nil || len(m.Aliases) != 2 || m.Aliases[0].Alias != "challenger" || m.Aliases[1].Alias != "champion" || m.Latest != 3 {
		t.Fatalf("Model = %+v, %v", m, err)
	}
	evs, err := r.AliasHistory(c, "m")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		alias    string
		from, to int
		actor    string
		mode     string
	}{
		{"champion", 0, 1, "alice", ""},
		{"challenger", 0, 2, "bob", "canary:10"},
		{"champion", 1, 2, "carol", ""},
		{"challenger", 2, 3, "bob", "shadow"},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d audit events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, w := range want {
		e := evs[i]
		if e.Seq != i+1 || e.Alias != w.alias || e.From != w.from || e.To != w.to || e.Actor != w.actor ||
			e.Mode != w.mode || e.Action != registry.ActionSet || e.At.IsZero() || e.Reason != steps[i].Reason {
			t.Errorf("event %d = %+v, want %+v", i, e, w)
		}
	}
	// An alias points only within its model.
	register(t, r, "other", "d")
	if err := r.SetAlias(c, registry.AliasChange{Model: "other", Alias: "champion", Version: 3, Actor: "a"}); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("alias to another model's version number: %v", err)
	}
}

func testRollback(t *testing.T, r *registry.Registry) {
	c := ctx(t)
	for range 4 {
		register(t, r, "m", "d")
	}
	set := func(v int, mode string) {
		t.Helper()
		if err := r.SetAlias(c, registry.AliasChange{Model: "m", Alias: "challenger", Version: v, Mode: mode, Actor: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	rollback := func(wantFrom, wantTo int, wantMode string) {
		t.Helper()
		from, to, err := r.Rollback(c, "m", "challenger", "ops", "bad canary")
		if err != nil || from != wantFrom || to != wantTo {
			t.Fatalf("Rollback = %d→%d, %v; want %d→%d", from, to, err, wantFrom, wantTo)
		}
		_, info, err := r.Alias(c, "m", "challenger")
		if err != nil || info.Version != wantTo || info.Mode != wantMode || info.UpdatedBy != "ops" || info.Reason != "bad canary" {
			t.Fatalf("after rollback: %+v, %v", info, err)
		}
	}
	set(1, "shadow")
	if _, _, err := r.Rollback(c, "m", "challenger", "ops", ""); !errors.Is(err, registry.ErrNoPrevious) {
		t.Fatalf("rollback with one version in history: %v, want ErrNoPrevious", err)
	}
	set(2, "canary:5")
	set(3, "canary:20")
	rollback(3, 2, "canary:5")
	rollback(2, 1, "shadow")
	if _, _, err := r.Rollback(c, "m", "challenger", "ops", ""); !errors.Is(err, registry.ErrNoPrevious) {
		t.Fatalf("rollback past the first version: %v, want ErrNoPrevious", err)
	}
	set(4, "")
	rollback(4, 1, "shadow")
	evs, _ := r.AliasHistory(c, "m")
	last := evs[len(evs)-1]
	if last.Action != registry.ActionRollback || last.From != 4 || last.To != 1 || last.Actor != "ops" {
		t.Fatalf("rollback audit event = %+v", last)
	}
}

func testRunsAndStages(t *testing.T, r *registry.Registry) {
	c := ctx(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	for i, id := range []string{"run-a", "run-b", "run-c"} {
		if err := r.CreateRun(c, registry.Run{ID: id, Pipeline: "dp", Matrix: "market=de,fr", Status: registry.RunRunning, StartedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := r.Runs(c, 2)
	if err != nil || len(runs) != 2 || runs[0].ID != "run-c" || runs[1].ID != "run-b" {
		t.Fatalf("Runs(2) = %+v, %v", runs, err)
	}
	if all, _ := r.Runs(c, 0); len(all) != 3 {
		t.Fatalf("Runs(0) = %d runs, want 3", len(all))
	}
	st := registry.StageRecord{RunID: "run-a", Matrix: "market=de", Stage: "train", Status: "running", CacheKey: "k1", Started: t0}
	if err := r.RecordStage(c, st); err != nil {
		t.Fatal(err)
	}
	st.Status, st.Finished = "succeeded", t0.Add(3*time.Second)
	st.Outputs = map[string]string{"bundle": "b1"}
	st.Metrics = map[string]float64{"auc": 0.8}
	if err := r.RecordStage(c, st); err != nil {
		t.Fatal(err)
	}
	pre := registry.StageRecord{RunID: "run-a", Matrix: "market=de", Stage: "preprocess", Status: "succeeded", Cached: true,
		Started: t0.Add(-time.Second), Finished: t0, Outputs: map[string]string{"train": "t"}}
	if err := r.RecordStage(c, pre); err != nil {
		t.Fatal(err)
	}
	fail := registry.StageRecord{RunID: "run-a", Matrix: "market=fr", Stage: "train", Status: "failed", Started: t0, Error: "boom"}
	if err := r.RecordStage(c, fail); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRun(c, "run-a", registry.RunFailed, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	run, stages, err := r.Run(c, "run-a")
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != registry.RunFailed || !run.FinishedAt.Equal(t0.Add(time.Hour)) || !run.StartedAt.Equal(t0) || run.Pipeline != "dp" || run.Matrix != "market=de,fr" {
		t.Fatalf("run = %+v", run)
	}
	if len(stages) != 3 {
		t.Fatalf("%d stages, want 3 (a stage recorded twice is replaced): %+v", len(stages), stages)
	}
	if s := stages[0]; s.Stage != "preprocess" || !s.Cached || s.Outputs["train"] != "t" {
		t.Errorf("stage 0 = %+v", s)
	}
	if s := stages[1]; s.Stage != "train" || s.Status != "succeeded" || s.Cached || s.Outputs["bundle"] != "b1" ||
		s.Metrics["auc"] != 0.8 || !s.Finished.Equal(t0.Add(3*time.Second)) || !s.Started.Equal(t0) || s.CacheKey != "k1" {
		t.Errorf("stage 1 = %+v", s)
	}
	if s := stages[2]; s.Matrix != "market=fr" || s.Error != "boom" || !s.Finished.IsZero() {
		t.Errorf("stage 2 = %+v", s)
	}
	if _, stages, _ := r.Run(c, "run-b"); len(stages) != 0 {
		t.Errorf("run-b has %d stages", len(stages))
	}
}

func testLineage(t *testing.T, r *registry.Registry) {
	c := ctx(t)
	if err := r.CreateRun(c, registry.Run{ID: "r1", Pipeline: "dp", Status: registry.RunRunning}); err != nil {
		t.Fatal(err)
	}
	if err := r.RecordStage(c, registry.StageRecord{RunID: "r1", Matrix: "market=de", Stage: "train", Status: "succeeded",
		Outputs: map[string]string{"bundle": "bundle-digest"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RegisterVersion(c, registry.NewVersion{Model: "dp-de", BundleDigest: "bundle-digest", RunID: "r1",
		DataDigests: map[string]string{"train": "data-digest"}}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAlias(c, registry.AliasChange{Model: "dp-de", Alias: "champion", Version: 1, Actor: "pipeline"}); err != nil {
		t.Fatal(err)
	}
	// alias → version → run → stage outputs → data digests
	v, _, err := r.Alias(c, "dp-de", "champion")
	if err != nil || v.RunID != "r1" || v.DataDigests["train"] != "data-digest" {
		t.Fatalf("champion = %+v, %v", v, err)
	}
	_, stages, err := r.Run(c, v.RunID)
	if err != nil || len(stages) != 1 || stages[0].Outputs["bundle"] != v.BundleDigest {
		t.Fatalf("run stages = %+v, %v", stages, err)
	}
}

// hammer registers versions and moves aliases from many goroutines at once through the
// given handles, then checks nothing was lost or duplicated.
func hammer(t *testing.T, handles []*registry.Registry) {
	const workers, each = 8, 6
	c := ctx(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	got := make(chan int, workers*each)
	for w := range workers {
		r := handles[w%len(handles)]
		wg.Go(func() {
			for i := range each {
				v, err := r.RegisterVersion(c, registry.NewVersion{Model: "busy", BundleDigest: fmt.Sprintf("w%d-%d", w, i), CreatedBy: "w"})
				if err != nil {
					errs <- err
					continue
				}
				got <- v.Number
				if err := r.SetAlias(c, registry.AliasChange{Model: "busy", Alias: "champion", Version: v.Number, Actor: fmt.Sprintf("w%d", w)}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	close(got)
	for err := range errs {
		t.Error(err)
	}
	var nums []int
	for n := range got {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for i, n := range nums {
		if n != i+1 {
			t.Fatalf("version numbers %v: want 1..%d, each once", nums, workers*each)
		}
	}
	vs, err := handles[0].Versions(c, "busy")
	if err != nil || len(vs) != workers*each {
		t.Fatalf("%d versions stored, want %d (%v)", len(vs), workers*each, err)
	}
	digests := map[string]bool{}
	for _, v := range vs {
		digests[v.BundleDigest] = true
	}
	if len(digests) != workers*each {
		t.Fatalf("%d distinct bundles among %d versions", len(digests), len(vs))
	}
	evs, err := handles[0].AliasHistory(c, "busy")
	if err != nil || len(evs) != workers*each {
		t.Fatalf("%d alias events, want %d (%v)", len(evs), workers*each, err)
	}
	// The audit trail is a chain: each change starts where the previous one ended.
	for i, e := range evs {
		prev := 0
		if i > 0 {
			prev = evs[i-1].To
		}
		if e.Seq != i+1 || e.From != prev {
			t.Fatalf("audit event %d = %+v, want seq %d from %d", i, e, i+1, prev)
		}
	}
	_, info, err := handles[0].Alias(c, "busy", "champion")
	if err != nil || info.Version != evs[len(evs)-1].To {
		t.Fatalf("champion %+v, %v; last audit event %+v", info, err, evs[len(evs)-1])
	}
}

func testConcurrentWriters(t *testing.T, r *registry.Registry) {
	hammer(t, []*registry.Registry{r})
}

func testTwoHandles(t *testing.T, r1, r2 *registry.Registry) {
	hammer(t, []*registry.Registry{r1, r2})
	// Each handle sees the other's writes.
	register(t, r2, "seen", "d")
	if _, err := r1.Version(ctx(t), "seen", 1); err != nil {
		t.Fatal(err)
	}
}
