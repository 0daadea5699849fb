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
//   - lanes trees are walked in lockstep for one row, so that the CPU overlaps their chains of
//     dependent loads: 3.0 µs per row for 300 depth-6 trees, against 7.6 µs one tree at a time
//     and 21 µs for a walk with branches. A batch walks each group of lanes trees for a block
//     of rows before the next group (walkRows, numRows), so the group stays in the L1 cache.
//   - Categorical splits with dense sets (all but huge codes) are walked without a branch too:
//     every node of such a model takes a numeric and a bitset test (walkStep), 4.4–4.9 µs a row
//     for a trained 300-tree model with 32% categorical splits against 5.9–8.8 µs with a branch
//     to the bitset test at categorical splits only (mispredicted at random). Models without
//     categorical splits run loops without that code, which costs registers even when it never
//     runs; sparse sets still take a branch (marginCat).

// lanes is the number of trees walked in lockstep.
const lanes = 8

// slotStep returns the node a row moves to from numeric split or leaf i, reading slot
// s[n.feat]: left (i+1) if the slot is below the threshold, else right.
//
// The test is the sign of slot − thr. Slots hold no NaN and thresholds are finite, so the
// difference is negative exactly when slot < thr, except that −0 − 0 = −0: hence thresholds of
// zero are stored as −0, for which −0 − (−0) = +0 and +0 − (−0) = +0.
func slotStep(nodes []node, s []float64, i uint32) uint32 {
	n := &nodes[i]
	d := s[n.feat] - n.thr
	left := uint32(int64(math.Float64bits(d)) >> 63)
	j := n.right & idxMask
	return j ^ ((j ^ (i + 1)) & left)
}

