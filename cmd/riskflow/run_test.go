package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"riskflow/artifact"
	"riskflow/pipeline"
	"riskflow/registry"
)

// TestMain lets a test re-run this binary as the riskflow command (RISKFLOW_TEST_MAIN=1), so
// a test can kill a real riskflow process.
func TestMain(m *testing.M) {
	if os.Getenv("RISKFLOW_TEST_MAIN") == "1" {
		os.Exit(run(context.Background(), strings.Split(os.Getenv("RISKFLOW_TEST_ARGS"), "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runOK runs riskflow in-process and fails the test on a non-zero exit.
func runOK(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("riskflow %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

const killPipeline = `name: kill-test
matrix:
  market: [de]
data:
  train: train.parquet
  test: test.parquet
  filter: market == "{{market}}"
label: default
model:
  params: {trees: 400, max_depth: 5, learning_rate: 0.05}
deploy:
  model: dp-{{market}}
`

// TestRunResumeAfterKill kills a pipeline run with SIGKILL during training, resumes it, and
// checks that finished stages are reused, the registry holds exactly one version, and every
// stored artifact is whole.
func TestRunResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	runOK(t, "datagen", "--rows", "20000", "--seed", "1", "--markets", "de", "--out", filepath.Join(dir, "train.parquet"))
	runOK(t, "datagen", "--rows", "5000", "--seed", "2", "--markets", "de", "--with-truth", "--out", filepath.Join(dir, "test.parquet"))
	pipe := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(pipe, []byte(killPipeline), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RISKFLOW_TEST_MAIN=1", "RISKFLOW_TEST_ARGS="+strings.Join([]string{"run", pipe, "--home", home}, "\x1f"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	runID := ""
	idRE := regexp.MustCompile(`^run (\S+): pipeline`)
	sc := bufio.NewScanner(stderr)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if m := idRE.FindStringSubmatch(line); m != nil {
			runID = m[1]
		}
		if strings.Contains(line, "preprocess done") {
			time.Sleep(300 * time.Millisecond) // well into training
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
			break
		}
	}
	_ = cmd.Wait()
	if !killed || runID == "" {
		t.Fatalf("the run did not reach training (run id %q)", runID)
	}

	out, errOut := runOK(t, "run", "--resume", runID, "--home", home)
	for _, want := range []string{"[de] preprocess cached", "[de] train      done", "[de] deploy     done"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("resumed run output lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "succeeded") {
		t.Errorf("resumed run did not succeed:\n%s", out)
	}

	// One version, the champion; the run is recorded as succeeded.
	ctx := context.Background()
	reg, err := registry.Open(ctx, filepath.Join(home, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	vs, err := reg.Versions(ctx, "dp-de")
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions of dp-de: %d, %v", len(vs), err)
	}
	if v, _, err := reg.Alias(ctx, "dp-de", "champion"); err != nil || v.Number != 1 {
		t.Errorf("champion: %+v, %v", v, err)
	}
	run, stages, err := reg.Run(ctx, runID)
	if err != nil || run.Status != pipeline.StatusSucceeded || len(stages) == 0 {
		t.Errorf("run record: %+v, %d stages, %v", run, len(stages), err)
	}

	// Every artifact in the store is whole: its content hashes to its key.
	store, err := artifact.Open(ctx, artifact.FileURL(filepath.Join(home, "artifacts")))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var res pipeline.Result
	jsonOut, _ := runOK(t, "run", pipe, "--home", home, "--json")
	if err := json.Unmarshal([]byte(jsonOut), &res); err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Jobs[0].Stages {
		if s.Stage != pipeline.StageDeploy && !s.Cached {
			t.Errorf("third run: stage %s not cached", s.Stage)
		}
		for name, d := range s.Outputs {
			if err := store.GetFile(ctx, d, filepath.Join(dir, "check-"+name)); err != nil {
				t.Errorf("artifact %s of %s: %v", name, s.Stage, err)
			}
		}
	}
}

// TestDemoNoServe runs the whole demo, small, without serving, twice: the second run is all
// cache hits.
func TestDemoNoServe(t *testing.T) {
	home := filepath.Join(t.TempDir(), "demo")
	args := []string{"demo", "--home", home, "--no-serve", "--rows", "30000", "--test-rows", "9000",
		"--set", "model.params.trees=40", "--set", "model.params.max_depth=4"}
	out, errOut := runOK(t, args...)
	for _, m := range demoMarkets {
		if !strings.Contains(out, "dp-"+m) {
			t.Errorf("demo output lacks model dp-%s:\n%s", m, out)
		}
	}
	if !strings.Contains(out, "report.pdf") || !strings.Contains(out, "BAYES AUC") {
		t.Errorf("demo output lacks reports or the Bayes limit:\n%s", out)
	}
	if strings.Count(errOut, "done in") < 18 {
		t.Errorf("first demo run: want 18 stages run:\n%s", errOut)
	}
	_, errOut = runOK(t, args...)
	if n := strings.Count(errOut, "cached"); n != 15 {
		t.Errorf("second demo run: %d cached stages, want 15:\n%s", n, errOut)
	}

	// Registered models score and report by name.
	test := filepath.Join(home, "pipeline", "data", "orders-test.parquet")
	out = filepath.Join(t.TempDir(), "p.csv")
	runOK(t, "predict", "--model", "dp-de", "--home", home, "--in", test, "--out", out, "-q")
	runOK(t, "predict", "--model", "dp-fr@1", "--home", home, "--in", test, "--out", out, "-q")
	pdf := filepath.Join(t.TempDir(), "r.pdf")
	runOK(t, "report", "--model", "dp-nl:champion", "--baseline", "dp-de", "--home", home, "--data", test, "--out", pdf, "-q", "--resamples", "5")
	if st, err := os.Stat(pdf); err != nil || st.Size() < 10000 {
		t.Errorf("report by model name: %v", err)
	}
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"predict", "--model", "dp-xx", "--home", home, "--in", test, "--out", out}, &o, &e); code == 0 || !strings.Contains(e.String(), "dp-xx") {
		t.Errorf("unknown model: exit %d, %s", code, e.String())
	}
}
