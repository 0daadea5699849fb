package onnx

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"riskflow/gbt"
	"riskflow/modelfmt/internal/match"
	"riskflow/nn"
)

// Model is an imported ONNX model: exactly one of Graph (a network) and Trees (an ai.onnx.ml
// tree ensemble) is set.
type Model struct {
	NumFeatures int            // width of the float input [N, F]
	Input       string         // name of the input
	Graph       *nn.Graph      // a network
	Trees       *gbt.Ensemble  // a tree ensemble
	Opsets      map[string]int // operator set versions by domain ("" is the default domain)
	Producer    string         // producer name and version, e.g. "pytorch 1.13.0"
	Operator    string         // TreeEnsembleClassifier or TreeEnsembleRegressor for Trees, else ""
}

// ForOutputs matches the model's input columns to a transformer's outputs. ONNX stores no
// feature names, so the match is by position, after checking the count (an error lists the
// difference). A tree ensemble gets the outputs as its FeatureNames.
func (m *Model) ForOutputs(outputs []string) (*Model, error) {
	if _, err := match.Features(nil, m.NumFeatures, outputs); err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	out := *m
	if m.Trees != nil {
		e, err := match.Ensemble(m.Trees, nil, outputs)
		if err != nil {
			return nil, fmt.Errorf("onnx: %w", err)
		}
		out.Trees = e
	}
	return &out, nil
}

// Options tune Parse.
type Options struct {
	// Output says what a network's output is: "" (auto: a probability if the last operator
	// is Sigmoid or Softmax, else a logit), "probability" or "logit".
	Output nn.OutputKind
}

// ReadFile reads and parses the ONNX model at path.
func ReadFile(path string, opts Options) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	m, err := Parse(b, opts)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// mlDomain is the domain of the traditional-ML operators.
const mlDomain = "ai.onnx.ml"

// Parse decodes an ONNX ModelProto and converts it. Anything outside the supported subset is
// an error naming it: an unsupported operator, attribute or data type, more than one input or
// output, an input that is not a float matrix [N, F].
func Parse(b []byte, opts Options) (*Model, error) {
	pm, err := decodeModel(b)
	if err != nil {
		return nil, fmt.Errorf("onnx: model: %w", err)
	}
	if pm.graph == nil {
		return nil, errors.New("onnx: model has no graph")
	}
	if pm.functions > 0 {
		return nil, errors.New("onnx: model-local functions are not supported")
	}
	m := &Model{Opsets: map[string]int{}, Producer: pm.producer}
	for _, o := range pm.opsets {
		d := o.domain
		if d == "ai.onnx" {
			d = ""
		}
		if d != "" && d != mlDomain {
			return nil, fmt.Errorf("onnx: operator set domain %q is not supported", o.domain)
		}
		if o.version < 1 || o.version > 1000 {
			return nil, fmt.Errorf("onnx: operator set %q version %d out of range", o.domain, o.version)
		}
		m.Opsets[d] = int(o.version)
	}
	if _, ok := m.Opsets[""]; !ok && pm.irVersion >= 3 {
		// A model of only ML operators may leave the default domain out.
		m.Opsets[""] = 0
	}
	g := pm.graph
	if g.sparseInits > 0 {
		return nil, errors.New("onnx: sparse initializers are not supported")
	}
	inits := map[string]*tensorProto{}
	for i := range g.initializers {
		t := &g.initializers[i]
		if t.name == "" {
			return nil, fmt.Errorf("onnx: initializer %d has no name", i)
		}
		inits[t.name] = t
	}
	var inputs []valueInfo
	for _, in := range g.inputs {
		if _, ok := inits[in.name]; !ok { // IR < 4 lists initializers among the inputs
			inputs = append(inputs, in)
		}
	}
	if len(inputs) != 1 {
		names := make([]string, len(inputs))
		for i, in := range inputs {
			names[i] = in.name
		}
		return nil, fmt.Errorf("onnx: the model has %d inputs %v, want one float input [N, F]", len(inputs), names)
	}
	in := inputs[0]
	if !in.tensor || in.elemType != typeFloat {
		return nil, fmt.Errorf("onnx: input %q is not a float tensor (element type %d); export with a float32 input", in.name, in.elemType)
	}
	if !in.hasShape || len(in.dims) != 2 || !in.dims[1].known || in.dims[1].value < 1 {
		return nil, fmt.Errorf("onnx: input %q must have shape [N, F] with F known, got %s", in.name, shapeString(in.dims))
	}
	if in.dims[1].value > 1<<20 {
		return nil, fmt.Errorf("onnx: input %q has %d features", in.name, in.dims[1].value)
	}
	m.Input = in.name
	m.NumFeatures = int(in.dims[1].value)
	for _, n := range g.nodes {
		if n.opType == "TreeEnsembleClassifier" || n.opType == "TreeEnsembleRegressor" {
			e, err := convertTrees(g, m)
			if err != nil {
				return nil, fmt.Errorf("onnx: %w", err)
			}
			m.Trees, m.Operator = e, n.opType
			return m, nil
		}
	}
	if len(g.outputs) != 1 {
		return nil, fmt.Errorf("onnx: the network has %d outputs, want one", len(g.outputs))
	}
	ng, err := convertGraph(g, m, opts)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	m.Graph = ng
	return m, nil
}

