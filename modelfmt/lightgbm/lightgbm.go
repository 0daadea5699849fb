package lightgbm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"riskflow/gbt"
	"riskflow/modelfmt/internal/match"
)

// Model is a LightGBM model converted for riskflow.
type Model struct {
	Ensemble     *gbt.Ensemble // validated and compiled, with FeatureNames
	FeatureNames []string      // feature_names from the file
	Version      string        // the text format version, e.g. "v3"
	Objective    string        // the objective line, e.g. "binary sigmoid:1"
}

// ReadFile reads and converts the LightGBM text model at path.
func ReadFile(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lightgbm: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Decode converts a LightGBM text model into a Model.
func Decode(data []byte) (*Model, error) {
	f, err := parse(data)
	if err != nil {
		return nil, err
	}
	if f.numClass != 1 || f.treesPerIter != 1 {
		return nil, fmt.Errorf("lightgbm: num_class %d (%d trees per iteration): multiclass models are not supported", f.numClass, f.treesPerIter)
	}
	obj, scale, err := objective(f.objective)
	if err != nil {
		return nil, err
	}
	e, err := f.ensemble(obj, scale, 0, 1)
	if err != nil {
		return nil, err
	}
	return &Model{Ensemble: e, FeatureNames: f.featureNames, Version: f.version, Objective: f.objective}, nil
}

// objective maps the objective line to gbt's objective and the factor for leaf values.
func objective(line string) (gbt.Objective, float64, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return "", 0, errors.New("lightgbm: no objective line")
	}
	switch fields[0] {
	case "binary":
		s := 1.0
		for _, p := range fields[1:] {
			v, ok := strings.CutPrefix(p, "sigmoid:")
			if !ok {
				return "", 0, fmt.Errorf("lightgbm: objective %q: unknown parameter %q", line, p)
			}
			var err error
			if s, err = strconv.ParseFloat(v, 64); err != nil || !(s > 0) || math.IsInf(s, 0) {
				return "", 0, fmt.Errorf("lightgbm: objective %q: sigmoid %q is not a positive number", line, v)
			}
		}
		return gbt.Logistic, s, nil
	case "regression":
		if len(fields) > 1 {
			return "", 0, fmt.Errorf("lightgbm: objective %q: output transforms (%s) are not supported", line, strings.Join(fields[1:], " "))
		}
		return gbt.SquaredError, 1, nil
	}
	return "", 0, fmt.Errorf("lightgbm: objective %q is not supported (binary and regression are)", fields[0])
}

// file is a parsed text model.
type file struct {
	version      string
	numClass     int
	treesPerIter int
	numFeatures  int
	objective    string
	featureNames []string
	trees        []tree
}

// tree is one Tree= block, its arrays checked for length.
type tree struct {
	numLeaves     int
	splitFeature  []int
	splitGain     []float64
	threshold     []float64
	decisionType  []int
	left, right   []int
	leafValue     []float64
	leafCount     []float64
	internalValue []float64
	internalCount []float64
	catBoundaries []int
	catThreshold  []uint32
}

// maxNodes bounds a model's size (leaves of all trees), a guard against absurd headers.
const maxNodes = 1 << 26

