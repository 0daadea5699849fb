package gbt

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// This file is the prediction hot path, hand-written because it is measured (DESIGN.md: hand-
// write only measured hot paths); the package documentation has the numbers and the
// alternatives that were measured. In short:
//
//   - A row is first spread into slots (see node): the missing-value rule becomes part of the
//     comparison, and a leaf becomes a split that always "goes right" to itself.
//   - Each tree is walked exactly as many steps as it is deep, and each step selects the next
//     node arithmetically, from the sign of slot − thr: no branch to mispredict. (Go does not
//     emit conditional moves for a value that feeds a load address: cmd/compile's branchelim.)
//   - lanes trees (one row) or lanes rows (a batch) are walked in lockstep, so that the CPU
//     overlaps their chains of dependent loads: 3.0 µs per row for 300 depth-6 trees, against
//     7.6 µs one tree at a time and 21 µs for a walk with branches.
//   - Categorical splits with dense sets (all but huge codes) are walked without a branch too:
//     every node of such a model takes a numeric and a bitset test (walkStep), 4.4–4.9 µs a row
//     for a trained 300-tree model with 32% categorical splits against 5.9–8.8 µs with a branch
//     to the bitset test at categorical splits only (mispredicted at random). Models without
//     categorical splits run loops without that code, which costs registers even when it never
//     runs; sparse sets still take a branch (marginCat).

// lanes is the number of trees (one row) or rows (a batch) walked in lockstep.
const lanes = 8

// slotStep returns the node a row moves to from numeric split or leaf i, reading slot
// s[n.feat*stride+k]: left (i+1) if the slot is below the threshold, else right.
//
// The test is the sign of slot − thr. Slots hold no NaN and thresholds are finite, so the
// difference is negative exactly when slot < thr, except that −0 − 0 = −0: hence thresholds of
// zero are stored as −0, for which −0 − (−0) = +0 and +0 − (−0) = +0.
func slotStep(nodes []node, s []float64, stride, k int, i uint32) uint32 {
	n := &nodes[i]
	d := s[int(n.feat)*stride+k] - n.thr
	left := uint32(int64(math.Float64bits(d)) >> 63)
	j := n.right & idxMask
	return j ^ ((j ^ (i + 1)) & left)
}

// catStep is slotStep for dense categorical split i (see catFeature), reading shifted code
// cc[n.feat*stride+k] (see catCode).
func (f *flat) catStep(cc []uint32, stride, k int, i uint32) uint32 {
	n := &f.nodes[i]
	c := cc[int(n.feat)*stride+k]
	left := -(uint32(f.bits[int(n.thr)+int(c/64)]>>(c%64)) & 1)
	j := n.right & idxMask
	return j ^ ((j ^ (i + 1)) & left)
}

// wnode is a node of the layout walkStep walks, for models whose categorical splits all have
// dense sets. A numeric split or leaf is its node with cslot 0 and off 0; a categorical split
// reads slot 2·NumFeatures (+Inf), so that its numeric test always says right, and its set's
// bits at off for the code in cc slot cslot. 24 bytes: packing cslot and off into a 16-byte
// node's thr, unpacked under a mask, measured 10–20% slower.
type wnode struct {
	thr   float64
	feat  uint32 // slot of s
	right uint32 // as node.right
	cslot uint32 // slot of cc
	off   uint32 // offset of the split's set in flat.bits
}

// walkNodes returns nodes laid out as wnodes.
func walkNodes(nodes []node, nf int) []wnode {
	w := make([]wnode, len(nodes))
	for i, n := range nodes {
		w[i] = wnode{thr: n.thr, feat: n.feat, right: n.right}
		if n.right&catBit != 0 {
			w[i] = wnode{feat: uint32(2 * nf), right: n.right, cslot: n.feat, off: uint32(n.thr)}
		}
	}
	return w
}

