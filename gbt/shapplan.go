package gbt

import "math"

// Limits of the TreeSHAP plan (see shapPlan).
const (
	// maxPlanDepth bounds the depth of a planned tree: the 3-point rule integrates exactly
	// the polynomials of degree below 6. (The same code with 4 points, for depth 8, measured
	// 2.6 times faster than the walk on 300 trees of depth 8 but 15% slower than 3 points on
	// the depth-6 benchmark model, the depth boost and XGBoost default to.)
	maxPlanDepth = 6
	planSpan     = 1 << (maxPlanDepth + 1) // more than the nodes of a tree of depth maxPlanDepth
	// maxPlanBytes bounds the memory of an ensemble's plan; trees past it are walked. The
	// benchmark model's plan takes 1.5 MB (about 100 bytes per split).
	maxPlanBytes = 64 << 20
)

// Sizes of the plan's records, in bytes (checked by a test).
const (
	planSplitSize = 112
	planPairSize  = 64
	planRepSize   = 80
	planTreeSize  = 16
)

// q3 holds a value at each point of the 3-point Gauss–Legendre rule (a struct of three
// fields, so that the compiler keeps it in registers).
type q3 struct{ a, b, c float64 }

// shapPlan holds what TreeSHAP needs of each tree apart from the row, so that a row's
// explanation is three passes over the tree's splits in storage order, without recursion or
// branches that depend on the row (except at categorical splits and the rare splits on a
// feature already on the path). The values are the walk's (see Explainer), to rounding; the
// arithmetic is arranged differently. An ensemble builds its plan once, on its first
// NewExplainer, for its trees of depth at most maxPlanDepth while the plan fits in
// maxPlanBytes; the other trees are walked.
//
// With a_z(t) = z + t(1 − z) and b_z(t) = z(1 − t), let P_n(t) be, for a node n, the product
// over the distinct features k on its path of a_{z_k}(t) if the row follows all of k's splits
// there (k is hot) and b_{z_k}(t) if not (cold), and A_n(t) the sum of v·P_ℓ(t) over the
// leaves ℓ (of value v) below n. A leaf gives every cold feature −v∫P_ℓ(t)/(1 − t)dt and a hot
// feature j v(1 − z_j)∫P_ℓ(t)/a_{z_j}(t)dt. So at a split on a feature j not yet on the path,
// with hot child h whose cover fraction is z and cold child c, j gets from all the leaves
// below it
//
//	(1 − z)∫A_h(t)/a_z(t)dt − ∫A_c(t)/(1 − t)dt,
//
// which Gauss–Legendre quadrature computes exactly from A at 3 points (the integrands'
// degree is below the tree's depth, at most 6). The coefficients w_p(1 − z)/a_z(t_p) of both
// children are computed once, here. A row then takes three passes over each tree: the first
// computes P at the points at every node, from the root down (preorder); the second finishes
// the splits whose children are both leaves ("pairs", half of the splits of a full tree),
// where A and the credit take a few operations (the division by a_z cancels); the third sums
// A from the bottom up (reverse preorder) and credits the other splits' features.
//
// A split on a feature j already on the path, with product z above it, changes j's factor:
// if j is cold it stays cold and the factor is multiplied by the child's cover fraction; if
// hot, the factor becomes a_{z'} (follows) or b_{z'} (does not), z' = z·fraction, divided by
// a_z (1/a_z(t_p) is kept here), and since the split above credited these leaves to j with
// a_z, this split subtracts (1 − z)∫A_n(t)/a_z(t)dt and credits them again with its own
// fractions, as above. Such splits are never pairs.
type shapPlan struct {
	trees  []planTree  // by tree; a tree that is walked has no splits or pairs
	splits []planSplit // the splits of the planned trees that are not pairs, each tree's in preorder
	pairs  []planPair
	reps   []planRep
	t, w   q3  // the rule's points and weights
	wc     q3  // w_p/(1 − t_p)
	most   int // the most splits (not pairs) a tree has
	bytes  int // memory of the plan
}

