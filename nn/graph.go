package nn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// OutputKind says what a graph's output value is.
type OutputKind string

// Output kinds.
const (
	Probability OutputKind = "probability" // in [0, 1]: the probability of the positive class
	Logit       OutputKind = "logit"       // log-odds: the probability is its sigmoid
)

// Tensor is a constant: a dense float tensor, row-major. A scalar has no Dims and one value.
type Tensor struct {
	Name string    `json:"name"`
	Dims []int     `json:"dims"`
	Data []float64 `json:"data"`
}

// Node is one operator application. Attributes are Floats and Ints by their ONNX names
// (alpha, beta, transA, transB, axis, epsilon; Softmax's "legacy" is 1 for the opset < 13
// semantics); an absent attribute takes the ONNX default.
type Node struct {
	Op      string             `json:"op"`
	Name    string             `json:"name,omitempty"`
	Inputs  []string           `json:"inputs"`
	Outputs []string           `json:"outputs"`
	Floats  map[string]float64 `json:"floats,omitempty"`
	Ints    map[string]int64   `json:"ints,omitempty"`
}

// Graph is a feed-forward network over one input row. Build one with New, or decode one with
// UnmarshalJSON; both validate and compile it. A Graph returned by New is read-only and safe
// for concurrent use; its methods panic on a Graph not built by New.
type Graph struct {
	Input        string     `json:"input"`        // name of the input value
	NumFeatures  int        `json:"num_features"` // width of the input row
	Output       string     `json:"output"`       // name of the output value
	OutputKind   OutputKind `json:"output_kind"`
	Initializers []Tensor   `json:"initializers,omitempty"`
	Nodes        []Node     `json:"nodes"`

	plan *plan
}

// ErrInvalid is wrapped by every validation error of New.
var ErrInvalid = errors.New("nn: invalid graph")

// maxElements bounds the size of any one tensor (constant or per-row value).
const maxElements = 1 << 22

// opSpecs lists, for each supported operator, its attributes (float names, then int names),
// the number of inputs it takes (min, max) and of outputs.
var opSpecs = map[string]struct {
	floats, ints []string
	minIn, maxIn int
	outputs      int
}{
	"MatMul":             {nil, nil, 2, 2, 1},
	"Gemm":               {[]string{"alpha", "beta"}, []string{"transA", "transB"}, 2, 3, 1},
	"Add":                {nil, nil, 2, 2, 1},
	"Sub":                {nil, nil, 2, 2, 1},
	"Mul":                {nil, nil, 2, 2, 1},
	"Div":                {nil, nil, 2, 2, 1},
	"Relu":               {nil, nil, 1, 1, 1},
	"LeakyRelu":          {[]string{"alpha"}, nil, 1, 1, 1},
	"Sigmoid":            {nil, nil, 1, 1, 1},
	"Tanh":               {nil, nil, 1, 1, 1},
	"Softmax":            {nil, []string{"axis", "legacy"}, 1, 1, 1},
	"Flatten":            {nil, []string{"axis"}, 1, 1, 1},
	"Reshape":            {nil, nil, 2, 2, 1},
	"Concat":             {nil, []string{"axis"}, 1, 1 << 10, 1},
	"Identity":           {nil, nil, 1, 1, 1},
	"BatchNormalization": {[]string{"epsilon"}, nil, 5, 5, 1},
}

// Supports reports whether op is an operator of the subset.
func Supports(op string) bool { _, ok := opSpecs[op]; return ok }

// New validates g, compiles it and returns it ready to evaluate. New keeps g's slices and maps:
// do not change them afterwards. Errors wrap ErrInvalid and name the node and input at fault.
func New(g Graph) (*Graph, error) {
	p, err := compile(&g)
	if err != nil {
		return nil, err
	}
	out := g
	out.plan = p
	return &out, nil
}

// UnmarshalJSON decodes a graph written by encoding/json and validates it as New does.
// Unknown keys and trailing data are errors. On error g is left unchanged.
func (g *Graph) UnmarshalJSON(b []byte) error {
	type raw Graph
	var r raw
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("nn: decode: %w", err)
	}
	if dec.More() {
		return errors.New("nn: decode: trailing data")
	}
	ng, err := New(Graph(r))
	if err != nil {
		return err
	}
	*g = *ng
	return nil
}

// Eval returns the graph's output for one row x (len NumFeatures), using an Evaluator from a
// pool the graph keeps: safe for concurrent use and, once warm, allocation-free.
func (g *Graph) Eval(x []float64) float64 {
	e := g.plan.pool.Get().(*Evaluator)
	v := e.Eval(x)
	g.plan.pool.Put(e)
	return v
}

// EvalBatch writes to dst[r] the output of row r of X (len(dst) rows of NumFeatures values,
// row-major), splitting large batches across GOMAXPROCS goroutines. It panics if
// len(X) != len(dst)·NumFeatures.
func (g *Graph) EvalBatch(X, dst []float64) {
	nf := g.NumFeatures
	if len(X) != len(dst)*nf {
		panic(fmt.Sprintf("nn: EvalBatch: %d values for %d rows of %d features", len(X), len(dst), nf))
	}
	rows := len(dst)
	workers := runtime.GOMAXPROCS(0)
	if rows < 256 || workers < 2 {
		e := g.plan.pool.Get().(*Evaluator)
		for r := range dst {
			dst[r] = e.Eval(X[r*nf : (r+1)*nf])
		}
		g.plan.pool.Put(e)
		return
	}
	per := (rows + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < rows; lo += per {
		hi := min(lo+per, rows)
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := g.plan.pool.Get().(*Evaluator)
			for r := lo; r < hi; r++ {
				dst[r] = e.Eval(X[r*nf : (r+1)*nf])
			}
			g.plan.pool.Put(e)
		}()
	}
	wg.Wait()
}

// NewEvaluator returns an Evaluator for g: the buffers of one evaluation. It is not safe for
// concurrent use; make one per goroutine.
func (g *Graph) NewEvaluator() *Evaluator { return g.plan.newEvaluator() }

// Evaluator evaluates a graph one row at a time in preallocated buffers.
type Evaluator struct {
	p    *plan
	bufs [][]float64
}

// Eval returns the graph's output for row x (x[:NumFeatures] is read; each value is rounded to
// float32 first, as the network's float input). It allocates nothing. It panics if
// len(x) < NumFeatures.
func (e *Evaluator) Eval(x []float64) float64 {
	p := e.p
	in := e.bufs[p.input]
	x = x[:len(in)]
	for i, v := range x {
		in[i] = float64(float32(v))
	}
	for i := range p.steps {
		p.steps[i].run(e.bufs)
	}
	return e.bufs[p.output][p.outIndex]
}

// Sigmoid is the logistic function, as Eval's Sigmoid operator computes it.
func Sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