// walkStep is slotStep for the nodes w of a model whose categorical splits all have dense
// sets: the row goes left if the numeric test or the bitset test says so. At a numeric split
// or leaf the bitset test reads cc slot 0, a shifted code below 64·zeroWords, and so a bit of
// the zero words flat.bits starts with: never left. At a categorical split the numeric test
// reads +Inf − 0: never left.
func walkStep(w []wnode, bits []uint64, s []float64, cc []uint32, stride, k int, i uint32) uint32 {
	n := &w[i]
	d := s[int(n.feat)*stride+k] - n.thr
	c := cc[int(n.cslot)*stride+k]
	b := uint32(bits[int(n.off)+int(c/64)]>>(c%64)) & 1
	left := uint32(int64(math.Float64bits(d))>>63) | -b
	j := n.right & idxMask
	return j ^ ((j ^ (i + 1)) & left)
}

// catCode returns the shifted code of value v of a categorical feature whose code in no set
// is never, for the slot that missing values go left from (missingLeft) or not: code+1 for a
// code some set may hold, 0 for a missing value going left (bit 0 of such a split's set is
// set), else never.
func catCode(v float64, missingLeft bool, never uint32) uint32 {
	switch {
	case v != v:
		if missingLeft {
			return 0
		}
	case v >= 0 && v < float64(never-1) && v == math.Trunc(v):
		return uint32(v) + 1
	}
	return never
}

// fill spreads row x into slots s[j*stride] and, for the categorical features, shifted codes
// cc[j*stride] (see node and catCode).
func (f *flat) fill(x []float64, s []float64, cc []uint32, stride int) {
	inf := math.Inf(1)
	for j, v := range x[:f.nf] {
		a, b := v, v
		if v != v {
			a, b = inf, -inf
		}
		s[2*j*stride], s[(2*j+1)*stride] = a, b
	}
	s[2*f.nf*stride] = inf
	for _, c := range f.catFeatures {
		v := x[c.feat]
		cc[2*int(c.feat)*stride], cc[(2*int(c.feat)+1)*stride] = catCode(v, false, c.never), catCode(v, true, c.never)
	}
}

// next returns the node that row x moves to from node i: i+1 or the right child, or i itself
// for a leaf. It reads the row directly and branches: it is the routing rule for TreeSHAP and
// for sparse category sets, and the reference the slot encoding must agree with.
func (f *flat) next(x []float64, i uint32) uint32 {
	n := &f.nodes[i]
	r := n.right & idxMask
	if r == i {
		return i
	}
	v := x[n.feat>>1]
	var left bool
	switch {
	case v != v:
		left = n.feat&1 != 0
	case n.right&catBit != 0:
		left = f.catLeft(v, n)
	default:
		left = v < n.thr
	}
	if left {
		return i + 1
	}
	return r
}

// catLeft reports whether non-missing value v goes left at categorical split n: a code goes
// left if it is in the split's set; a negative, fractional or too large value is in no set.
func (f *flat) catLeft(v float64, n *node) bool {
	if !(v >= 0 && v <= math.MaxUint32) || v != math.Trunc(v) {
		return false
	}
	c := uint32(v)
	if n.right&sparseBit != 0 {
		k := uint64(n.thr)
		_, ok := slices.BinarySearch(f.codes[k>>20:k>>20+k&maxSetLen], c)
		return ok
	}
	if c >= f.catNever[n.feat>>1]-1 {
		return false // beyond the feature's sets
	}
	c++
	return f.bits[int(n.thr)+int(c/64)]&(1<<(c%64)) != 0
}

// rowScratch holds the slots and codes of one row (stride 1) or of lanes rows (stride lanes).
type rowScratch struct {
	s  []float64
	cc []uint32
}

func (f *flat) getScratch(rows int) *rowScratch {
	n := (2*f.nf + 1) * rows
	sc, _ := f.scratch.Get().(*rowScratch)
	if sc == nil || len(sc.s) < n {
		sc = &rowScratch{s: make([]float64, n), cc: make([]uint32, n)}
	}
	return sc
}

// margin returns base plus the leaf values x reaches, added in tree order.
func (f *flat) margin(x []float64, base float64) float64 {
	sc := f.getScratch(1)
	f.fill(x, sc.s, sc.cc, 1)
	var m float64
	switch {
	case f.walk != nil:
		m = f.marginWalk(sc.s, sc.cc, base)
	case f.hasCat:
		m = f.marginCat(x, sc.s, sc.cc, base)
	default:
		m = f.marginNum(sc.s, base)
	}
	f.scratch.Put(sc)
	return m
}

