package gbt

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// maxTreeDepth bounds the depth of a tree New accepts: the predictor walks every tree as deep
// as its deepest leaf, and deeper trees are not what boosting makes.
const maxTreeDepth = 512

// maxFeatures bounds NumFeatures: memory proportional to it (importance, the slots of a row)
// must stay small whatever a decoded model claims.
const maxFeatures = 1 << 20

// Bits of node.right.
const (
	idxMask      = 1<<28 - 1 // the right child's index
	leftLeafBit  = 1 << 28   // the left child is a leaf (for TreeSHAP)
	rightLeafBit = 1 << 29   // the right child is a leaf
	catBit       = 1 << 30   // categorical split
	sparseBit    = 1 << 31   // categorical split with a sparse set (catBit is set too)
	maxNodes     = idxMask   // node indices must fit idxMask
)

// node is one node of the compiled layout: 16 bytes. Each tree is stored in preorder, so the
// left child of node i is node i+1 and only the right child's index is kept.
//
// The predictor does not read a row directly but slots made from it (see flat.fill): slot 2f
// holds feature f with a missing value replaced by +Inf, slot 2f+1 the same with −Inf, and the
// last slot, 2·NumFeatures, +Inf. A numeric split reads slot 2f+1 if missing values go left and
// 2f otherwise, and slot < thr then routes missing values too, since thresholds are finite. A
// leaf reads the last slot, and its thr is its value: +Inf − value is positive, so the leaf
// "goes right", to itself. So a walk may take more steps than a tree is deep and stay on its
// leaf, and the predictor walks each tree a fixed number of steps, without branches.
type node struct {
	thr   float64 // numeric split: slot < thr goes left (0 stored as −0); categorical: see catFeature; leaf: its value
	feat  uint32  // the slot the split reads: 2·feature + (1 if missing values go left)
	right uint32  // right child index | flag bits; a leaf holds its own index
}

// The category set of a categorical split is kept in one of two forms. A dense set is a
// bitset over shifted codes (bit c+1 for code c) whose bit 0 is set if missing values go left,
// so that a row's shifted code (see catFeature) needs no further test; the node's thr holds the
// offset of the bitset in flat.bits. Every dense set of a feature has the same number of words,
// enough for the largest code any split of the feature names plus one bit that is never set,
// the shifted code of every value in no set: so a code never indexes past its set. A feature
// with a code of maxDenseCode or more has sparse sets: sorted lists codes[off:off+n], with
// sparseBit set and thr = off·2²⁰ + n (exact in a float64).
const (
	maxDenseCode = 1023
	maxSetLen    = 1<<20 - 1 // n of a sparse set
	maxSetOff    = 1 << 30   // off of a set
	// zeroWords is the number of zero words flat.bits starts with: more than the largest
	// shifted code of a dense set divided by 64, so that any such code indexes a zero bit there.
	zeroWords = (maxDenseCode+1)/64 + 1
)

// catFeature is a feature that dense categorical splits read: the predictor fills in its
// shifted code for each row.
type catFeature struct {
	feat  uint32
	never uint32 // the shifted code in no set of the feature
}

// frac holds the share of a split node's cover that each child has, as TreeSHAP uses it.
type frac struct{ left, right float64 }

// flat is the compiled, read-only form of an Ensemble.
type flat struct {
	nf     int
	nodes  []node
	fracs  []frac   // cover fractions by node index; zero for leaves
	roots  []uint32 // root node of each tree
	depths []int32  // depth of each tree (a single leaf has depth 0)
	gdepth []int32  // gdepth[g] is the greatest depth of trees [g*lanes, (g+1)*lanes)

	bits        []uint64 // zeroWords zero words, then the dense sets
	codes       []uint32
	walk        []wnode // for models whose categorical splits are all dense: see walkStep
	mwalk       []mnode // for models that can take the mask walk (see maskWalkable), instead of walk
	hasCat      bool    // some split is categorical
	catFeatures []catFeature
	catNever    []uint32 // by feature: its catFeature.never, or 0 if it has no dense sets

	treeExpected []float64 // cover-weighted mean leaf value of each tree
	expected     float64   // BaseScore + Σ treeExpected, in tree order
	maxDepth     int
	numNodes     int
	importance   importance

	scratch    sync.Pool // of *rowScratch, for PredictMargin
	explainers sync.Pool // of *Explainer, for Ensemble.SHAP
	shapOnce   sync.Once
	plan       *shapPlan // for TreeSHAP, built by the first NewExplainer (see shapPlan)
}

