package boost

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// synthFeatures is the number of columns synth generates: 26 continuous, 4 small-integer and
// 5 categorical, like the preprocessed datagen matrix (~35 features, several categorical).
const synthFeatures = 35

// synthCardinality is the number of codes of each categorical column (the last five).
var synthCardinality = [5]int{3, 7, 12, 30, 60}

// synth generates a credit-risk-like binary classification set with a known signal: skewed
// amounts, missing values whose missingness is informative, thresholds, an interaction,
// category effects, and pure-noise columns. The positive rate is about 8%. It also returns
// the true probability of every row.
func synth(rows int, seed uint64) (*Dataset, []float64) {
	r := rand.New(rand.NewPCG(seed, 0xb005))
	nf := synthFeatures
	feats := make([]Feature, nf)
	for f := range feats {
		feats[f].Name = fmt.Sprintf("x%02d", f)
	}
	for k := range synthCardinality {
		feats[30+k].Categorical = true
		feats[30+k].Name = fmt.Sprintf("cat%d", k)
	}
	// Fixed category effects, from their own generator so every call agrees.
	cr := rand.New(rand.NewPCG(7, 7))
	var catEffect [5][]float64
	for k, K := range synthCardinality {
		catEffect[k] = make([]float64, K)
		for c := range catEffect[k] {
			catEffect[k][c] = 0.5 * cr.NormFloat64()
		}
	}
	ds := &Dataset{X: make([]float64, rows*nf), Rows: rows, Features: feats, Y: make([]float64, rows)}
	truth := make([]float64, rows)
	for i := range rows {
		x := ds.X[i*nf : (i+1)*nf]
		for f := 0; f < 26; f++ {
			switch f % 4 {
			case 0:
				x[f] = r.NormFloat64()
			case 1:
				x[f] = math.Exp(1.5*r.NormFloat64() + 4) // amounts
			case 2:
				x[f] = r.Float64()
			default:
				x[f] = math.Round(r.NormFloat64()*100) / 10 // rounded: many ties
			}
		}
		for f := 26; f < 30; f++ {
			x[f] = float64(r.IntN(2 + 3*(f-26))) // counts and flags
		}
		for k, K := range synthCardinality {
			// Skewed category frequencies.
			x[30+k] = float64(min(K-1, int(float64(K)*r.Float64()*r.Float64())))
		}
		logit := -3.2 +
			0.8*x[0] +
			0.35*(math.Log(x[1])-4) +
			math.Sin(3*x[2]) +
			0.6*step(x[3] > 2) +
			0.5*x[4]*x[8] +
			-0.4*math.Log1p(x[5]/100) +
			0.9*(x[6]-0.5) +
			0.3*x[26] - 0.15*x[28] +
			catEffect[0][int(x[30])] + catEffect[1][int(x[31])] + catEffect[3][int(x[33])] + catEffect[4][int(x[34])]
		// Informative missingness: x[9] missing for 15% of rows, more often for risky rows.
		if r.Float64() < 0.15 {
			x[9] = math.NaN()
			logit += 0.4
		} else {
			logit += 0.25*(math.Log(x[9])-4) + 0.5*math.Tanh(x[12])
		}
		// Uninformative missingness on a noise column and on a category column.
		if r.Float64() < 0.1 {
			x[20] = math.NaN()
		}
		if r.Float64() < 0.05 {
			x[32] = math.NaN()
		}
		p := 1 / (1 + math.Exp(-logit))
		truth[i] = p
		if r.Float64() < p {
			ds.Y[i] = 1
		}
	}
	return ds, truth
}

func step(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