type planTree struct {
	lo, hi         uint32 // its splits in shapPlan.splits
	pairLo, pairHi uint32 // its pairs in shapPlan.pairs
}

func (pt planTree) planned() bool { return pt.lo < pt.hi || pt.pairLo < pt.pairHi }

// planSplit is a split that is not a pair.
type planSplit struct {
	thr         float64 // node.thr
	fl, sl      float64 // left child: cover fraction × scale, and scale (its value if a leaf, else 1)
	fr, sr      float64 // right child
	r           [2]q3   // w_p(1 − z)/a_z(t_p) for the left child hot, and the right
	slot        uint32  // node.feat
	node        uint32  // node index
	rep         uint32  // planRepeat: index in shapPlan.reps
	self, right uint16  // offsets in the tree of the split and its right child
	kind        uint8   // planCat, planSparse, planRepeat
}

const (
	planCat    = 1 << iota // dense categorical split
	planSparse             // sparse categorical split
	planRepeat             // its feature is on the path above
)

// planRep is what a split on a feature already on the path needs.
type planRep struct {
	z      float64 // the product of the feature's cover fractions above
	fl, fr float64 // the children's cover fractions
	ia     q3      // 1/a_z(t_p)
	corr   q3      // w_p(1 − z)/a_z(t_p)
	anc    uint32  // the nearest split above on the same feature, by its index in the tree's splits
	side   uint8   // 1 if this split is in anc's left subtree, else 0
}

// planPair is a split on a feature new on the path, whose children are both leaves.
type planPair struct {
	thr  float64
	v    [2]float64 // the leaves' values, left then right
	c    [2]float64 // v_h(1 − f_h) − v_c·f_c for the left leaf hot (h) and the other cold (c), and the right
	mean float64    // Σ f·v, f the leaves' cover fractions
	slot uint32     // node.feat
	node uint32     // node index
	self uint16     // offset in the tree
	kind uint8      // planCat, planSparse
}

// shapPlan returns f's plan, building it on first use.
func (f *flat) shapPlan() *shapPlan {
	f.shapOnce.Do(func() { f.plan = buildShapPlan(f, maxPlanBytes) })
	return f.plan
}

// planBuilder holds the state of buildShapPlan.
type planBuilder struct {
	f    *flat
	plan *shapPlan
	root uint32
	lo   uint32    // the tree's first split
	t, w []float64 // the rule
	// The distinct features on the path, by position (the first d), their cover-fraction
	// products, the splits (index in the tree's) where they last appear and whether the path
	// goes left there.
	d     int
	feats [maxPlanDepth]int32
	zs    [maxPlanDepth]float64
	ks    [maxPlanDepth]uint32
	sides [maxPlanDepth]uint8
	// Counting instead of appending: the tree's splits, pairs and reps.
	count                  bool
	nSplits, nPairs, nReps int
}

// buildShapPlan plans the trees of f of depth at most maxPlanDepth, in order, while their
// plans fit in budget bytes.
func buildShapPlan(f *flat, budget int) *shapPlan {
	plan := &shapPlan{trees: make([]planTree, len(f.roots))}
	t, w := gaussLegendre(3)
	b := &planBuilder{f: f, plan: plan, t: t, w: w}
	plan.t, plan.w = q3{t[0], t[1], t[2]}, q3{w[0], w[1], w[2]}
	plan.wc = q3{w[0] / (1 - t[0]), w[1] / (1 - t[1]), w[2] / (1 - t[2])}
	plan.bytes = planTreeSize * len(f.roots)
	budget -= plan.bytes
	// Count first, so that the plan is allocated once and exactly.
	var trees []int
	var splits, pairs, reps int
	b.count = true
	for ti, root := range f.roots {
		if f.isLeaf(root) || f.depths[ti] > maxPlanDepth {
			continue
		}
		b.root, b.nSplits, b.nPairs, b.nReps = root, 0, 0, 0
		b.split(root)
		size := planSplitSize*b.nSplits + planPairSize*b.nPairs + planRepSize*b.nReps
		if size > budget {
			continue
		}
		budget -= size
		plan.bytes += size
		trees = append(trees, ti)
		splits, pairs, reps = splits+b.nSplits, pairs+b.nPairs, reps+b.nReps
	}
	plan.splits = make([]planSplit, 0, splits)
	plan.pairs = make([]planPair, 0, pairs)
	plan.reps = make([]planRep, 0, reps)
	b.count = false
	for _, ti := range trees {
		pt := &plan.trees[ti]
		pt.lo, pt.pairLo = uint32(len(plan.splits)), uint32(len(plan.pairs))
		b.root, b.lo = f.roots[ti], pt.lo
		b.split(b.root)
		pt.hi, pt.pairHi = uint32(len(plan.splits)), uint32(len(plan.pairs))
		plan.most = max(plan.most, int(pt.hi-pt.lo))
	}
	return plan
}

