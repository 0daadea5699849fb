package boost

import (
	"container/heap"
	"math"

	"riskflow/gbt"
)

// histChunk is the number of rows one histogram task accumulates. Nodes with more rows are
// split into several tasks whose per-worker partial histograms are summed afterwards.
const histChunk = 32768

// bnode is a node of the tree being grown.
type bnode struct {
	begin, end int // its rows: trainer.rows[begin:end]
	depth      int
	sum        gpair
	lo, hi     float64 // monotone bounds of its subtree's weights
	weight     float64 // unscaled weight (clamped to its parent's bounds)
	score      float64 // evaluator.gainGiven at its weight: XGBoost's root_gain
	hist       []gpair // nil when not needed
	best       split
	// set when the node is split
	left, right int // -1 for a leaf
	goLeft      bitset256
}

func (n *bnode) rows() int { return n.end - n.begin }

// grower grows one tree at a time over the binned training matrix.
type grower struct {
	p       Params
	ev      *evaluator
	bn      *binner
	nf      int
	bins    []uint8 // row-major
	gr      grads   // this tree's gradient pairs, fixed point
	sc      scales
	rows    []uint32 // row partition; rows[:nrows] are this tree's rows
	nrows   int
	threads int
	pool    histPool
	part    partitionJob
	allowed []int // features this tree may split on, ascending
	nodes   []bnode

	// reused scratch
	packBuf   [][]int64 // per worker: packed block histogram, kept zeroed
	catBuf    [][]catStat
	partTasks []partTask
	results   []split
}

func newGrower(p Params, ev *evaluator, bn *binner, bins, cols []uint8, rows int) *grower {
	g := &grower{
		p: p, ev: ev, bn: bn, nf: bn.nf, bins: bins,
		rows:    make([]uint32, rows),
		threads: p.threads(),
		pool:    histPool{size: bn.total},
	}
	g.part = partitionJob{rows: g.rows, scratch: make([]uint32, rows), cols: cols, n: rows}
	g.packBuf = make([][]int64, g.threads)
	for i := range g.packBuf {
		g.packBuf[i] = make([]int64, bn.total)
	}
	g.catBuf = make([][]catStat, g.threads)
	for i := range g.catBuf {
		g.catBuf[i] = make([]catStat, 0, 256)
	}
	return g
}

// canSplit reports whether node n may be split at all, so whether it needs a histogram.
func (g *grower) canSplit(n *bnode) bool {
	if g.p.MaxDepth > 0 && n.depth >= g.p.MaxDepth {
		return false
	}
	_, h := g.sc.gh(n.sum)
	return n.rows() >= 2 && h > 0 && h >= 2*g.p.MinChildWeight
}

// valid reports whether n's best split is taken (XGBoost's ExpandEntry::IsValid; the depth
// limit is applied by canSplit and the leaf limit by the lossguide loop).
func (g *grower) valid(n *bnode) bool {
	return n.best.feature >= 0 && n.best.gain > kRtEps && n.best.gain >= g.p.Gamma
}

// grow grows a tree on rows[:nrows] with the gradient pairs in g.gr and returns its nodes.
func (g *grower) grow() []bnode {
	g.nodes = g.nodes[:0]
	g.nodes = append(g.nodes, bnode{begin: 0, end: g.nrows, lo: math.Inf(-1), hi: math.Inf(1), left: -1, right: -1,
		best: split{feature: -1}})
	root := &g.nodes[0]
	root.hist = g.pool.get(false) // buildHists clears it
	g.buildHists([]int{0})
	root = &g.nodes[0]
	for _, e := range root.hist[g.bn.off[0] : int(g.bn.off[0])+g.bn.nbins[0]] {
		root.sum = root.sum.add(e)
	}
	gs, hs := g.sc.gh(root.sum)
	root.weight = g.ev.weight(gs, hs)
	root.score = g.ev.gainGiven(gs, hs, root.weight)
	if g.canSplit(root) {
		g.evaluate([]int{0})
	} else {
		g.release(0)
	}
	if g.p.MaxLeaves > 0 {
		g.growLossguide()
	} else {
		g.growDepthwise()
	}
	for i := range g.nodes {
		g.release(i)
	}
	return g.nodes
}

func (g *grower) release(i int) {
	g.pool.put(g.nodes[i].hist)
	g.nodes[i].hist = nil
}

// growDepthwise expands whole levels: every node of a level with a valid split is split in
// one batch (one partition pass, one histogram pass, one evaluation pass).
func (g *grower) growDepthwise() {
	frontier := []int{0}
	for len(frontier) > 0 {
		var batch []int
		for _, i := range frontier {
			if g.nodes[i].hist != nil && g.valid(&g.nodes[i]) {
				batch = append(batch, i)
			} else {
				g.release(i)
			}
		}
		if len(batch) == 0 {
			return
		}
		frontier = g.expand(batch)
	}
}