// marginNum is margin for a model without categorical splits, from the row's slots s. (The
// categorical code of marginCat, even when never run, costs 20% here in spilled registers.)
func (f *flat) marginNum(s []float64, base float64) float64 {
	nodes := f.nodes
	m := base
	t := 0
	for nt := len(f.roots); t+lanes <= nt; t += lanes {
		r := f.roots[t : t+lanes]
		i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
		for d := f.gdepth[t/lanes]; d > 0; d-- {
			i0, i1, i2, i3 = slotStep(nodes, s, 1, 0, i0), slotStep(nodes, s, 1, 0, i1), slotStep(nodes, s, 1, 0, i2), slotStep(nodes, s, 1, 0, i3)
			i4, i5, i6, i7 = slotStep(nodes, s, 1, 0, i4), slotStep(nodes, s, 1, 0, i5), slotStep(nodes, s, 1, 0, i6), slotStep(nodes, s, 1, 0, i7)
		}
		m += nodes[i0].thr
		m += nodes[i1].thr
		m += nodes[i2].thr
		m += nodes[i3].thr
		m += nodes[i4].thr
		m += nodes[i5].thr
		m += nodes[i6].thr
		m += nodes[i7].thr
	}
	for ; t < len(f.roots); t++ {
		i := f.roots[t]
		for d := f.depths[t]; d > 0; d-- {
			i = slotStep(nodes, s, 1, 0, i)
		}
		m += nodes[i].thr
	}
	return m
}

// marginWalk is margin for a model whose categorical splits all have dense sets (see
// walkStep), from the row's slots s and codes cc.
func (f *flat) marginWalk(s []float64, cc []uint32, base float64) float64 {
	w, bits := f.walk, f.bits
	m := base
	t := 0
	for nt := len(f.roots); t+lanes <= nt; t += lanes {
		r := f.roots[t : t+lanes]
		i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
		for d := f.gdepth[t/lanes]; d > 0; d-- {
			// walkStep, written out for each lane: the compiler does not inline it.
			n0 := &w[i0]
			d0 := s[n0.feat] - n0.thr
			c0 := cc[n0.cslot]
			b0 := uint32(bits[int(n0.off)+int(c0/64)]>>(c0%64)) & 1
			j0 := n0.right & idxMask
			i0 = j0 ^ ((j0 ^ (i0 + 1)) & (uint32(int64(math.Float64bits(d0))>>63) | -b0))
			n1 := &w[i1]
			d1 := s[n1.feat] - n1.thr
			c1 := cc[n1.cslot]
			b1 := uint32(bits[int(n1.off)+int(c1/64)]>>(c1%64)) & 1
			j1 := n1.right & idxMask
			i1 = j1 ^ ((j1 ^ (i1 + 1)) & (uint32(int64(math.Float64bits(d1))>>63) | -b1))
			n2 := &w[i2]
			d2 := s[n2.feat] - n2.thr
			c2 := cc[n2.cslot]
			b2 := uint32(bits[int(n2.off)+int(c2/64)]>>(c2%64)) & 1
			j2 := n2.right & idxMask
			i2 = j2 ^ ((j2 ^ (i2 + 1)) & (uint32(int64(math.Float64bits(d2))>>63) | -b2))
			n3 := &w[i3]
			d3 := s[n3.feat] - n3.thr
			c3 := cc[n3.cslot]
			b3 := uint32(bits[int(n3.off)+int(c3/64)]>>(c3%64)) & 1
			j3 := n3.right & idxMask
			i3 = j3 ^ ((j3 ^ (i3 + 1)) & (uint32(int64(math.Float64bits(d3))>>63) | -b3))
			n4 := &w[i4]
			d4 := s[n4.feat] - n4.thr
			c4 := cc[n4.cslot]
			b4 := uint32(bits[int(n4.off)+int(c4/64)]>>(c4%64)) & 1
			j4 := n4.right & idxMask
			i4 = j4 ^ ((j4 ^ (i4 + 1)) & (uint32(int64(math.Float64bits(d4))>>63) | -b4))
			n5 := &w[i5]
			d5 := s[n5.feat] - n5.thr
			c5 := cc[n5.cslot]
			b5 := uint32(bits[int(n5.off)+int(c5/64)]>>(c5%64)) & 1
			j5 := n5.right & idxMask
			i5 = j5 ^ ((j5 ^ (i5 + 1)) & (uint32(int64(math.Float64bits(d5))>>63) | -b5))
			n6 := &w[i6]
			d6 := s[n6.feat] - n6.thr
			c6 := cc[n6.cslot]
			b6 := uint32(bits[int(n6.off)+int(c6/64)]>>(c6%64)) & 1
			j6 := n6.right & idxMask
			i6 = j6 ^ ((j6 ^ (i6 + 1)) & (uint32(int64(math.Float64bits(d6))>>63) | -b6))
			n7 := &w[i7]
			d7 := s[n7.feat] - n7.thr
			c7 := cc[n7.cslot]
			b7 := uint32(bits[int(n7.off)+int(c7/64)]>>(c7%64)) & 1
			j7 := n7.right & idxMask
			i7 = j7 ^ ((j7 ^ (i7 + 1)) & (uint32(int64(math.Float64bits(d7))>>63) | -b7))
		}
		m += w[i0].thr
		m += w[i1].thr
		m += w[i2].thr
		m += w[i3].thr
		m += w[i4].thr
		m += w[i5].thr
		m += w[i6].thr
		m += w[i7].thr
	}
	for ; t < len(f.roots); t++ {
		i := f.roots[t]
		for d := f.depths[t]; d > 0; d-- {
			i = walkStep(w, bits, s, cc, 1, 0, i)
		}
		m += w[i].thr
	}
	return m
}

