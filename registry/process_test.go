package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"riskflow/registry"
)

const (
	envHelperDB = "RISKFLOW_REGISTRY_HELPER_DB"
	envHelperID = "RISKFLOW_REGISTRY_HELPER_ID"
	perProcess  = 15
)

// TestHelperProcess is not a test: TestTwoProcesses runs the test binary with it selected
// to get a second writer process.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(envHelperDB)
	if path == "" {
		t.Skip("helper process only")
	}
	id := os.Getenv(envHelperID)
	ctx := context.Background()
	r, err := registry.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range perProcess {
		v, err := r.RegisterVersion(ctx, registry.NewVersion{Model: "shared", BundleDigest: fmt.Sprintf("p%s-%d", id, i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.SetAlias(ctx, registry.AliasChange{Model: "shared", Alias: "champion", Version: v.Number, Actor: "p" + id}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), registry.FileName)
	// Create the schema first, so the processes race on data, not on migrations.
	r, err := registry.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const procs = 3
	cmds := make([]*exec.Cmd, procs)
	outs := make([]bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envHelperDB+"="+path, envHelperID+"="+strconv.Itoa(i))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i].Bytes())
		}
	}
	vs, err := r.Versions(context.Background(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != procs*perProcess {
		t.Fatalf("%d versions, want %d", len(vs), procs*perProcess)
	}
	for i, v := range vs {
		if v.Number != i+1 {
			t.Fatalf("version %d numbered %d", i+1, v.Number)
		}
	}
	evs, err := r.AliasHistory(context.Background(), "shared")
	if err != nil || len(evs) != procs*perProcess {
		t.Fatalf("%d alias events, want %d (%v)", len(evs), procs*perProcess, err)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].From != evs[i-1].To {
			t.Fatalf("alias event %d starts at %d, the previous ended at %d", i, evs[i].From, evs[i-1].To)
		}
	}
}
