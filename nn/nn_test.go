package nn

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func tensor(name string, dims []int, data ...float64) Tensor {
	return Tensor{Name: name, Dims: dims, Data: data}
}

func node(op string, in []string, out string) Node {
	return Node{Op: op, Inputs: in, Outputs: []string{out}}
}

// TestOps evaluates one small graph per operator against hand-computed outputs.
func TestOps(t *testing.T) {
	x := []float64{1, -2, 3}
	tests := []struct {
		name  string
		inits []Tensor
		nodes []Node
		want  float64
	}{
		{"matmul", []Tensor{tensor("w", []int{3, 1}, 1, 2, 3)}, []Node{node("MatMul", []string{"x", "w"}, "y")}, 1 - 4 + 9},
		{"matmul vector", []Tensor{tensor("w", []int{3}, 1, 1, 1)}, []Node{node("MatMul", []string{"x", "w"}, "y")}, 2},
		{"gemm transB alpha beta", []Tensor{tensor("w", []int{1, 3}, 1, 2, 3), tensor("c", []int{1}, 10)},
			[]Node{{Op: "Gemm", Inputs: []string{"x", "w", "c"}, Outputs: []string{"y"}, Floats: map[string]float64{"alpha": 2, "beta": 0.5}, Ints: map[string]int64{"transB": 1}}}, 2*6 + 5},
		{"add broadcast then sum", []Tensor{tensor("c", []int{3}, 1, 1, 1), tensor("w", []int{3, 1}, 1, 1, 1)},
			[]Node{node("Add", []string{"x", "c"}, "a"), node("MatMul", []string{"a", "w"}, "y")}, 5},
		{"sub const first", []Tensor{tensor("c", nil, 10), tensor("w", []int{3, 1}, 1, 0, 0)},
			[]Node{node("Sub", []string{"c", "x"}, "a"), node("MatMul", []string{"a", "w"}, "y")}, 9},
		{"mul div", []Tensor{tensor("c", []int{1, 3}, 2, 2, 2), tensor("d", nil, 4), tensor("w", []int{3, 1}, 0, 0, 1)},
			[]Node{node("Mul", []string{"x", "c"}, "a"), node("Div", []string{"a", "d"}, "b"), node("MatMul", []string{"b", "w"}, "y")}, 1.5},
		{"relu", []Tensor{tensor("w", []int{3, 1}, 1, 1, 1)}, []Node{node("Relu", []string{"x"}, "r"), node("MatMul", []string{"r", "w"}, "y")}, 4},
		{"leaky relu", []Tensor{tensor("w", []int{3, 1}, 1, 1, 1)},
			[]Node{{Op: "LeakyRelu", Inputs: []string{"x"}, Outputs: []string{"r"}, Floats: map[string]float64{"alpha": 0.5}}, node("MatMul", []string{"r", "w"}, "y")}, 3},
		{"sigmoid", []Tensor{tensor("w", []int{3, 1}, 1, 0, 0)}, []Node{node("MatMul", []string{"x", "w"}, "z"), node("Sigmoid", []string{"z"}, "y")}, 1 / (1 + math.Exp(-1))},
		{"tanh", []Tensor{tensor("w", []int{3, 1}, 0, 1, 0)}, []Node{node("MatMul", []string{"x", "w"}, "z"), node("Tanh", []string{"z"}, "y")}, math.Tanh(-2)},
		{"softmax 2 columns", []Tensor{tensor("w", []int{3, 2}, 1, 0, 0, 1, 0, 0)},
			[]Node{node("MatMul", []string{"x", "w"}, "z"), node("Softmax", []string{"z"}, "y")}, math.Exp(-2) / (math.Exp(1) + math.Exp(-2))},
		{"reshape flatten identity", []Tensor{tensor("s", []int{3}, -1, 3, 1), tensor("w", []int{3, 1}, 1, 1, 1)},
			[]Node{node("Reshape", []string{"x", "s"}, "r"), node("Flatten", []string{"r"}, "f"), node("Identity", []string{"f"}, "i"), node("MatMul", []string{"i", "w"}, "y")}, 2},
		{"concat", []Tensor{tensor("w", []int{6, 1}, 1, 0, 0, 0, 0, 10)},
			[]Node{{Op: "Concat", Inputs: []string{"x", "x"}, Outputs: []string{"c"}, Ints: map[string]int64{"axis": 1}}, node("MatMul", []string{"c", "w"}, "y")}, 31},
		{"batchnorm", []Tensor{tensor("s", []int{3}, 2, 1, 1), tensor("b", []int{3}, 1, 0, 0), tensor("m", []int{3}, 0.5, 0, 0), tensor("v", []int{3}, 4, 1, 1), tensor("w", []int{3, 1}, 1, 0, 0)},
			[]Node{{Op: "BatchNormalization", Inputs: []string{"x", "s", "b", "m", "v"}, Outputs: []string{"n"}, Floats: map[string]float64{"epsilon": 0}}, node("MatMul", []string{"n", "w"}, "y")}, 2*(1-0.5)/2 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind := Logit
			if strings.HasPrefix(tc.name, "softmax") {
				kind = Probability // a 2-column output must be a probability pair
			}
			g, err := New(Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: kind, Initializers: tc.inits, Nodes: tc.nodes})
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Eval(x); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			// A JSON round trip gives the same graph.
			b, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			var back Graph
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if got, want := back.Eval(x), g.Eval(x); got != want {
				t.Errorf("after JSON: %v, want %v", got, want)
			}
		})
	}
}