func shapeString(dims []dim) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		switch {
		case d.known:
			parts[i] = fmt.Sprint(d.value)
		case d.param != "":
			parts[i] = d.param
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func nodeLabel(n *nodeProto, i int) string {
	if n.name != "" {
		return fmt.Sprintf("node %d %q (%s)", i, n.name, n.opType)
	}
	return fmt.Sprintf("node %d (%s)", i, n.opType)
}

// ignoredAttrs are attributes that do not change inference, by operator.
var ignoredAttrs = map[string][]string{
	"BatchNormalization": {"momentum", "spatial", "is_test", "consumed_inputs"},
	"Add":                {"broadcast", "consumed_inputs"},
	"Sub":                {"broadcast", "consumed_inputs"},
	"Mul":                {"broadcast", "consumed_inputs"},
	"Div":                {"broadcast", "consumed_inputs"},
	"Relu":               {"consumed_inputs"},
	"LeakyRelu":          {"consumed_inputs"},
	"Sigmoid":            {"consumed_inputs"},
	"Tanh":               {"consumed_inputs"},
	"Gemm":               {"broadcast"},
}

func convertGraph(g *graphProto, m *Model, opts Options) (*nn.Graph, error) {
	out := nn.Graph{Input: m.Input, NumFeatures: m.NumFeatures, Output: g.outputs[0].name}
	opset := m.Opsets[""]
	for _, t := range g.initializers {
		v, err := t.values()
		if err != nil {
			return nil, fmt.Errorf("initializer: %w", err)
		}
		out.Initializers = append(out.Initializers, nn.Tensor{Name: t.name, Dims: intDims(t.dims), Data: v})
	}
	last := ""
	for i := range g.nodes {
		n := &g.nodes[i]
		label := nodeLabel(n, i)
		if n.domain != "" && n.domain != "ai.onnx" {
			return nil, fmt.Errorf("%s: operator %s of domain %q is not supported", label, n.opType, n.domain)
		}
		if n.opType == "Constant" {
			t, err := constantTensor(n)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
			out.Initializers = append(out.Initializers, *t)
			continue
		}
		if !nn.Supports(n.opType) {
			return nil, fmt.Errorf("%s: unsupported operator %s (supported: MatMul, Gemm, Add, Sub, Mul, Div, Relu, LeakyRelu, Sigmoid, Tanh, Softmax, Flatten, Reshape, Concat, Identity, BatchNormalization)", label, n.opType)
		}
		nd := nn.Node{Op: n.opType, Name: n.name, Inputs: trimEmpty(n.inputs), Outputs: n.outputs}
		if n.opType == "BatchNormalization" && len(n.outputs) > 1 {
			for _, o := range n.outputs[1:] {
				if o != "" {
					return nil, fmt.Errorf("%s: training-mode outputs (%q) are not supported; export in eval mode", label, o)
				}
			}
			nd.Outputs = n.outputs[:1]
		}
		for _, a := range n.attrs {
			if err := convertAttr(&nd, &a); err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
		}
		if n.opType == "Softmax" && opset < 13 {
			setInt(&nd, "legacy", 1)
		}
		out.Nodes = append(out.Nodes, nd)
		if slices.Contains(n.outputs, out.Output) {
			last = n.opType
		}
	}
	switch opts.Output {
	case "":
		out.OutputKind = nn.Logit
		if last == "Sigmoid" || last == "Softmax" {
			out.OutputKind = nn.Probability
		}
	case nn.Probability, nn.Logit:
		out.OutputKind = opts.Output
	default:
		return nil, fmt.Errorf("output kind %q, want %q or %q", opts.Output, nn.Probability, nn.Logit)
	}
	return nn.New(out)
}

func trimEmpty(s []string) []string {
	for len(s) > 0 && s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}

func intDims(d []int64) []int {
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out
}

func setInt(n *nn.Node, k string, v int64) {
	if n.Ints == nil {
		n.Ints = map[string]int64{}
	}
	n.Ints[k] = v
}

func setFloat(n *nn.Node, k string, v float64) {
	if n.Floats == nil {
		n.Floats = map[string]float64{}
	}
	n.Floats[k] = v
}

func convertAttr(n *nn.Node, a *attribute) error {
	want := func(typ int32) error {
		if a.typ != typ {
			return fmt.Errorf("attribute %s has type %d, want %d", a.name, a.typ, typ)
		}
		return nil
	}
	key := n.Op + "." + a.name
	switch key {
	case "Gemm.alpha", "Gemm.beta", "LeakyRelu.alpha", "BatchNormalization.epsilon":
		if err := want(attrFloat); err != nil {
			return err
		}
		setFloat(n, a.name, float64(a.f))
	case "Gemm.transA", "Gemm.transB", "Softmax.axis", "Flatten.axis", "Concat.axis":
		if err := want(attrInt); err != nil {
			return err
		}
		setInt(n, a.name, a.i)
	case "Reshape.allowzero":
		if a.i != 0 {
			return errors.New("Reshape with allowzero=1 is not supported")
		}
	case "BatchNormalization.training_mode":
		if a.i != 0 {
			return errors.New("BatchNormalization in training mode is not supported; export in eval mode")
		}
	default:
		if slices.Contains(ignoredAttrs[n.Op], a.name) {
			return nil
		}
		return fmt.Errorf("attribute %s of %s is not supported", a.name, n.Op)
	}
	return nil
}

// constantTensor turns a Constant node into an initializer.
func constantTensor(n *nodeProto) (*nn.Tensor, error) {
	if len(n.outputs) != 1 || len(n.attrs) != 1 {
		return nil, errors.New("Constant must have one output and one attribute")
	}
	a := &n.attrs[0]
	t := &nn.Tensor{Name: n.outputs[0]}
	switch {
	case a.name == "value" && a.typ == attrTensor && a.t != nil:
		v, err := a.t.values()
		if err != nil {
			return nil, err
		}
		t.Dims, t.Data = intDims(a.t.dims), v
	case a.name == "value_float" && a.typ == attrFloat:
		t.Data = []float64{float64(a.f)}
	case a.name == "value_int" && a.typ == attrInt:
		t.Data = []float64{float64(a.i)}
	case a.name == "value_floats" && a.typ == attrFloats:
		t.Dims = []int{len(a.floats)}
		for _, f := range a.floats {
			t.Data = append(t.Data, float64(f))
		}
	case a.name == "value_ints" && a.typ == attrInts:
		t.Dims = []int{len(a.ints)}
		for _, i := range a.ints {
			t.Data = append(t.Data, float64(i))
		}
	default:
		return nil, fmt.Errorf("Constant with attribute %s is not supported", a.name)
	}
	return t, nil
}

// Tree ensembles.

type treeAttrs struct {
	treeIDs, nodeIDs, featureIDs, trueIDs, falseIDs, missingTrue []int64
	modes                                                        []string
	values, hitrates                                             []float64
	leafTrees, leafNodes, leafClasses                            []int64
	leafWeights                                                  []float64
	baseValues                                                   []float64
	postTransform                                                string
	aggregate                                                    string
	nTargets                                                     int64
	classLabels                                                  int
}

func floatsOf(a *attribute) ([]float64, error) {
	switch a.typ {
	case attrFloats:
		out := make([]float64, len(a.floats))
		for i, f := range a.floats {
			out[i] = float64(f)
		}
		return out, nil
	case attrTensor:
		if a.t == nil {
			return nil, fmt.Errorf("attribute %s: no tensor", a.name)
		}
		return a.t.values()
	}
	return nil, fmt.Errorf("attribute %s has type %d, want floats", a.name, a.typ)
}

func intsOf(a *attribute) ([]int64, error) {
	if a.typ != attrInts {
		return nil, fmt.Errorf("attribute %s has type %d, want ints", a.name, a.typ)
	}
	return a.ints, nil
}

func convertTrees(g *graphProto, m *Model) (*gbt.Ensemble, error) {
	// The ensemble must be the model: the tree node, then at most ZipMap / Identity on its
	// outputs.
	var tn *nodeProto
	for i := range g.nodes {
		n := &g.nodes[i]
		switch {
		case n.opType == "TreeEnsembleClassifier" || n.opType == "TreeEnsembleRegressor":
			if tn != nil {
				return nil, fmt.Errorf("%s: a second tree ensemble is not supported", nodeLabel(n, i))
			}
			if n.domain != mlDomain {
				return nil, fmt.Errorf("%s: domain %q, want %q", nodeLabel(n, i), n.domain, mlDomain)
			}
			if len(n.inputs) != 1 || n.inputs[0] != m.Input {
				return nil, fmt.Errorf("%s: must read the model input %q directly", nodeLabel(n, i), m.Input)
			}
			tn = n
		case (n.opType == "ZipMap" && n.domain == mlDomain) || (n.opType == "Identity" && (n.domain == "" || n.domain == "ai.onnx")):
			if tn == nil {
				return nil, fmt.Errorf("%s: only allowed after the tree ensemble", nodeLabel(n, i))
			}
		default:
			return nil, fmt.Errorf("%s: unsupported operator %s in a tree-ensemble model (only ZipMap or Identity may follow the ensemble)", nodeLabel(n, i), n.opType)
		}
	}
	if _, ok := m.Opsets[mlDomain]; !ok {
		return nil, fmt.Errorf("the model imports no %q operator set", mlDomain)
	}
	classifier := tn.opType == "TreeEnsembleClassifier"
	var ta treeAttrs
	ta.postTransform, ta.aggregate, ta.nTargets = "NONE", "SUM", 1
	prefix := "target_"
	if classifier {
		prefix = "class_"
	}
	for i := range tn.attrs {
		a := &tn.attrs[i]
		var err error
		switch a.name {
		case "nodes_treeids":
			ta.treeIDs, err = intsOf(a)
		case "nodes_nodeids":
			ta.nodeIDs, err = intsOf(a)
		case "nodes_featureids":
			ta.featureIDs, err = intsOf(a)
		case "nodes_truenodeids":
			ta.trueIDs, err = intsOf(a)
		case "nodes_falsenodeids":
			ta.falseIDs, err = intsOf(a)
		case "nodes_missing_value_tracks_true":
			ta.missingTrue, err = intsOf(a)
		case "nodes_modes":
			if a.typ != attrStrings {
				return nil, fmt.Errorf("attribute nodes_modes has type %d, want strings", a.typ)
			}
			for _, s := range a.strings {
				ta.modes = append(ta.modes, string(s))
			}
		case "nodes_values", "nodes_values_as_tensor":
			ta.values, err = floatsOf(a)
		case "nodes_hitrates", "nodes_hitrates_as_tensor":
			ta.hitrates, err = floatsOf(a)
		case prefix + "treeids":
			ta.leafTrees, err = intsOf(a)
		case prefix + "nodeids":
			ta.leafNodes, err = intsOf(a)
		case prefix + "ids":
			ta.leafClasses, err = intsOf(a)
		case prefix + "weights", prefix + "weights_as_tensor":
			ta.leafWeights, err = floatsOf(a)
		case "base_values", "base_values_as_tensor":
			ta.baseValues, err = floatsOf(a)
		case "post_transform":
			if a.typ != attrString {
				return nil, fmt.Errorf("%s: attribute post_transform has type %d, want string", tn.opType, a.typ)
			}
			ta.postTransform = string(a.s)
		case "aggregate_function":
			if classifier {
				return nil, errors.New("TreeEnsembleClassifier: attribute aggregate_function is not supported")
			}
			if a.typ != attrString {
				return nil, fmt.Errorf("%s: attribute aggregate_function has type %d, want string", tn.opType, a.typ)
			}
			ta.aggregate = string(a.s)
		case "n_targets":
			if classifier {
				return nil, errors.New("TreeEnsembleClassifier: attribute n_targets is not supported")
			}
			if a.typ != attrInt {
				return nil, fmt.Errorf("%s: attribute n_targets has type %d, want int", tn.opType, a.typ)
			}
			ta.nTargets = a.i
		case "classlabels_int64s":
			if !classifier {
				return nil, fmt.Errorf("%s: attribute %s is not supported", tn.opType, a.name)
			}
			ta.classLabels = len(a.ints)
		case "classlabels_strings":
			if !classifier {
				return nil, fmt.Errorf("%s: attribute %s is not supported", tn.opType, a.name)
			}
			ta.classLabels = len(a.strings)
		default:
			return nil, fmt.Errorf("%s: attribute %s is not supported", tn.opType, a.name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tn.opType, err)
		}
	}
	return buildEnsemble(tn.opType, classifier, &ta, m.NumFeatures)
}
