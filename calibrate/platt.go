package calibrate

import "math"

// fitPlatt fits Platt's sigmoid p = 1/(1 + exp(A·f + B)), f = logit(score), by maximum
// likelihood against Platt's smoothed targets: (N₊+1)/(N₊+2) for positives and 1/(N₋+2) for
// negatives, which keep the optimum finite even for perfectly separated data. It minimises
//
//	F(A, B) = Σᵢ log(1 + e^zᵢ) − (1 − tᵢ)·zᵢ,  zᵢ = A·fᵢ + B
//
// (convex) by Newton's method with a backtracking (Armijo) line search and a tiny ridge on the
// Hessian, after Lin, Lin & Weng (2007), "A note on Platt's probabilistic outputs for support
// vector machines". When the Newton direction is not a descent direction (a numerically
// singular Hessian, e.g. all scores equal) it falls back to steepest descent. Near the optimum
// F is flat to within its rounding error while the gradient is still informative, so a step
// that leaves F unchanged within rounding is accepted if it shrinks the gradient. It stops
// when the gradient is at the level of rounding, when no step helps, or after maxNewton
// iterations, returning the best point found. Inputs are valid (see checkInput).
func fitPlatt(scores, y []float64) (a, b float64) {
	pf := newPlattProblem(scores, y)
	const (
		maxNewton = 100
		ridge     = 1e-12 // keeps the 2×2 solve defined when all f are equal
		armijo    = 1e-4
		minStep   = 1e-10
		flat      = 1e-12 // relative rounding noise of F
	)
	a, b = 0, math.Log((pf.nneg+1)/(pf.npos+1)) // A = 0 predicts the (smoothed) base rate
	cur := pf.eval(a, b)
	for range maxNewton {
		if math.Abs(cur.ga) <= pf.gtol && math.Abs(cur.gb) <= pf.gtol {
			break
		}
		haa, hbb := cur.haa+ridge, cur.hbb+ridge
		det := haa*hbb - cur.hab*cur.hab
		da := -(hbb*cur.ga - cur.hab*cur.gb) / det
		db := -(haa*cur.gb - cur.hab*cur.ga) / det
		slope := cur.ga*da + cur.gb*db
		if !(slope < 0) || math.IsInf(da, 0) || math.IsInf(db, 0) {
			da, db, slope = -cur.ga, -cur.gb, -(cur.ga*cur.ga + cur.gb*cur.gb) // steepest descent
		}
		moved := false
		for step := 1.0; step >= minStep; step /= 2 {
			na, nb := a+step*da, b+step*db
			next := pf.eval(na, nb)
			if next.f <= cur.f+armijo*step*slope ||
				(next.f <= cur.f+flat*math.Abs(cur.f) && next.gnorm() < cur.gnorm()) {
				moved = na != a || nb != b
				a, b, cur = na, nb, next
				break
			}
		}
		if !moved {
			break // no representable step improves F or the gradient: at the optimum
		}
	}
	return a, b
}

// plattProblem holds the data of Platt's objective.
type plattProblem struct {
	f, u       []float64 // logit of the scores; u = 1 − target
	npos, nneg float64
	gtol       float64 // gradient size at the level of rounding
}

func newPlattProblem(scores, y []float64) *plattProblem {
	n := len(scores)
	pf := &plattProblem{f: make([]float64, n), u: make([]float64, n)}
	var maxF float64
	for i, s := range scores {
		pf.f[i] = logit(s)
		maxF = max(maxF, math.Abs(pf.f[i]))
		pf.npos += y[i]
	}
	pf.nneg = float64(n) - pf.npos
	hiT, loT := (pf.npos+1)/(pf.npos+2), 1/(pf.nneg+2)
	for i := range pf.u {
		if y[i] == 1 {
			pf.u[i] = 1 - hiT
		} else {
			pf.u[i] = 1 - loT
		}
	}
	// The gradient sums n terms of size up to max|f|; its rounding error is far below this.
	pf.gtol = 1e-12 * float64(n) * max(1, maxF)
	return pf
}

// plattPoint is F, its gradient and its Hessian at one (A, B).
type plattPoint struct {
	f, ga, gb, haa, hab, hbb float64
}

func (p plattPoint) gnorm() float64 { return math.Hypot(p.ga, p.gb) }

// eval computes F and its derivatives at (a, b) in one pass: with σ = 1/(1+e^−z) = 1 − pᵢ,
// dF/dzᵢ = σ − uᵢ and d²F/dzᵢ² = σ(1 − σ).
func (pf *plattProblem) eval(a, b float64) plattPoint {
	var p plattPoint
	for i, fi := range pf.f {
		z := a*fi + b
		// One exp serves both log(1 + e^z) and σ(z), computed without overflow.
		e := math.Exp(-math.Abs(z))
		var q float64 // σ(z)
		if z >= 0 {
			p.f += z + math.Log1p(e) - pf.u[i]*z
			q = 1 / (1 + e)
		} else {
			p.f += math.Log1p(e) - pf.u[i]*z
			q = e / (1 + e)
		}
		r := q - pf.u[i]
		w := q * (1 - q)
		p.ga += r * fi
		p.gb += r
		p.haa += w * fi * fi
		p.hab += w * fi
		p.hbb += w
	}
	return p
}
