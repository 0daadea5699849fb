package boost

import (
	"context"
	"testing"
)

// benchTrain trains trees trees of depth 6 on rows synthetic rows and reports ms/tree.
func benchTrain(b *testing.B, rows, trees, threads int) {
	ds, _ := synth(rows, 1)
	p := DefaultParams()
	p.Trees, p.LearningRate, p.Threads = trees, 0.1, threads
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(context.Background(), ds, nil, p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*trees), "ms/tree")
}

// BenchmarkTrain1M is the headline: 1M rows × 35 features, 2 threads (the CI machine's cores).
func BenchmarkTrain1M(b *testing.B)   { benchTrain(b, 1_000_000, 50, 2) }
func BenchmarkTrain200k(b *testing.B) { benchTrain(b, 200_000, 20, 2) }

// BenchmarkTrain1MOneThread shows the thread scaling of the headline.
func BenchmarkTrain1MOneThread(b *testing.B) { benchTrain(b, 1_000_000, 20, 1) }
