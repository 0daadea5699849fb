package onnx

import (
	"fmt"
	"math"

	"riskflow/gbt"
)

// buildEnsemble converts the attributes of a TreeEnsembleClassifier or TreeEnsembleRegressor
// into a gbt.Ensemble whose Predict is the probability of the positive class (classifier) or the
// regression output.
func buildEnsemble(op string, classifier bool, ta *treeAttrs, numFeatures int) (*gbt.Ensemble, error) {
	n := len(ta.nodeIDs)
	if n == 0 {
		return nil, fmt.Errorf("%s: no nodes", op)
	}
	for name, l := range map[string]int{"nodes_treeids": len(ta.treeIDs), "nodes_featureids": len(ta.featureIDs),
		"nodes_truenodeids": len(ta.trueIDs), "nodes_falsenodeids": len(ta.falseIDs), "nodes_modes": len(ta.modes),
		"nodes_values": len(ta.values)} {
		if l != n {
			return nil, fmt.Errorf("%s: %s has %d entries for %d nodes", op, name, l, n)
		}
	}
	if ta.missingTrue != nil && len(ta.missingTrue) != n {
		return nil, fmt.Errorf("%s: nodes_missing_value_tracks_true has %d entries for %d nodes", op, len(ta.missingTrue), n)
	}
	lw := len(ta.leafNodes)
	if len(ta.leafTrees) != lw || len(ta.leafClasses) != lw || len(ta.leafWeights) != lw {
		return nil, fmt.Errorf("%s: leaf attributes of different lengths (tree ids %d, node ids %d, ids %d, weights %d)",
			op, len(ta.leafTrees), lw, len(ta.leafClasses), len(ta.leafWeights))
	}

	var obj gbt.Objective
	switch ta.postTransform {
	case "LOGISTIC":
		obj = gbt.Logistic
	case "NONE":
		obj = gbt.SquaredError
	default:
		return nil, fmt.Errorf("%s: post_transform %s is not supported (LOGISTIC or NONE)", op, ta.postTransform)
	}

	// Which weights make the output: see the package documentation.
	var use func(class int64) bool
	var base float64
	if classifier {
		if ta.classLabels != 2 {
			return nil, fmt.Errorf("%s: %d class labels; only binary classifiers are supported", op, ta.classLabels)
		}
		classes := map[int64]bool{}
		for _, c := range ta.leafClasses {
			if c != 0 && c != 1 {
				return nil, fmt.Errorf("%s: class id %d out of range [0, 1]", op, c)
			}
			classes[c] = true
		}
		switch len(classes) {
		case 2:
			use = func(c int64) bool { return c == 1 }
			switch len(ta.baseValues) {
			case 0:
			case 2:
				base = ta.baseValues[1]
			default:
				return nil, fmt.Errorf("%s: %d base_values for 2 classes", op, len(ta.baseValues))
			}
		default: // one class carries the score: the positive class's (ONNX's binary case)
			use = func(int64) bool { return true }
			switch len(ta.baseValues) {
			case 0:
			case 1:
				base = ta.baseValues[0]
			default:
				return nil, fmt.Errorf("%s: %d base_values where only one class has weights, want at most 1", op, len(ta.baseValues))
			}
		}
	} else {
		if ta.nTargets != 1 {
			return nil, fmt.Errorf("%s: n_targets %d; only one target is supported", op, ta.nTargets)
		}
		for _, c := range ta.leafClasses {
			if c != 0 {
				return nil, fmt.Errorf("%s: target id %d, want 0", op, c)
			}
		}
		use = func(int64) bool { return true }
		switch len(ta.baseValues) {
		case 0:
		case 1:
			base = ta.baseValues[0]
		default:
			return nil, fmt.Errorf("%s: %d base_values for one target", op, len(ta.baseValues))
		}
		if ta.aggregate != "SUM" && ta.aggregate != "AVERAGE" {
			return nil, fmt.Errorf("%s: aggregate_function %s is not supported (SUM or AVERAGE)", op, ta.aggregate)
		}
	}
	if math.IsNaN(base) || math.IsInf(base, 0) {
		return nil, fmt.Errorf("%s: base value %v", op, base)
	}

	// Group nodes by tree, in order of first appearance.
	pos := make(map[key]int, n)
	var treeOrder []int64
	treeNodes := map[int64][]int{}
	for i := 0; i < n; i++ {
		k := key{ta.treeIDs[i], ta.nodeIDs[i]}
		if _, dup := pos[k]; dup {
			return nil, fmt.Errorf("%s: tree %d node %d defined twice", op, k.tree, k.node)
		}
		pos[k] = i
		if _, ok := treeNodes[k.tree]; !ok {
			treeOrder = append(treeOrder, k.tree)
		}
		treeNodes[k.tree] = append(treeNodes[k.tree], i)
	}
	weight := make([]float64, n)
	for j := 0; j < lw; j++ {
		i, ok := pos[key{ta.leafTrees[j], ta.leafNodes[j]}]
		if !ok {
			return nil, fmt.Errorf("%s: weight %d for tree %d node %d, which does not exist", op, j, ta.leafTrees[j], ta.leafNodes[j])
		}
		if ta.modes[i] != "LEAF" {
			return nil, fmt.Errorf("%s: weight %d for tree %d node %d, which is not a leaf", op, j, ta.leafTrees[j], ta.leafNodes[j])
		}
		if use(ta.leafClasses[j]) {
			weight[i] += float64(float32(ta.leafWeights[j]))
		}
	}
	if !classifier && ta.aggregate == "AVERAGE" {
		for i := range weight {
			weight[i] /= float64(len(treeOrder))
		}
	}

	e := gbt.Ensemble{Objective: obj, BaseScore: base, NumFeatures: numFeatures}
	for _, tid := range treeOrder {
		t, err := buildTree(op, ta, tid, treeNodes[tid], lookupIn(pos, tid), weight, numFeatures)
		if err != nil {
			return nil, err
		}
		e.Trees = append(e.Trees, t)
	}
	out, err := gbt.New(e)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// key identifies a node of an ensemble: its tree id and node id.
type key struct{ tree, node int64 }

// lookupIn returns a lookup of node id → attribute position for one tree.
func lookupIn(pos map[key]int, tree int64) func(node int64) (int, bool) {
	return func(node int64) (int, bool) {
		i, ok := pos[key{tree, node}]
		return i, ok
	}
}

func buildTree(op string, ta *treeAttrs, tid int64, nodes []int, lookup func(int64) (int, bool), weight []float64, numFeatures int) (gbt.Tree, error) {
	child := map[int]bool{}
	for _, i := range nodes {
		if ta.modes[i] == "LEAF" {
			continue
		}
		for _, c := range []int64{ta.trueIDs[i], ta.falseIDs[i]} {
			j, ok := lookup(c)
			if !ok {
				return gbt.Tree{}, fmt.Errorf("%s: tree %d node %d: child %d does not exist", op, tid, ta.nodeIDs[i], c)
			}
			child[j] = true
		}
	}
	root := -1
	for _, i := range nodes {
		if !child[i] {
			if root >= 0 {
				return gbt.Tree{}, fmt.Errorf("%s: tree %d has two roots (nodes %d and %d)", op, tid, ta.nodeIDs[root], ta.nodeIDs[i])
			}
			root = i
		}
	}
	if root < 0 {
		return gbt.Tree{}, fmt.Errorf("%s: tree %d has no root (a cycle)", op, tid)
	}
	var t gbt.Tree
	index := map[int]int32{}
	// Preorder from the root; each node appended once (a node reached twice is an error).
	var visit func(i, depth int) (int32, error)
	visit = func(i, depth int) (int32, error) {
		if _, seen := index[i]; seen {
			return 0, fmt.Errorf("%s: tree %d node %d is reached twice", op, tid, ta.nodeIDs[i])
		}
		if depth > 512 {
			return 0, fmt.Errorf("%s: tree %d is deeper than 512", op, tid)
		}
		at := int32(len(t.Nodes))
		index[i] = at
		t.Nodes = append(t.Nodes, gbt.Node{Feature: -1, Left: -1, Right: -1})
		if ta.modes[i] == "LEAF" {
			t.Nodes[at].Value = weight[i]
			t.Nodes[at].Cover = 1
			return at, nil
		}
		f := ta.featureIDs[i]
		if f < 0 || f >= int64(numFeatures) {
			return 0, fmt.Errorf("%s: tree %d node %d: feature %d out of range [0, %d)", op, tid, ta.nodeIDs[i], f, numFeatures)
		}
		v := ta.values[i]
		if math.IsNaN(v) {
			return 0, fmt.Errorf("%s: tree %d node %d: threshold is NaN", op, tid, ta.nodeIDs[i])
		}
		thr := float32(v)
		mt := ta.missingTrue != nil && ta.missingTrue[i] != 0
		var T float64
		trueLeft := true
		switch ta.modes[i] {
		case "BRANCH_LEQ":
			T = leqThreshold(thr)
		case "BRANCH_LT":
			T = ltThreshold(thr)
		case "BRANCH_GTE":
			T, trueLeft = ltThreshold(thr), false
		case "BRANCH_GT":
			T, trueLeft = leqThreshold(thr), false
		default:
			return 0, fmt.Errorf("%s: tree %d node %d: mode %s is not supported (BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, LEAF)", op, tid, ta.nodeIDs[i], ta.modes[i])
		}
		tj, _ := lookup(ta.trueIDs[i])
		fj, _ := lookup(ta.falseIDs[i])
		lj, rj := tj, fj
		if !trueLeft {
			lj, rj = fj, tj
		}
		l, err := visit(lj, depth+1)
		if err != nil {
			return 0, err
		}
		r, err := visit(rj, depth+1)
		if err != nil {
			return 0, err
		}
		nd := &t.Nodes[at]
		nd.Feature, nd.Threshold, nd.Left, nd.Right = int32(f), T, l, r
		nd.DefaultLeft = mt == trueLeft
		nd.Cover = t.Nodes[l].Cover + t.Nodes[r].Cover
		return at, nil
	}
	if _, err := visit(root, 0); err != nil {
		return gbt.Tree{}, err
	}
	return t, nil
}

// leqThreshold returns T such that, for every float64 x that is not NaN, float32(x) <= t holds
// exactly when x < T: the ONNX comparison (on the float32 input) as a gbt split (on float64).
// Rounding to float32 is monotone, so the x that satisfy it are those below the midpoint
// between t and the next float32 up, plus the midpoint itself when it rounds down to t (ties
// go to the even significand).
func leqThreshold(t float32) float64 {
	if math.IsInf(float64(t), 1) {
		return math.MaxFloat64
	}
	lo := float64(t)
	even := math.Float32bits(t)&1 == 0
	if math.IsInf(lo, -1) {
		lo, even = -0x1p128, true // float32 overflow rounds like a next power of two
	}
	var up float64
	if t == math.MaxFloat32 {
		up = 0x1p128
	} else if math.IsInf(float64(t), -1) {
		up = -math.MaxFloat32
	} else {
		up = float64(math.Nextafter32(t, float32(math.Inf(1))))
	}
	mid := (lo + up) / 2 // exact: both have 24-bit significands within a factor of 2
	if even {
		return math.Nextafter(mid, math.Inf(1))
	}
	return mid
}

// ltThreshold returns T such that float32(x) < t exactly when x < T (x not NaN).
func ltThreshold(t float32) float64 {
	if math.IsInf(float64(t), -1) {
		return -math.MaxFloat64
	}
	return leqThreshold(math.Nextafter32(t, float32(math.Inf(-1))))
}