// marginCat is margin for a model with categorical splits some of which have sparse sets,
// from row x, its slots s and its codes cc.
func (f *flat) marginCat(x, s []float64, cc []uint32, base float64) float64 {
	nodes := f.nodes
	m := base
	t := 0
	for nt := len(f.roots); t+lanes <= nt; t += lanes {
		r := f.roots[t : t+lanes]
		i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
		for d := f.gdepth[t/lanes]; d > 0; d-- {
			j0, j1, j2, j3 := slotStep(nodes, s, 1, 0, i0), slotStep(nodes, s, 1, 0, i1), slotStep(nodes, s, 1, 0, i2), slotStep(nodes, s, 1, 0, i3)
			j4, j5, j6, j7 := slotStep(nodes, s, 1, 0, i4), slotStep(nodes, s, 1, 0, i5), slotStep(nodes, s, 1, 0, i6), slotStep(nodes, s, 1, 0, i7)
			if r := nodes[i0].right; r&sparseBit != 0 {
				j0 = f.next(x, i0)
			} else if r&catBit != 0 {
				j0 = f.catStep(cc, 1, 0, i0)
			}
			if r := nodes[i1].right; r&sparseBit != 0 {
				j1 = f.next(x, i1)
			} else if r&catBit != 0 {
				j1 = f.catStep(cc, 1, 0, i1)
			}
			if r := nodes[i2].right; r&sparseBit != 0 {
				j2 = f.next(x, i2)
			} else if r&catBit != 0 {
				j2 = f.catStep(cc, 1, 0, i2)
			}
			if r := nodes[i3].right; r&sparseBit != 0 {
				j3 = f.next(x, i3)
			} else if r&catBit != 0 {
				j3 = f.catStep(cc, 1, 0, i3)
			}
			if r := nodes[i4].right; r&sparseBit != 0 {
				j4 = f.next(x, i4)
			} else if r&catBit != 0 {
				j4 = f.catStep(cc, 1, 0, i4)
			}
			if r := nodes[i5].right; r&sparseBit != 0 {
				j5 = f.next(x, i5)
			} else if r&catBit != 0 {
				j5 = f.catStep(cc, 1, 0, i5)
			}
			if r := nodes[i6].right; r&sparseBit != 0 {
				j6 = f.next(x, i6)
			} else if r&catBit != 0 {
				j6 = f.catStep(cc, 1, 0, i6)
			}
			if r := nodes[i7].right; r&sparseBit != 0 {
				j7 = f.next(x, i7)
			} else if r&catBit != 0 {
				j7 = f.catStep(cc, 1, 0, i7)
			}
			i0, i1, i2, i3, i4, i5, i6, i7 = j0, j1, j2, j3, j4, j5, j6, j7
		}
		m += nodes[i0].thr
		m += nodes[i1].thr
		m += nodes[i2].thr
		m += nodes[i3].thr
		m += nodes[i4].thr
		m += nodes[i5].thr
		m += nodes[i6].thr
		m += nodes[i7].thr
	}
	for ; t < len(f.roots); t++ {
		i := f.roots[t]
		for d := f.depths[t]; d > 0; d-- {
			switch r := nodes[i].right; {
			case r&sparseBit != 0:
				i = f.next(x, i)
			case r&catBit != 0:
				i = f.catStep(cc, 1, 0, i)
			default:
				i = slotStep(nodes, s, 1, 0, i)
			}
		}
		m += nodes[i].thr
	}
	return m
}

