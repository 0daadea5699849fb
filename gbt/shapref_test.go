package gbt

import (
	"math/rand/v2"
	"testing"
)

// algo2 is TreeSHAP as Algorithm 2 of Lundberg, Erion & Lee (2018) states it, over canonical
// Nodes and their covers: a second reference for Explainer, on models too big for bruteSHAP,
// and the baseline of BenchmarkSHAPAlgorithm2.
type algo2 struct {
	e    *Ensemble
	phi  []float64
	x    []float64
	path []pathEl // one segment per level of recursion, reused
}

type pathEl struct {
	feat      int32
	zero, one float64
	w         float64
}

func (a *algo2) shap(x, phi []float64) {
	a.x, a.phi = x, phi
	clear(phi)
	if d := a.e.MaxDepth() + 2; len(a.path) < d*(d+1)/2 {
		a.path = make([]pathEl, d*(d+1)/2)
	}
	for ti := range a.e.Trees {
		t := &a.e.Trees[ti]
		if t.Nodes[0].IsLeaf() {
			continue
		}
		a.recurse(t, 0, a.path[:0], 1, 1, -1)
	}
}

// recurse visits node j; the parent's path m is a segment of a.path, and this call's copy
// goes right after it.
func (a *algo2) recurse(t *Tree, j int32, m []pathEl, pz, po float64, pi int32) {
	start := cap(a.path) - cap(m) + len(m)
	m = extendPath(append(a.path[start:start], m...), pz, po, pi)
	nd := &t.Nodes[j]
	if nd.IsLeaf() {
		for i := 1; i < len(m); i++ {
			w := unwoundSum(m, i)
			a.phi[m[i].feat] += w * (m[i].one - m[i].zero) * nd.Value
		}
		return
	}
	hot, cold := nd.Right, nd.Left
	if refGoesLeft(nd, a.x[nd.Feature]) {
		hot, cold = nd.Left, nd.Right
	}
	fr := coverFractions(t.Nodes[nd.Left].Cover, t.Nodes[nd.Right].Cover)
	hz, cz := fr.right, fr.left
	if hot == nd.Left {
		hz, cz = fr.left, fr.right
	}
	iz, io := 1.0, 1.0
	for k := 1; k < len(m); k++ {
		if m[k].feat == nd.Feature {
			iz, io = m[k].zero, m[k].one
			m = unwindPath(m, k)
			break
		}
	}
	a.recurse(t, hot, m, iz*hz, io, nd.Feature)
	if iz*cz != 0 {
		a.recurse(t, cold, m, iz*cz, 0, nd.Feature)
	}
}

func extendPath(m []pathEl, pz, po float64, pi int32) []pathEl {
	l := len(m)
	w := 0.0
	if l == 0 {
		w = 1
	}
	m = append(m, pathEl{pi, pz, po, w})
	for i := l - 1; i >= 0; i-- {
		m[i+1].w += po * m[i].w * float64(i+1) / float64(l+1)
		m[i].w = pz * m[i].w * float64(l-i) / float64(l+1)
	}
	return m
}

func unwindPath(m []pathEl, i int) []pathEl {
	l := len(m) - 1
	one, zero := m[i].one, m[i].zero
	n := m[l].w
	for j := l - 1; j >= 0; j-- {
		if one != 0 {
			t := m[j].w
			m[j].w = n * float64(l+1) / (float64(j+1) * one)
			n = t - m[j].w*zero*float64(l-j)/float64(l+1)
		} else {
			m[j].w = m[j].w * float64(l+1) / (zero * float64(l-j))
		}
	}
	for j := i; j < l; j++ {
		m[j].feat, m[j].zero, m[j].one = m[j+1].feat, m[j+1].zero, m[j+1].one
	}
	return m[:l]
}

func unwoundSum(m []pathEl, i int) float64 {
	l := len(m) - 1
	one, zero := m[i].one, m[i].zero
	n, total := m[l].w, 0.0
	for j := l - 1; j >= 0; j-- {
		if one != 0 {
			t := n * float64(l+1) / (float64(j+1) * one)
			total += t
			n = m[j].w - t*zero*float64(l-j)/float64(l+1)
		} else {
			total += m[j].w / zero / (float64(l-j) / float64(l+1))
		}
	}
	return total
}

func TestSHAPMatchesAlgorithm2(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, c := range []genConfig{benchConfig, {Trees: 30, Depth: 10, Features: 8, NumCat: 2, Codes: 9, SplitProb: 0.85}} {
		e := genEnsemble(t, rng, c)
		ex, ref := e.NewExplainer(), &algo2{e: e}
		X := genRows(rng, c, 20)
		phi, want := make([]float64, c.Features), make([]float64, c.Features)
		for r := range 20 {
			x := X[r*c.Features : (r+1)*c.Features]
			ex.SHAP(x, phi)
			ref.shap(x, want)
			for j := range phi {
				if !close(phi[j], want[j], 1e-9) {
					t.Fatalf("row %d: phi[%d] = %v, Algorithm 2 %v", r, j, phi[j], want[j])
				}
			}
		}
	}
}

// BenchmarkSHAPAlgorithm2 is the straightforward Algorithm 2 (allocating its path copies), for
// comparison with BenchmarkSHAP.
func BenchmarkSHAPAlgorithm2(b *testing.B) {
	e, X := benchModel(b)
	a := &algo2{e: e}
	phi := make([]float64, e.NumFeatures)
	benchRows(b, e, X, func(x []float64) { a.shap(x, phi) })
}
