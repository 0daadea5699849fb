package boost

import (
	"math"

	"riskflow/gbt"
)

// gradChunk is the number of rows one gradient task handles.
const gradChunk = 16384

// objective computes gradient pairs for one loss.
type objective struct {
	kind   gbt.Objective
	y, w   []float64 // w nil means 1
	posW   float64   // scale_pos_weight
	gf     []float64 // scratch: float64 g, h interleaved
	chunkG []float64 // per chunk: max |g|
	chunkH []float64 // per chunk: max h
	maxW   float64   // largest row weight (scale_pos_weight included); 0 until computed
}

// rowWeight is the weight of row i, scale_pos_weight included.
func (o *objective) rowWeight(i int) float64 {
	w := 1.0
	if o.w != nil {
		w = o.w[i]
	}
	if o.y[i] == 1 {
		w *= o.posW
	}
	return w
}

// baseScore returns the initial margin: the constant that minimises the weighted training
// loss, i.e. the log-odds of the weighted positive rate for Logistic (clamped to a rate in
// [1e-6, 1-1e-6]) and the weighted label mean for SquaredError. Weights include
// scale_pos_weight. (XGBoost 1.7 starts from margin 0; 2.0 from one Newton step, which is
// close to but not exactly the log-odds.)
func (o *objective) baseScore() float64 {
	var sw, swy float64
	for i := range o.y {
		w := o.rowWeight(i)
		sw += w
		swy += w * o.y[i]
	}
	if sw == 0 {
		return 0
	}
	m := swy / sw
	if o.kind == gbt.Logistic {
		m = min(max(m, 1e-6), 1-1e-6)
		return math.Log(m / (1 - m))
	}
	return m
}

// gradients writes the fixed-point gradient pairs of every row at margins, and the scales to
// read them back, into gr. XGBoost's formulas: logistic g = (p−y)·w, h = max(p(1−p), 1e-16)·w
// (packed form, see logisticGradients); squared error g = (m−y)·w, h = w (wide form, in two
// passes: maxima, then quantization).
//
// The wide scales are powers of two with n·max|g|·scale < 2⁶² (likewise for h), so no
// partial sum of any subset of rows can overflow. Maxima do not depend on the order of the
// rows, so the scales, like everything else, do not depend on the thread count.
func (o *objective) gradients(margins []float64, gr *grads, threads int) {
	n := len(margins)
	if o.kind == gbt.Logistic {
		o.logisticGradients(margins, gr, threads)
		return
	}
	gr.packed = false
	if len(gr.w) < n {
		gr.w = make([]gpair, n)
	}
	gh := gr.w
	if len(o.gf) < 2*n {
		o.gf = make([]float64, 2*n)
	}
	nc := chunks(n, gradChunk)
	if len(o.chunkG) < nc {
		o.chunkG = make([]float64, nc)
		o.chunkH = make([]float64, nc)
	}
	forEach(threads, nc, func(_, c int) {
		var mg, mh float64
		for i := c * gradChunk; i < min((c+1)*gradChunk, n); i++ {
			w := o.rowWeight(i)
			g, h := (margins[i]-o.y[i])*w, w
			o.gf[2*i], o.gf[2*i+1] = g, h
			mg = max(mg, math.Abs(g))
			mh = max(mh, h)
		}
		o.chunkG[c], o.chunkH[c] = mg, mh
	})
	var mg, mh float64
	for c := range nc {
		mg, mh = max(mg, o.chunkG[c]), max(mh, o.chunkH[c])
	}
	sg, sh := fixedScale(mg, n), fixedScale(mh, n)
	forEach(threads, nc, func(_, c int) {
		for i := c * gradChunk; i < min((c+1)*gradChunk, n); i++ {
			gh[i] = gpair{int64(math.Round(o.gf[2*i] * sg)), int64(math.Round(o.gf[2*i+1] * sh))}
		}
	})
	gr.sc = scales{invG: 1 / sg, invH: 1 / sh}
}

// logisticGradients is gradients for Logistic, in the packed form (see grads): |g| ≤ w and
// h ≤ w/4, so the largest row weight w fixes the quantization scales before any gradient
// is computed, and one pass suffices.
func (o *objective) logisticGradients(margins []float64, gr *grads, threads int) {
	n := len(margins)
	if o.maxW == 0 {
		for i := range o.y {
			o.maxW = max(o.maxW, o.rowWeight(i))
		}
		if o.maxW == 0 {
			o.maxW = 1
		}
	}
	gr.packed = true
	if len(gr.q) < n {
		gr.q = make([]int64, n)
	}
	sg, sh := packMaxG/o.maxW, packMaxH/(o.maxW/4)
	forEach(threads, chunks(n, gradChunk), func(_, c int) {
		for i := c * gradChunk; i < min((c+1)*gradChunk, n); i++ {
			w := o.rowWeight(i)
			p := 1 / (1 + math.Exp(-margins[i]))
			g := (p - o.y[i]) * w
			h := max(p*(1-p), 1e-16) * w
			// Floor(x+0.5) rounds like math.Round (except exact negative halves) at a
			// fraction of its cost.
			qg := min(max(int64(math.Floor(g*sg+0.5)), -packMaxG), packMaxG)
			qh := min(max(int64(math.Floor(h*sh+0.5)), 0), packMaxH)
			gr.q[i] = pack(qg, qh)
		}
	})
	gr.sc = scales{invG: 1 / sg, invH: 1 / sh}
}

// fixedScale returns the power of two s with n·m·s < 2⁶² ≤ 2·n·m·s (1 if m is 0).
func fixedScale(m float64, n int) float64 {
	if m == 0 || n == 0 {
		return 1
	}
	_, e := math.Frexp(m * float64(n)) // m·n < 2^e
	return math.Ldexp(1, min(62-e, 1000))
}
