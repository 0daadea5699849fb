package nn

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// plan is a compiled graph: values live in numbered buffers; constants' buffers are shared by
// every Evaluator (read-only), the others are allocated per Evaluator.
type plan struct {
	sizes    []int       // per buffer: its length
	consts   [][]float64 // per buffer: the constant data, nil for computed buffers
	input    int         // buffer of the input row
	output   int         // buffer of the output value
	outIndex int         // index of the reported element in the output buffer
	steps    []step
	pool     sync.Pool
}

func (p *plan) newEvaluator() *Evaluator {
	e := &Evaluator{p: p, bufs: make([][]float64, len(p.sizes))}
	for i, n := range p.sizes {
		if p.consts[i] != nil {
			e.bufs[i] = p.consts[i]
		} else {
			e.bufs[i] = make([]float64, n)
		}
	}
	return e
}

type opcode uint8

const (
	opDense opcode = iota
	opBinary
	opRelu
	opLeaky
	opSigmoid
	opTanh
	opSoftmax
	opAffineChannel
	opConcat
)

type binop uint8

const (
	bAdd binop = iota
	bSub
	bMul
	bDiv
)

// step is one compiled operation. Fields are used by kind:
//   - opDense: out[r*m+j] = Σ_k in[r*k+k']·w[j*k+k'] + bias[j] for r < rows (alpha folded into w)
//   - opBinary: out[i] = a[ia[i]] op b[ib[i]] (nil index: the identity)
//   - unary ops: out[i] = f(in[i]) (alpha for LeakyRelu)
//   - opSoftmax: over (outer, axis, inner)
//   - opAffineChannel: out[i] = w[c]·in[i] + bias[c], c = (i / inner) % channels
//   - opConcat: ins with blocks per outer index
type step struct {
	op                 opcode
	bin                binop
	in, in2, out       int
	rows, k, m         int
	w, bias            []float64
	ia, ib             []int32
	alpha              float64
	outer, axis, inner int
	ins, blocks        []int
}

func (s *step) run(b [][]float64) {
	out := b[s.out]
	switch s.op {
	case opDense:
		in := b[s.in]
		k, m := s.k, s.m
		for r := 0; r < s.rows; r++ {
			row := in[r*k : r*k+k]
			o := out[r*m : r*m+m]
			for j := range o {
				w := s.w[j*k : j*k+k]
				w = w[:len(row)]
				var acc float64
				for i, v := range row {
					acc += v * w[i]
				}
				o[j] = acc + s.bias[j]
			}
		}
	case opBinary:
		a, c := b[s.in], b[s.in2]
		switch {
		case s.ia == nil && s.ib == nil:
			a, c = a[:len(out)], c[:len(out)]
			for i := range out {
				out[i] = apply(s.bin, a[i], c[i])
			}
		case s.ia == nil:
			a = a[:len(out)]
			ib := s.ib[:len(out)]
			for i := range out {
				out[i] = apply(s.bin, a[i], c[ib[i]])
			}
		case s.ib == nil:
			c = c[:len(out)]
			ia := s.ia[:len(out)]
			for i := range out {
				out[i] = apply(s.bin, a[ia[i]], c[i])
			}
		default:
			ia, ib := s.ia[:len(out)], s.ib[:len(out)]
			for i := range out {
				out[i] = apply(s.bin, a[ia[i]], c[ib[i]])
			}
		}
	case opRelu:
		in := b[s.in][:len(out)]
		for i, v := range in {
			out[i] = max(v, 0) // NaN stays NaN
		}
	case opLeaky:
		in := b[s.in][:len(out)]
		for i, v := range in {
			if v < 0 {
				v *= s.alpha
			}
			out[i] = v
		}
	case opSigmoid:
		in := b[s.in][:len(out)]
		for i, v := range in {
			out[i] = Sigmoid(v)
		}
	case opTanh:
		in := b[s.in][:len(out)]
		for i, v := range in {
			out[i] = math.Tanh(v)
		}
	case opSoftmax:
		in := b[s.in][:len(out)]
		n, inner := s.axis, s.inner
		for o := 0; o < s.outer; o++ {
			base := o * n * inner
			for q := 0; q < inner; q++ {
				mx := math.Inf(-1)
				for a := 0; a < n; a++ {
					mx = max(mx, in[base+a*inner+q])
				}
				var sum float64
				for a := 0; a < n; a++ {
					e := math.Exp(in[base+a*inner+q] - mx)
					out[base+a*inner+q] = e
					sum += e
				}
				for a := 0; a < n; a++ {
					out[base+a*inner+q] /= sum
				}
			}
		}
	case opAffineChannel:
		in := b[s.in][:len(out)]
		ch, inner := len(s.w), s.inner
		for i, v := range in {
			c := (i / inner) % ch
			out[i] = s.w[c]*v + s.bias[c]
		}
	case opConcat:
		pos := 0
		for o := 0; o < s.outer; o++ {
			for j, id := range s.ins {
				blk := s.blocks[j]
				pos += copy(out[pos:pos+blk], b[id][o*blk:(o+1)*blk])
			}
		}
	}
}

