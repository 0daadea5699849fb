package xgboost

import (
	"bytes"
	"encoding/json"
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

// Model is an XGBoost model converted for riskflow.
type Model struct {
	Ensemble     *gbt.Ensemble // validated and compiled; FeatureNames set when the file names them
	FeatureNames []string      // learner.feature_names, nil when the file stores none
	Version      string        // the XGBoost version that saved the model, e.g. "1.7.6"
	Objective    string        // XGBoost's objective name
	BaseScore    float64       // base_score as stored (output space); Ensemble.BaseScore is its margin
}

// ReadFile reads and converts the XGBoost JSON model at path.
func ReadFile(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("xgboost: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// The JSON document, as far as Decode reads it.
type jsonModel struct {
	Version []int        `json:"version"`
	Learner *jsonLearner `json:"learner"`
}

type jsonLearner struct {
	FeatureNames []string `json:"feature_names"`
	Param        struct {
		BaseScore  string `json:"base_score"`
		NumFeature string `json:"num_feature"`
		NumClass   string `json:"num_class"`
		NumTarget  string `json:"num_target"`
	} `json:"learner_model_param"`
	Objective struct {
		Name string `json:"name"`
	} `json:"objective"`
	Booster struct {
		Name  string      `json:"name"`
		Model *jsonGBTree `json:"model"`
	} `json:"gradient_booster"`
}

type jsonGBTree struct {
	Trees    []jsonTree `json:"trees"`
	TreeInfo []int64    `json:"tree_info"`
}

type jsonTree struct {
	Param struct {
		NumNodes       string `json:"num_nodes"`
		SizeLeafVector string `json:"size_leaf_vector"`
	} `json:"tree_param"`
	Left               []int64 `json:"left_children"`
	Right              []int64 `json:"right_children"`
	SplitIndices       []int64 `json:"split_indices"`
	SplitConditions    []f32   `json:"split_conditions"`
	DefaultLeft        []flag  `json:"default_left"`
	LossChanges        []f32   `json:"loss_changes"`
	SumHessian         []f32   `json:"sum_hessian"`
	BaseWeights        []f32   `json:"base_weights"`
	SplitType          []int64 `json:"split_type"`
	CategoriesNodes    []int64 `json:"categories_nodes"`
	CategoriesSegments []int64 `json:"categories_segments"`
	CategoriesSizes    []int64 `json:"categories_sizes"`
	Categories         []int64 `json:"categories"`
}

// flag is default_left: integers 0/1 since XGBoost 1.6, JSON booleans before.
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "0", "false":
		*f = false
	case "1", "true":
		*f = true
	default:
		return fmt.Errorf("default_left value %s: want 0, 1, true or false", b)
	}
	return nil
}

// Decode converts an XGBoost JSON model (the bytes save_model writes) into a Model.
func Decode(data []byte) (*Model, error) {
	var jm jsonModel
	dec := json.NewDecoder(bytes.NewReader(quoteNonFinite(data)))
	if err := dec.Decode(&jm); err != nil {
		return nil, fmt.Errorf("xgboost: not an XGBoost JSON model: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("xgboost: trailing data after the JSON model")
	}
	l := jm.Learner
	if l == nil {
		return nil, errors.New("xgboost: no \"learner\" object: not an XGBoost JSON model (save_model(\"m.json\"))")
	}
	m := &Model{Objective: l.Objective.Name}
	if len(jm.Version) == 3 {
		m.Version = fmt.Sprintf("%d.%d.%d", jm.Version[0], jm.Version[1], jm.Version[2])
	}
	if bn := l.Booster.Name; bn != "gbtree" {
		if bn == "" {
			return nil, errors.New("xgboost: no gradient_booster name")
		}
		return nil, fmt.Errorf("xgboost: booster %q is not supported: only gbtree models import", bn)
	}
	var obj gbt.Objective
	switch l.Objective.Name {
	case "binary:logistic", "reg:logistic":
		obj = gbt.Logistic
	case "reg:squarederror":
		obj = gbt.SquaredError
	case "":
		return nil, errors.New("xgboost: no objective name")
	default:
		return nil, fmt.Errorf("xgboost: objective %q is not supported (binary:logistic, reg:logistic and reg:squarederror are)", l.Objective.Name)
	}
	if nc, err := intParam("num_class", l.Param.NumClass, 0); err != nil {
		return nil, err
	} else if nc > 1 {
		return nil, fmt.Errorf("xgboost: num_class %d: multiclass models are not supported", nc)
	}
	if nt, err := intParam("num_target", l.Param.NumTarget, 1); err != nil {
		return nil, err
	} else if nt > 1 {
		return nil, fmt.Errorf("xgboost: num_target %d: multi-target models are not supported", nt)
	}
	nf, err := intParam("num_feature", l.Param.NumFeature, -1)
	if err != nil {
		return nil, err
	}
	if nf < 0 || nf > 1<<20 {
		return nil, fmt.Errorf("xgboost: learner_model_param.num_feature %q: want a count up to 2^20", l.Param.NumFeature)
	}
	if len(l.FeatureNames) > 0 {
		if len(l.FeatureNames) != nf {
			return nil, fmt.Errorf("xgboost: %d feature_names for num_feature %d", len(l.FeatureNames), nf)
		}
		m.FeatureNames = slices.Clone(l.FeatureNames)
	}
	bs, err := parseBaseScore(l.Param.BaseScore)
	if err != nil {
		return nil, err
	}
	m.BaseScore = float64(bs)
	margin := float64(bs)
	if obj == gbt.Logistic {
		if !(bs > 0 && bs < 1) {
			return nil, fmt.Errorf("xgboost: base_score %v: a logistic model needs a probability in (0, 1)", bs)
		}
		// ProbToMargin, in float32 as XGBoost computes it: -logf(1/b - 1).
		margin = float64(-float32(math.Log(float64(1/bs - 1))))
	}
	gm := l.Booster.Model
	if gm == nil {
		return nil, errors.New("xgboost: gradient_booster has no model")
	}
	for i, g := range gm.TreeInfo {
		if g != 0 {
			return nil, fmt.Errorf("xgboost: tree_info[%d] = %d: only single-output models are supported", i, g)
		}
	}
	e := gbt.Ensemble{
		Objective:    obj,
		BaseScore:    margin,
		NumFeatures:  nf,
		FeatureNames: m.FeatureNames,
		Trees:        make([]gbt.Tree, len(gm.Trees)),
	}
	for i := range gm.Trees {
		t, err := convertTree(&gm.Trees[i], nf)
		if err != nil {
			return nil, fmt.Errorf("xgboost: tree %d: %w", i, err)
		}
		e.Trees[i] = t
	}
	if m.Ensemble, err = gbt.New(e); err != nil {
		return nil, fmt.Errorf("xgboost: %w", err)
	}
	return m, nil
}

// intParam parses one of learner_model_param's string-valued integers; an absent one is def.
func intParam(name, s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("xgboost: learner_model_param.%s %q: not an integer", name, s)
	}
	return v, nil
}

// parseBaseScore reads base_score: "5E-1" (1.x to 3.0) or "[5E-1]" (3.1 on, a vector with one
// value for a single-output model).
func parseBaseScore(s string) (float32, error) {
	v := strings.TrimSpace(s)
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = strings.TrimSpace(v[1 : len(v)-1])
		if strings.Contains(v, ",") {
			return 0, fmt.Errorf("xgboost: base_score %q: one value expected for a single-output model", s)
		}
	}
	f, err := strconv.ParseFloat(v, 32)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("xgboost: base_score %q: not a finite number", s)
	}
	return float32(f), nil
}

