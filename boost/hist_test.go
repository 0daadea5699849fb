package boost

import (
	"math/rand/v2"
	"testing"
)

func TestPackUnpack(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name string
		g, h func() int64
	}{
		{"extremes high", func() int64 { return packMaxG }, func() int64 { return packMaxH }},
		{"extremes low", func() int64 { return -packMaxG }, func() int64 { return packMaxH }},
		{"random", func() int64 { return r.Int64N(2*packMaxG+1) - packMaxG }, func() int64 { return r.Int64N(packMaxH + 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sum int64
			var want gpair
			for range packBlock {
				g, h := tc.g(), tc.h()
				sum += pack(g, h)
				want = want.add(gpair{g, h})
			}
			if got := unpack(sum); got != want {
				t.Errorf("unpack(sum of %d packed) = %+v, want %+v", packBlock, got, want)
			}
		})
	}
}

// TestBuildHist checks every path of buildHist (packed blocks, packed but too few rows,
// wide; dense and sparse) against a plain loop.
func TestBuildHist(t *testing.T) {
	const rows, nf, stride = 10_000, 5, 12
	r := rand.New(rand.NewPCG(2, 2))
	bins := make([]uint8, rows*nf)
	for i := range bins {
		bins[i] = uint8(r.IntN(stride))
	}
	packed := &grads{packed: true, q: make([]int64, rows)}
	wide := &grads{w: make([]gpair, rows)}
	for i := range rows {
		g, h := r.Int64N(2*packMaxG+1)-packMaxG, r.Int64N(packMaxH+1)
		packed.q[i], wide.w[i] = pack(g, h), gpair{g, h}
	}
	for _, keep := range []float64{1, 0.5, 0.05} {
		var idx []uint32
		for i := range rows {
			if r.Float64() < keep {
				idx = append(idx, uint32(i))
			}
		}
		want := make([]gpair, nf*stride)
		for _, row := range idx {
			for f := range nf {
				e := &want[f*stride+int(bins[int(row)*nf+f])]
				*e = e.add(wide.w[row])
			}
		}
		for _, gr := range []*grads{packed, wide} {
			for _, sparse := range []bool{false, true} {
				got := make([]gpair, nf*stride)
				scratch := make([]int64, nf*stride)
				buildHist(got, idx, bins, nf, stride, gr, sparse, scratch)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("keep %v packed %v sparse %v: bin %d = %+v, want %+v", keep, gr.packed, sparse, i, got[i], want[i])
					}
				}
				for _, v := range scratch {
					if v != 0 {
						t.Fatal("scratch not left zeroed")
					}
				}
			}
		}
	}
}