// blockRows is the number of rows the batch predictor takes through all trees together, so
// that each tree is read from memory once per block; a block's slots stay in the L1 cache.
const blockRows = 4 * lanes

// marginBlock sets dst[r] to base plus the leaf values of row r of X (nf values per row), for
// at most blockRows rows, adding in tree order as margin does. The rows of each group of lanes
// rows have their slots interleaved (stride lanes), so one index reaches all of them.
func (f *flat) marginBlock(X []float64, dst []float64, base float64, sc *rowScratch) {
	nf, nodes := f.nf, f.nodes
	groups := len(dst) / lanes
	gsize := (2*nf + 1) * lanes
	for g := range groups {
		for k := range lanes {
			r := g*lanes + k
			f.fill(X[r*nf:(r+1)*nf], sc.s[g*gsize+k:], sc.cc[g*gsize+k:], lanes)
		}
	}
	for r := range dst {
		dst[r] = base
	}
	for t, root := range f.roots {
		depth := f.depths[t]
		for g := range groups {
			s, cc := sc.s[g*gsize:(g+1)*gsize], sc.cc[g*gsize:(g+1)*gsize]
			var leaf [lanes]uint32
			switch {
			case f.walk != nil:
				leaf = groupWalk(f.walk, f.bits, s, cc, root, depth)
			case f.hasCat:
				leaf = f.groupCat(X[g*lanes*nf:], s, cc, root, depth)
			default:
				leaf = groupNum(nodes, s, root, depth)
			}
			d := dst[g*lanes : (g+1)*lanes]
			for k, i := range leaf {
				d[k] += nodes[i].thr
			}
		}
	}
	// The rows after the last whole group, one at a time.
	for r := groups * lanes; r < len(dst); r++ {
		dst[r] = f.margin(X[r*nf:(r+1)*nf], base)
	}
}

// groupNum walks lanes rows, whose slots s are interleaved, depth steps down the tree at root,
// and returns the leaves they reach. The model has no categorical splits.
func groupNum(nodes []node, s []float64, root uint32, depth int32) [lanes]uint32 {
	i0, i1, i2, i3, i4, i5, i6, i7 := root, root, root, root, root, root, root, root
	for d := depth; d > 0; d-- {
		i0, i1, i2, i3 = slotStep(nodes, s, lanes, 0, i0), slotStep(nodes, s, lanes, 1, i1), slotStep(nodes, s, lanes, 2, i2), slotStep(nodes, s, lanes, 3, i3)
		i4, i5, i6, i7 = slotStep(nodes, s, lanes, 4, i4), slotStep(nodes, s, lanes, 5, i5), slotStep(nodes, s, lanes, 6, i6), slotStep(nodes, s, lanes, 7, i7)
	}
	return [lanes]uint32{i0, i1, i2, i3, i4, i5, i6, i7}
}

