package eval_test

import (
	"fmt"

	"riskflow/eval"
)

func ExampleAUC() {
	y := []float64{0, 0, 1, 1, 0, 1}
	p := []float64{0.1, 0.4, 0.35, 0.8, 0.4, 0.4}
	fmt.Printf("AUC %.4f, Gini %.4f, log-loss %.4f\n", eval.AUC(y, p), eval.Gini(y, p), eval.LogLoss(y, p))
	// Output: AUC 0.6667, Gini 0.3333, log-loss 0.5527
}

func ExampleDeLongPaired() {
	y := []float64{1, 1, 1, 0, 0, 0, 1, 0}
	champion := []float64{0.9, 0.7, 0.4, 0.5, 0.2, 0.1, 0.6, 0.3}
	challenger := []float64{0.8, 0.6, 0.7, 0.4, 0.3, 0.2, 0.5, 0.1}
	t, err := eval.DeLongPaired(y, champion, challenger)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("AUC %.4f vs %.4f, z %.3f, p %.3f\n", t.AUC1, t.AUC2, t.Z, t.P)
	// Output: AUC 0.9375 vs 1.0000, z -0.707, p 0.480
}

func ExampleLift() {
	y := []float64{1, 1, 0, 0, 1, 0, 0, 0, 0, 0}
	p := []float64{.9, .8, .7, .6, .5, .4, .3, .2, .1, .05}
	rows, err := eval.Lift(y, p, 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		fmt.Printf("group %d: rate %.2f lift %.2f gains %.2f\n", r.Group, r.Rate, r.Lift, r.Gains)
	}
	// Output:
	// group 1: rate 1.00 lift 3.33 gains 0.67
	// group 2: rate 0.00 lift 0.00 gains 0.67
	// group 3: rate 0.50 lift 1.67 gains 1.00
	// group 4: rate 0.00 lift 0.00 gains 1.00
	// group 5: rate 0.00 lift 0.00 gains 1.00
}

func ExampleCompute() {
	y := []float64{0, 0, 1, 1, 0, 1, 0, 0}
	p := []float64{0.1, 0.3, 0.7, 0.8, 0.4, 0.35, 0.2, 0.5}
	m, err := eval.Compute(y, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("AUC %.3f [%.3f, %.3f] KS %.3f Brier %.4f\n", m.AUC, m.AUCLo, m.AUCHi, m.KS, m.Brier)
	// Output: AUC 0.867 [0.560, 1.000] KS 0.667 Brier 0.1378
}