func apply(op binop, a, b float64) float64 {
	switch op {
	case bAdd:
		return a + b
	case bSub:
		return a - b
	case bMul:
		return a * b
	default:
		return a / b
	}
}

// value is a named tensor during compilation.
type value struct {
	buf   int
	shape []int
	row   bool      // depends on the input (has the batch dimension first)
	data  []float64 // constants only
}

type compiler struct {
	p      *plan
	values map[string]*value
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func (c *compiler) newBuf(shape []int, data []float64) int {
	c.p.sizes = append(c.p.sizes, numel(shape))
	c.p.consts = append(c.p.consts, data)
	return len(c.p.sizes) - 1
}

func compile(g *Graph) (*plan, error) {
	p := &plan{}
	c := &compiler{p: p, values: map[string]*value{}}
	if g.NumFeatures < 1 || g.NumFeatures > maxElements {
		return nil, invalid("num_features %d out of range [1, %d]", g.NumFeatures, maxElements)
	}
	if g.OutputKind != Probability && g.OutputKind != Logit {
		return nil, invalid("output_kind %q, want %q or %q", g.OutputKind, Probability, Logit)
	}
	if g.Input == "" {
		return nil, invalid("no input name")
	}
	shape := []int{1, g.NumFeatures}
	c.values[g.Input] = &value{buf: c.newBuf(shape, nil), shape: shape, row: true}
	p.input = 0
	for i, t := range g.Initializers {
		if t.Name == "" {
			return nil, invalid("initializer %d has no name", i)
		}
		if _, dup := c.values[t.Name]; dup {
			return nil, invalid("initializer %q defined twice", t.Name)
		}
		n := 1
		for _, d := range t.Dims {
			if d < 0 || d > maxElements {
				return nil, invalid("initializer %q: dimension %d out of range", t.Name, d)
			}
			n *= d
			if n > maxElements {
				return nil, invalid("initializer %q: more than %d elements", t.Name, maxElements)
			}
		}
		if len(t.Data) != n {
			return nil, invalid("initializer %q: %d values for dims %v", t.Name, len(t.Data), t.Dims)
		}
		for j, v := range t.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, invalid("initializer %q: value %d is %v", t.Name, j, v)
			}
		}
		data := t.Data
		if len(data) == 0 {
			data = []float64{} // non-nil: a constant
		}
		c.values[t.Name] = &value{buf: c.newBuf(t.Dims, data), shape: slices.Clone(t.Dims), data: data}
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if err := c.node(n); err != nil {
			name := n.Name
			if name == "" {
				name = fmt.Sprint(i)
			}
			return nil, fmt.Errorf("node %s (%s): %w", name, n.Op, err)
		}
	}
	out, ok := c.values[g.Output]
	if !ok {
		return nil, invalid("output %q is not computed by any node", g.Output)
	}
	if !out.row {
		return nil, invalid("output %q does not depend on the input", g.Output)
	}
	w := numel(out.shape)
	if w != 1 && w != 2 {
		return nil, invalid("output %q has %d values per row (shape %v), want 1 or 2", g.Output, w, out.shape)
	}
	if w == 2 && g.OutputKind != Probability {
		return nil, invalid("output %q has 2 values per row: only a probability pair (a 2-class softmax) is supported, not 2 logits", g.Output)
	}
	p.output, p.outIndex = out.buf, w-1
	p.pool.New = func() any { return p.newEvaluator() }
	return p, nil
}

