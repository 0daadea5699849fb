package onnx

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replaceOnce swaps one same-length string inside a model, keeping the protobuf valid.
func replaceOnce(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	if len(old) != len(new) || !bytes.Contains(b, []byte(old)) {
		t.Fatalf("cannot replace %q with %q", old, new)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// Minimal protobuf writers for hand-made models.
func msg(fields ...[]byte) []byte { return bytes.Join(fields, nil) }
func str(num protowire.Number, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), s)
}
func sub(num protowire.Number, m []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), m)
}
func varint(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

// input is a ValueInfoProto of a tensor of elem type et and shape dims (0: symbolic).
func input(name string, et uint64, dims ...uint64) []byte {
	var shape [][]byte
	for _, d := range dims {
		if d == 0 {
			shape = append(shape, sub(1, str(2, "n")))
		} else {
			shape = append(shape, sub(1, varint(1, d)))
		}
	}
	return msg(str(1, name), sub(2, sub(1, msg(varint(1, et), sub(2, msg(shape...))))))
}

func model(graph ...[]byte) []byte {
	return msg(varint(1, 8), sub(8, msg(str(1, ""), varint(2, 13))), sub(7, msg(graph...)))
}

func TestRefused(t *testing.T) {
	mlp := readTestdata(t, "mlp.onnx")
	trees := readTestdata(t, "trees_classifier.onnx")
	relu := sub(1, msg(str(1, "x"), str(2, "y"), str(4, "Relu")))
	tests := []struct {
		name  string
		model []byte
		want  string
	}{
		{"unsupported operator", replaceOnce(t, mlp, "\x22\x04Relu", "\x22\x04Selu"), "unsupported operator Selu"},
		{"unsupported branch mode", replaceOnce(t, trees, "BRANCH_LEQ", "BRANCH_NEQ"), "mode BRANCH_NEQ is not supported"},
		{"unknown domain", replaceOnce(t, trees, "ai.onnx.ml", "ai.onnx.xx"), `domain "ai.onnx.xx"`},
		{"double input", model(relu, sub(11, input("x", 11, 0, 3)), sub(12, input("y", 1, 0, 3))), "not a float tensor"},
		{"two inputs", model(relu, sub(11, input("x", 1, 0, 3)), sub(11, input("z", 1, 0, 3)), sub(12, input("y", 1, 0, 3))), "2 inputs"},
		{"unknown width", model(relu, sub(11, input("x", 1, 0, 0)), sub(12, input("y", 1, 0, 3))), "with F known"},
		{"rank 3 input", model(relu, sub(11, input("x", 1, 0, 3, 2)), sub(12, input("y", 1, 0, 3))), "[N, F]"},
		{"wide output", model(relu, sub(11, input("x", 1, 0, 3)), sub(12, input("y", 1, 0, 3))), "3 values per row"},
		{"no graph", msg(varint(1, 8)), "no graph"},
		{"truncated", mlp[:len(mlp)/2], "onnx"},
		{"external data", model(relu, sub(5, msg(str(8, "w"), varint(2, 1), sub(13, str(1, "location")))), sub(11, input("x", 1, 0, 3)), sub(12, input("y", 1, 0, 1))), "external data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.model, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse: %v, %v; want an error containing %q", m, err, tc.want)
			}
		})
	}
}

