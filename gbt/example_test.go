package gbt_test

import (
	"encoding/json"
	"fmt"
	"math"

	"riskflow/gbt"
)

// model is a one-tree model over two features: order amount and a merchant category code.
func model() *gbt.Ensemble {
	leaf := func(v, cover float64) gbt.Node {
		return gbt.Node{Feature: -1, Left: -1, Right: -1, Value: v, Cover: cover}
	}
	e, err := gbt.New(gbt.Ensemble{
		Objective:    gbt.Logistic,
		BaseScore:    -2,
		NumFeatures:  2,
		FeatureNames: []string{"amount", "merchant"},
		Trees: []gbt.Tree{{Nodes: []gbt.Node{
			{Feature: 0, Threshold: 500, Left: 1, Right: 2, DefaultLeft: true, Gain: 8, Cover: 100},
			leaf(-0.5, 70),
			{Feature: 1, Categorical: true, Categories: []uint32{3, 7}, Left: 3, Right: 4, Gain: 2, Cover: 30},
			leaf(1.5, 10),
			leaf(0.5, 20),
		}}},
	})
	if err != nil {
		panic(err)
	}
	return e
}

func ExampleNew() {
	e := model()
	for _, x := range [][]float64{{120, 3}, {900, 3}, {900, 4}, {math.NaN(), 7}} {
		fmt.Printf("%v: margin %.2f, probability %.3f\n", x, e.PredictMargin(x), e.Predict(x))
	}
	// Output:
	// [120 3]: margin -2.50, probability 0.076
	// [900 3]: margin -0.50, probability 0.378
	// [900 4]: margin -1.50, probability 0.182
	// [NaN 7]: margin -2.50, probability 0.076
}

func ExampleExplainer_SHAP() {
	e := model()
	ex := e.NewExplainer()
	phi := make([]float64, e.NumFeatures)
	x := []float64{900, 3}
	expected := ex.SHAP(x, phi)
	fmt.Printf("expected %.4f + amount %.4f + merchant %.4f = margin %.4f\n", expected, phi[0], phi[1], e.PredictMargin(x))
	// Output:
	// expected -2.1000 + amount 1.1667 + merchant 0.4333 = margin -0.5000
}

func ExampleTopReasons() {
	// SHAP values of four model features; features 0 and 1 come from the same input field.
	phi := []float64{0.4, 0.3, -0.9, 0.2}
	group := []int{0, 0, 1, 2}
	for _, r := range gbt.TopReasons(phi, group, 2, nil) {
		fmt.Printf("field %d raised the risk by %.1f\n", r.Group, r.Contribution)
	}
	// Output:
	// field 0 raised the risk by 0.7
	// field 2 raised the risk by 0.2
}

func ExampleEnsemble_MarshalJSON() {
	b, err := json.Marshal(model())
	if err != nil {
		panic(err)
	}
	var e gbt.Ensemble
	if err := json.Unmarshal(b, &e); err != nil {
		panic(err)
	}
	fmt.Println(e.NumTrees(), e.NumNodes(), e.MaxDepth(), e.PredictMargin([]float64{900, 3}))
	// Output:
	// 1 5 2 -0.5
}
