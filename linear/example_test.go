package linear_test

import (
	"context"
	"fmt"

	"riskflow/linear"
)

func ExampleTrain() {
	// Six orders, two features (utilisation, late payments), row-major.
	X := []float64{
		0.1, 0,
		0.3, 0,
		0.5, 1,
		0.7, 1,
		0.9, 2,
		0.4, 3,
	}
	y := []float64{0, 0, 1, 0, 1, 1}
	m, err := linear.Train(context.Background(), X, 6, 2, y, linear.Params{
		L2:           0.5,
		FeatureNames: []string{"utilisation", "late_payments"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := []float64{0.8, 2}
	phi := make([]float64, 2)
	base := m.Contributions(x, phi)
	fmt.Printf("p = %.3f\n", m.Predict(x))
	fmt.Printf("base margin %.3f, utilisation %+.3f, late payments %+.3f\n", base, phi[0], phi[1])
	// Output:
	// p = 0.785
	// base margin 0.087, utilisation +0.054, late payments +1.153
}
