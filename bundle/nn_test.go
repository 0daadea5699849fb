package bundle

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"riskflow/feature"
	"riskflow/nn"
)

// smallNet returns a deterministic F-4-1 network over nf inputs with the given output kind.
func smallNet(t *testing.T, nf int, kind nn.OutputKind) *nn.Graph {
	t.Helper()
	w1 := make([]float64, 4*nf)
	for i := range w1 {
		w1[i] = math.Sin(float64(i)) * 1e-4
	}
	nodes := []nn.Node{
		{Op: "Gemm", Inputs: []string{"x", "w1", "b1"}, Outputs: []string{"h"}, Ints: map[string]int64{"transB": 1}},
		{Op: "Relu", Inputs: []string{"h"}, Outputs: []string{"r"}},
		{Op: "MatMul", Inputs: []string{"r", "w2"}, Outputs: []string{"z"}},
	}
	out := "z"
	if kind == nn.Probability {
		nodes = append(nodes, nn.Node{Op: "Sigmoid", Inputs: []string{"z"}, Outputs: []string{"p"}})
		out = "p"
	}
	g, err := nn.New(nn.Graph{
		Input: "x", NumFeatures: nf, Output: out, OutputKind: kind,
		Initializers: []nn.Tensor{
			{Name: "w1", Dims: []int{4, nf}, Data: w1},
			{Name: "b1", Dims: []int{4}, Data: []float64{0.1, -0.2, 0.3, 0}},
			{Name: "w2", Dims: []int{4, 1}, Data: []float64{0.5, -0.7, 0.9, 0.2}},
		},
		Nodes: nodes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNNBundle(t *testing.T) {
	_, lin, data := trained(t)
	// The linear bundle's spec imputes everything but the datetime parts, which can only
	// reject a missing value: a network gets no missing values.
	spec := lin.Transformer.Spec()
	for i := range spec.Features {
		if spec.Features[i].Type == feature.Datetime {
			spec.Features[i].Missing = "error"
		}
	}
	tr, err := feature.Fit(spec, data)
	if err != nil {
		t.Fatal(err)
	}
	nf := tr.NumOutputs()
	for _, kind := range []nn.OutputKind{nn.Probability, nn.Logit} {
		t.Run(string(kind), func(t *testing.T) {
			g := smallNet(t, nf, kind)
			b, err := NewNN(Metadata{ModelType: TypeNN, Label: "default"}, tr, g, nil)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Encode(&buf, b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), `"nn":{`) {
				t.Fatal("encoded bundle has no nn field")
			}
			back, err := Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if back.NN == nil || back.GBT != nil || back.Linear != nil {
				t.Fatal("decoded bundle lost its network")
			}
			rows := min(data.Len(), 300)
			batch := make([]float64, data.Len())
			if err := back.ScoreFrame(context.Background(), data, batch); err != nil {
				t.Fatal(err)
			}
			m, err := tr.Transform(data)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < rows; i++ {
				want := g.Eval(m.Row(i))
				if kind == nn.Logit {
					want = 1 / (1 + math.Exp(-want))
				}
				if math.IsNaN(want) || want < 0 || want > 1 {
					t.Fatalf("row %d: probability %v", i, want)
				}
				if batch[i] != want {
					t.Fatalf("row %d: ScoreFrame %v, network %v", i, batch[i], want)
				}
			}
			// Explain: the probability and no reasons, in both paths.
			rec := back.NewRecord()
			js := []byte(`{"order_amount": 120.5, "market": "de", "n_prev_orders": 3, "order_ts": "2025-01-01T08:07:39Z"}`)
			if err := rec.DecodeJSON(js); err != nil {
				t.Fatal(err)
			}
			p, err := back.Score(rec)
			if err != nil {
				t.Fatal(err)
			}
			pe, reasons, err := back.Explain(rec, 3, nil)
			if math.IsNaN(p) {
				t.Fatal("Score: NaN")
			}
			if err != nil || pe != p || len(reasons) != 0 {
				t.Fatalf("Explain: %v %v %v, want %v and no reasons", pe, reasons, err, p)
			}
			rs := make([]Reason, rows*2)
			for i := range rs {
				rs[i].Feature = "stale"
			}
			ps := make([]float64, rows)
			sub := data.Slice(0, rows)
			if err := back.ExplainFrame(context.Background(), sub, 2, ps, rs); err != nil {
				t.Fatal(err)
			}
			for i, r := range rs {
				if r != (Reason{}) {
					t.Fatalf("reason %d: %+v, want none", i, r)
				}
			}
			for i := range ps {
				if ps[i] != batch[i] {
					t.Fatalf("row %d: ExplainFrame %v, ScoreFrame %v", i, ps[i], batch[i])
				}
			}
		})
	}
}

func TestNNBundleErrors(t *testing.T) {
	tree, lin, _ := trained(t)
	nf := lin.Transformer.NumOutputs()
	if _, err := NewNN(Metadata{}, lin.Transformer, smallNet(t, nf+1, nn.Logit), nil); err == nil ||
		!strings.Contains(err.Error(), "takes") {
		t.Errorf("feature count mismatch: %v", err)
	}
	// The tree bundle's transformer keeps missing values: a network cannot take them.
	if _, err := NewNN(Metadata{}, tree.Transformer, smallNet(t, tree.Transformer.NumOutputs(), nn.Logit), nil); err == nil ||
		!strings.Contains(err.Error(), "may be missing") {
		t.Errorf("transformer with missing values: %v", err)
	}
	b := &Bundle{Transformer: lin.Transformer, Linear: lin.Linear, NN: smallNet(t, nf, nn.Logit)}
	if err := b.init(); err == nil || !strings.Contains(err.Error(), "more than one estimator") {
		t.Errorf("two estimators: %v", err)
	}
	// A tree bundle still explains.
	rec := tree.NewRecord()
	if err := rec.DecodeJSON([]byte(`{"order_amount": 120.5}`)); err != nil {
		t.Fatal(err)
	}
	if _, r, err := tree.Explain(rec, 2, nil); err != nil || len(r) == 0 {
		t.Errorf("tree Explain: %v %v", r, err)
	}
}
