package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"riskflow/bundle"
)

const onnxTestdata = "../../modelfmt/onnx/testdata/"

// TestImportONNX imports the PyTorch MLP fixture and checks that 'riskflow predict' on the raw
// test orders gives PyTorch's probabilities, with no reason codes for a network.
func TestImportONNX(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.bundle")
	mustRun(t, "import", "onnx", onnxTestdata+"mlp.onnx", "--transformer", onnxTestdata+"transformer.json", "--out", out, "-q")
	b, err := bundle.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if b.NN == nil || b.Meta.ModelType != bundle.TypeNN {
		t.Fatalf("model type %q, network %v", b.Meta.ModelType, b.NN != nil)
	}
	raw, err := os.ReadFile(onnxTestdata + "mlp.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Outputs []float64 `json:"outputs"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	scored := filepath.Join(dir, "scored.csv")
	mustRun(t, "predict", "--bundle", out, "--in", onnxTestdata+"rows.csv", "--out", scored, "--explain", "2")
	rows := readCSV(t, scored)
	if len(rows) != len(fx.Outputs)+1 {
		t.Fatalf("%d scored rows, want %d", len(rows)-1, len(fx.Outputs))
	}
	col, reason := -1, -1
	for j, h := range rows[0] {
		switch h {
		case "probability":
			col = j
		case "reason_1":
			reason = j
		}
	}
	if col < 0 {
		t.Fatalf("no probability column in %v", rows[0])
	}
	for i, r := range rows[1:] {
		p, err := strconv.ParseFloat(r[col], 64)
		if err != nil || math.Abs(p-fx.Outputs[i]) > 1e-6 {
			t.Fatalf("row %d: %q (%v), PyTorch %v", i, r[col], err, fx.Outputs[i])
		}
		if reason >= 0 && r[reason] != "" {
			t.Fatalf("row %d: reason %q for a network", i, r[reason])
		}
	}
	code, _, errOut := runCLI(t, "import", "onnx", onnxTestdata+"transformer.json", "--transformer", onnxTestdata+"transformer.json", "--out", out)
	if code != exitError || errOut == "" {
		t.Errorf("importing a JSON file as ONNX: exit %d, %q", code, errOut)
	}
}