func TestInputRoundedToFloat32(t *testing.T) {
	g, err := New(Graph{Input: "x", NumFeatures: 1, Output: "y", OutputKind: Logit,
		Initializers: []Tensor{tensor("w", []int{1, 1}, 1)}, Nodes: []Node{node("MatMul", []string{"x", "w"}, "y")}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Eval([]float64{0.1}), float64(float32(0.1)); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestInvalid checks that New names what is wrong.
func TestInvalid(t *testing.T) {
	w := []Tensor{tensor("w", []int{3, 1}, 1, 1, 1)}
	mm := node("MatMul", []string{"x", "w"}, "y")
	tests := []struct {
		name string
		g    Graph
		want string
	}{
		{"unknown op", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Nodes: []Node{node("Conv", []string{"x"}, "y")}}, `unsupported operator "Conv"`},
		{"undefined input", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Nodes: []Node{node("MatMul", []string{"x", "nope"}, "y")}}, `input "nope" is not defined`},
		{"shape mismatch", Graph{Input: "x", NumFeatures: 4, Output: "y", OutputKind: Logit, Initializers: w, Nodes: []Node{mm}}, "do not multiply"},
		{"bad kind", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: "odds", Initializers: w, Nodes: []Node{mm}}, "output_kind"},
		{"wide output", Graph{Input: "x", NumFeatures: 3, Output: "x2", OutputKind: Logit, Nodes: []Node{node("Relu", []string{"x"}, "x2")}}, "3 values per row"},
		{"missing output", Graph{Input: "x", NumFeatures: 3, Output: "z", OutputKind: Logit, Initializers: w, Nodes: []Node{mm}}, `output "z"`},
		{"data length", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Initializers: []Tensor{tensor("w", []int{3, 1}, 1)}, Nodes: []Node{mm}}, "1 values for dims"},
		{"nan weight", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Initializers: []Tensor{tensor("w", []int{3, 1}, 1, math.NaN(), 1)}, Nodes: []Node{mm}}, "NaN"},
		{"unknown attribute", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Initializers: w, Nodes: []Node{{Op: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"y"}, Ints: map[string]int64{"axis": 1}}}}, `unknown int attribute "axis"`},
		{"reshape across rows", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Initializers: []Tensor{tensor("s", []int{2}, 3, 1)}, Nodes: []Node{node("Reshape", []string{"x", "s"}, "y")}}, "batch dimension"},
		{"softmax axis 0", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Nodes: []Node{{Op: "Softmax", Inputs: []string{"x"}, Outputs: []string{"y"}, Ints: map[string]int64{"axis": 0}}}}, "mix rows"},
		{"constant over batch", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Initializers: []Tensor{tensor("c", []int{2, 3}, 1, 1, 1, 1, 1, 1)}, Nodes: []Node{node("Add", []string{"x", "c"}, "y")}}, "batch dimension"},
		{"constants only", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Initializers: []Tensor{tensor("c", nil, 1)}, Nodes: []Node{node("Relu", []string{"c"}, "y")}}, "only from constants"},
		{"duplicate output", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Initializers: w, Nodes: []Node{mm, mm}}, "defined twice"},
		{"two logits", Graph{Input: "x", NumFeatures: 3, Output: "y", OutputKind: Logit, Initializers: []Tensor{tensor("w", []int{3, 2}, 1, 1, 1, 1, 1, 1)}, Nodes: []Node{node("MatMul", []string{"x", "w"}, "y")}}, "not 2 logits"},
		{"no features", Graph{Input: "x", NumFeatures: 0, Output: "y", OutputKind: Logit}, "num_features"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.g)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrInvalid naming %q", err, tc.want)
			}
		})
	}
}

