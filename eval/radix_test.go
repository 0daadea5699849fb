package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSortMatchesFloatOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 1, -1}
	for _, n := range []int{0, 1, 5, 255, 256, 1000, 5000} {
		x := make([]float64, n)
		for i := range x {
			switch rng.IntN(4) {
			case 0:
				x[i] = special[rng.IntN(len(special))]
			case 1:
				x[i] = rng.NormFloat64() * 1e6
			case 2:
				x[i] = float64(rng.IntN(5)) // ties
			default:
				x[i] = rng.Float64()
			}
		}
		keys := make([]uint64, n)
		for i, v := range x {
			keys[i] = sortKey(v)
		}
		radixSort(keys, make([]uint64, n))
		want := slices.Clone(x)
		slices.Sort(want)
		for i := range keys {
			// Keys sort like the floats and tie exactly where the floats are equal.
			if i > 0 && (keys[i] == keys[i-1]) != (want[i] == want[i-1]) {
				t.Fatalf("n=%d: tie mismatch at %d: %v vs %v", n, i, want[i-1], want[i])
			}
			if sortKey(want[i]) != keys[i] {
				t.Fatalf("n=%d: position %d holds key of %v", n, i, want[i])
			}
		}
	}
}

// TestAUCBruteForce compares AUC with the pairwise definition on random samples with ties.
func TestAUCBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 30 {
		n := 2 + rng.IntN(700)
		y := make([]float64, n)
		p := make([]float64, n)
		y[0] = 1
		for i := range y {
			if i > 1 && rng.Float64() < 0.4 {
				y[i] = 1
			}
			p[i] = math.Round(rng.NormFloat64()*float64(1+trial)) - 0.5*float64(trial%2)
		}
		var win, pairs float64
		for i := range y {
			for j := range y {
				if y[i] == 1 && y[j] == 0 {
					pairs++
					switch {
					case p[i] > p[j]:
						win++
					case p[i] == p[j]:
						win += 0.5
					}
				}
			}
		}
		if got := AUC(y, p); !near(got, win/pairs, tol) {
			t.Fatalf("trial %d (n=%d): AUC %v, pairwise %v", trial, n, got, win/pairs)
		}
	}
}
