package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"riskflow/registry"
)

// seedRegistry creates a home folder whose registry has model dp-de with three versions,
// the first produced by a recorded run.
func seedRegistry(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	ctx := context.Background()
	reg, err := registry.Open(ctx, filepath.Join(home, registry.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	if err := reg.CreateRun(ctx, registry.Run{ID: "run-1", Pipeline: "deferred-payment", Status: registry.RunRunning, StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := reg.RecordStage(ctx, registry.StageRecord{RunID: "run-1", Matrix: "market=de", Stage: "train", Status: "succeeded",
		Cached: true, Started: t0, Finished: t0.Add(1500 * time.Millisecond), Outputs: map[string]string{"bundle": strings.Repeat("ab", 32)},
		Metrics: map[string]float64{"auc": 0.8123}}); err != nil {
		t.Fatal(err)
	}
	if err := reg.UpdateRun(ctx, "run-1", registry.RunSucceeded, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		nv := registry.NewVersion{Model: "dp-de", BundleDigest: strings.Repeat(string(rune('a'+i)), 64), CreatedBy: "test",
			Metrics: map[string]float64{"auc": 0.7 + float64(i)/100}}
		if i == 0 {
			nv.RunID = "run-1"
		}
		if _, err := reg.RegisterVersion(ctx, nv); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

func TestModelsPromoteShowRollback(t *testing.T) {
	home := seedRegistry(t)
	t.Setenv("USER", "tester")
	out := mustRun(t, "models", "promote", "dp-de", "1", "--home", home, "--reason", "first")
	if !strings.Contains(out, "champion - → version 1") {
		t.Fatalf("promote output %q", out)
	}
	mustRun(t, "models", "promote", "dp-de", "2", "--home", home, "--reason", "better auc")
	out = mustRun(t, "models", "promote", "dp-de", "3", "--home", home, "--alias", "challenger", "--mode", "canary:10")
	if !strings.Contains(out, "(canary:10)") {
		t.Fatalf("promote challenger output %q", out)
	}

	out = mustRun(t, "models", "list", "--home", home)
	for _, want := range []string{"MODEL", "dp-de", "challenger=v3 (canary:10)", "champion=v2"} {
		if !strings.Contains(out, want) {
			t.Errorf("models list lacks %q:\n%s", want, out)
		}
	}
	var ms []registry.Model
	if err := json.Unmarshal([]byte(mustRun(t, "models", "list", "--home", home, "--json")), &ms); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Latest != 3 || len(ms[0].Aliases) != 2 {
		t.Fatalf("models list --json = %+v", ms)
	}

	out = mustRun(t, "models", "show", "dp-de", "--home", home)
	for _, want := range []string{"versions:", "run-1", "auc=0.7", "alias history:", "better auc", "tester"} {
		if !strings.Contains(out, want) {
			t.Errorf("models show lacks %q:\n%s", want, out)
		}
	}

	out = mustRun(t, "models", "rollback", "dp-de", "--home", home, "--reason", "incident")
	if !strings.Contains(out, "from version 2 to version 1") {
		t.Fatalf("rollback output %q", out)
	}
	var shown struct {
		registry.Model
		Versions []registry.Version    `json:"versions"`
		History  []registry.AliasEvent `json:"alias_history"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "models", "show", "dp-de", "--home", home, "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.Versions) != 3 || len(shown.History) != 4 {
		t.Fatalf("show --json: %d versions, %d events", len(shown.Versions), len(shown.History))
	}
	last := shown.History[3]
	if last.Action != registry.ActionRollback || last.From != 2 || last.To != 1 || last.Actor != "tester" || last.Reason != "incident" {
		t.Fatalf("rollback audit event %+v", last)
	}
	// $RISKFLOW_HOME stands in for --home.
	t.Setenv(envHome, home)
	if out := mustRun(t, "models", "list"); !strings.Contains(out, "champion=v1") {
		t.Fatalf("models list with $RISKFLOW_HOME:\n%s", out)
	}
}

func TestModelsErrors(t *testing.T) {
	home := seedRegistry(t)
	empty := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no registry", []string{"models", "list", "--home", empty}, exitError, "no registry in home folder"},
		{"unknown model", []string{"models", "show", "nope", "--home", home}, exitError, "not found"},
		{"missing version", []string{"models", "promote", "dp-de", "9", "--home", home}, exitError, "version 9"},
		{"bad version", []string{"models", "promote", "dp-de", "x", "--home", home}, exitUsage, `VERSION "x"`},
		{"bad mode", []string{"models", "promote", "dp-de", "1", "--mode", "canary:200", "--home", home}, exitUsage, "--mode"},
		{"no args", []string{"models", "promote", "dp-de", "--home", home}, exitUsage, "want NAME VERSION"},
		{"nothing to roll back", []string{"models", "rollback", "dp-de", "--home", home}, exitError, "not found"},
		{"unknown run", []string{"runs", "show", "nope", "--home", home}, exitError, "run nope"},
		{"negative limit", []string{"runs", "list", "--limit", "-1", "--home", home}, exitUsage, "--limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.wantCode, tt.want)
			}
		})
	}
}

func TestRunsListShow(t *testing.T) {
	home := seedRegistry(t)
	out := mustRun(t, "runs", "list", "--home", home)
	for _, want := range []string{"RUN", "run-1", "deferred-payment", "succeeded", "2s"} {
		if !strings.Contains(out, want) {
			t.Errorf("runs list lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, "runs", "show", "run-1", "--home", home)
	for _, want := range []string{"market=de", "train", "yes", "1.5s", "auc=0.8123", "bundle=abababababab"} {
		if !strings.Contains(out, want) {
			t.Errorf("runs show lacks %q:\n%s", want, out)
		}
	}
	var shown struct {
		registry.Run
		Stages []registry.StageRecord `json:"stages"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "runs", "show", "run-1", "--home", home, "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.ID != "run-1" || len(shown.Stages) != 1 || !shown.Stages[0].Cached {
		t.Fatalf("runs show --json = %+v", shown)
	}
}
