package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The subset of onnx.proto (ONNX IR, proto3 wire format) that import needs, decoded by hand
// with protowire: generated code would need the .proto file and a code generator in the build,
// for a dozen fields. Unknown fields are skipped, as protobuf requires.

// Data types of TensorProto.data_type and TypeProto.Tensor.elem_type.
const (
	typeFloat  = 1
	typeInt32  = 6
	typeInt64  = 7
	typeDouble = 11
)

// Attribute types of AttributeProto.type.
const (
	attrFloat   = 1
	attrInt     = 2
	attrString  = 3
	attrTensor  = 4
	attrGraph   = 5
	attrFloats  = 6
	attrInts    = 7
	attrStrings = 8
)

type modelProto struct {
	producer  string
	irVersion int64
	opsets    []opset
	graph     *graphProto
	functions int
}

type opset struct {
	domain  string
	version int64
}

type graphProto struct {
	name         string
	nodes        []nodeProto
	initializers []tensorProto
	inputs       []valueInfo
	outputs      []valueInfo
	sparseInits  int
}

type nodeProto struct {
	name, opType, domain string
	inputs, outputs      []string
	attrs                []attribute
}

type attribute struct {
	name    string
	typ     int32
	f       float32
	i       int64
	s       []byte
	t       *tensorProto
	floats  []float32
	ints    []int64
	strings [][]byte
	seen    uint32 // bit per field number present, for the type of an attribute without "type"
}

type tensorProto struct {
	name     string
	dims     []int64
	dataType int32
	floats   []float32
	doubles  []float64
	int32s   []int32
	int64s   []int64
	raw      []byte
	hasRaw   bool
	external bool
	segment  bool
}

type valueInfo struct {
	name     string
	tensor   bool // the type is a tensor type
	elemType int32
	hasShape bool
	dims     []dim
}

type dim struct {
	value int64
	param string
	known bool
}

var errTruncated = errors.New("truncated or malformed protobuf")

// fields calls fn for every field of the message b. For a length-delimited field v is its
// bytes; for varint and fixed fields x is its value. Unknown wire types are an error.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return errTruncated
			}
			b = b[n:]
			continue // groups are skipped
		}
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// The repeated-scalar readers accept both packed and unpacked encodings.

func appendVarints(dst []int64, typ protowire.Type, v []byte, x uint64) ([]int64, error) {
	switch typ {
	case protowire.VarintType:
		return append(dst, int64(x)), nil
	case protowire.BytesType:
		for len(v) > 0 {
			y, n := protowire.ConsumeVarint(v)
			if n < 0 {
				return nil, errTruncated
			}
			dst = append(dst, int64(y))
			v = v[n:]
		}
		return dst, nil
	}
	return nil, fmt.Errorf("wire type %d for a varint field", typ)
}

func appendFloats(dst []float32, typ protowire.Type, v []byte, x uint64) ([]float32, error) {
	switch typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(x))), nil
	case protowire.BytesType:
		if len(v)%4 != 0 {
			return nil, errTruncated
		}
		for i := 0; i < len(v); i += 4 {
			dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(v[i:])))
		}
		return dst, nil
	}
	return nil, fmt.Errorf("wire type %d for a float field", typ)
}

func appendDoubles(dst []float64, typ protowire.Type, v []byte, x uint64) ([]float64, error) {
	switch typ {
	case protowire.Fixed64Type:
		return append(dst, math.Float64frombits(x)), nil
	case protowire.BytesType:
		if len(v)%8 != 0 {
			return nil, errTruncated
		}
		for i := 0; i < len(v); i += 8 {
			dst = append(dst, math.Float64frombits(binary.LittleEndian.Uint64(v[i:])))
		}
		return dst, nil
	}
	return nil, fmt.Errorf("wire type %d for a double field", typ)
}

func wantBytes(typ protowire.Type, field string) error {
	if typ != protowire.BytesType {
		return fmt.Errorf("%s: wire type %d, want length-delimited", field, typ)
	}
	return nil
}

func wantVarint(typ protowire.Type, field string) error {
	if typ != protowire.VarintType {
		return fmt.Errorf("%s: wire type %d, want varint", field, typ)
	}
	return nil
}