func (c *compiler) node(n *Node) error {
	spec, ok := opSpecs[n.Op]
	if !ok {
		return invalid("unsupported operator %q", n.Op)
	}
	if len(n.Inputs) < spec.minIn || len(n.Inputs) > spec.maxIn {
		return invalid("%d inputs, want %d to %d", len(n.Inputs), spec.minIn, spec.maxIn)
	}
	if len(n.Outputs) != spec.outputs {
		return invalid("%d outputs, want %d", len(n.Outputs), spec.outputs)
	}
	for k := range n.Floats {
		if !slices.Contains(spec.floats, k) {
			return invalid("unknown float attribute %q", k)
		}
	}
	for k, v := range n.Floats {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return invalid("attribute %s is %v", k, v)
		}
	}
	for k := range n.Ints {
		if !slices.Contains(spec.ints, k) {
			return invalid("unknown int attribute %q", k)
		}
	}
	ins := make([]*value, len(n.Inputs))
	anyRow := false
	for i, name := range n.Inputs {
		v, ok := c.values[name]
		if !ok {
			return invalid("input %q is not defined before use", name)
		}
		ins[i] = v
		anyRow = anyRow || v.row
	}
	if !anyRow {
		return invalid("computes only from constants (fold them before import)")
	}
	outName := n.Outputs[0]
	if outName == "" {
		return invalid("empty output name")
	}
	if _, dup := c.values[outName]; dup {
		return invalid("output %q defined twice", outName)
	}
	res, err := c.op(n, ins)
	if err != nil {
		return err
	}
	if numel(res.shape) > maxElements {
		return invalid("output has more than %d values per row", maxElements)
	}
	res.row = true
	c.values[outName] = res
	return nil
}

func floatAttr(n *Node, name string, def float64) float64 {
	if v, ok := n.Floats[name]; ok {
		return v
	}
	return def
}

func intAttr(n *Node, name string, def int64) int64 {
	if v, ok := n.Ints[name]; ok {
		return v
	}
	return def
}

// normAxis maps a possibly negative axis to [0, rank) (or [0, rank] with inclusive).
func normAxis(axis int64, rank int, inclusive bool) (int, error) {
	hi := int64(rank)
	if inclusive {
		hi++
	}
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis >= hi {
		return 0, invalid("axis %d out of range for rank %d", axis, rank)
	}
	return int(axis), nil
}

func (c *compiler) computed(shape []int) *value {
	return &value{buf: c.newBuf(shape, nil), shape: shape}
}

func (c *compiler) op(n *Node, in []*value) (*value, error) {
	switch n.Op {
	case "Identity":
		return &value{buf: in[0].buf, shape: in[0].shape}, nil
	case "Relu", "LeakyRelu", "Sigmoid", "Tanh":
		out := c.computed(in[0].shape)
		s := step{in: in[0].buf, out: out.buf}
		switch n.Op {
		case "Relu":
			s.op = opRelu
		case "LeakyRelu":
			s.op, s.alpha = opLeaky, floatAttr(n, "alpha", 0.01)
		case "Sigmoid":
			s.op = opSigmoid
		default:
			s.op = opTanh
		}
		c.p.steps = append(c.p.steps, s)
		return out, nil
	case "Add", "Sub", "Mul", "Div":
		return c.binary(n, in[0], in[1])
	case "MatMul":
		return c.matmul(in[0], in[1])
	case "Gemm":
		return c.gemm(n, in)
	case "Softmax":
		return c.softmax(n, in[0])
	case "Flatten":
		axis, err := normAxis(intAttr(n, "axis", 1), len(in[0].shape), true)
		if err != nil {
			return nil, err
		}
		if axis == 0 {
			return nil, invalid("flatten at axis 0 would merge rows")
		}
		shape := []int{numel(in[0].shape[:axis]), numel(in[0].shape[axis:])}
		return &value{buf: in[0].buf, shape: shape}, nil
	case "Reshape":
		return c.reshape(in[0], in[1])
	case "Concat":
		return c.concat(n, in)
	case "BatchNormalization":
		return c.batchNorm(n, in)
	}
	return nil, invalid("unsupported operator %q", n.Op)
}

