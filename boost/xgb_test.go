package boost

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"riskflow/eval"
)

// TestVersusXGBoost trains riskflow and python3-xgboost (tree_method=hist) on the same
// synthetic rows with the same parameters, alternately, and compares test AUC and fit time.
// It is skipped unless RISKFLOW_XGB=1; RISKFLOW_XGB_ROWS (default 200000), RISKFLOW_XGB_TREES
// (default 100) and RISKFLOW_XGB_REPS (default 2) size it; RISKFLOW_XGB_CATMODE says how
// XGBoost sees the categorical features: native (default), onehot, or numeric (then riskflow
// treats them as numbers too). Both use 2 threads, depth 6, eta 0.1, max_bin 256. Times are
// wall clock on a shared machine: compare the ratio of runs made at the same moment.
//
//	RISKFLOW_XGB=1 RISKFLOW_XGB_ROWS=1000000 RISKFLOW_XGB_TREES=300 go test -run VersusXGBoost -v -timeout 1h ./boost
func TestVersusXGBoost(t *testing.T) {
	if os.Getenv("RISKFLOW_XGB") != "1" {
		t.Skip("set RISKFLOW_XGB=1 to compare with python3-xgboost")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import xgboost, sklearn").Run(); err != nil {
		t.Skipf("python3-xgboost or python3-sklearn missing: %v", err)
	}
	rows := envInt(t, "RISKFLOW_XGB_ROWS", 200_000)
	trees := envInt(t, "RISKFLOW_XGB_TREES", 100)
	reps := envInt(t, "RISKFLOW_XGB_REPS", 2)
	const depth, eta, threads = 6, 0.1, 2

	train, _ := synth(rows, 1)
	test, truth := synth(max(rows/5, 50_000), 2)
	mode := os.Getenv("RISKFLOW_XGB_CATMODE")
	if mode == "" {
		mode = "native"
	}
	if mode == "numeric" { // categorical codes as numbers, on both sides
		for f := range train.Features {
			train.Features[f].Categorical, test.Features[f].Categorical = false, false
		}
	}
	dir := t.TempDir()
	trainPath, testPath := filepath.Join(dir, "train.f64"), filepath.Join(dir, "test.f64")
	writeF64(t, trainPath, train)
	writeF64(t, testPath, test)
	mask := make([]byte, len(train.Features))
	for f, ft := range train.Features {
		mask[f] = '0'
		if ft.Categorical {
			mask[f] = '1'
		}
	}

	p := DefaultParams()
	p.Trees, p.MaxDepth, p.LearningRate, p.Threads, p.Seed = trees, depth, eta, threads, 1
	var xgbFit, rfFit []float64
	var xgbAUC, xgbLoss, rfAUC, rfLoss float64
	for range reps {
		cmd := exec.Command("/usr/bin/python3", "testdata/xgb_compare.py", trainPath, testPath,
			strconv.Itoa(len(train.Features)), string(mask), strconv.Itoa(trees), strconv.Itoa(depth),
			strconv.FormatFloat(eta, 'g', -1, 64), strconv.Itoa(threads), mode)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("xgb_compare.py: %v\n%s", err, stderr.String())
		}
		var x struct {
			Version      string  `json:"xgboost_version"`
			Columns      int     `json:"columns"`
			Fit          float64 `json:"fit_s"`
			AUC, LogLoss float64
		}
		if err := json.Unmarshal(out, &x); err != nil {
			t.Fatalf("xgb_compare.py output %q: %v", out, err)
		}
		xgbFit = append(xgbFit, x.Fit)
		xgbAUC, xgbLoss = x.AUC, x.LogLoss
		t.Logf("xgboost %s: fit %.2fs (%d columns, categorical %s)", x.Version, x.Fit, x.Columns, mode)

		start := time.Now()
		res, err := Train(context.Background(), train, nil, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rfFit = append(rfFit, time.Since(start).Seconds())
		t.Logf("riskflow: fit %.2fs (%.1f ms/tree)", rfFit[len(rfFit)-1], 1000*rfFit[len(rfFit)-1]/float64(trees))
		pred := make([]float64, test.Rows)
		nf := len(test.Features)
		for i := range pred {
			pred[i] = res.Model.Predict(test.X[i*nf : (i+1)*nf])
		}
		rfAUC, rfLoss = eval.AUC(test.Y, pred), eval.LogLoss(test.Y, pred)
	}
	bestX, bestR := minOf(xgbFit), minOf(rfFit)
	t.Logf("rows %d, trees %d, depth %d, eta %v, %d threads", rows, trees, depth, eta, threads)
	t.Logf("fit seconds (best of %d): riskflow %.2f, xgboost %.2f, ratio %.2f", reps, bestR, bestX, bestR/bestX)
	t.Logf("test AUC: riskflow %.5f, xgboost %.5f (Δ %+.5f); Bayes %.5f", rfAUC, xgbAUC, rfAUC-xgbAUC, eval.AUC(test.Y, truth))
	t.Logf("test log-loss: riskflow %.5f, xgboost %.5f", rfLoss, xgbLoss)
	if rfAUC < xgbAUC-0.001 {
		t.Errorf("riskflow AUC %.5f < xgboost %.5f − 0.001", rfAUC, xgbAUC)
	}
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return v
}

// writeF64 writes ds as raw little-endian float64 rows, the label last.
func writeF64(t *testing.T, path string, ds *Dataset) {
	nf := len(ds.Features)
	buf := make([]byte, 0, ds.Rows*(nf+1)*8)
	for i := range ds.Rows {
		for _, v := range ds.X[i*nf : (i+1)*nf] {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(ds.Y[i]))
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = min(m, x)
	}
	return m
}