func parse(data []byte) (*file, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	line := 0
	next := func() (string, bool) {
		for sc.Scan() {
			line++
			s := strings.TrimRight(sc.Text(), "\r")
			if s != "" {
				return s, true
			}
		}
		return "", false
	}
	s, ok := next()
	if !ok || s != "tree" {
		return nil, errors.New("lightgbm: not a LightGBM text model (the first line is not \"tree\")")
	}
	header := map[string]string{}
	var blocks []map[string]string
	var cur map[string]string
	ended := false
	for {
		s, ok := next()
		if !ok {
			break
		}
		if s == "end of trees" {
			ended = true
			break
		}
		if strings.HasPrefix(s, "Tree=") {
			want := strconv.Itoa(len(blocks))
			if s[len("Tree="):] != want {
				return nil, fmt.Errorf("lightgbm: line %d: %q, want Tree=%s", line, s, want)
			}
			cur = map[string]string{}
			blocks = append(blocks, cur)
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			if cur == nil && (s == "average_output" || s == "linear_tree") {
				k, v = s, ""
			} else {
				return nil, fmt.Errorf("lightgbm: line %d: %q is not key=value", line, truncate(s))
			}
		}
		dst := header
		if cur != nil {
			dst = cur
		}
		if _, dup := dst[k]; dup {
			return nil, fmt.Errorf("lightgbm: line %d: %s given twice", line, k)
		}
		dst[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("lightgbm: %w", err)
	}
	if !ended {
		return nil, errors.New("lightgbm: no \"end of trees\" line: truncated model")
	}
	f := &file{version: header["version"], objective: header["objective"]}
	if _, ok := header["average_output"]; ok {
		return nil, errors.New("lightgbm: average_output (random forest) models are not supported")
	}
	var err error
	if f.numClass, err = headerInt(header, "num_class", 1); err != nil {
		return nil, err
	}
	if f.treesPerIter, err = headerInt(header, "num_tree_per_iteration", 1); err != nil {
		return nil, err
	}
	maxIdx, err := headerInt(header, "max_feature_idx", -2)
	if err != nil {
		return nil, err
	}
	if maxIdx < 0 || maxIdx >= 1<<20 {
		return nil, fmt.Errorf("lightgbm: max_feature_idx %q: want 0 to 2^20-1", header["max_feature_idx"])
	}
	f.numFeatures = maxIdx + 1
	if names, ok := header["feature_names"]; ok {
		f.featureNames = strings.Fields(names)
		if len(f.featureNames) != f.numFeatures {
			return nil, fmt.Errorf("lightgbm: %d feature_names for max_feature_idx %d", len(f.featureNames), maxIdx)
		}
	}
	if f.numClass < 1 || f.treesPerIter < 1 {
		return nil, fmt.Errorf("lightgbm: num_class %d, num_tree_per_iteration %d: want positive counts", f.numClass, f.treesPerIter)
	}
	total := 0
	for i, b := range blocks {
		t, err := parseTree(b, f.numFeatures)
		if err != nil {
			return nil, fmt.Errorf("lightgbm: tree %d: %w", i, err)
		}
		if total += t.numLeaves; total > maxNodes {
			return nil, fmt.Errorf("lightgbm: more than %d leaves", maxNodes)
		}
		f.trees = append(f.trees, t)
	}
	return f, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func headerInt(h map[string]string, key string, def int) (int, error) {
	s, ok := h[key]
	if !ok {
		if def == -2 {
			return 0, fmt.Errorf("lightgbm: no %s line", key)
		}
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("lightgbm: %s %q: not an integer", key, truncate(s))
	}
	return v, nil
}

func parseTree(b map[string]string, nf int) (tree, error) {
	var t tree
	n, err := strconv.Atoi(b["num_leaves"])
	if err != nil || n < 1 || n > maxNodes {
		return t, fmt.Errorf("num_leaves %q: want a positive count", truncate(b["num_leaves"]))
	}
	t.numLeaves = n
	if v, ok := b["is_linear"]; ok && v != "0" {
		return t, errors.New("linear trees (is_linear) are not supported")
	}
	if t.leafValue, err = floats(b, "leaf_value", n, true); err != nil {
		return t, err
	}
	if t.leafCount, err = floats(b, "leaf_count", n, false); err != nil {
		return t, err
	}
	if n == 1 {
		return t, nil
	}
	k := n - 1
	if t.splitFeature, err = ints(b, "split_feature", k); err != nil {
		return t, err
	}
	if t.decisionType, err = ints(b, "decision_type", k); err != nil {
		return t, err
	}
	if t.left, err = ints(b, "left_child", k); err != nil {
		return t, err
	}
	if t.right, err = ints(b, "right_child", k); err != nil {
		return t, err
	}
	if t.threshold, err = floats(b, "threshold", k, true); err != nil {
		return t, err
	}
	if t.splitGain, err = floats(b, "split_gain", k, false); err != nil {
		return t, err
	}
	if t.internalValue, err = floats(b, "internal_value", k, false); err != nil {
		return t, err
	}
	if t.internalCount, err = floats(b, "internal_count", k, false); err != nil {
		return t, err
	}
	numCat, err := strconv.Atoi(b["num_cat"])
	if err != nil || numCat < 0 || numCat > k {
		return t, fmt.Errorf("num_cat %q: want a count up to %d", truncate(b["num_cat"]), k)
	}
	if numCat > 0 {
		if t.catBoundaries, err = ints(b, "cat_boundaries", numCat+1); err != nil {
			return t, err
		}
		words := strings.Fields(b["cat_threshold"])
		t.catThreshold = make([]uint32, len(words))
		for i, w := range words {
			v, err := strconv.ParseUint(w, 10, 32)
			if err != nil {
				return t, fmt.Errorf("cat_threshold[%d] %q: not a uint32", i, truncate(w))
			}
			t.catThreshold[i] = uint32(v)
		}
		if t.catBoundaries[0] != 0 || t.catBoundaries[numCat] != len(words) {
			return t, fmt.Errorf("cat_boundaries run from %d to %d over %d cat_threshold words", t.catBoundaries[0], t.catBoundaries[numCat], len(words))
		}
		for i := 1; i <= numCat; i++ {
			if t.catBoundaries[i] < t.catBoundaries[i-1] {
				return t, fmt.Errorf("cat_boundaries decrease at %d", i)
			}
		}
	}
	// Structure: every node but the root is the child of exactly one node.
	leafParents := make([]int, n)
	nodeParents := make([]int, k)
	for i := range k {
		if f := t.splitFeature[i]; f < 0 || f >= nf {
			return t, fmt.Errorf("node %d: split_feature %d out of range [0, %d)", i, f, nf)
		}
		dt := t.decisionType[i]
		if dt < 0 || dt > 15 || dt>>2&3 == 3 {
			return t, fmt.Errorf("node %d: decision_type %d: unknown bits", i, dt)
		}
		if dt&1 != 0 {
			c := t.threshold[i]
			if c < 0 || c >= float64(numCat) || c != math.Trunc(c) {
				return t, fmt.Errorf("node %d: categorical threshold %v: no such category set (num_cat %d)", i, c, numCat)
			}
		}
		for _, c := range []int{t.left[i], t.right[i]} {
			switch {
			case c < 0 && ^c < n:
				leafParents[^c]++
			case c > 0 && c < k:
				nodeParents[c]++
			default:
				return t, fmt.Errorf("node %d: child %d out of range", i, c)
			}
		}
	}
	for i, p := range leafParents {
		if p != 1 {
			return t, fmt.Errorf("leaf %d is the child of %d nodes, want 1", i, p)
		}
	}
	for i, p := range nodeParents[1:] {
		if p != 1 {
			return t, fmt.Errorf("node %d is the child of %d nodes, want 1", i+1, p)
		}
	}
	return t, nil
}

// floats parses a space-separated array of n float64 values; an optional absent one is nil.
func floats(b map[string]string, key string, n int, required bool) ([]float64, error) {
	s, ok := b[key]
	if !ok {
		if required {
			return nil, fmt.Errorf("no %s", key)
		}
		return nil, nil
	}
	fields := strings.Fields(s)
	if len(fields) != n {
		return nil, fmt.Errorf("%s has %d values, want %d", key, len(fields), n)
	}
	out := make([]float64, n)
	for i, w := range fields {
		v, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return nil, fmt.Errorf("%s[%d] %q: not a number", key, i, truncate(w))
		}
		out[i] = v
	}
	return out, nil
}

// ints parses a space-separated array of n integers.
func ints(b map[string]string, key string, n int) ([]int, error) {
	s, ok := b[key]
	if !ok {
		return nil, fmt.Errorf("no %s", key)
	}
	fields := strings.Fields(s)
	if len(fields) != n {
		return nil, fmt.Errorf("%s has %d values, want %d", key, len(fields), n)
	}
	out := make([]int, n)
	for i, w := range fields {
		v, err := strconv.Atoi(w)
		if err != nil || v != int(int32(v)) {
			return nil, fmt.Errorf("%s[%d] %q: not a 32-bit integer", key, i, truncate(w))
		}
		out[i] = v
	}
	return out, nil
}

// ensemble converts the trees class, class+stride, class+2·stride, ... into a gbt ensemble,
// multiplying leaf values by scale.
func (f *file) ensemble(obj gbt.Objective, scale float64, class, stride int) (*gbt.Ensemble, error) {
	e := gbt.Ensemble{Objective: obj, NumFeatures: f.numFeatures, FeatureNames: f.featureNames}
	for i := class; i < len(f.trees); i += stride {
		nodes, err := convertTree(&f.trees[i], scale)
		if err != nil {
			return nil, fmt.Errorf("lightgbm: tree %d: %w", i, err)
		}
		e.Trees = append(e.Trees, gbt.Tree{Nodes: nodes})
	}
	g, err := gbt.New(e)
	if err != nil {
		return nil, fmt.Errorf("lightgbm: %w", err)
	}
	return g, nil
}

// LightGBM's decision_type bits and kZeroThreshold.
const (
	categoricalMask = 1
	defaultLeftMask = 2
	missingNone     = 0
	missingZero     = 1
	missingNaN      = 2
	zeroThreshold   = float64(float32(1e-35))
)

// builder emits gbt nodes in preorder from a checked LightGBM tree.
type builder struct {
	t     *tree
	scale float64
	nodes []gbt.Node
	limit int
}

func convertTree(t *tree, scale float64) ([]gbt.Node, error) {
	b := &builder{t: t, scale: scale, limit: 4*t.numLeaves + 64}
	if t.numLeaves == 1 {
		_, err := b.emit(^0, 0)
		return b.nodes, err
	}
	_, err := b.emit(0, 0)
	return b.nodes, err
}

func (b *builder) add(n gbt.Node) (int32, error) {
	if len(b.nodes) >= b.limit {
		return 0, errors.New("too many nodes after expanding zero-as-missing splits")
	}
	b.nodes = append(b.nodes, n)
	return int32(len(b.nodes) - 1), nil
}

// emit writes the subtree of LightGBM child c (a node index, or ^leaf) and returns its index.
func (b *builder) emit(c, depth int) (int32, error) {
	if depth > 512 {
		return 0, errors.New("deeper than 512")
	}
	t := b.t
	if c < 0 {
		leaf := ^c
		n := gbt.Node{Feature: -1, Left: -1, Right: -1, Value: b.scale * t.leafValue[leaf]}
		if t.leafCount != nil {
			n.Cover = t.leafCount[leaf]
		}
		return b.add(n)
	}
	dt := t.decisionType[c]
	n := gbt.Node{Feature: int32(t.splitFeature[c])}
	if t.splitGain != nil {
		n.Gain = t.splitGain[c]
	}
	if t.internalValue != nil {
		n.Value = b.scale * t.internalValue[c]
	}
	if t.internalCount != nil {
		n.Cover = t.internalCount[c]
	}
	if dt&categoricalMask != 0 {
		k := int(t.threshold[c])
		words := t.catThreshold[t.catBoundaries[k]:t.catBoundaries[k+1]]
		for w, bits := range words {
			for bit := range 32 {
				if bits>>bit&1 != 0 {
					n.Categories = append(n.Categories, uint32(32*w+bit))
				}
			}
		}
		n.Categorical = true // NaN and negative codes go right (DefaultLeft false)
		return b.split(n, c, depth)
	}
	thr := t.threshold[c]
	if math.IsNaN(thr) {
		return 0, fmt.Errorf("node %d: threshold NaN", c)
	}
	dl := dt&defaultLeftMask != 0
	switch dt >> 2 & 3 {
	case missingNone: // NaN is 0
		n.Threshold = math.Nextafter(thr, math.Inf(1))
		n.DefaultLeft = 0 <= thr
		return b.split(n, c, depth)
	case missingNaN:
		n.Threshold = math.Nextafter(thr, math.Inf(1))
		n.DefaultLeft = dl
		return b.split(n, c, depth)
	}
	return b.zeroSplit(n, c, thr, dl, depth)
}

// split emits n with the subtrees of node c's children.
func (b *builder) split(n gbt.Node, c, depth int) (int32, error) {
	if math.IsInf(n.Threshold, 0) && !n.Categorical {
		return 0, fmt.Errorf("node %d: threshold not finite", c)
	}
	at, err := b.add(n)
	if err != nil {
		return 0, err
	}
	l, err := b.emit(b.t.left[c], depth+1)
	if err != nil {
		return 0, err
	}
	r, err := b.emit(b.t.right[c], depth+1)
	if err != nil {
		return 0, err
	}
	b.nodes[at].Left, b.nodes[at].Right = l, r
	return at, nil
}

// zeroSplit emits a missing-type-Zero split: NaN and |x| <= zeroThreshold go the default way,
// other values left when x <= thr. The line is cut at -z, z and thr into intervals, adjacent
// intervals going the same way are merged, and the intervals become a chain of numeric splits
// x < bound, each child subtree emitted once per interval it owns.
func (b *builder) zeroSplit(n gbt.Node, c int, thr float64, dl bool, depth int) (int32, error) {
	const left, right = true, false
	T := math.Nextafter(thr, math.Inf(1)) // x <= thr ⇔ x < T
	if math.IsInf(T, 0) {
		return 0, fmt.Errorf("node %d: threshold not finite", c)
	}
	way := func(x float64) bool {
		if x >= -zeroThreshold && x <= zeroThreshold {
			return dl
		}
		return x < T
	}
	cuts := []float64{-zeroThreshold, math.Nextafter(zeroThreshold, math.Inf(1)), T}
	slices.Sort(cuts)
	type interval struct {
		upper float64 // exclusive; +Inf for the last
		goes  bool
	}
	ivs := []interval{{cuts[0], way(math.Inf(-1))}}
	for i, lo := range cuts {
		up := math.Inf(1)
		if i+1 < len(cuts) {
			up = cuts[i+1]
		}
		if up == lo {
			continue
		}
		g := way(lo)
		if last := &ivs[len(ivs)-1]; last.goes == g {
			last.upper = up
		} else {
			ivs = append(ivs, interval{up, g})
		}
	}
	child := func(g bool) int {
		if g == left {
			return b.t.left[c]
		}
		return b.t.right[c]
	}
	// chain emits the splits for ivs[i:]; NaN follows the default way through them.
	var chain func(i int, nanDone bool) (int32, error)
	chain = func(i int, nanDone bool) (int32, error) {
		if i == len(ivs)-1 {
			return b.emit(child(ivs[i].goes), depth+1)
		}
		nd := n
		nd.Threshold = ivs[i].upper
		nd.DefaultLeft = !nanDone && ivs[i].goes == dl
		at, err := b.add(nd)
		if err != nil {
			return 0, err
		}
		l, err := b.emit(child(ivs[i].goes), depth+1)
		if err != nil {
			return 0, err
		}
		r, err := chain(i+1, nanDone || nd.DefaultLeft)
		if err != nil {
			return 0, err
		}
		b.nodes[at].Left, b.nodes[at].Right = l, r
		return at, nil
	}
	return chain(0, false)
}

// ForOutputs returns the model's ensemble reading its features from a transformer's outputs
// (feature.Transformer.Names): matched by name when the file stores real feature names, else
// by position after checking the count. LightGBM's names for unnamed columns (Column_0,
// Column_1, ...) count as none. Any difference is an error listing the features.
func (m *Model) ForOutputs(outputs []string) (*gbt.Ensemble, error) {
	names := m.FeatureNames
	if m.NamesGenerated() {
		names = nil
	}
	e, err := match.Ensemble(m.Ensemble, names, outputs)
	if err != nil {
		return nil, fmt.Errorf("lightgbm: %w", err)
	}
	return e, nil
}

// NamesGenerated reports whether the feature names are LightGBM's defaults for unnamed
// columns, Column_0, Column_1, ... (or absent).
func (m *Model) NamesGenerated() bool {
	for i, n := range m.FeatureNames {
		if n != "Column_"+strconv.Itoa(i) {
			return false
		}
	}
	return true
}