// f32 is a float32 as XGBoost writes it: a JSON number, or NaN, Infinity or -Infinity, which
// XGBoost writes bare (categorical splits hold NaN as their condition) and quoteNonFinite has
// turned into strings.
type f32 float32

func (f *f32) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
		if s != "NaN" && s != "Infinity" && s != "-Infinity" {
			return fmt.Errorf("float value %s: not a number", b)
		}
	}
	v, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return fmt.Errorf("float value %s: not a float32", b)
	}
	*f = f32(v)
	return nil
}

// quoteNonFinite returns data with the bare tokens NaN, Infinity and -Infinity outside JSON
// strings quoted, so that encoding/json reads them (into f32 values). Other invalid JSON is
// left for the decoder to reject.
func quoteNonFinite(data []byte) []byte {
	var out []byte // nil until the first replacement
	inString, escaped, last := false, false, 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			continue
		}
		for _, tok := range [...]string{"NaN", "Infinity", "-Infinity"} {
			if bytes.HasPrefix(data[i:], []byte(tok)) {
				out = append(out, data[last:i]...)
				out = append(out, '"')
				out = append(out, tok...)
				out = append(out, '"')
				i += len(tok) - 1
				last = i + 1
				break
			}
		}
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

func convertTree(jt *jsonTree, nf int) (gbt.Tree, error) {
	n := len(jt.Left)
	if n == 0 {
		return gbt.Tree{}, errors.New("no nodes")
	}
	if s := jt.Param.NumNodes; s != "" && s != strconv.Itoa(n) {
		return gbt.Tree{}, fmt.Errorf("tree_param.num_nodes %q but %d left_children", s, n)
	}
	if s := jt.Param.SizeLeafVector; s != "" && s != "0" && s != "1" {
		return gbt.Tree{}, fmt.Errorf("size_leaf_vector %q: vector leaves are not supported", s)
	}
	for _, a := range []struct {
		name string
		len  int
	}{
		{"right_children", len(jt.Right)},
		{"split_indices", len(jt.SplitIndices)},
		{"split_conditions", len(jt.SplitConditions)},
		{"default_left", len(jt.DefaultLeft)},
		{"loss_changes", len(jt.LossChanges)},
		{"sum_hessian", len(jt.SumHessian)},
		{"base_weights", len(jt.BaseWeights)},
	} {
		if a.len != n {
			return gbt.Tree{}, fmt.Errorf("%s has %d entries for %d nodes", a.name, a.len, n)
		}
	}
	if len(jt.SplitType) != 0 && len(jt.SplitType) != n {
		return gbt.Tree{}, fmt.Errorf("split_type has %d entries for %d nodes", len(jt.SplitType), n)
	}
	cats, err := categorySets(jt, n)
	if err != nil {
		return gbt.Tree{}, err
	}
	nodes := make([]gbt.Node, n)
	for i := range nodes {
		cond := float32(jt.SplitConditions[i])
		hess := float32(jt.SumHessian[i])
		nd := &nodes[i]
		nd.Cover = float64(hess)
		l, r := jt.Left[i], jt.Right[i]
		if l == -1 {
			if r != -1 {
				return gbt.Tree{}, fmt.Errorf("node %d: left child -1 (a leaf) but right child %d", i, r)
			}
			if _, ok := cats[i]; ok {
				return gbt.Tree{}, fmt.Errorf("node %d: a leaf with categories", i)
			}
			*nd = gbt.Node{Feature: -1, Left: -1, Right: -1, Value: float64(cond), Cover: float64(hess)}
			continue
		}
		if l <= 0 || l >= int64(n) || r <= 0 || r >= int64(n) {
			return gbt.Tree{}, fmt.Errorf("node %d: children %d and %d out of range [1, %d)", i, l, r, n)
		}
		if f := jt.SplitIndices[i]; f < 0 || f >= int64(nf) {
			return gbt.Tree{}, fmt.Errorf("node %d: split feature %d out of range [0, %d)", i, f, nf)
		}
		gain := float32(jt.LossChanges[i])
		w := float32(jt.BaseWeights[i])
		nd.Feature = int32(jt.SplitIndices[i])
		nd.Gain = float64(gain)
		nd.Value = float64(w)
		dl := bool(jt.DefaultLeft[i])
		if len(jt.SplitType) > 0 && jt.SplitType[i] != 0 {
			if jt.SplitType[i] != 1 {
				return gbt.Tree{}, fmt.Errorf("node %d: split_type %d: want 0 (numeric) or 1 (categorical)", i, jt.SplitType[i])
			}
			set, ok := cats[i]
			if !ok {
				return gbt.Tree{}, fmt.Errorf("node %d: categorical split not listed in categories_nodes", i)
			}
			// XGBoost sends the codes in the set right, gbt sends them left: swap.
			nd.Categorical = true
			nd.Categories = set
			nd.Left, nd.Right = int32(r), int32(l)
			nd.DefaultLeft = !dl
			continue
		}
		if _, ok := cats[i]; ok {
			return gbt.Tree{}, fmt.Errorf("node %d: categories on a numeric split", i)
		}
		if math.IsInf(float64(cond), 0) || math.IsNaN(float64(cond)) {
			return gbt.Tree{}, fmt.Errorf("node %d: split condition %v is not finite", i, cond)
		}
		nd.Threshold = LessBound(cond)
		nd.Left, nd.Right = int32(l), int32(r)
		nd.DefaultLeft = dl
	}
	return gbt.Tree{Nodes: nodes}, nil
}

