package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("riskflow %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestDatagenDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	mustRun(t, "datagen", "--rows", "700", "--seed", "5", "--out", a, "-q")
	mustRun(t, "datagen", "--rows", "700", "--seed", "5", "--out", b, "-q")
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Fatal("the same seed gave different files")
	}
	if rows := readCSV(t, a); len(rows) != 701 {
		t.Fatalf("%d lines, want header + 700", len(rows))
	}
	mustRun(t, "datagen", "--rows", "50", "--markets", "de,fr", "--with-truth", "--out", filepath.Join(dir, "c.parquet"), "-q")
	mustRun(t, "datagen", "--rows", "50", "--out", filepath.Join(dir, "c.jsonl"), "-q")
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"datagen no out", []string{"datagen", "--rows", "5"}, "--out is required"},
		{"datagen no rows", []string{"datagen", "--out", filepath.Join(dir, "x.csv")}, "--rows must be positive"},
		{"datagen bad market", []string{"datagen", "--rows", "5", "--markets", "zz", "--out", filepath.Join(dir, "x.csv")}, `unknown market "zz"`},
		{"train no label", []string{"train", "--data", "x.csv", "--out", "m.bundle"}, "--label"},
		{"train bad model", []string{"train", "--data", "x", "--label", "y", "--out", "z", "--model", "forest"}, `--model "forest"`},
		{"train bad calibrate", []string{"train", "--data", "x", "--label", "y", "--out", "z", "--calibrate", "magic"}, "magic"},
		{"train bad trees", []string{"train", "--data", "x", "--label", "y", "--out", "z", "--trees", "0"}, "trees"},
		{"predict missing", []string{"predict", "--bundle", "m"}, "--in"},
		{"predict negative explain", []string{"predict", "--bundle", "m", "--in", "a", "--out", "b", "--explain", "-1"}, "--explain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, exitUsage, tt.want)
			}
		})
	}
}

func TestFeaturesInferFitTransform(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "orders.csv")
	mustRun(t, "datagen", "--rows", "1500", "--out", data, "-q")
	spec := mustRun(t, "features", "infer", "--data", data, "--label", "default", "--id", "order_id")
	for _, want := range []string{"id: order_id", "label: default", "name: market", "type: categorical", "# left out customer_id"} {
		if !strings.Contains(spec, want) {
			t.Fatalf("inferred spec lacks %q:\n%s", want, spec)
		}
	}
	specPath := filepath.Join(dir, "features.yaml")
	os.WriteFile(specPath, []byte(spec), 0o644)
	tr := filepath.Join(dir, "transformer.json")
	mustRun(t, "features", "fit", "--spec", specPath, "--data", data, "--out", tr, "-q")
	out := filepath.Join(dir, "X.csv")
	mustRun(t, "features", "transform", "--transformer", tr, "--data", data, "--out", out, "-q")
	rows := readCSV(t, out)
	if len(rows) != 1501 || rows[0][0] != "order_id" || rows[0][1] != "default" {
		t.Fatalf("transform output: %d rows, header %v", len(rows), rows[0])
	}
	mustRun(t, "features", "transform", "--transformer", tr, "--data", data, "--out", filepath.Join(dir, "X.parquet"), "-q")

	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("features:\n  - name: x\n    type: numbr\n"), 0o644)
	code, _, errOut := runCLI(t, "features", "fit", "--spec", filepath.Join(dir, "bad.yaml"), "--data", data, "--out", tr)
	if code != exitError || !strings.Contains(errOut, "numbr") {
		t.Fatalf("bad spec: exit %d, %q", code, errOut)
	}
}