func TestUnmarshalStrict(t *testing.T) {
	for _, in := range []string{
		`{"input":"x","num_features":1,"output":"y","output_kind":"logit","nodes":[],"extra":1}`,
		`{"input":"x","num_features":1,"output":"y","output_kind":"logit","nodes":[]}`, // y never computed
		`{"input":"x"`,
	} {
		var g Graph
		if err := json.Unmarshal([]byte(in), &g); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

// mlp64 builds an F-64-32-1 MLP with ReLU and a sigmoid, as PyTorch exports it (Gemm, transB).
func mlp64(tb testing.TB, f int) *Graph {
	tb.Helper()
	fill := func(n int, s float64) []float64 {
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(float32(math.Sin(float64(i)*s) * 0.2))
		}
		return d
	}
	g, err := New(Graph{Input: "x", NumFeatures: f, Output: "p", OutputKind: Probability,
		Initializers: []Tensor{
			{Name: "w1", Dims: []int{64, f}, Data: fill(64*f, 1.1)}, {Name: "b1", Dims: []int{64}, Data: fill(64, 0.7)},
			{Name: "w2", Dims: []int{32, 64}, Data: fill(32*64, 1.3)}, {Name: "b2", Dims: []int{32}, Data: fill(32, 0.9)},
			{Name: "w3", Dims: []int{1, 32}, Data: fill(32, 1.7)}, {Name: "b3", Dims: []int{1}, Data: fill(1, 1)},
		},
		Nodes: []Node{
			{Op: "Gemm", Inputs: []string{"x", "w1", "b1"}, Outputs: []string{"h1"}, Ints: map[string]int64{"transB": 1}},
			node("Relu", []string{"h1"}, "r1"),
			{Op: "Gemm", Inputs: []string{"r1", "w2", "b2"}, Outputs: []string{"h2"}, Ints: map[string]int64{"transB": 1}},
			node("Relu", []string{"h2"}, "r2"),
			{Op: "Gemm", Inputs: []string{"r2", "w3", "b3"}, Outputs: []string{"z"}, Ints: map[string]int64{"transB": 1}},
			node("Sigmoid", []string{"z"}, "p"),
		}})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func TestEvalAllocs(t *testing.T) {
	g := mlp64(t, 64)
	x := make([]float64, 64)
	for i := range x {
		x[i] = float64(i) / 64
	}
	ev := g.NewEvaluator()
	if n := testing.AllocsPerRun(100, func() { ev.Eval(x) }); n != 0 {
		t.Errorf("Evaluator.Eval: %v allocations per row", n)
	}
	g.Eval(x)
	if n := testing.AllocsPerRun(100, func() { g.Eval(x) }); n > 0.1 {
		t.Errorf("Graph.Eval: %v allocations per row", n)
	}
}

// BenchmarkMLP is the benchmark: one row through a 64-32-1 MLP over 64 features.
func BenchmarkMLP(b *testing.B) {
	g := mlp64(b, 64)
	x := make([]float64, 64)
	for i := range x {
		x[i] = float64(i) / 64
	}
	g.Eval(x)
	b.ReportAllocs()
	b.ResetTimer()
	var s float64
	for i := 0; i < b.N; i++ {
		s += g.Eval(x)
	}
	if math.IsNaN(s) {
		b.Fatal("NaN")
	}
}

// FuzzUnmarshal feeds arbitrary JSON to the graph decoder: an error or a graph that
// evaluates, never a panic.
func FuzzUnmarshal(f *testing.F) {
	b, _ := json.Marshal(mlp64(f, 3))
	f.Add(b)
	f.Add([]byte(`{"input":"x","num_features":2,"output":"y","output_kind":"probability","initializers":[{"name":"s","dims":[2],"data":[0,-1]}],"nodes":[{"op":"Reshape","inputs":["x","s"],"outputs":["r"]},{"op":"Softmax","inputs":["r"],"outputs":["y"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var g Graph
		if err := json.Unmarshal(data, &g); err != nil {
			return
		}
		x := make([]float64, g.NumFeatures)
		g.Eval(x)
		g.EvalBatch(append(x, x...), make([]float64, 2))
	})
}