// broadcast returns the numpy broadcast of a and b.
func broadcast(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, invalid("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// index maps each element of shape out to the element of src it broadcasts from, or nil if
// src has shape out.
func index(src, out []int) []int32 {
	if slices.Equal(src, out) {
		return nil
	}
	r := len(out)
	strides := make([]int, r) // src strides aligned to out, 0 where broadcast
	st := 1
	for i := r - 1; i >= 0; i-- {
		j := i - (r - len(src))
		if j < 0 {
			continue
		}
		if src[j] != 1 {
			strides[i] = st
		}
		st *= src[j]
	}
	idx := make([]int32, numel(out))
	pos := make([]int, r)
	for e := range idx {
		off := 0
		for i, p := range pos {
			off += p * strides[i]
		}
		idx[e] = int32(off)
		for i := r - 1; i >= 0; i-- {
			pos[i]++
			if pos[i] < out[i] {
				break
			}
			pos[i] = 0
		}
	}
	return idx
}

func (c *compiler) binary(n *Node, a, b *value) (*value, error) {
	shape, err := broadcast(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	for _, v := range []*value{a, b} {
		if v.row && len(v.shape) != len(shape) {
			return nil, invalid("a constant of shape %v would broadcast over the batch dimension", shape)
		}
		if !v.row && len(v.shape) == len(shape) && len(shape) > 0 && v.shape[0] != 1 {
			return nil, invalid("constant of shape %v spans the batch dimension", v.shape)
		}
	}
	if len(shape) == 0 || shape[0] != 1 {
		return nil, invalid("result of shape %v has no batch dimension", shape)
	}
	out := c.computed(shape)
	s := step{op: opBinary, in: a.buf, in2: b.buf, out: out.buf, ia: index(a.shape, shape), ib: index(b.shape, shape)}
	s.bin = map[string]binop{"Add": bAdd, "Sub": bSub, "Mul": bMul, "Div": bDiv}[n.Op]
	c.p.steps = append(c.p.steps, s)
	return out, nil
}

// dense appends the step out = x·W + bias, x of shape [..., k] (a row value), W given as
// w[j*k+i] (already transposed), bias len m.
func (c *compiler) dense(x *value, k, m int, w, bias []float64) *value {
	shape := append(slices.Clone(x.shape[:len(x.shape)-1]), m)
	out := c.computed(shape)
	c.p.steps = append(c.p.steps, step{op: opDense, in: x.buf, out: out.buf, rows: numel(x.shape) / k, k: k, m: m, w: w, bias: bias})
	return out
}

func (c *compiler) matmul(a, b *value) (*value, error) {
	if !a.row || b.row {
		return nil, invalid("only input × constant is supported (first operand from the input, second a constant)")
	}
	if len(a.shape) < 2 {
		return nil, invalid("first operand of rank %d, want at least 2", len(a.shape))
	}
	k := a.shape[len(a.shape)-1]
	if k == 0 {
		return nil, invalid("empty inner dimension")
	}
	var m int
	var w []float64
	switch len(b.shape) {
	case 1:
		if b.shape[0] != k {
			return nil, invalid("shapes %v and %v do not multiply", a.shape, b.shape)
		}
		m, w = 1, b.data
		out := c.dense(a, k, m, w, make([]float64, 1))
		out.shape = out.shape[:len(out.shape)-1] // a vector operand drops its dimension
		if len(out.shape) == 0 {
			return nil, invalid("result has no batch dimension")
		}
		return out, nil
	case 2:
		if b.shape[0] != k {
			return nil, invalid("shapes %v and %v do not multiply", a.shape, b.shape)
		}
		m = b.shape[1]
		w = transpose(b.data, k, m)
	default:
		return nil, invalid("second operand of rank %d, want 1 or 2", len(b.shape))
	}
	return c.dense(a, k, m, w, make([]float64, m)), nil
}

// transpose returns the [m][k] transpose of a [k][m] matrix.
func transpose(d []float64, k, m int) []float64 {
	t := make([]float64, len(d))
	for i := 0; i < k; i++ {
		for j := 0; j < m; j++ {
			t[j*k+i] = d[i*m+j]
		}
	}
	return t
}

func (c *compiler) gemm(n *Node, in []*value) (*value, error) {
	a, b := in[0], in[1]
	alpha, beta := floatAttr(n, "alpha", 1), floatAttr(n, "beta", 1)
	transA, transB := intAttr(n, "transA", 0), intAttr(n, "transB", 0)
	if !a.row || b.row || (len(in) == 3 && in[2].row) {
		return nil, invalid("only A from the input with constant B and C is supported")
	}
	if transA != 0 {
		return nil, invalid("transA=%d would transpose the batch dimension", transA)
	}
	if transB != 0 && transB != 1 {
		return nil, invalid("transB=%d, want 0 or 1", transB)
	}
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return nil, invalid("A %v and B %v must be matrices", a.shape, b.shape)
	}
	k := a.shape[1]
	if k == 0 {
		return nil, invalid("empty inner dimension")
	}
	var m int
	var w []float64
	if transB == 1 {
		if b.shape[1] != k {
			return nil, invalid("A %v and B^T of %v do not multiply", a.shape, b.shape)
		}
		m = b.shape[0]
		w = slices.Clone(b.data)
	} else {
		if b.shape[0] != k {
			return nil, invalid("A %v and B %v do not multiply", a.shape, b.shape)
		}
		m = b.shape[1]
		w = transpose(b.data, k, m)
	}
	if alpha != 1 {
		for i := range w {
			w[i] *= alpha
		}
	}
	bias := make([]float64, m)
	if len(in) == 3 {
		cv := in[2]
		shape, err := broadcast([]int{1, m}, cv.shape)
		if err != nil || !slices.Equal(shape, []int{1, m}) {
			return nil, invalid("C of shape %v does not broadcast to [1 %d]", cv.shape, m)
		}
		idx := index(cv.shape, []int{1, m})
		for j := range bias {
			src := j
			if idx != nil {
				src = int(idx[j])
			}
			bias[j] = beta * cv.data[src]
		}
	}
	return c.dense(a, k, m, w, bias), nil
}

func (c *compiler) softmax(n *Node, x *value) (*value, error) {
	legacy := intAttr(n, "legacy", 0)
	if legacy != 0 && legacy != 1 {
		return nil, invalid("legacy=%d, want 0 or 1", legacy)
	}
	def := int64(-1)
	if legacy == 1 {
		def = 1
	}
	axis, err := normAxis(intAttr(n, "axis", def), len(x.shape), false)
	if err != nil {
		return nil, err
	}
	if axis == 0 {
		return nil, invalid("softmax over axis 0 would mix rows")
	}
	out := c.computed(x.shape)
	s := step{op: opSoftmax, in: x.buf, out: out.buf, outer: numel(x.shape[:axis])}
	if legacy == 1 {
		s.axis, s.inner = numel(x.shape[axis:]), 1
	} else {
		s.axis, s.inner = x.shape[axis], numel(x.shape[axis+1:])
	}
	if s.axis == 0 {
		return nil, invalid("softmax over an empty axis")
	}
	c.p.steps = append(c.p.steps, s)
	return out, nil
}

func (c *compiler) reshape(x, sh *value) (*value, error) {
	if sh.row {
		return nil, invalid("the shape must be a constant")
	}
	if len(sh.shape) != 1 {
		return nil, invalid("shape tensor of rank %d, want 1", len(sh.shape))
	}
	if len(sh.data) == 0 || (sh.data[0] != 0 && sh.data[0] != -1) {
		return nil, invalid("reshape to %v must keep the batch dimension (0 or -1 first)", sh.data)
	}
	shape := make([]int, len(sh.data))
	infer := -1
	known := 1
	for i, d := range sh.data {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, invalid("reshape to %v: more than one -1", sh.data)
			}
			infer = i
		case d == 0:
			if i >= len(x.shape) {
				return nil, invalid("reshape to %v: 0 at %d beyond the input's rank %d", sh.data, i, len(x.shape))
			}
			shape[i] = x.shape[i]
			known *= shape[i]
		case d > 0 && d <= maxElements && d == math.Trunc(d):
			shape[i] = int(d)
			known *= shape[i]
		default:
			return nil, invalid("reshape to %v: bad dimension %v", sh.data, d)
		}
		if known > maxElements {
			return nil, invalid("reshape to %v: too many elements", sh.data)
		}
	}
	total := numel(x.shape)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, invalid("cannot reshape %v to %v", x.shape, sh.data)
		}
		shape[infer] = total / known
	}
	if numel(shape) != total || shape[0] != 1 {
		return nil, invalid("cannot reshape %v to %v keeping rows apart", x.shape, sh.data)
	}
	return &value{buf: x.buf, shape: shape}, nil
}

