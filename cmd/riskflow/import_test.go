package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"riskflow/bundle"
)

const xgbTestdata = "../../modelfmt/xgboost/testdata/"

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

	// The bundle scores raw data with reason codes, as a native one does.
	scored := filepath.Join(dir, "scored.csv")
	mustRun(t, "predict", "--bundle", out, "--in", valid, "--out", scored, "--explain", "2")
	rows := readCSV(t, scored)
	if len(rows) != 1501 || !strings.Contains(strings.Join(rows[0], ","), "reason_2") || rows[1][1] == "" {
		t.Fatalf("scored %d rows, header %v, first %v", len(rows), rows[0], rows[1])
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
		{[]string{"import", "catboost", "m", "--transformer", tr, "--out", out}, exitUsage, `unknown format "catboost" (known: lightgbm, `},
		{[]string{"import", "xgboost", xgbTestdata + "binary.json", "--out", out}, exitUsage, "--transformer and one of --out or --name are required"},
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

func TestImportRegister(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	for want := 1; want <= 2; want++ {
		mustRun(t, "import", "xgboost", xgbTestdata+"binary.json", "--transformer", xgbTestdata+"transformer.json",
			"--name", "xgb", "--alias", "champion", "--home", home, "-q")
		_, out, _ := runCLI(t, "models", "show", "xgb", "--home", home, "--json")
		if !strings.Contains(out, `"champion"`) || !strings.Contains(out, fmt.Sprintf(`"version": %d`, want)) {
			t.Fatalf("after import %d: %s", want, out)
		}
	}
	scored := filepath.Join(t.TempDir(), "s.csv")
	data := filepath.Join(t.TempDir(), "d.csv")
	mustRun(t, "datagen", "--rows", "200", "--out", data, "-q")
	mustRun(t, "predict", "--model", "xgb", "--home", home, "--in", data, "--out", scored, "-q")
	if code, _, errOut := runCLI(t, "import", "xgboost", xgbTestdata+"binary.json", "--transformer", xgbTestdata+"transformer.json", "--alias", "champion"); code != exitUsage {
		t.Errorf("--alias without --name: exit %d %s", code, errOut)
	}
}
