package match

import (
	"math"
	"slices"
	"strings"
	"testing"

	"riskflow/gbt"
)

func TestFeatures(t *testing.T) {
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
		{"names and count", []string{"a", "b"}, 3, nil, "3 features but 2 feature names"},
		{"missing and extra", []string{"a", "x", "y"}, 3, nil, "in the model but not the transformer: x, y; in the transformer but not the model: b, c"},
		{"fewer", []string{"a", "b"}, 2, nil, "in the transformer but not the model: c"},
		{"twice", []string{"a", "a", "b", "c"}, 4, nil, "named twice in the model: a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Features(tc.model, tc.n, outputs)
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

// TestEnsemble checks that a model whose features are stored in another order than the
// outputs predicts the same once remapped.
func TestEnsemble(t *testing.T) {
	e, err := gbt.New(gbt.Ensemble{Objective: gbt.Logistic, BaseScore: 0.5, NumFeatures: 3, FeatureNames: []string{"x", "y", "z"},
		Trees: []gbt.Tree{{Nodes: []gbt.Node{
			{Feature: 0, Threshold: 1, Left: 1, Right: 2, DefaultLeft: true, Cover: 3},
			{Feature: 2, Threshold: -1, Left: 3, Right: 4, Cover: 2},
			{Feature: -1, Left: -1, Right: -1, Value: 0.5, Cover: 1},
			{Feature: -1, Left: -1, Right: -1, Value: -1, Cover: 1},
			{Feature: 1, Categorical: true, Categories: []uint32{2, 5}, Left: 5, Right: 6, Cover: 1},
			{Feature: -1, Left: -1, Right: -1, Value: 2, Cover: 0.5},
			{Feature: -1, Left: -1, Right: -1, Value: 3, Cover: 0.5},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{"w", "z", "x", "y"}
	if _, err := Ensemble(e, e.FeatureNames, outputs); err == nil || !strings.Contains(err.Error(), "not the model: w") {
		t.Fatalf("extra output: %v", err)
	}
	outputs = outputs[1:]
	g, err := Ensemble(e, e.FeatureNames, outputs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.FeatureNames, outputs) {
		t.Errorf("names %v", g.FeatureNames)
	}
	vals := []float64{math.NaN(), -2, 0, 1, 2, 5}
	for _, a := range vals {
		for _, b := range vals {
			for _, c := range vals {
				x := []float64{a, b, c}  // x, y, z
				rx := []float64{c, a, b} // z, x, y
				if p, q := e.PredictMargin(x), g.PredictMargin(rx); p != q {
					t.Fatalf("x=%v: %v, remapped %v", x, p, q)
				}
			}
		}
	}
}
