package feature

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Expression features.
//
// An expression is parsed once (Validate, Fit, ParseTransformer) into a postfix program over the
// record's numeric slots and evaluated with a fixed-size stack array, so evaluation allocates
// nothing and is the same code for Transform and Vector.

const (
	maxExprLen   = 4096 // bytes of expression text
	maxExprDepth = 64   // nesting of the parse and depth of the evaluation stack
)

// exprNode is a parsed expression.
type exprNode struct {
	op   opcode
	num  float64     // opConst
	name string      // opLoad: the raw field
	args []*exprNode // operators and functions
}

type opcode uint8

const (
	opConst opcode = iota
	opLoad
	opNeg
	opAdd
	opSub
	opMul
	opDiv
	opLog
	opLog1p
	opSqrt
	opAbs
	opMin
	opMax
)

// funcs maps function names to opcodes and arities (-1: two or more arguments).
var funcs = map[string]struct {
	op    opcode
	arity int
}{
	"log":   {opLog, 1},
	"log1p": {opLog1p, 1},
	"sqrt":  {opSqrt, 1},
	"abs":   {opAbs, 1},
	"min":   {opMin, -1},
	"max":   {opMax, -1},
}

// parseExpr parses src into a tree.
func parseExpr(src string) (*exprNode, error) {
	if len(src) > maxExprLen {
		return nil, fmt.Errorf("expr is longer than %d bytes", maxExprLen)
	}
	p := exprParser{src: src}
	p.next()
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.tok != tokEOF {
		return nil, p.errorf("unexpected %s", p.describe())
	}
	return n, nil
}

type exprToken uint8

const (
	tokEOF exprToken = iota
	tokNum
	tokIdent
	tokOp // one of + - * / ( ) ,
	tokBad
)

type exprParser struct {
	src  string
	pos  int // offset after the current token
	tok  exprToken
	text string // token text (identifier without backquotes)
	at   int    // offset of the current token
	num  float64
}

func (p *exprParser) errorf(format string, args ...any) error {
	return fmt.Errorf("expr %q: offset %d: %s", p.src, p.at, fmt.Sprintf(format, args...))
}

func (p *exprParser) describe() string {
	switch p.tok {
	case tokEOF:
		return "end of expression"
	case tokNum:
		return "number " + p.text
	case tokIdent:
		return "name " + strconv.Quote(p.text)
	}
	return strconv.Quote(p.text)
}

func isIdentStart(c byte) bool {
	return c == '_' || (c|0x20) >= 'a' && (c|0x20) <= 'z'
}

func isIdentByte(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '.'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next scans the next token.
func (p *exprParser) next() {
	s := p.src
	for p.pos < len(s) && (s[p.pos] == ' ' || s[p.pos] == '\t' || s[p.pos] == '\n' || s[p.pos] == '\r') {
		p.pos++
	}
	p.at = p.pos
	if p.pos >= len(s) {
		p.tok, p.text = tokEOF, ""
		return
	}
	c := s[p.pos]
	switch {
	case strings.IndexByte("+-*/(),", c) >= 0:
		p.pos++
		p.tok, p.text = tokOp, s[p.at:p.pos]
	case isDigit(c) || c == '.' && p.pos+1 < len(s) && isDigit(s[p.pos+1]):
		i := p.pos
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i < len(s) && s[i] == '.' {
			i++
			for i < len(s) && isDigit(s[i]) {
				i++
			}
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && isDigit(s[j]) {
				for j < len(s) && isDigit(s[j]) {
					j++
				}
				i = j
			}
		}
		p.text = s[p.pos:i]
		p.pos = i
		v, err := strconv.ParseFloat(p.text, 64)
		if err != nil || math.IsInf(v, 0) {
			p.tok = tokBad
			return
		}
		p.tok, p.num = tokNum, v
	case isIdentStart(c):
		i := p.pos
		for i < len(s) && isIdentByte(s[i]) {
			i++
		}
		p.tok, p.text = tokIdent, s[p.pos:i]
		p.pos = i
	case c == '`':
		end := strings.IndexByte(s[p.pos+1:], '`')
		if end <= 0 {
			p.tok, p.text = tokBad, s[p.pos:]
			p.pos = len(s)
			return
		}
		p.tok, p.text = tokIdent, s[p.pos+1:p.pos+1+end]
		p.pos += end + 2
	default:
		p.tok, p.text = tokBad, s[p.pos:p.pos+1]
		p.pos++
	}
}

func (p *exprParser) isOp(op string) bool { return p.tok == tokOp && p.text == op }

// expr parses a sum: term (('+'|'-') term)*.
func (p *exprParser) expr(depth int) (*exprNode, error) {
	if depth > maxExprDepth {
		return nil, p.errorf("nested more than %d deep", maxExprDepth)
	}
	left, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		op := opAdd
		if p.text == "-" {
			op = opSub
		}
		p.next()
		right, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		left = &exprNode{op: op, args: []*exprNode{left, right}}
	}
	return left, nil
}