// compile validates e and builds its flat layout. Errors do not yet wrap ErrInvalid.
func compile(e *Ensemble) (*flat, error) {
	switch e.Objective {
	case Logistic, SquaredError:
	default:
		return nil, fmt.Errorf("unsupported objective %q", e.Objective)
	}
	if e.NumFeatures < 0 || e.NumFeatures > maxFeatures {
		return nil, fmt.Errorf("%d features", e.NumFeatures)
	}
	if e.FeatureNames != nil && len(e.FeatureNames) != e.NumFeatures {
		return nil, fmt.Errorf("%d feature names for %d features", len(e.FeatureNames), e.NumFeatures)
	}
	if !finite(e.BaseScore) {
		return nil, fmt.Errorf("base score %v", e.BaseScore)
	}
	total := 0
	for i := range e.Trees {
		total += len(e.Trees[i].Nodes)
		if total > maxNodes {
			return nil, fmt.Errorf("more than %d nodes", maxNodes)
		}
	}
	f := &flat{
		nf:           e.NumFeatures,
		nodes:        make([]node, 0, total),
		fracs:        make([]frac, 0, total),
		roots:        make([]uint32, len(e.Trees)),
		depths:       make([]int32, len(e.Trees)),
		gdepth:       make([]int32, (len(e.Trees)+lanes-1)/lanes),
		treeExpected: make([]float64, len(e.Trees)),
		importance: importance{
			splits: make([]float64, e.NumFeatures),
			gain:   make([]float64, e.NumFeatures),
			cover:  make([]float64, e.NumFeatures),
		},
	}
	c := compiler{maxCode: make([]int64, e.NumFeatures), numSplit: make([]bool, e.NumFeatures)}
	for j := range c.maxCode {
		c.maxCode[j] = -1
	}
	for i := range e.Trees {
		f.roots[i] = uint32(len(f.nodes))
		c.treeIdx = int32(i)
		d, err := c.tree(f, &e.Trees[i])
		if err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		f.depths[i] = int32(d)
		f.gdepth[i/lanes] = max(f.gdepth[i/lanes], int32(d))
		f.maxDepth = max(f.maxDepth, d)
	}
	if err := f.addCats(&c, e.Trees); err != nil {
		return nil, err
	}
	switch {
	case maskWalkable(f, &c):
		f.mwalk = maskNodes(f)
	case f.hasCat && len(f.codes) == 0:
		f.walk = walkNodes(f.nodes, f.nf)
	}
	f.numNodes = len(f.nodes)
	f.expected = e.BaseScore
	for i, r := range f.roots {
		f.treeExpected[i] = f.meanValue(r)
		f.expected += f.treeExpected[i]
	}
	return f, nil
}

// compiler holds scratch space reused across the trees of one compile.
type compiler struct {
	seen     []bool
	stack    []pending
	cats     []pendingCats
	treeIdx  int32   // the tree being compiled
	maxCode  []int64 // by feature: the largest code of its categorical splits, -1 if none
	numSplit []bool  // by feature: it has a numeric split
}

// pendingCats is a categorical split whose set is laid out after all trees (addCats): flat
// node node, canonical node Trees[tree].Nodes[idx]. It holds no pointer, so that collecting
// thousands of them costs no write barriers (a slice of the categories here made appending
// them 6% of a 10-bundle server start).
type pendingCats struct {
	node        uint32
	feature     int32
	tree, idx   int32
	defaultLeft bool
}

// pending is a canonical node waiting to be emitted.
type pending struct {
	node   int32 // index in Tree.Nodes
	parent int32 // flat index of the parent whose right child this is, or -1
	depth  int32
}