// growLossguide expands one node at a time, the one with the largest loss change (ties to the
// older node), until MaxLeaves leaves.
func (g *grower) growLossguide() {
	q := &lossQueue{nodes: g.nodes}
	if g.nodes[0].hist != nil && g.valid(&g.nodes[0]) {
		heap.Push(q, 0)
	}
	for leaves := 1; q.Len() > 0 && leaves < g.p.MaxLeaves; leaves++ {
		i := heap.Pop(q).(int)
		children := g.expand([]int{i})
		q.nodes = g.nodes
		for _, c := range children {
			if g.valid(&g.nodes[c]) {
				heap.Push(q, c)
			} else {
				g.release(c)
			}
		}
	}
}

// lossQueue is a max-heap of node indices by loss change, ties to the lower index.
type lossQueue struct {
	nodes []bnode
	items []int
}

func (q *lossQueue) Len() int { return len(q.items) }
func (q *lossQueue) Less(a, b int) bool {
	ga, gb := q.nodes[q.items[a]].best.gain, q.nodes[q.items[b]].best.gain
	if ga != gb {
		return ga > gb
	}
	return q.items[a] < q.items[b]
}
func (q *lossQueue) Swap(a, b int) { q.items[a], q.items[b] = q.items[b], q.items[a] }
func (q *lossQueue) Push(x any)    { q.items = append(q.items, x.(int)) }
func (q *lossQueue) Pop() any {
	x := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return x
}

// expand splits every node of batch by its best split, partitions their rows, builds the
// children's histograms (the smaller child of each pair; the larger is parent − smaller, in
// the parent's buffer) and evaluates their splits. It returns the children that got a
// histogram (those that may be split further).
func (g *grower) expand(batch []int) []int {
	begin := make([]int, len(batch))
	end := make([]int, len(batch))
	feature := make([]int, len(batch))
	left := make([]bitset256, len(batch))
	for k, i := range batch {
		n := &g.nodes[i]
		s := &n.best
		var lut bitset256
		if s.categorical {
			for _, b := range s.cats {
				lut.set(b)
			}
		} else {
			lut.setRange(1, s.last)
		}
		if s.defaultLeft {
			lut.set(0)
		}
		n.goLeft = lut
		begin[k], end[k], feature[k], left[k] = n.begin, n.end, s.feature, lut
	}
	var nleft []int
	g.partTasks, nleft = g.part.run(g.threads, begin, end, feature, left, g.partTasks)

	var build, evaluate []int
	type pair struct{ parent, small, large int }
	pairs := make([]pair, 0, len(batch))
	for k, i := range batch {
		n := g.nodes[i]
		s := n.best
		l := bnode{begin: n.begin, end: n.begin + nleft[k], depth: n.depth + 1, sum: s.left,
			lo: n.lo, hi: n.hi, weight: s.wl, left: -1, right: -1, best: split{feature: -1}}
		r := bnode{begin: n.begin + nleft[k], end: n.end, depth: n.depth + 1, sum: n.sum.sub(s.left),
			lo: n.lo, hi: n.hi, weight: s.wr, left: -1, right: -1, best: split{feature: -1}}
		if c := g.ev.monotone[s.feature]; c != 0 {
			mid := (s.wl + s.wr) / 2
			if c > 0 {
				l.hi, r.lo = mid, mid
			} else {
				l.lo, r.hi = mid, mid
			}
		}
		for _, c := range []*bnode{&l, &r} {
			gs, hs := g.sc.gh(c.sum)
			c.score = g.ev.gainGiven(gs, hs, c.weight)
		}
		li := len(g.nodes)
		g.nodes = append(g.nodes, l, r)
		g.nodes[i].left, g.nodes[i].right = li, li+1
		small, large := li, li+1
		if r.rows() < l.rows() {
			small, large = large, small
		}
		pairs = append(pairs, pair{i, small, large})
		if g.canSplit(&g.nodes[small]) || g.canSplit(&g.nodes[large]) {
			g.nodes[small].hist = g.pool.get(false)
			build = append(build, small)
		}
	}
	g.buildHists(build)
	for _, pr := range pairs {
		parent, small, large := &g.nodes[pr.parent], &g.nodes[pr.small], &g.nodes[pr.large]
		if g.canSplit(large) {
			subtractHist(parent.hist, parent.hist, small.hist)
			large.hist, parent.hist = parent.hist, nil
			evaluate = append(evaluate, pr.large)
		} else {
			g.release(pr.parent)
		}
		if g.canSplit(small) {
			evaluate = append(evaluate, pr.small)
		} else {
			g.release(pr.small)
		}
	}
	g.evaluate(evaluate)
	return evaluate
}

// histTask is one piece of histogram building: rows[begin:end] into node's histogram, or
// into the worker's partial histogram slot part (≥ 0) when the node was split into pieces.
type histTask struct {
	node, begin, end, part int
}