func TestTrainPredict(t *testing.T) {
	dir := t.TempDir()
	train, test := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	mustRun(t, "datagen", "--rows", "4000", "--seed", "1", "--out", train, "-q")
	mustRun(t, "datagen", "--rows", "500", "--seed", "2", "--out", test, "-q")
	tests := []struct {
		name string
		args []string
	}{
		{"gbdt", []string{"--trees", "25", "--max-depth", "4", "--early-stopping", "5", "--calibrate", "platt"}},
		{"leafwise", []string{"--trees", "10", "--max-leaves", "8", "--holdout", "0"}},
		{"logistic", []string{"--model", "logistic", "--calibrate", "isotonic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := filepath.Join(dir, tt.name+".bundle")
			args := append([]string{"train", "--data", train, "--label", "default", "--id", "order_id", "--out", model, "--threads", "2"}, tt.args...)
			code, _, errOut := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("train: exit %d: %s", code, errOut)
			}
			if !strings.Contains(errOut, "wrote "+model) {
				t.Fatalf("no summary: %s", errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.name+".features.yaml")); err != nil {
				t.Fatalf("inferred spec not saved beside the bundle: %v", err)
			}
			pred := filepath.Join(dir, tt.name+".csv")
			mustRun(t, "predict", "--bundle", model, "--in", test, "--out", pred, "--explain", "2", "--keep", "market", "-q")
			rows := readCSV(t, pred)
			if len(rows) != 501 {
				t.Fatalf("%d prediction lines, want 501", len(rows))
			}
			want := []string{"order_id", "market", "probability", "reason_1", "reason_1_contribution", "reason_2", "reason_2_contribution"}
			if strings.Join(rows[0], ",") != strings.Join(want, ",") {
				t.Fatalf("header %v, want %v", rows[0], want)
			}
			for _, r := range rows[1:] {
				p, err := strconv.ParseFloat(r[2], 64)
				if err != nil || p < 0 || p > 1 {
					t.Fatalf("probability %q", r[2])
				}
			}
		})
	}
}

func TestTrainCreditData(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "credit.bundle")
	code, _, errOut := runCLI(t, "train", "--data", "testdata/credit_data.csv", "--label", "Status", "--positive", "bad",
		"--trees", "60", "--max-depth", "3", "--out", model)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// A real-data model must rank: the validation AUC of this data set is about 0.8.
	i := strings.Index(errOut, "AUC ")
	if i < 0 {
		t.Fatalf("no AUC in summary: %s", errOut)
	}
	auc, err := strconv.ParseFloat(strings.Fields(errOut[i+4:])[0], 64)
	if err != nil || auc < 0.75 {
		t.Fatalf("credit data validation AUC %v (%v), want ≥ 0.75", auc, err)
	}
	// Without --positive the good/bad label is refused with a hint.
	code, _, errOut = runCLI(t, "train", "--data", "testdata/credit_data.csv", "--label", "Status", "--out", model, "-q")
	if code == exitOK || !strings.Contains(errOut, "--positive") {
		t.Fatalf("string label without --positive: exit %d, %q", code, errOut)
	}
}

func TestTrainPredictErrors(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	mustRun(t, "datagen", "--rows", "300", "--out", data, "-q")
	code, _, errOut := runCLI(t, "train", "--data", data, "--label", "dflt", "--out", filepath.Join(dir, "m.bundle"))
	if code != exitError || !strings.Contains(errOut, `no label column "dflt"`) {
		t.Fatalf("unknown label: exit %d, %q", code, errOut)
	}
	bad := filepath.Join(dir, "bad.bundle")
	os.WriteFile(bad, []byte("riskflow-bundle 1 sha256=00 bytes=3\nabc"), 0o644)
	code, _, errOut = runCLI(t, "predict", "--bundle", bad, "--in", data, "--out", filepath.Join(dir, "p.csv"))
	if code != exitError || !strings.Contains(errOut, "corrupt") {
		t.Fatalf("corrupt bundle: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "p.csv")); !os.IsNotExist(err) {
		t.Fatal("a failed predict left an output file")
	}
}

func TestExclude(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	mustRun(t, "datagen", "--rows", "800", "--with-truth", "--out", data, "-q")
	spec := mustRun(t, "features", "infer", "--data", data, "--label", "default", "--exclude", "true_probability,customer_age")
	if strings.Contains(spec, "name: true_probability") || strings.Contains(spec, "name: customer_age") {
		t.Fatalf("excluded columns in the spec:\n%s", spec)
	}
	if !strings.Contains(spec, "excluded with --exclude") {
		t.Fatalf("exclusion not explained:\n%s", spec)
	}
	model := filepath.Join(dir, "m.bundle")
	mustRun(t, "train", "--data", data, "--label", "default", "--exclude", "true_probability", "--trees", "5", "--out", model, "-q")
	saved, err := os.ReadFile(filepath.Join(dir, "m.features.yaml"))
	if err != nil || strings.Contains(string(saved), "name: true_probability") {
		t.Fatalf("saved spec has the excluded column (%v):\n%s", err, saved)
	}
	code, _, errOut := runCLI(t, "features", "infer", "--data", data, "--label", "default", "--exclude", "nope")
	if code != exitUsage || !strings.Contains(errOut, "--exclude nope") {
		t.Fatalf("unknown excluded column: exit %d, %q", code, errOut)
	}
}
