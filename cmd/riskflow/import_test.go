package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"riskflow/bundle"
	"riskflow/modelfmt/xgboost"
)

const xgbTestdata = "../../modelfmt/xgboost/testdata/"

func TestMatchFeatures(t *testing.T) {
	outputs := []string{"a", "b", "c"}
	for _, tc := range []struct {
		name    string
		model   []string
		n       int
		want    []int
		wantErr string
	}{
		{"same order", []string{"a", "b", "c"}, 3, []int{0, 1, 2}, ""},
		{"shuffled", []string{"c", "a", "b"}, 3, []int{2, 0, 1}, ""},
		{"by position", nil, 3, []int{0, 1, 2}, ""},
		{"count", nil, 2, nil, "2 features and the transformer 3 outputs"},
		{"missing and extra", []string{"a", "x", "y"}, 3, nil, "in the model but not the transformer: x, y; in the transformer but not the model: b, c"},
		{"fewer", []string{"a", "b"}, 2, nil, "in the transformer but not the model: c"},
		{"twice", []string{"a", "a", "b", "c"}, 4, nil, "named twice in the model: a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := matchFeatures(tc.model, tc.n, outputs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("%v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestGeneratedNames(t *testing.T) {
	for names, want := range map[string]bool{"Column_0 Column_1": true, "Column_1 Column_0": false, "a b": false, "": false} {
		if got := generatedNames(strings.Fields(names)); got != want {
			t.Errorf("%q: %v", names, got)
		}
	}
}

// TestRemapFeatures checks that a model whose features are stored in another order than the
// transformer's predicts the same once remapped.
func TestRemapFeatures(t *testing.T) {
	m, err := xgboost.ReadFile(xgbTestdata + "binary.json")
	if err != nil {
		t.Fatal(err)
	}
	names := slices.Clone(m.FeatureNames)
	slices.Reverse(names)
	perm, err := matchFeatures(m.FeatureNames, len(m.FeatureNames), names)
	if err != nil {
		t.Fatal(err)
	}
	g, err := remapFeatures(m.Ensemble, perm, names)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, len(names))
	rx := make([]float64, len(names))
	for r := range 200 {
		for j := range x {
			x[j] = float64((r*7+j*13)%50) - 5
			if (r+j)%11 == 0 {
				x[j] = math.NaN()
			}
			rx[perm[j]] = x[j]
		}
		if a, b := m.Ensemble.PredictMargin(x), g.PredictMargin(rx); a != b {
			t.Fatalf("row %d: %v before remapping, %v after", r, a, b)
		}
	}
}

// TestImportXGBoost imports a fixture model into a bundle, with calibration on generated
// validation data, and checks the bundle's trees give XGBoost's predictions.
func TestImportXGBoost(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.bundle")
	valid := filepath.Join(dir, "valid.csv")
	mustRun(t, "datagen", "--rows", "1500", "--seed", "9", "--out", valid, "-q")
	mustRun(t, "import", "xgboost", xgbTestdata+"binary.json", "--transformer", xgbTestdata+"transformer.json",
		"--calibrate", "platt", "--valid", valid, "--out", out, "-q")
	b, err := bundle.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if b.Calibrator == nil || b.Meta.Validation == nil || b.Meta.Validation.Rows != 1500 || !(b.Meta.Metrics["auc"] > 0.55) {
		t.Fatalf("calibrator %v, validation %+v, metrics %v", b.Calibrator, b.Meta.Validation, b.Meta.Metrics)
	}
	var params map[string]string
	if err := json.Unmarshal(b.Meta.Params, &params); err != nil || params["imported_from"] != "xgboost" {
		t.Errorf("params %s (%v)", b.Meta.Params, err)
	}
	raw, err := os.ReadFile(xgbTestdata + "binary.rows.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Rows   [][]*float64 `json:"rows"`
		Output []float64    `json:"output"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	for r, row := range fx.Rows {
		x := make([]float64, len(row))
		for j, v := range row {
			x[j] = math.NaN()
			if v != nil {
				x[j] = *v
			}
		}
		if p := b.GBT.Predict(x); math.Abs(p-fx.Output[r]) > 1e-6 {
			t.Fatalf("row %d: %v, XGBoost %v", r, p, fx.Output[r])
		}
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.bundle")
	tr := xgbTestdata + "transformer.json"
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", "catboost", "m", "--transformer", tr, "--out", out}, exitUsage, `unknown format "catboost" (known: lightgbm, xgboost)`},
		{[]string{"import", "xgboost", xgbTestdata + "binary.json", "--out", out}, exitUsage, "--transformer and --out are required"},
		{[]string{"import", "xgboost"}, exitUsage, "want a format"},
		{[]string{"import", "xgboost", xgbTestdata + "binary.json", "--transformer", tr, "--out", out, "--calibrate", "platt"}, exitUsage, "needs --valid"},
		{[]string{"import", "xgboost", xgbTestdata + "regression.json", "--transformer", tr, "--out", out}, exitError, "22 features and the transformer 23 outputs"},
		{[]string{"import", "lightgbm", "../../modelfmt/lightgbm/testdata/lg_dart_breast_cancer.model", "--transformer", tr, "--out", out}, exitError, "30 features and the transformer 23 outputs"},
		{[]string{"import", "lightgbm", "../../modelfmt/lightgbm/testdata/lg_kddcup99.model", "--transformer", tr, "--out", out}, exitError, "multiclass"},
		{[]string{"import", "xgboost", xgbTestdata + "X.csv", "--transformer", tr, "--out", out}, exitError, "not an XGBoost JSON model"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("riskflow %s: exit %d, %q; want exit %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed import wrote %s", out)
	}
}