// split appends (or counts) the splits of the subtree at i, whose path's features b holds.
func (b *planBuilder) split(i uint32) {
	f, plan := b.f, b.plan
	if f.isLeaf(i) {
		return
	}
	sf := int32(f.feature(i))
	k, z := b.d, 1.0
	for j, g := range b.feats[:b.d] {
		if g == sf {
			k, z = j, b.zs[j]
		}
	}
	added := k == b.d
	fr := f.fracs[i]
	l, r := i+1, f.right(i)
	if added && f.isLeaf(l) && f.isLeaf(r) {
		if b.count {
			b.nPairs++
			return
		}
		vl, vr := f.nodes[l].thr, f.nodes[r].thr
		plan.pairs = append(plan.pairs, planPair{
			thr: f.nodes[i].thr, v: [2]float64{vl, vr}, c: [2]float64{vl*(1-fr.left) - vr*fr.right, vr*(1-fr.right) - vl*fr.left},
			mean: fr.left*vl + fr.right*vr,
			slot: f.nodes[i].feat, node: i, self: uint16(i - b.root), kind: planKind(&f.nodes[i]),
		})
		return
	}
	ki := uint32(len(plan.splits)) - b.lo
	switch {
	case b.count:
		b.nSplits++
		if !added {
			b.nReps++
		}
	default:
		plan.splits = append(plan.splits, b.planSplit(i, k, z))
	}
	if added {
		b.feats[k], b.zs[k] = sf, 1
		b.d++
	}
	ok, os := b.ks[k], b.sides[k]
	b.ks[k] = ki
	b.zs[k], b.sides[k] = z*fr.left, 1
	b.split(l)
	b.zs[k], b.sides[k] = z*fr.right, 0
	b.split(r)
	b.zs[k], b.ks[k], b.sides[k] = z, ok, os
	if added {
		b.d--
	}
}

// planKind returns the planCat or planSparse bit of split n.
func planKind(n *node) uint8 {
	switch {
	case n.right&sparseBit != 0:
		return planSparse
	case n.right&catBit != 0:
		return planCat
	}
	return 0
}

// planSplit returns the plan of split i, whose feature is at position k of the path, with
// product z above it (k = b.d, z = 1 if it is new); for a feature already on the path it
// appends its planRep.
func (b *planBuilder) planSplit(i uint32, k int, z float64) planSplit {
	f, plan := b.f, b.plan
	n := &f.nodes[i]
	fr := f.fracs[i]
	l, r := i+1, f.right(i)
	scale := func(c uint32) float64 {
		if f.isLeaf(c) {
			return f.nodes[c].thr
		}
		return 1
	}
	sl, sr := scale(l), scale(r)
	sp := planSplit{
		thr: n.thr, fl: fr.left * sl, sl: sl, fr: fr.right * sr, sr: sr,
		slot: n.feat, node: i, self: uint16(i - b.root), right: uint16(r - b.root), kind: planKind(n),
	}
	for c, x := range [2]float64{fr.left, fr.right} {
		var q [3]float64
		zc := z * x
		for p, t := range b.t {
			q[p] = b.w[p] * (1 - zc) / (zc + t*(1-zc))
		}
		sp.r[c] = q3{q[0], q[1], q[2]}
	}
	if k < b.d {
		sp.kind |= planRepeat
		sp.rep = uint32(len(plan.reps))
		var ia, corr [3]float64
		for p, t := range b.t {
			ia[p] = 1 / (z + t*(1-z))
			corr[p] = b.w[p] * (1 - z) * ia[p]
		}
		plan.reps = append(plan.reps, planRep{
			z: z, fl: fr.left, fr: fr.right, ia: q3{ia[0], ia[1], ia[2]}, corr: q3{corr[0], corr[1], corr[2]},
			anc: b.ks[k], side: b.sides[k],
		})
	}
	return sp
}

