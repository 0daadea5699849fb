package onnx

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"riskflow/bundle"
	"riskflow/feature"
	"riskflow/frame"
	"riskflow/frameio"
)

// TestBundleParity is the whole workflow: the raw test orders (rows.csv) go through the
// fitted transformer the models were trained on (transformer.json) and the imported model
// inside a bundle, and must give PyTorch's (or the tree walk's) outputs for the same rows.
func TestBundleParity(t *testing.T) {
	tb, err := os.ReadFile(filepath.Join("testdata", "transformer.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := feature.ParseTransformer(tb)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]frame.Kind{}
	for _, in := range tr.Inputs() {
		kinds[in.Name] = in.Kind
	}
	kinds["order_id"] = frame.String
	rows, err := frameio.Read(context.Background(), filepath.Join("testdata", "rows.csv"), frameio.ReadOptions{Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mlp", "mlp_bn_softmax", "mlp_logit", "trees_classifier"} {
		t.Run(name, func(t *testing.T) {
			m, _, f := loadFixture(t, name)
			m, err := m.ForOutputs(tr.Names())
			if err != nil {
				t.Fatal(err)
			}
			var b *bundle.Bundle
			if m.Graph != nil {
				b, err = bundle.NewNN(bundle.Metadata{ModelType: bundle.TypeNN}, tr, m.Graph, nil)
			} else {
				b, err = bundle.New(bundle.Metadata{ModelType: bundle.TypeGBDT}, tr, m.Trees, nil, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			p := make([]float64, rows.Len())
			if err := b.ScoreFrame(context.Background(), rows, p); err != nil {
				t.Fatal(err)
			}
			if len(p) != len(f.Outputs) {
				t.Fatalf("%d rows, %d expected outputs", len(p), len(f.Outputs))
			}
			for i, got := range p {
				want := f.Outputs[i]
				if f.Kind == "logit" {
					want = 1 / (1 + math.Exp(-want))
				}
				if d := math.Abs(got - want); !(d <= 1e-6) {
					t.Errorf("row %d: bundle %.9g, library %.9g", i, got, want)
				}
			}
		})
	}
}