// tree validates t and appends it to f in preorder. It returns the tree's depth.
func (c *compiler) tree(f *flat, t *Tree) (int, error) {
	n := len(t.Nodes)
	if n == 0 {
		return 0, errors.New("no nodes")
	}
	c.seen = append(c.seen[:0], make([]bool, n)...)
	c.stack = append(c.stack[:0], pending{node: 0, parent: -1})
	depth := 0
	root := uint32(len(f.nodes))
	for len(c.stack) > 0 {
		p := c.stack[len(c.stack)-1]
		c.stack = c.stack[:len(c.stack)-1]
		if c.seen[p.node] {
			return 0, fmt.Errorf("node %d reached twice", p.node)
		}
		c.seen[p.node] = true
		if p.depth > maxTreeDepth {
			return 0, fmt.Errorf("deeper than %d", maxTreeDepth)
		}
		depth = max(depth, int(p.depth))
		nd := &t.Nodes[p.node]
		if err := checkNode(nd, p.node, n, f.nf); err != nil {
			return 0, err
		}
		pos := uint32(len(f.nodes))
		if p.parent >= 0 {
			f.nodes[p.parent].right |= pos
		}
		if nd.IsLeaf() {
			f.nodes = append(f.nodes, node{thr: nd.Value, feat: uint32(2 * f.nf), right: pos})
			f.fracs = append(f.fracs, frac{})
			continue
		}
		im := &f.importance
		im.splits[nd.Feature]++
		im.gain[nd.Feature] += nd.Gain
		im.cover[nd.Feature] += nd.Cover
		fn := node{thr: nd.Threshold, feat: 2 * uint32(nd.Feature)}
		if fn.thr == 0 {
			// −0 so that the predictor's sign test agrees with x < 0 for x = −0 (see slotStep).
			fn.thr = math.Copysign(0, -1)
		}
		if nd.DefaultLeft {
			fn.feat++
		}
		if !nd.Categorical {
			c.numSplit[nd.Feature] = true
		}
		if nd.Categorical {
			f.hasCat = true
			fn.right = catBit
			c.cats = append(c.cats, pendingCats{node: pos, feature: nd.Feature, tree: c.treeIdx, idx: p.node, defaultLeft: nd.DefaultLeft})
			m := &c.maxCode[nd.Feature]
			*m = max(*m, 0)
			if len(nd.Categories) > 0 {
				*m = max(*m, int64(nd.Categories[len(nd.Categories)-1]))
			}
		}
		f.nodes = append(f.nodes, fn)
		f.fracs = append(f.fracs, coverFractions(t.Nodes[nd.Left].Cover, t.Nodes[nd.Right].Cover))
		// Pushed right first so that the left child is emitted next, at pos+1.
		c.stack = append(c.stack,
			pending{node: nd.Right, parent: int32(pos), depth: p.depth + 1},
			pending{node: nd.Left, parent: -1, depth: p.depth + 1})
	}
	for i := root; i < uint32(len(f.nodes)); i++ {
		if !f.isLeaf(i) {
			if f.isLeaf(i + 1) {
				f.nodes[i].right |= leftLeafBit
			}
			if f.isLeaf(f.right(i)) {
				f.nodes[i].right |= rightLeafBit
			}
		}
	}
	return depth, nil
}