func decodeModel(b []byte) (*modelProto, error) {
	m := &modelProto{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1: // ir_version
			if err := wantVarint(typ, "ir_version"); err != nil {
				return err
			}
			m.irVersion = int64(x)
		case 2, 3: // producer_name, producer_version
			if err := wantBytes(typ, "producer"); err != nil {
				return err
			}
			if m.producer != "" {
				m.producer += " "
			}
			m.producer += string(v)
		case 8: // opset_import
			if err := wantBytes(typ, "opset_import"); err != nil {
				return err
			}
			var o opset
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch num {
				case 1:
					if err := wantBytes(typ, "opset_import.domain"); err != nil {
						return err
					}
					o.domain = string(v)
				case 2:
					if err := wantVarint(typ, "opset_import.version"); err != nil {
						return err
					}
					o.version = int64(x)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("opset_import: %w", err)
			}
			m.opsets = append(m.opsets, o)
		case 7: // graph
			if err := wantBytes(typ, "graph"); err != nil {
				return err
			}
			if m.graph != nil {
				return errors.New("two graphs")
			}
			g, err := decodeGraph(v)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			m.graph = g
		case 25: // functions
			m.functions++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func decodeGraph(b []byte) (*graphProto, error) {
	g := &graphProto{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1, 2, 5, 11, 12:
			if err := wantBytes(typ, "graph field"); err != nil {
				return err
			}
		}
		switch num {
		case 1:
			n, err := decodeNode(v)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.nodes), err)
			}
			g.nodes = append(g.nodes, *n)
		case 2:
			g.name = string(v)
		case 5:
			t, err := decodeTensor(v)
			if err != nil {
				return fmt.Errorf("initializer %d: %w", len(g.initializers), err)
			}
			g.initializers = append(g.initializers, *t)
		case 11, 12:
			vi, err := decodeValueInfo(v)
			if err != nil {
				return fmt.Errorf("input/output: %w", err)
			}
			if num == 11 {
				g.inputs = append(g.inputs, *vi)
			} else {
				g.outputs = append(g.outputs, *vi)
			}
		case 15:
			g.sparseInits++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func decodeNode(b []byte) (*nodeProto, error) {
	n := &nodeProto{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1, 2, 3, 4, 5, 7:
			if err := wantBytes(typ, "node field"); err != nil {
				return err
			}
		}
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 2:
			n.outputs = append(n.outputs, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.opType = string(v)
		case 7:
			n.domain = string(v)
		case 5:
			a, err := decodeAttribute(v)
			if err != nil {
				return fmt.Errorf("attribute %d: %w", len(n.attrs), err)
			}
			n.attrs = append(n.attrs, *a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

func decodeAttribute(b []byte) (*attribute, error) {
	a := &attribute{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		if num < 32 {
			a.seen |= 1 << uint(num)
		}
		switch num {
		case 1:
			if err = wantBytes(typ, "name"); err == nil {
				a.name = string(v)
			}
		case 20:
			if err = wantVarint(typ, "type"); err == nil {
				a.typ = int32(x)
			}
		case 2:
			if typ != protowire.Fixed32Type {
				return errors.New("f: wire type is not fixed32")
			}
			a.f = math.Float32frombits(uint32(x))
		case 3:
			if err = wantVarint(typ, "i"); err == nil {
				a.i = int64(x)
			}
		case 4:
			if err = wantBytes(typ, "s"); err == nil {
				a.s = v
			}
		case 5:
			if err = wantBytes(typ, "t"); err == nil {
				a.t, err = decodeTensor(v)
			}
		case 7:
			a.floats, err = appendFloats(a.floats, typ, v, x)
		case 8:
			a.ints, err = appendVarints(a.ints, typ, v, x)
		case 9:
			if err = wantBytes(typ, "strings"); err == nil {
				a.strings = append(a.strings, v)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if a.typ == 0 { // IR < 3 writers may leave type out: infer it from the field present
		for _, c := range []struct {
			field uint
			typ   int32
		}{{2, attrFloat}, {3, attrInt}, {4, attrString}, {5, attrTensor}, {6, attrGraph}, {7, attrFloats}, {8, attrInts}, {9, attrStrings}} {
			if a.seen&(1<<c.field) != 0 {
				a.typ = c.typ
				break
			}
		}
	}
	return a, nil
}

func decodeTensor(b []byte) (*tensorProto, error) {
	t := &tensorProto{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			t.dims, err = appendVarints(t.dims, typ, v, x)
		case 2:
			if err = wantVarint(typ, "data_type"); err == nil {
				t.dataType = int32(x)
			}
		case 3:
			t.segment = true
		case 4:
			t.floats, err = appendFloats(t.floats, typ, v, x)
		case 5:
			var ints []int64
			ints, err = appendVarints(nil, typ, v, x)
			for _, i := range ints {
				t.int32s = append(t.int32s, int32(i))
			}
		case 7:
			t.int64s, err = appendVarints(t.int64s, typ, v, x)
		case 8:
			if err = wantBytes(typ, "name"); err == nil {
				t.name = string(v)
			}
		case 9:
			if err = wantBytes(typ, "raw_data"); err == nil {
				t.raw, t.hasRaw = v, true
			}
		case 10:
			t.doubles, err = appendDoubles(t.doubles, typ, v, x)
		case 13:
			t.external = true
		case 14:
			if err = wantVarint(typ, "data_location"); err == nil && x == 1 {
				t.external = true
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func decodeValueInfo(b []byte) (*valueInfo, error) {
	vi := &valueInfo{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			if err := wantBytes(typ, "name"); err != nil {
				return err
			}
			vi.name = string(v)
		case 2: // TypeProto
			if err := wantBytes(typ, "type"); err != nil {
				return err
			}
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num != 1 { // tensor_type; other kinds leave vi.tensor false
					return nil
				}
				if err := wantBytes(typ, "tensor_type"); err != nil {
					return err
				}
				vi.tensor = true
				return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
					switch num {
					case 1:
						if err := wantVarint(typ, "elem_type"); err != nil {
							return err
						}
						vi.elemType = int32(x)
					case 2:
						if err := wantBytes(typ, "shape"); err != nil {
							return err
						}
						vi.hasShape = true
						return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
							if num != 1 {
								return nil
							}
							if err := wantBytes(typ, "dim"); err != nil {
								return err
							}
							var d dim
							err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
								switch num {
								case 1:
									if err := wantVarint(typ, "dim_value"); err != nil {
										return err
									}
									d.value, d.known = int64(x), true
								case 2:
									if err := wantBytes(typ, "dim_param"); err != nil {
										return err
									}
									d.param = string(v)
								}
								return nil
							})
							vi.dims = append(vi.dims, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return vi, nil
}

// values returns the tensor's elements as float64, checking their count against dims.
func (t *tensorProto) values() ([]float64, error) {
	if t.external {
		return nil, fmt.Errorf("tensor %q: external data is not supported (save the model with its weights inside)", t.name)
	}
	if t.segment {
		return nil, fmt.Errorf("tensor %q: segmented tensors are not supported", t.name)
	}
	n := int64(1)
	for _, d := range t.dims {
		if d < 0 || d > 1<<26 {
			return nil, fmt.Errorf("tensor %q: dimension %d out of range", t.name, d)
		}
		n *= d
		if n > 1<<26 {
			return nil, fmt.Errorf("tensor %q: too many elements", t.name)
		}
	}
	var out []float64
	switch t.dataType {
	case typeFloat:
		if t.hasRaw {
			if int64(len(t.raw)) != 4*n {
				return nil, fmt.Errorf("tensor %q: %d raw bytes for %d floats", t.name, len(t.raw), n)
			}
			out = make([]float64, n)
			for i := range out {
				out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(t.raw[4*i:])))
			}
		} else {
			out = make([]float64, len(t.floats))
			for i, v := range t.floats {
				out[i] = float64(v)
			}
		}
	case typeDouble:
		if t.hasRaw {
			if int64(len(t.raw)) != 8*n {
				return nil, fmt.Errorf("tensor %q: %d raw bytes for %d doubles", t.name, len(t.raw), n)
			}
			out = make([]float64, n)
			for i := range out {
				out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.raw[8*i:]))
			}
		} else {
			out = append([]float64(nil), t.doubles...)
		}
	case typeInt64:
		if t.hasRaw {
			if int64(len(t.raw)) != 8*n {
				return nil, fmt.Errorf("tensor %q: %d raw bytes for %d int64s", t.name, len(t.raw), n)
			}
			out = make([]float64, n)
			for i := range out {
				out[i] = float64(int64(binary.LittleEndian.Uint64(t.raw[8*i:])))
			}
		} else {
			out = make([]float64, len(t.int64s))
			for i, v := range t.int64s {
				out[i] = float64(v)
			}
		}
	case typeInt32:
		if t.hasRaw {
			if int64(len(t.raw)) != 4*n {
				return nil, fmt.Errorf("tensor %q: %d raw bytes for %d int32s", t.name, len(t.raw), n)
			}
			out = make([]float64, n)
			for i := range out {
				out[i] = float64(int32(binary.LittleEndian.Uint32(t.raw[4*i:])))
			}
		} else {
			out = make([]float64, len(t.int32s))
			for i, v := range t.int32s {
				out[i] = float64(v)
			}
		}
	default:
		return nil, fmt.Errorf("tensor %q: data type %d is not supported (float, double, int32 or int64)", t.name, t.dataType)
	}
	if int64(len(out)) != n {
		return nil, fmt.Errorf("tensor %q: %d values for dims %v", t.name, len(out), t.dims)
	}
	return out, nil
}