func (c *compiler) concat(n *Node, in []*value) (*value, error) {
	ax, ok := n.Ints["axis"]
	if !ok {
		return nil, invalid("concat has no axis")
	}
	rank := len(in[0].shape)
	axis, err := normAxis(ax, rank, false)
	if err != nil {
		return nil, err
	}
	if axis == 0 {
		return nil, invalid("concat over axis 0 would mix rows")
	}
	shape := slices.Clone(in[0].shape)
	shape[axis] = 0
	s := step{op: opConcat, outer: numel(in[0].shape[:axis])}
	for i, v := range in {
		if !v.row {
			return nil, invalid("input %d is a constant; concat takes only computed values", i)
		}
		if len(v.shape) != rank {
			return nil, invalid("input %d of rank %d, want %d", i, len(v.shape), rank)
		}
		for d := range v.shape {
			if d != axis && v.shape[d] != in[0].shape[d] {
				return nil, invalid("input %d of shape %v does not match %v", i, v.shape, in[0].shape)
			}
		}
		shape[axis] += v.shape[axis]
		s.ins = append(s.ins, v.buf)
		s.blocks = append(s.blocks, numel(v.shape[axis:]))
	}
	out := c.computed(shape)
	s.out = out.buf
	c.p.steps = append(c.p.steps, s)
	return out, nil
}

