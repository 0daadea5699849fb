package onnx

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"riskflow/nn"
)

// fixture is the expected-output file gen.py writes beside each model.
type fixture struct {
	Kind    string       `json:"kind"` // probability, logit (networks) or margin (regressor)
	Inputs  [][]*float64 `json:"inputs"`
	Outputs []float64    `json:"outputs"`
}

func loadFixture(t *testing.T, name string) (*Model, [][]float64, fixture) {
	t.Helper()
	m, err := ReadFile(filepath.Join("testdata", name+".onnx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Inputs) != len(f.Outputs) || len(f.Inputs) == 0 {
		t.Fatalf("%s: %d inputs, %d outputs", name, len(f.Inputs), len(f.Outputs))
	}
	rows := make([][]float64, len(f.Inputs))
	for i, r := range f.Inputs {
		rows[i] = make([]float64, len(r))
		for j, v := range r {
			rows[i][j] = math.NaN()
			if v != nil {
				rows[i][j] = *v
			}
		}
	}
	return m, rows, f
}

// TestParity checks every fixture against the exporting library's own outputs (PyTorch for the
// networks, the ONNX tree semantics walked in Python for the ensembles): probabilities to 1e-6,
// logits and margins to 1e-5. The networks are float32 models computed here in float64 from
// float32-rounded inputs; PyTorch's float32 rounding is what the tolerance absorbs.
func TestParity(t *testing.T) {
	tests := []struct {
		name    string
		network bool
		kind    nn.OutputKind
		missing bool // the fixture has rows with missing values
	}{
		{"mlp", true, nn.Probability, false},
		{"mlp_bn_softmax", true, nn.Probability, false},
		{"mlp_logit", true, nn.Logit, false},
		{"trees_classifier", false, "", false},
		{"trees_classifier_missing", false, "", true},
		{"trees_regressor", false, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, rows, f := loadFixture(t, tc.name)
			if m.NumFeatures != len(rows[0]) {
				t.Fatalf("NumFeatures %d, fixture rows have %d", m.NumFeatures, len(rows[0]))
			}
			if tc.network != (m.Graph != nil) || tc.network == (m.Trees != nil) {
				t.Fatalf("Graph %v, Trees %v", m.Graph != nil, m.Trees != nil)
			}
			tol := 1e-6
			if f.Kind != "probability" {
				tol = 1e-5
			}
			nan := 0
			var worst float64
			for i, x := range rows {
				for _, v := range x {
					if math.IsNaN(v) {
						nan++
						break
					}
				}
				var got float64
				if tc.network {
					if m.Graph.OutputKind != tc.kind {
						t.Fatalf("output kind %q, want %q", m.Graph.OutputKind, tc.kind)
					}
					got = m.Graph.Eval(x)
				} else {
					got = m.Trees.Predict(x)
				}
				d := math.Abs(got - f.Outputs[i])
				worst = max(worst, d)
				if !(d <= tol) {
					t.Errorf("row %d: got %.9g, want %.9g (diff %.3g > %g)", i, got, f.Outputs[i], d, tol)
				}
			}
			if tc.missing != (nan > 0) {
				t.Errorf("%d rows with missing values", nan)
			}
			t.Logf("%d rows, largest difference %.3g", len(rows), worst)
		})
	}
}

// TestEvalBatch checks the batch path against the single-row one, bit for bit.
func TestEvalBatch(t *testing.T) {
	m, rows, _ := loadFixture(t, "mlp")
	var X []float64
	for range 4 { // 1200 rows: more than one goroutine
		for _, r := range rows {
			X = append(X, r...)
		}
	}
	dst := make([]float64, len(X)/m.NumFeatures)
	m.Graph.EvalBatch(X, dst)
	for i, v := range dst {
		if want := m.Graph.Eval(rows[i%len(rows)]); v != want {
			t.Fatalf("row %d: batch %v, single %v", i, v, want)
		}
	}
}