// term parses a product: unary (('*'|'/') unary)*.
func (p *exprParser) term(depth int) (*exprNode, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") {
		op := opMul
		if p.text == "/" {
			op = opDiv
		}
		p.next()
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		left = &exprNode{op: op, args: []*exprNode{left, right}}
	}
	return left, nil
}

// unary parses ('-'|'+')* primary.
func (p *exprParser) unary(depth int) (*exprNode, error) {
	if depth > maxExprDepth {
		return nil, p.errorf("nested more than %d deep", maxExprDepth)
	}
	if p.isOp("-") || p.isOp("+") {
		neg := p.text == "-"
		p.next()
		x, err := p.unary(depth + 1)
		if err != nil || !neg {
			return x, err
		}
		return &exprNode{op: opNeg, args: []*exprNode{x}}, nil
	}
	return p.primary(depth)
}

// primary parses a number, a field, a function call or a parenthesized expression.
func (p *exprParser) primary(depth int) (*exprNode, error) {
	switch {
	case p.tok == tokNum:
		n := &exprNode{op: opConst, num: p.num}
		p.next()
		return n, nil
	case p.tok == tokIdent:
		name, quoted := p.text, p.src[p.at] == '`'
		p.next()
		if !p.isOp("(") || quoted {
			return &exprNode{op: opLoad, name: name}, nil
		}
		fn, ok := funcs[name]
		if !ok {
			return nil, p.errorf("unknown function %q (want log, log1p, sqrt, abs, min or max)", name)
		}
		p.next()
		var args []*exprNode
		for {
			a, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.isOp(")") {
				p.next()
				break
			}
			if !p.isOp(",") {
				return nil, p.errorf("want , or ) in the arguments of %s, got %s", name, p.describe())
			}
			p.next()
		}
		if fn.arity > 0 && len(args) != fn.arity {
			return nil, p.errorf("%s takes %d argument, got %d", name, fn.arity, len(args))
		}
		if fn.arity < 0 && len(args) < 2 {
			return nil, p.errorf("%s takes two or more arguments", name)
		}
		return &exprNode{op: fn.op, name: name, args: args}, nil
	case p.isOp("("):
		p.next()
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.isOp(")") {
			return nil, p.errorf("want ), got %s", p.describe())
		}
		p.next()
		return x, nil
	case p.tok == tokBad:
		return nil, p.errorf("bad token %q", p.text)
	}
	return nil, p.errorf("want a number, a field or (, got %s", p.describe())
}

// refs returns the raw fields the expression reads, each once, in order of first use.
func (n *exprNode) refs() []string {
	var out []string
	var walk func(*exprNode)
	walk = func(n *exprNode) {
		if n.op == opLoad {
			for _, r := range out {
				if r == n.name {
					return
				}
			}
			out = append(out, n.name)
		}
		for _, a := range n.args {
			walk(a)
		}
	}
	walk(n)
	return out
}

// String prints the expression in a canonical, fully parenthesized form that parses back to
// the same tree.
func (n *exprNode) String() string {
	var b strings.Builder
	n.format(&b)
	return b.String()
}