// groupWalk is groupNum for a model whose categorical splits all have dense sets: the steps
// are walkStep's, written out for each lane (the compiler does not inline walkStep).
func groupWalk(w []wnode, bits []uint64, s []float64, cc []uint32, root uint32, depth int32) [lanes]uint32 {
	i0, i1, i2, i3, i4, i5, i6, i7 := root, root, root, root, root, root, root, root
	for d := depth; d > 0; d-- {
		n0 := &w[i0]
		d0 := s[int(n0.feat)*lanes+0] - n0.thr
		c0 := cc[int(n0.cslot)*lanes+0]
		b0 := uint32(bits[int(n0.off)+int(c0/64)]>>(c0%64)) & 1
		j0 := n0.right & idxMask
		i0 = j0 ^ ((j0 ^ (i0 + 1)) & (uint32(int64(math.Float64bits(d0))>>63) | -b0))
		n1 := &w[i1]
		d1 := s[int(n1.feat)*lanes+1] - n1.thr
		c1 := cc[int(n1.cslot)*lanes+1]
		b1 := uint32(bits[int(n1.off)+int(c1/64)]>>(c1%64)) & 1
		j1 := n1.right & idxMask
		i1 = j1 ^ ((j1 ^ (i1 + 1)) & (uint32(int64(math.Float64bits(d1))>>63) | -b1))
		n2 := &w[i2]
		d2 := s[int(n2.feat)*lanes+2] - n2.thr
		c2 := cc[int(n2.cslot)*lanes+2]
		b2 := uint32(bits[int(n2.off)+int(c2/64)]>>(c2%64)) & 1
		j2 := n2.right & idxMask
		i2 = j2 ^ ((j2 ^ (i2 + 1)) & (uint32(int64(math.Float64bits(d2))>>63) | -b2))
		n3 := &w[i3]
		d3 := s[int(n3.feat)*lanes+3] - n3.thr
		c3 := cc[int(n3.cslot)*lanes+3]
		b3 := uint32(bits[int(n3.off)+int(c3/64)]>>(c3%64)) & 1
		j3 := n3.right & idxMask
		i3 = j3 ^ ((j3 ^ (i3 + 1)) & (uint32(int64(math.Float64bits(d3))>>63) | -b3))
		n4 := &w[i4]
		d4 := s[int(n4.feat)*lanes+4] - n4.thr
		c4 := cc[int(n4.cslot)*lanes+4]
		b4 := uint32(bits[int(n4.off)+int(c4/64)]>>(c4%64)) & 1
		j4 := n4.right & idxMask
		i4 = j4 ^ ((j4 ^ (i4 + 1)) & (uint32(int64(math.Float64bits(d4))>>63) | -b4))
		n5 := &w[i5]
		d5 := s[int(n5.feat)*lanes+5] - n5.thr
		c5 := cc[int(n5.cslot)*lanes+5]
		b5 := uint32(bits[int(n5.off)+int(c5/64)]>>(c5%64)) & 1
		j5 := n5.right & idxMask
		i5 = j5 ^ ((j5 ^ (i5 + 1)) & (uint32(int64(math.Float64bits(d5))>>63) | -b5))
		n6 := &w[i6]
		d6 := s[int(n6.feat)*lanes+6] - n6.thr
		c6 := cc[int(n6.cslot)*lanes+6]
		b6 := uint32(bits[int(n6.off)+int(c6/64)]>>(c6%64)) & 1
		j6 := n6.right & idxMask
		i6 = j6 ^ ((j6 ^ (i6 + 1)) & (uint32(int64(math.Float64bits(d6))>>63) | -b6))
		n7 := &w[i7]
		d7 := s[int(n7.feat)*lanes+7] - n7.thr
		c7 := cc[int(n7.cslot)*lanes+7]
		b7 := uint32(bits[int(n7.off)+int(c7/64)]>>(c7%64)) & 1
		j7 := n7.right & idxMask
		i7 = j7 ^ ((j7 ^ (i7 + 1)) & (uint32(int64(math.Float64bits(d7))>>63) | -b7))
	}
	return [lanes]uint32{i0, i1, i2, i3, i4, i5, i6, i7}
}

