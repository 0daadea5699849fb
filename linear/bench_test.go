package linear

import (
	"context"
	"testing"
)

func BenchmarkTrain(b *testing.B) {
	const rows = 20_000
	scale := []float64{1, 100, 0.1, 5, 1, 1, 2, 3, 1, 50}
	X, y := synthetic(1, rows, scale)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(context.Background(), X, rows, len(scale), y, Params{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredict(b *testing.B) {
	scale := make([]float64, 30)
	for j := range scale {
		scale[j] = 1
	}
	X, y := synthetic(1, 2000, scale)
	m, err := Train(context.Background(), X, 2000, len(scale), y, Params{})
	if err != nil {
		b.Fatal(err)
	}
	x := X[:len(scale)]
	b.ReportAllocs()
	var sink float64
	for b.Loop() {
		sink += m.Predict(x)
	}
	_ = sink
}

func BenchmarkContributions(b *testing.B) {
	scale := make([]float64, 30)
	for j := range scale {
		scale[j] = 1
	}
	X, y := synthetic(1, 2000, scale)
	m, err := Train(context.Background(), X, 2000, len(scale), y, Params{})
	if err != nil {
		b.Fatal(err)
	}
	x := X[:len(scale)]
	phi := make([]float64, len(scale))
	b.ReportAllocs()
	for b.Loop() {
		m.Contributions(x, phi)
	}
}