// maxCategory bounds category codes: XGBoost treats codes of 2^24 and more as invalid.
const maxCategory = 1 << 24

// categorySets returns each categorical node's category set, sorted, from the parallel arrays
// categories_nodes, categories_segments, categories_sizes and categories.
func categorySets(jt *jsonTree, n int) (map[int][]uint32, error) {
	k := len(jt.CategoriesNodes)
	if len(jt.CategoriesSegments) != k || len(jt.CategoriesSizes) != k {
		return nil, fmt.Errorf("categories_nodes, categories_segments and categories_sizes have %d, %d and %d entries",
			k, len(jt.CategoriesSegments), len(jt.CategoriesSizes))
	}
	if k == 0 {
		return nil, nil
	}
	sets := make(map[int][]uint32, k)
	for j, node := range jt.CategoriesNodes {
		if node < 0 || node >= int64(n) {
			return nil, fmt.Errorf("categories_nodes[%d] = %d: no such node", j, node)
		}
		if _, dup := sets[int(node)]; dup {
			return nil, fmt.Errorf("categories_nodes[%d] = %d: listed twice", j, node)
		}
		seg, size := jt.CategoriesSegments[j], jt.CategoriesSizes[j]
		if seg < 0 || size < 0 || seg > int64(len(jt.Categories)) || size > int64(len(jt.Categories))-seg {
			return nil, fmt.Errorf("categories_segments[%d] = %d, categories_sizes[%d] = %d: outside categories (%d entries)",
				j, seg, j, size, len(jt.Categories))
		}
		set := make([]uint32, 0, size)
		for _, c := range jt.Categories[seg : seg+size] {
			if c < 0 || c >= maxCategory {
				return nil, fmt.Errorf("node %d: category %d out of range [0, 2^24)", node, c)
			}
			set = append(set, uint32(c))
		}
		slices.Sort(set)
		sets[int(node)] = slices.Compact(set)
	}
	return sets, nil
}