func TestHandMadeNetwork(t *testing.T) {
	relu := sub(1, msg(str(1, "x"), str(2, "y"), str(4, "Relu")))
	m, err := Parse(model(relu, sub(11, input("x", 1, 0, 1)), sub(12, input("y", 1, 0, 1))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Graph.OutputKind != "logit" || m.Graph.Eval([]float64{-2}) != 0 || m.Graph.Eval([]float64{1.5}) != 1.5 {
		t.Errorf("relu network: kind %s, f(-2)=%v f(1.5)=%v", m.Graph.OutputKind, m.Graph.Eval([]float64{-2}), m.Graph.Eval([]float64{1.5}))
	}
	if _, err := m.ForOutputs([]string{"a", "b"}); err == nil {
		t.Error("ForOutputs accepted 2 outputs for 1 feature")
	}
}

// TestThresholds checks the float32 comparison conversion against float32 rounding itself.
func TestThresholds(t *testing.T) {
	ts := []float32{0, -0, 1, -1, 0.1, -0.1, 3.4028235e38, -3.4028235e38, 1e-45, -1e-45, 1.17549435e-38, 12345.678}
	for _, th := range ts {
		leq, lt := leqThreshold(th), ltThreshold(th)
		for _, base := range []float64{float64(th), leq, lt} {
			x := base
			for i := 0; i < 4; i++ {
				x = math.Nextafter(x, math.Inf(-1))
			}
			for i := 0; i < 9; i++ {
				if got, want := x < leq, float32(x) <= th; got != want {
					t.Errorf("t=%v x=%v: x < %v is %v, float32(x) <= t is %v", th, x, leq, got, want)
				}
				if got, want := x < lt, float32(x) < th; got != want {
					t.Errorf("t=%v x=%v: x < %v is %v, float32(x) < t is %v", th, x, lt, got, want)
				}
				x = math.Nextafter(x, math.Inf(1))
			}
		}
	}
}

// FuzzParse feeds malformed models to the parser: an error, or a model that evaluates, never a
// panic.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"mlp.onnx", "mlp_bn_softmax.onnx", "mlp_logit.onnx", "trees_classifier.onnx", "trees_regressor.onnx"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b, Options{})
		if err != nil {
			return
		}
		x := make([]float64, m.NumFeatures)
		for _, v := range []float64{0, 1, math.NaN()} {
			for i := range x {
				x[i] = v
			}
			if m.Graph != nil {
				m.Graph.Eval(x)
			} else {
				m.Trees.Predict(x)
			}
		}
	})
}

// TestCorrupt parses every truncation and many single-byte corruptions of the fixtures
// (deterministic, beside FuzzParse): errors, never panics, and any model that still parses
// evaluates.
func TestCorrupt(t *testing.T) {
	for _, name := range []string{"mlp_logit.onnx", "trees_regressor.onnx"} {
		b := readTestdata(t, name)
		step := max(1, len(b)/600)
		for i := 0; i < len(b); i += step {
			if _, err := Parse(b[:i], Options{}); err == nil && i < len(b)/2 {
				t.Errorf("%s: truncated at %d of %d parsed", name, i, len(b))
			}
			for _, v := range []byte{0x00, 0xff, b[i] ^ 0x01, b[i] + 0x10} {
				c := bytes.Clone(b)
				c[i] = v
				m, err := Parse(c, Options{})
				if err != nil {
					continue
				}
				x := make([]float64, m.NumFeatures)
				if m.Graph != nil {
					m.Graph.Eval(x)
				} else {
					m.Trees.Predict(x)
				}
			}
		}
	}
}

// Attribute writers for hand-made tree ensembles.
func aInts(name string, v ...int64) []byte {
	var packed []byte
	for _, x := range v {
		packed = protowire.AppendVarint(packed, uint64(x))
	}
	return sub(5, msg(str(1, name), varint(20, attrInts), sub(8, packed)))
}

func aFloats(name string, v ...float32) []byte {
	var packed []byte
	for _, x := range v {
		packed = protowire.AppendFixed32(packed, math.Float32bits(x))
	}
	return sub(5, msg(str(1, name), varint(20, attrFloats), sub(7, packed)))
}

func aStrings(name string, v ...string) []byte {
	var f [][]byte
	for _, s := range v {
		f = append(f, str(9, s))
	}
	return sub(5, msg(str(1, name), varint(20, attrStrings), msg(f...)))
}

func aString(name, v string) []byte {
	return sub(5, msg(str(1, name), varint(20, attrString), str(4, v)))
}