func (n *exprNode) format(b *strings.Builder) {
	switch n.op {
	case opConst:
		b.WriteString(strconv.FormatFloat(n.num, 'g', -1, 64))
	case opLoad:
		if plainIdent(n.name) {
			b.WriteString(n.name)
		} else {
			b.WriteString("`" + n.name + "`")
		}
	case opNeg:
		b.WriteString("(-")
		n.args[0].format(b)
		b.WriteByte(')')
	case opAdd, opSub, opMul, opDiv:
		b.WriteByte('(')
		n.args[0].format(b)
		b.WriteString([...]string{opAdd: " + ", opSub: " - ", opMul: " * ", opDiv: " / "}[n.op])
		n.args[1].format(b)
		b.WriteByte(')')
	default:
		b.WriteString(n.name)
		b.WriteByte('(')
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.format(b)
		}
		b.WriteByte(')')
	}
}

func plainIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	_, isFunc := funcs[s]
	return !isFunc
}

// instr is one postfix instruction.
type instr struct {
	op  opcode
	arg int32 // opConst: index into consts; opLoad: record slot; opMin/opMax: argument count
}

// program is a compiled expression.
type program struct {
	code   []instr
	consts []float64
}

// compile turns the tree into a postfix program. slot maps a raw field to its record slot.
func (n *exprNode) compile(slot func(string) int) (*program, error) {
	p := &program{}
	depth, maxDepth := 0, 0
	var emit func(*exprNode)
	emit = func(n *exprNode) {
		for _, a := range n.args {
			emit(a)
		}
		in := instr{op: n.op}
		switch n.op {
		case opConst:
			in.arg = int32(len(p.consts))
			p.consts = append(p.consts, n.num)
			depth++
		case opLoad:
			in.arg = int32(slot(n.name))
			depth++
		case opAdd, opSub, opMul, opDiv:
			depth--
		case opMin, opMax:
			in.arg = int32(len(n.args))
			depth -= len(n.args) - 1
		}
		maxDepth = max(maxDepth, depth)
		p.code = append(p.code, in)
	}
	emit(n)
	if maxDepth > maxExprDepth {
		return nil, fmt.Errorf("expr needs a stack deeper than %d", maxExprDepth)
	}
	return p, nil
}

// eval evaluates the program over the record's numeric slots (NaN is missing). A missing input,
// a division by zero, a logarithm or square root out of its domain and a non-finite result all
// give NaN.
func (p *program) eval(vals []float64) float64 {
	var st [maxExprDepth]float64
	sp := 0
	for _, in := range p.code {
		switch in.op {
		case opConst:
			st[sp] = p.consts[in.arg]
			sp++
		case opLoad:
			st[sp] = vals[in.arg]
			sp++
		case opNeg:
			st[sp-1] = -st[sp-1]
		case opAdd:
			sp--
			st[sp-1] += st[sp]
		case opSub:
			sp--
			st[sp-1] -= st[sp]
		case opMul:
			sp--
			st[sp-1] *= st[sp]
		case opDiv:
			sp--
			if st[sp] == 0 {
				st[sp-1] = math.NaN()
			} else {
				st[sp-1] /= st[sp]
			}
		case opLog:
			if x := st[sp-1]; x > 0 {
				st[sp-1] = math.Log(x)
			} else {
				st[sp-1] = math.NaN()
			}
		case opLog1p:
			if x := st[sp-1]; x > -1 {
				st[sp-1] = math.Log1p(x)
			} else {
				st[sp-1] = math.NaN()
			}
		case opSqrt:
			if x := st[sp-1]; x >= 0 {
				st[sp-1] = math.Sqrt(x)
			} else {
				st[sp-1] = math.NaN()
			}
		case opAbs:
			st[sp-1] = math.Abs(st[sp-1])
		case opMin, opMax:
			k := int(in.arg)
			r := st[sp-k]
			for _, x := range st[sp-k+1 : sp] {
				switch {
				case x != x || r != r:
					r = math.NaN()
				case in.op == opMin && x < r, in.op == opMax && x > r:
					r = x
				}
			}
			sp -= k - 1
			st[sp-1] = r
		}
	}
	r := st[0]
	if math.IsInf(r, 0) {
		return math.NaN()
	}
	return r
}