// checkNode validates one reachable node of a tree with n nodes.
func checkNode(nd *Node, i int32, n, numFeatures int) error {
	if !finite(nd.Value) || !finite(nd.Cover) || !finite(nd.Gain) {
		return fmt.Errorf("node %d: non-finite value %v, cover %v or gain %v", i, nd.Value, nd.Cover, nd.Gain)
	}
	if nd.Cover < 0 {
		return fmt.Errorf("node %d: negative cover %v", i, nd.Cover)
	}
	if nd.IsLeaf() {
		if nd.Feature != -1 {
			return fmt.Errorf("node %d: feature %d", i, nd.Feature)
		}
		if nd.Left != -1 || nd.Right != -1 {
			return fmt.Errorf("node %d: leaf has children %d, %d", i, nd.Left, nd.Right)
		}
		if nd.Categorical || len(nd.Categories) > 0 {
			return fmt.Errorf("node %d: leaf has categories", i)
		}
		return nil
	}
	if int(nd.Feature) >= numFeatures {
		return fmt.Errorf("node %d: splits on feature %d of %d", i, nd.Feature, numFeatures)
	}
	if nd.Left <= 0 || nd.Right <= 0 || int(nd.Left) >= n || int(nd.Right) >= n || nd.Left == nd.Right {
		return fmt.Errorf("node %d: children %d, %d (of %d nodes)", i, nd.Left, nd.Right, n)
	}
	if !nd.Categorical {
		if !finite(nd.Threshold) {
			return fmt.Errorf("node %d: threshold %v", i, nd.Threshold)
		}
		if len(nd.Categories) > 0 {
			return fmt.Errorf("node %d: numeric split has categories", i)
		}
		return nil
	}
	for k := 1; k < len(nd.Categories); k++ {
		if nd.Categories[k] <= nd.Categories[k-1] {
			return fmt.Errorf("node %d: categories not strictly increasing at %d", i, k)
		}
	}
	return nil
}

// addCats lays out the category sets of the categorical splits c has seen.
func (f *flat) addCats(c *compiler, trees []Tree) error {
	words := make([]int, f.nf) // per feature with dense sets: words per set
	for j, m := range c.maxCode {
		if m >= 0 && m < maxDenseCode {
			words[j] = int(m+2)/64 + 1 // bits 0..m+1 and one more, never set
			never := uint32(64*words[j] - 1)
			f.catFeatures = append(f.catFeatures, catFeature{feat: uint32(j), never: never})
			if f.catNever == nil {
				f.catNever = make([]uint32, f.nf)
			}
			f.catNever[j] = never
		}
	}
	if len(c.cats) > 0 {
		f.bits = make([]uint64, zeroWords, zeroWords+len(c.cats)) // see walkStep
	}
	for _, p := range c.cats {
		n := &f.nodes[p.node]
		cats := trees[p.tree].Nodes[p.idx].Categories
		if w := words[p.feature]; w > 0 {
			off := len(f.bits)
			if off > maxSetOff {
				return errors.New("too many categories")
			}
			f.bits = append(f.bits, make([]uint64, w)...)
			if p.defaultLeft {
				f.bits[off] = 1
			}
			for _, code := range cats {
				f.bits[off+int((code+1)/64)] |= 1 << ((code + 1) % 64)
			}
			n.thr = float64(off)
			continue
		}
		off := len(f.codes)
		if len(cats) > maxSetLen || off > maxSetOff {
			return errors.New("too many categories")
		}
		f.codes = append(f.codes, cats...)
		n.thr = float64(off<<20 | len(cats))
		n.right |= sparseBit
	}
	return nil
}

// coverFractions returns the share of the parent's cover each child has. The shares are taken
// relative to the children's sum (not the parent's own cover) so that they add up to one
// whatever rounding the trainer's hessian sums carry; with no cover at all they are ½ each.
func coverFractions(l, r float64) frac {
	s := l + r
	if !(s > 0) || math.IsInf(s, 0) {
		return frac{0.5, 0.5}
	}
	return frac{l / s, r / s}
}

// meanValue returns the cover-weighted mean leaf value of the subtree at i: the expected value
// TreeSHAP attributes from.
func (f *flat) meanValue(i uint32) float64 {
	if f.isLeaf(i) {
		return f.nodes[i].thr
	}
	fr := f.fracs[i]
	return fr.left*f.meanValue(i+1) + fr.right*f.meanValue(f.right(i))
}

func (f *flat) isLeaf(i uint32) bool    { return f.nodes[i].right&idxMask == i }
func (f *flat) right(i uint32) uint32   { return f.nodes[i].right & idxMask }
func (f *flat) feature(i uint32) uint32 { return f.nodes[i].feat >> 1 }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