// LessBound returns the float64 b for which, for every float64 x that is not NaN,
// float32(x) < t if and only if x < b: XGBoost's float32 split test as a float64 one. t must be
// finite.
func LessBound(t float32) float64 {
	p := math.Nextafter32(t, float32(math.Inf(-1))) // the float32 just below t
	if math.IsInf(float64(p), -1) {
		// t = -MaxFloat32: float32(x) < t only when x rounds to -Inf, i.e. from the
		// magnitude MaxFloat32 + half an ulp (2^103) on, the tie rounding away (odd mantissa).
		return math.Nextafter(-(math.MaxFloat32 + 0x1p103), 0)
	}
	mid := (float64(p) + float64(t)) / 2 // exact: float32 values have 24-bit mantissas
	// x == mid rounds to whichever of p and t has an even mantissa: to p means left.
	if math.Float32bits(p)&1 == 0 {
		return math.Nextafter(mid, math.Inf(1))
	}
	return mid
}

// ForOutputs returns the model's ensemble reading its features from a transformer's outputs
// (feature.Transformer.Names): matched by name when the file stores feature names, else by
// position after checking the count. Any difference is an error listing the features.
func (m *Model) ForOutputs(outputs []string) (*gbt.Ensemble, error) {
	e, err := match.Ensemble(m.Ensemble, m.FeatureNames, outputs)
	if err != nil {
		return nil, fmt.Errorf("xgboost: %w", err)
	}
	return e, nil
}