// buildHists builds the histograms of nodes (their hist buffers already assigned) in one
// parallel pass. Large nodes are split into histChunk pieces accumulated into per-worker
// partial histograms, then summed (exactly: integers) into the node's buffer.
func (g *grower) buildHists(nodes []int) {
	if len(nodes) == 0 {
		return
	}

	var tasks []histTask
	var split []int // nodes built in pieces
	for _, i := range nodes {
		n := &g.nodes[i]

		if n.rows() <= histChunk || g.threads == 1 {
			tasks = append(tasks, histTask{node: i, begin: n.begin, end: n.end, part: -1})
			continue
		}
		for lo := n.begin; lo < n.end; lo += histChunk {
			tasks = append(tasks, histTask{node: i, begin: lo, end: min(lo+histChunk, n.end), part: len(split)})
		}
		split = append(split, i)
	}
	// partial[w][k]: worker w's partial histogram of split node k, zeroed on first use.
	partial := make([][][]gpair, g.threads)
	touched := make([][]bool, g.threads)
	for w := range partial {
		partial[w] = make([][]gpair, len(split))
		touched[w] = make([]bool, len(split))
		for k := range split {
			partial[w][k] = g.pool.get(false)
		}
	}
	forEach(g.threads, len(tasks), func(w, t int) {
		tk := tasks[t]
		rows := g.rows[tk.begin:tk.end]
		var h []gpair
		if tk.part < 0 {
			h = g.nodes[tk.node].hist
			clear(h)
		} else {
			h = partial[w][tk.part]
			if !touched[w][tk.part] {
				clear(h)
				touched[w][tk.part] = true
			}
		}
		// A node holding under half the rows has them scattered over the matrix.
		sparse := 2*g.nodes[tk.node].rows() < g.nrows
		buildHist(h, rows, g.bins, g.nf, g.bn.stride, &g.gr, sparse, g.packBuf[w])
	})
	for k, i := range split {
		dst := g.nodes[i].hist
		first := true
		for w := range partial {
			if !touched[w][k] {
				continue
			}
			if first {
				copy(dst, partial[w][k])
				first = false
			} else {
				addHist(dst, partial[w][k])
			}
		}
	}
	for w := range partial {
		for k := range split {
			g.pool.put(partial[w][k])
		}
	}
}

// evaluate finds the best split of every node listed, one task per (node, feature), and
// keeps for each node the best over features (ties to the lower feature index).
func (g *grower) evaluate(nodes []int) {
	if len(nodes) == 0 {
		return
	}

	nfa := len(g.allowed)
	need := len(nodes) * nfa
	if cap(g.results) < need {
		g.results = make([]split, need)
	}
	res := g.results[:need]
	forEach(g.threads, need, func(w, t int) {
		n := &g.nodes[nodes[t/nfa]]
		f := g.allowed[t%nfa]
		ns := nodeStats{sum: n.sum, lo: n.lo, hi: n.hi, gain: n.score}
		best := split{feature: -1}
		hb := n.hist[g.bn.off[f] : int(g.bn.off[f])+g.bn.nbins[f]]
		if g.bn.cat[f] {
			g.catBuf[w] = g.ev.categoricalSplit(&best, &ns, g.sc, f, hb, g.catBuf[w])
		} else {
			g.ev.numericSplit(&best, &ns, g.sc, f, hb)
		}
		res[t] = best
	})
	for k, i := range nodes {
		best := split{feature: -1}
		for _, s := range res[k*nfa : (k+1)*nfa] {
			if s.feature >= 0 && s.better(&best) {
				best = s
			}
		}
		g.nodes[i].best = best
	}
}

// leafOf returns the leaf a binned row reaches.
func leafOf(nodes []bnode, row []uint8) int {
	i := 0
	for nodes[i].left >= 0 {
		n := &nodes[i]
		b := row[n.best.feature]
		if n.goLeft.has(b) {
			i = n.left
		} else {
			i = n.right
		}
	}
	return i
}

// toTree converts grown nodes to a gbt.Tree, leaf values multiplied by eta.
func (g *grower) toTree(nodes []bnode, eta float64) gbt.Tree {
	out := make([]gbt.Node, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		_, h := g.sc.gh(n.sum)
		o := gbt.Node{Feature: -1, Left: -1, Right: -1, Value: n.weight * eta, Cover: h}
		if n.left >= 0 {
			s := &n.best
			o.Feature = int32(s.feature)
			o.Left, o.Right = int32(n.left), int32(n.right)
			o.DefaultLeft = s.defaultLeft
			o.Gain = s.gain
			if s.categorical {
				o.Categorical = true
				o.Categories = make([]uint32, len(s.cats))
				for k, b := range s.cats {
					o.Categories[k] = uint32(b) - 1
				}
			} else {
				o.Threshold = g.bn.threshold(s.feature, s.last)
			}
		}
		out[i] = o
	}
	return gbt.Tree{Nodes: out}
}
