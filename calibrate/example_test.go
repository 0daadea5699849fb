package calibrate_test

import (
	"encoding/json"
	"fmt"

	"riskflow/calibrate"
)

func ExampleFit() {
	// Held-out probabilities of an over-confident model and the observed outcomes.
	scores := []float64{0.02, 0.05, 0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99}
	y := []float64{0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1}
	c, err := calibrate.Fit(calibrate.Isotonic, scores, y)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.3f %.3f %.3f\n", c.Apply(0.05), c.Apply(0.5), c.Apply(0.99))
	b, _ := json.Marshal(c)
	fmt.Println(string(b))
	// Output:
	// 0.000 0.333 1.000
	// {"method":"isotonic","x":[0.02,0.1,0.2,0.6,0.7,0.9,0.95,0.99],"y":[0,0,0.3333333333333333,0.3333333333333333,0.6666666666666666,0.6666666666666666,1,1]}
}