// TestHandMadeTrees covers the modes, aggregation and class layouts the fixtures do not:
// two trees (ids 7 and 3, listed out of order), BRANCH_GTE and BRANCH_GT with the missing bit.
func TestHandMadeTrees(t *testing.T) {
	nodes := [][]byte{
		aInts("nodes_treeids", 7, 7, 7, 3, 3, 3),
		aInts("nodes_nodeids", 0, 1, 2, 5, 4, 9),
		aInts("nodes_featureids", 0, 0, 0, 1, 0, 0),
		aStrings("nodes_modes", "BRANCH_GTE", "LEAF", "LEAF", "BRANCH_GT", "LEAF", "LEAF"),
		aFloats("nodes_values", 0.5, 0, 0, -1, 0, 0),
		aInts("nodes_truenodeids", 1, 0, 0, 4, 0, 0),
		aInts("nodes_falsenodeids", 2, 0, 0, 9, 0, 0),
		aInts("nodes_missing_value_tracks_true", 1, 0, 0, 0, 0, 0),
	}
	io := [][]byte{sub(11, input("x", 1, 0, 2)), sub(12, input("y", 1, 0, 1))}
	ml := msg(varint(1, 8), sub(8, msg(str(1, ""), varint(2, 13))), sub(8, msg(str(1, "ai.onnx.ml"), varint(2, 1))))
	build := func(op string, extra ...[]byte) []byte {
		n := msg(str(1, "x"), str(2, "y"), str(4, op), str(7, "ai.onnx.ml"), msg(nodes...), msg(extra...))
		return msg(ml, sub(7, msg(sub(1, n), msg(io...))))
	}
	// Leaves: tree 7: node 1 (x0 >= 0.5) = 10, node 2 = 20; tree 3: node 4 (x1 > -1) = 1, node 9 = 2.
	regressor := func(agg string) []byte {
		return build("TreeEnsembleRegressor", sub(5, msg(str(1, "n_targets"), varint(20, attrInt), varint(3, 1))), aString("aggregate_function", agg),
			aInts("target_treeids", 7, 7, 3, 3), aInts("target_nodeids", 1, 2, 4, 9), aInts("target_ids", 0, 0, 0, 0),
			aFloats("target_weights", 10, 20, 1, 2), aFloats("base_values", 0.5))
	}
	nan := math.NaN()
	below := math.Nextafter(0.5, 0) // rounds to 0.5 in float32: counts as >= 0.5
	tests := []struct {
		name  string
		model []byte
		x     []float64
		want  float64
	}{
		{"gte true", regressor("SUM"), []float64{0.5, 0}, 0.5 + 10 + 1},
		{"gte rounding", regressor("SUM"), []float64{below, 0}, 0.5 + 10 + 1},
		{"gte false", regressor("SUM"), []float64{0.49, 0}, 0.5 + 20 + 1},
		{"gte missing tracks true", regressor("SUM"), []float64{nan, 0}, 0.5 + 10 + 1},
		{"gt equal is false", regressor("SUM"), []float64{1, -1}, 0.5 + 10 + 2},
		{"gt missing goes false", regressor("SUM"), []float64{1, nan}, 0.5 + 10 + 2},
		{"average", regressor("AVERAGE"), []float64{1, 0}, 0.5 + (10+1)/2.0},
		{"classifier two classes", build("TreeEnsembleClassifier", aInts("classlabels_int64s", 0, 1), aString("post_transform", "LOGISTIC"),
			aInts("class_treeids", 7, 7, 7, 3, 3), aInts("class_nodeids", 1, 1, 2, 4, 9), aInts("class_ids", 0, 1, 1, 1, 0),
			aFloats("class_weights", 5, 0.25, -0.5, 1, 3), aFloats("base_values", 9, -1)), []float64{1, 0}, 1 / (1 + math.Exp(-(-1 + 0.25 + 1)))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.model, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Trees.Predict(tc.x); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("Predict(%v) = %v, want %v", tc.x, got, tc.want)
			}
		})
	}
	if _, err := Parse(regressor("MAX"), Options{}); err == nil || !strings.Contains(err.Error(), "aggregate_function MAX") {
		t.Errorf("MAX aggregation: %v", err)
	}
}