// setPlan makes ex explain the trees plan covers with it (all trees are walked if plan is
// nil).
func (ex *Explainer) setPlan(plan *shapPlan) {
	ex.plan, ex.sc = plan, nil
	if plan != nil && len(plan.splits)+len(plan.pairs) > 0 {
		ex.sc = &planScratch{state: make([]uint8, plan.most)}
	}
}

// planScratch is an Explainer's scratch space for planned trees.
type planScratch struct {
	ps    [planSpan]q3 // by offset in the tree: P, then A
	state []uint8      // by split: bit 0 the row goes left; planHot, planCold
}

const (
	planHot  = 2 // planRepeat split whose feature is hot above
	planCold = 4 // planRepeat split whose feature is cold above
)

// shapPlanned adds to ex.phi the SHAP values of planned tree pt for the row whose slots and
// codes ex holds.
//
// This is the hot path of Explainer.SHAP. On the benchmark model (BenchmarkSHAP: 300 trees
// of depth 6, with about 26 splits, 25 pairs and 52 leaves each, 10% of the splits
// categorical) a row takes 0.18 ms of thread CPU time on the development machine, against
// 0.58 ms walked (BenchmarkSHAPWalk; medians of blocks of 200 rows, the two alternating in one
// process): 82 µs in the first pass, 33 µs in the pairs, 60 µs in the third pass, or about
// 25, 11 and 19 cycles (at 2.45 GHz) per split or pair. Without categorical splits: 0.17 ms.
// The plan (1.5 MB) does not fit in the 512 KB L2 cache; on a 50-tree model whose plan does,
// a tree takes 13% less time. Measured and dropped: 4 points instead of 3 (15% slower); the
// third pass's coefficients in an array of their own (6% slower); a first version with any
// number of points, in slices, and no pair pass (0.50 ms: bounds checks and spilled
// registers); and per-leaf tables of the values for the 2^d subsets of the path's features
// that the row may follow (Fast TreeSHAP v2, Yang 2021: 1.2 ms, bound by memory, with 7.8 MB
// of tables and one random load per leaf and path feature).
func (ex *Explainer) shapPlanned(pt planTree) {
	plan, sc := ex.plan, ex.sc
	splits := plan.splits[pt.lo:pt.hi]
	state := sc.state[:len(splits)]
	ps := &sc.ps
	s := ex.s
	T := plan.t
	ps[0] = q3{1, 1, 1}
	// From the root down: P of the children of each split.
	for k := range splits {
		sp := &splits[k]
		var left uint32
		if sp.kind == 0 {
			left = uint32(math.Float64bits(s[sp.slot]-sp.thr) >> 63)
		} else {
			left = ex.goesLeft(sp.kind, sp.slot, sp.thr, sp.node)
		}
		li, ri := (sp.self+1)%planSpan, sp.right%planSpan
		P := ps[sp.self%planSpan]
		ol := float64(left)
		// A child's factor is f + t(o − f), o = 1 if the row goes there, else 0; times the
		// child's scale, f·s + t(o·s − f·s).
		fl, fr := sp.fl, sp.fr
		dl, dr := ol*sp.sl-fl, (1-ol)*sp.sr-fr
		if sp.kind&planRepeat != 0 {
			rp := &plan.reps[sp.rep]
			if a := uint32(state[rp.anc]); a&planCold == 0 && a&1 == uint32(rp.side) {
				// Hot above: the factor a_z becomes a_{z'} or b_{z'}.
				left |= planHot
				fl, fr = rp.z*rp.fl*sp.sl, rp.z*rp.fr*sp.sr
				dl, dr = ol*sp.sl-fl, (1-ol)*sp.sr-fr
				P = q3{P.a * rp.ia.a, P.b * rp.ia.b, P.c * rp.ia.c}
			} else {
				// Cold above: b_z becomes b_{z'}, a multiple.
				left |= planCold
				dl, dr = 0, 0
			}
		}
		state[k] = uint8(left)
		ps[li] = q3{P.a * (fl + T.a*dl), P.b * (fl + T.b*dl), P.c * (fl + T.c*dl)}
		ps[ri] = q3{P.a * (fr + T.a*dr), P.b * (fr + T.b*dr), P.c * (fr + T.c*dr)}
	}
	// The pairs: with v_h, f_h for the leaf the row goes to and v_c, f_c for the other,
	// A = P·(mean + t(v_h − mean)), and the feature gets (v_h(1 − f_h) − v_c·f_c)·Σ w·P.
	phi := ex.phi
	W := plan.w
	pairs := plan.pairs[pt.pairLo:pt.pairHi]
	for k := range pairs {
		pr := &pairs[k]
		var left uint32
		if pr.kind == 0 {
			left = uint32(math.Float64bits(s[pr.slot]-pr.thr) >> 63)
		} else {
			left = ex.goesLeft(pr.kind, pr.slot, pr.thr, pr.node)
		}
		self := pr.self % planSpan
		P := ps[self]
		h := (left ^ 1) & 1 // the leaf the row goes to
		d := pr.v[h] - pr.mean
		ps[self] = q3{P.a * (pr.mean + T.a*d), P.b * (pr.mean + T.b*d), P.c * (pr.mean + T.c*d)}
		phi[pr.slot>>1] += pr.c[h] * (W.a*P.a + W.b*P.b + W.c*P.c)
	}
	// From the bottom up: A of the other splits, and the credit to their features.
	WC := plan.wc
	for k := len(splits) - 1; k >= 0; k-- {
		sp := &splits[k]
		st := uint32(state[k])
		left := st & 1
		li, ri := (sp.self+1)%planSpan, sp.right%planSpan
		hi := ri ^ (li^ri)&uint16(-left)
		ci := li ^ ri ^ hi
		AL, AR := ps[li], ps[ri]
		A := q3{AL.a + AR.a, AL.b + AR.b, AL.c + AR.c}
		ps[sp.self%planSpan] = A
		H, C := ps[hi], ps[ci]
		R := &sp.r[(left^1)&1]
		v := (R.a*H.a - WC.a*C.a) + (R.b*H.b - WC.b*C.b) + (R.c*H.c - WC.c*C.c)
		if st > 1 {
			if st&planCold != 0 {
				continue
			}
			corr := &plan.reps[sp.rep].corr
			v -= corr.a*A.a + corr.b*A.b + corr.c*A.c
		}
		phi[sp.slot>>1] += v
	}
}

// goesLeft returns 1 if the row goes left at a split other than a plain numeric one (kind),
// else 0.
func (ex *Explainer) goesLeft(kind uint8, slot uint32, thr float64, node uint32) uint32 {
	f := ex.f
	switch {
	case kind&planSparse != 0:
		if f.next(ex.x, node) == node+1 {
			return 1
		}
		return 0
	case kind&planCat != 0:
		c := ex.cc[slot]
		return uint32(f.bits[int(thr)+int(c/64)]>>(c%64)) & 1
	}
	return uint32(math.Float64bits(ex.s[slot]-thr) >> 63)
}
