package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"riskflow/artifact"
	"riskflow/registry"
	"riskflow/serve"
)

// registerBundles stores bundle files in a new home folder's artifact store and registers
// them as versions 1, 2, ... of model.
func registerBundles(t *testing.T, model string, paths ...string) string {
	t.Helper()
	ctx := context.Background()
	home := t.TempDir()
	store, err := artifact.Open(ctx, artifact.FileURL(filepath.Join(home, "artifacts")))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg, err := registry.Open(ctx, filepath.Join(home, registry.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	for _, p := range paths {
		d, err := store.PutFile(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.RegisterVersion(ctx, registry.NewVersion{Model: model, BundleDigest: d, CreatedBy: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

func modelStatus(t *testing.T, url, model string) serve.ModelStatus {
	t.Helper()
	resp, err := http.Get(url + "/v1/models/" + model)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st serve.ModelStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitFor polls until ok or fails after 10 s.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeFromRegistryFollowsAliases(t *testing.T) {
	a, b, records := serveBundles(t)
	home := registerBundles(t, "dp-de", a, b)
	t.Setenv("USER", "tester")
	mustRun(t, "models", "promote", "dp-de", "1", "--home", home)

	url, out, stop := startServe(t, "--addr", "127.0.0.1:0", "--home", home, "--poll", "50ms", "--shutdown-timeout", "5s")
	if !strings.Contains(out.String(), "model dp-de version 1\n") {
		t.Fatalf("startup lines:\n%s", out)
	}
	rec := firstRecord(t, records)
	if v, _ := predictVersion(t, url, "dp-de", rec); v != "1" {
		t.Fatalf("served version %q, want 1", v)
	}

	// A promotion reaches the running server at the next poll.
	mustRun(t, "models", "promote", "dp-de", "2", "--home", home, "--reason", "better")
	waitFor(t, "version 2 to be served", func() bool { v, _ := predictVersion(t, url, "dp-de", rec); return v == "2" })

	// A challenger in canary mode.
	mustRun(t, "models", "promote", "dp-de", "1", "--home", home, "--alias", "challenger", "--mode", "canary:100")
	waitFor(t, "the challenger", func() bool {
		st := modelStatus(t, url, "dp-de")
		return st.Challenger != nil && st.Challenger.Version == "1" && st.Challenger.Mode == "canary"
	})
	if v, _ := predictVersion(t, url, "dp-de", rec); v != "1" {
		t.Fatalf("canary:100 answered with version %q, want the challenger 1", v)
	}

	// A rollback of the champion too.
	mustRun(t, "models", "rollback", "dp-de", "--home", home)
	waitFor(t, "the rollback", func() bool { return modelStatus(t, url, "dp-de").Version == "1" })
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	// The bundles were fetched into the cache by digest.
	entries, err := os.ReadDir(filepath.Join(home, "cache", "blobs"))
	if err != nil || len(entries) != 2 {
		t.Fatalf("cache holds %d files (%v), want 2", len(entries), err)
	}
}

func TestRegistrySourceCorruptCacheRefetched(t *testing.T) {
	a, _, _ := serveBundles(t)
	home := registerBundles(t, "m", a)
	ctx := context.Background()
	mustRun(t, "models", "promote", "m", "1", "--home", home)
	src, err := openRegistrySource(ctx, home, serve.DefaultCanaryKey)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	specs, err := src.Models(ctx)
	if err != nil || len(specs) != 1 || specs[0].Challenger != nil || specs[0].Champion.Version != "1" {
		t.Fatalf("Models = %+v, %v", specs, err)
	}
	if !strings.HasPrefix(specs[0].Champion.Key, "sha256:") {
		t.Fatalf("key %q", specs[0].Champion.Key)
	}
	if _, err := specs[0].Champion.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cached := filepath.Join(home, "cache", "blobs", strings.TrimPrefix(specs[0].Champion.Key, "sha256:")+serve.BundleExt)
	if err := os.WriteFile(cached, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := specs[0].Champion.Load(ctx); err != nil {
		t.Fatalf("a damaged cached copy was not fetched again: %v", err)
	}
}

func TestServeHomeErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no registry", []string{"serve", "--home", empty, "--addr", "127.0.0.1:0"}, exitError, "no registry"},
		{"with --model", []string{"serve", "--home", empty, "--model", "a=b.bundle"}, exitUsage, "does not take --model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d mentioning %q", code, errOut, tt.code, tt.want)
			}
		})
	}
	// A registry where no model has a champion has nothing to serve.
	home := registerBundles(t, "m")
	reg, _ := registry.Open(context.Background(), filepath.Join(home, registry.FileName))
	reg.Close()
	code, _, errOut := runCLI(t, "serve", "--home", home, "--addr", "127.0.0.1:0")
	if code != exitError || !strings.Contains(errOut, "no model has a champion") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