// catStep is slotStep for dense categorical split i (see catFeature), reading shifted code
// cc[n.feat] (see catCode).
func (f *flat) catStep(cc []uint32, i uint32) uint32 {
	n := &f.nodes[i]
	c := cc[n.feat]
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
func walkStep(w []wnode, bits []uint64, s []float64, cc []uint32, i uint32) uint32 {
	n := &w[i]
	d := s[n.feat] - n.thr
	c := cc[n.cslot]
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

// fill spreads row x into slots s[j] and, for the categorical features, shifted codes cc[j]
// (see node and catCode).
func (f *flat) fill(x []float64, s []float64, cc []uint32) {
	inf := math.Inf(1)
	for j, v := range x[:f.nf] {
		a, b := v, v
		if v != v {
			a, b = inf, -inf
		}
		s[2*j], s[2*j+1] = a, b
	}
	s[2*f.nf] = inf
	for _, c := range f.catFeatures {
		v := x[c.feat]
		cc[2*c.feat], cc[2*c.feat+1] = catCode(v, false, c.never), catCode(v, true, c.never)
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

// rowScratch holds the slots and codes of one row or of a block of rows, one after another.
type rowScratch struct {
	s  []float64
	cc []uint32
	cb []uint64   // code bits, for the mask walk
	m  [1]float64 // the margin of one row (see walkRows)
}

func (f *flat) getScratch(rows int) *rowScratch {
	n := (2*f.nf + 1) * rows
	sc, _ := f.scratch.Get().(*rowScratch)
	if sc == nil || len(sc.s) < n {
		sc = &rowScratch{s: make([]float64, n), cc: make([]uint32, n)}
		if f.mwalk != nil {
			sc.cb = make([]uint64, n)
		}
	}
	return sc
}

// margin returns base plus the leaf values x reaches, added in tree order.
func (f *flat) margin(x []float64, base float64) float64 {
	sc := f.getScratch(1)
	var m float64
	if f.mwalk != nil {
		f.fillMask(x, sc.s, sc.cb)
		sc.m[0] = base
		f.maskRows(sc.s, sc.cb, sc.m[:])
		m = sc.m[0]
		f.scratch.Put(sc)
		return m
	}
	f.fill(x, sc.s, sc.cc)
	switch {
	case f.walk != nil:
		sc.m[0] = base
		f.walkRows(sc.s, sc.cc, sc.m[:])
		m = sc.m[0]
	case f.hasCat:
		m = f.marginCat(x, sc.s, sc.cc, base)
	default:
		sc.m[0] = base
		f.numRows(sc.s, sc.m[:])
		m = sc.m[0]
	}
	f.scratch.Put(sc)
	return m
}

// numRows is walkRows for a model without categorical splits, with slotStep. (The
// categorical test, even when it never matters, costs 20% here in spilled registers.)
func (f *flat) numRows(s []float64, dst []float64) {
	nodes := f.nodes
	slots := 2*f.nf + 1
	t := 0
	for nt := len(f.roots); t+lanes <= nt; t += lanes {
		r := f.roots[t : t+lanes]
		depth := f.gdepth[t/lanes]
		for row := range dst {
			s := s[row*slots : (row+1)*slots]
			i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
			for d := depth; d > 0; d-- {
				i0, i1, i2, i3 = slotStep(nodes, s, i0), slotStep(nodes, s, i1), slotStep(nodes, s, i2), slotStep(nodes, s, i3)
				i4, i5, i6, i7 = slotStep(nodes, s, i4), slotStep(nodes, s, i5), slotStep(nodes, s, i6), slotStep(nodes, s, i7)
			}
			m := dst[row]
			m += nodes[i0].thr
			m += nodes[i1].thr
			m += nodes[i2].thr
			m += nodes[i3].thr
			m += nodes[i4].thr
			m += nodes[i5].thr
			m += nodes[i6].thr
			m += nodes[i7].thr
			dst[row] = m
		}
	}
	for ; t < len(f.roots); t++ {
		root, depth := f.roots[t], f.depths[t]
		for row := range dst {
			s := s[row*slots : (row+1)*slots]
			i := root
			for d := depth; d > 0; d-- {
				i = slotStep(nodes, s, i)
			}
			dst[row] += nodes[i].thr
		}
	}
}

// walkRows adds to dst[r] the leaf values row r reaches, for a model with a branchless walk:
// s and cc hold the rows' slots and codes one row after another (2·NumFeatures+1 each). Each
// group of lanes trees is walked for every row before the next group, so its nodes stay in the
// L1 cache across the rows, while the lanes trees of one row are walked in lockstep as margin
// walks them: sums are added in the same order, so they are bit-identical to margin's. (Walking
// lanes rows through one tree instead, as an earlier version did, measured 15-25% slower.)
func (f *flat) walkRows(s []float64, cc []uint32, dst []float64) {
	w, bits := f.walk, f.bits
	slots := 2*f.nf + 1
	t := 0
	for nt := len(f.roots); t+lanes <= nt; t += lanes {
		r := f.roots[t : t+lanes]
		depth := f.gdepth[t/lanes]
		for row := range dst {
			s, cc := s[row*slots:(row+1)*slots], cc[row*slots:(row+1)*slots]
			i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
			for d := depth; d > 0; d-- {
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
			m := dst[row]
			m += w[i0].thr
			m += w[i1].thr
			m += w[i2].thr
			m += w[i3].thr
			m += w[i4].thr
			m += w[i5].thr
			m += w[i6].thr
			m += w[i7].thr
			dst[row] = m
		}
	}
	for ; t < len(f.roots); t++ {
		root, depth := f.roots[t], f.depths[t]
		for row := range dst {
			s, cc := s[row*slots:(row+1)*slots], cc[row*slots:(row+1)*slots]
			i := root
			for d := depth; d > 0; d-- {
				i = walkStep(w, bits, s, cc, i)
			}
			dst[row] += w[i].thr
		}
	}
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
			j0, j1, j2, j3 := slotStep(nodes, s, i0), slotStep(nodes, s, i1), slotStep(nodes, s, i2), slotStep(nodes, s, i3)
			j4, j5, j6, j7 := slotStep(nodes, s, i4), slotStep(nodes, s, i5), slotStep(nodes, s, i6), slotStep(nodes, s, i7)
			if r := nodes[i0].right; r&sparseBit != 0 {
				j0 = f.next(x, i0)
			} else if r&catBit != 0 {
				j0 = f.catStep(cc, i0)
			}
			if r := nodes[i1].right; r&sparseBit != 0 {
				j1 = f.next(x, i1)
			} else if r&catBit != 0 {
				j1 = f.catStep(cc, i1)
			}
			if r := nodes[i2].right; r&sparseBit != 0 {
				j2 = f.next(x, i2)
			} else if r&catBit != 0 {
				j2 = f.catStep(cc, i2)
			}
			if r := nodes[i3].right; r&sparseBit != 0 {
				j3 = f.next(x, i3)
			} else if r&catBit != 0 {
				j3 = f.catStep(cc, i3)
			}
			if r := nodes[i4].right; r&sparseBit != 0 {
				j4 = f.next(x, i4)
			} else if r&catBit != 0 {
				j4 = f.catStep(cc, i4)
			}
			if r := nodes[i5].right; r&sparseBit != 0 {
				j5 = f.next(x, i5)
			} else if r&catBit != 0 {
				j5 = f.catStep(cc, i5)
			}
			if r := nodes[i6].right; r&sparseBit != 0 {
				j6 = f.next(x, i6)
			} else if r&catBit != 0 {
				j6 = f.catStep(cc, i6)
			}
			if r := nodes[i7].right; r&sparseBit != 0 {
				j7 = f.next(x, i7)
			} else if r&catBit != 0 {
				j7 = f.catStep(cc, i7)
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
				i = f.catStep(cc, i)
			default:
				i = slotStep(nodes, s, i)
			}
		}
		m += nodes[i].thr
	}
	return m
}

// blockRows is the number of rows the batch predictor takes through all trees together: each
// group of lanes trees is walked for all of them before the next (see walkRows), so it is read
// from memory once per block, while the block's slots stay in the L1 and L2 caches.
const blockRows = 4 * lanes

// marginBlock sets dst[r] to base plus the leaf values of row r of X (nf values per row), for
// at most blockRows rows, adding in tree order as margin does.
func (f *flat) marginBlock(X []float64, dst []float64, base float64, sc *rowScratch) {
	nf := f.nf
	slots := 2*nf + 1
	if f.hasCat && f.walk == nil && f.mwalk == nil {
		// Sparse category sets: one row at a time, their rare branch included.
		for r := range dst {
			x := X[r*nf : (r+1)*nf]
			f.fill(x, sc.s, sc.cc)
			dst[r] = f.marginCat(x, sc.s, sc.cc, base)
		}
		return
	}
	if f.mwalk != nil {
		for r := range dst {
			f.fillMask(X[r*nf:(r+1)*nf], sc.s[r*slots:], sc.cb[r*slots:])
			dst[r] = base
		}
		f.maskRows(sc.s, sc.cb, dst)
		return
	}
	for r := range dst {
		f.fill(X[r*nf:(r+1)*nf], sc.s[r*slots:], sc.cc[r*slots:])
		dst[r] = base
	}
	if f.walk != nil {
		f.walkRows(sc.s, sc.cc, dst)
	} else {
		f.numRows(sc.s, dst)
	}
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
