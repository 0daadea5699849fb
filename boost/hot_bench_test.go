package boost

import (
	"math/rand/v2"
	"testing"
)

// hotSetup bins a synthetic set and computes one round of gradients (packed: logistic).
func hotSetup(b testing.TB, rows int) (*binner, []uint8, []uint8, *grads) {
	ds, _ := synth(rows, 1)
	bn := newBinner(ds, 256, 2)
	bins, cols, err := bn.binMatrix(ds, 2, true)
	if err != nil {
		b.Fatal(err)
	}
	obj := &objective{kind: "binary:logistic", y: ds.Y, posW: 1}
	m := make([]float64, rows)
	gr := &grads{}
	obj.gradients(m, gr, 1)
	return bn, bins, cols, gr
}

// randomRows returns the rows of [0, n) kept with probability keep, in increasing order: the
// row list of a node holding that fraction of the data.
func randomRows(n int, keep float64) []uint32 {
	r := rand.New(rand.NewPCG(1, 2))
	var idx []uint32
	for i := range n {
		if r.Float64() < keep {
			idx = append(idx, uint32(i))
		}
	}
	return idx
}

// BenchmarkBuildHist measures the histogram loop, one thread, 1M rows × 35 features, for a
// root (every row) and nodes holding 30%, 10% and 2% of the rows; ns/update is per row and
// feature.
func BenchmarkBuildHist(b *testing.B) {
	const rows = 1_000_000
	bn, bins, _, packed := hotSetup(b, rows)
	wide := &grads{w: make([]gpair, rows)}
	for i, q := range packed.q {
		wide.w[i] = unpack(q)
	}
	scratch := make([]int64, bn.total)
	for _, form := range []struct {
		name string
		gr   *grads
	}{{"packed", packed}, {"wide", wide}} {
		for _, tc := range []struct {
			name string
			keep float64
		}{{"all", 1}, {"30%", 0.3}, {"10%", 0.1}, {"2%", 0.02}} {
			b.Run(form.name+"/"+tc.name, func(b *testing.B) {
				idx := randomRows(rows, tc.keep)
				h := make([]gpair, bn.total)
				for b.Loop() {
					clear(h)
					buildHist(h, idx, bins, bn.nf, bn.stride, form.gr, 2*len(idx) < rows, scratch)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(idx)*bn.nf), "ns/update")
			})
		}
	}
}

// BenchmarkPartition measures the stable partition of a node's rows on one feature, one
// thread, for a root and a node holding 10% of 1M rows.
func BenchmarkPartition(b *testing.B) {
	const rows = 1_000_000
	_, _, cols, _ := hotSetup(b, rows)
	for _, tc := range []struct {
		name string
		keep float64
	}{{"all", 1}, {"10%", 0.1}} {
		b.Run(tc.name, func(b *testing.B) {
			src := randomRows(rows, tc.keep)
			dst := make([]uint32, len(src))
			tmp := make([]uint32, len(src))
			var left bitset256
			left.setRange(0, 100)
			for b.Loop() {
				partitionChunk(src, dst, tmp, cols[:rows], &left)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(src)), "ns/row")
		})
	}
}

// BenchmarkSplitSearch measures finding the best split of a root histogram over all 35
// features, one thread.
func BenchmarkSplitSearch(b *testing.B) {
	const rows = 200_000
	bn, bins, _, gr := hotSetup(b, rows)
	idx := randomRows(rows, 1)
	h := make([]gpair, bn.total)
	buildHist(h, idx, bins, bn.nf, bn.stride, gr, false, make([]int64, bn.total))
	var sum gpair
	for _, e := range h[:bn.nbins[0]] {
		sum = sum.add(e)
	}
	ev := &evaluator{lambda: 1, minChild: 1, catSmooth: 10, monotone: make([]int8, bn.nf)}
	sc := scales{1, 1}
	g, hs := sc.gh(sum)
	ns := nodeStats{sum: sum, lo: -1e300, hi: 1e300, gain: ev.nodeGain(g, hs, -1e300, 1e300)}
	buf := make([]catStat, 0, 256)
	for b.Loop() {
		best := split{feature: -1}
		for f := range bn.nf {
			hb := h[bn.off[f] : int(bn.off[f])+bn.nbins[f]]
			if bn.cat[f] {
				buf = ev.categoricalSplit(&best, &ns, sc, f, hb, buf)
			} else {
				ev.numericSplit(&best, &ns, sc, f, hb)
			}
		}
	}
}
