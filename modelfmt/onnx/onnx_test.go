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