// groupCat is groupNum for a model with categorical splits, some with sparse sets; X holds the lanes rows.
func (f *flat) groupCat(X, s []float64, cc []uint32, root uint32, depth int32) [lanes]uint32 {
	nodes := f.nodes
	i0, i1, i2, i3, i4, i5, i6, i7 := root, root, root, root, root, root, root, root
	for d := depth; d > 0; d-- {
		j0, j1, j2, j3 := slotStep(nodes, s, lanes, 0, i0), slotStep(nodes, s, lanes, 1, i1), slotStep(nodes, s, lanes, 2, i2), slotStep(nodes, s, lanes, 3, i3)
		j4, j5, j6, j7 := slotStep(nodes, s, lanes, 4, i4), slotStep(nodes, s, lanes, 5, i5), slotStep(nodes, s, lanes, 6, i6), slotStep(nodes, s, lanes, 7, i7)
		if r := nodes[i0].right; r&sparseBit != 0 {
			j0 = f.next(X[0*f.nf:], i0)
		} else if r&catBit != 0 {
			j0 = f.catStep(cc, lanes, 0, i0)
		}
		if r := nodes[i1].right; r&sparseBit != 0 {
			j1 = f.next(X[1*f.nf:], i1)
		} else if r&catBit != 0 {
			j1 = f.catStep(cc, lanes, 1, i1)
		}
		if r := nodes[i2].right; r&sparseBit != 0 {
			j2 = f.next(X[2*f.nf:], i2)
		} else if r&catBit != 0 {
			j2 = f.catStep(cc, lanes, 2, i2)
		}
		if r := nodes[i3].right; r&sparseBit != 0 {
			j3 = f.next(X[3*f.nf:], i3)
		} else if r&catBit != 0 {
			j3 = f.catStep(cc, lanes, 3, i3)
		}
		if r := nodes[i4].right; r&sparseBit != 0 {
			j4 = f.next(X[4*f.nf:], i4)
		} else if r&catBit != 0 {
			j4 = f.catStep(cc, lanes, 4, i4)
		}
		if r := nodes[i5].right; r&sparseBit != 0 {
			j5 = f.next(X[5*f.nf:], i5)
		} else if r&catBit != 0 {
			j5 = f.catStep(cc, lanes, 5, i5)
		}
		if r := nodes[i6].right; r&sparseBit != 0 {
			j6 = f.next(X[6*f.nf:], i6)
		} else if r&catBit != 0 {
			j6 = f.catStep(cc, lanes, 6, i6)
		}
		if r := nodes[i7].right; r&sparseBit != 0 {
			j7 = f.next(X[7*f.nf:], i7)
		} else if r&catBit != 0 {
			j7 = f.catStep(cc, lanes, 7, i7)
		}
		i0, i1, i2, i3, i4, i5, i6, i7 = j0, j1, j2, j3, j4, j5, j6, j7
	}
	return [lanes]uint32{i0, i1, i2, i3, i4, i5, i6, i7}
}

// parallelWork is the number of tree walks (rows × trees) from which a batch is split across
// goroutines: about 0.1 ms of work, well above the cost of starting them.
const parallelWork = 1 << 15

// PredictMarginBatch writes to dst[r] the margin of row r of X, which holds len(dst) rows of
// NumFeatures values each, row-major. Every margin is bit-identical to PredictMargin's. Large
// batches are split across GOMAXPROCS goroutines, which have all returned when it does. It
// panics if len(X) != len(dst)·NumFeatures.
func (e *Ensemble) PredictMarginBatch(X, dst []float64) {
	f := e.mustCompiled()
	nf := e.NumFeatures
	rows := len(dst)
	if len(X) != rows*nf {
		panic(fmt.Sprintf("gbt: batch of %d values for %d rows of %d features", len(X), rows, nf))
	}
	blocks := (rows + blockRows - 1) / blockRows
	workers := min(runtime.GOMAXPROCS(0), blocks)
	if rows*len(f.roots) < parallelWork || workers < 2 {
		f.marginRows(X, dst, e.BaseScore)
		return
	}
	// Contiguous runs of whole blocks, one per worker.
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := blocks*w/workers*blockRows, min(blocks*(w+1)/workers*blockRows, rows)
		wg.Go(func() { f.marginRows(X[lo*nf:hi*nf], dst[lo:hi], e.BaseScore) })
	}
	wg.Wait()
}

// PredictBatch is PredictMarginBatch followed by Transform: dst[r] is Predict of row r.
func (e *Ensemble) PredictBatch(X, dst []float64) {
	e.PredictMarginBatch(X, dst)
	if e.Objective == Logistic {
		for i, m := range dst {
			dst[i] = e.Transform(m)
		}
	}
}

func (f *flat) marginRows(X []float64, dst []float64, base float64) {
	sc := f.getScratch(blockRows)
	for lo := 0; lo < len(dst); lo += blockRows {
		hi := min(lo+blockRows, len(dst))
		f.marginBlock(X[lo*f.nf:hi*f.nf], dst[lo:hi], base, sc)
	}
	f.scratch.Put(sc)
}