func (c *compiler) batchNorm(n *Node, in []*value) (*value, error) {
	x := in[0]
	if len(x.shape) < 2 {
		return nil, invalid("input of rank %d, want at least 2", len(x.shape))
	}
	ch := x.shape[1]
	for i, name := range []string{"scale", "B", "mean", "var"} {
		v := in[i+1]
		if v.row {
			return nil, invalid("%s must be a constant", name)
		}
		if len(v.shape) != 1 || v.shape[0] != ch {
			return nil, invalid("%s of shape %v, want [%d]", name, v.shape, ch)
		}
	}
	eps := floatAttr(n, "epsilon", 1e-5)
	if eps < 0 {
		return nil, invalid("epsilon %v is negative", eps)
	}
	w, bias := make([]float64, ch), make([]float64, ch)
	for j := 0; j < ch; j++ {
		vr := in[4].data[j] + eps
		if vr <= 0 {
			return nil, invalid("var[%d]+epsilon = %v is not positive", j, vr)
		}
		w[j] = in[1].data[j] / math.Sqrt(vr)
		bias[j] = in[2].data[j] - in[3].data[j]*w[j]
	}
	out := c.computed(x.shape)
	c.p.steps = append(c.p.steps, step{op: opAffineChannel, in: x.buf, out: out.buf, w: w, bias: bias, inner: max(1, numel(x.shape[2:]))})
	return out, nil
}
