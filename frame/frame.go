package frame

import (
	"errors"
	"fmt"
	"strconv"
)

// Field names and types one column.
type Field struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
}

// Schema is the ordered list of a frame's fields.
type Schema []Field

// Index returns the position of the named field, or -1.
func (s Schema) Index(name string) int {
	for i, f := range s {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the field names in order.
func (s Schema) Names() []string {
	names := make([]string, len(s))
	for i, f := range s {
		names[i] = f.Name
	}
	return names
}

// ErrLength is returned when columns of different lengths are put in one frame.
var ErrLength = errors.New("frame: columns have different lengths")

// Frame is a table of equally long named columns.
type Frame struct {
	cols  []*Column
	index map[string]int
	rows  int
}

// New returns a frame holding cols. Names must be unique and lengths equal.
func New(cols ...*Column) (*Frame, error) {
	f := &Frame{index: make(map[string]int, len(cols))}
	for i, c := range cols {
		if _, dup := f.index[c.Name]; dup {
			return nil, fmt.Errorf("frame: duplicate column %q", c.Name)
		}
		if c.Kind < Numeric || c.Kind > Time {
			return nil, fmt.Errorf("frame: column %q has invalid kind %v", c.Name, c.Kind)
		}
		if i == 0 {
			f.rows = c.Len()
		} else if c.Len() != f.rows {
			return nil, fmt.Errorf("%w: %q has %d rows, %q has %d", ErrLength, cols[0].Name, f.rows, c.Name, c.Len())
		}
		f.index[c.Name] = i
	}
	f.cols = cols
	return f, nil
}

// MustNew is New for tests and examples: it panics on error.
func MustNew(cols ...*Column) *Frame {
	f, err := New(cols...)
	if err != nil {
		panic(err)
	}
	return f
}

// Len returns the number of rows.
func (f *Frame) Len() int { return f.rows }

// NumCols returns the number of columns.
func (f *Frame) NumCols() int { return len(f.cols) }

// Col returns column i.
func (f *Frame) Col(i int) *Column { return f.cols[i] }

// Columns returns the columns in order. The slice must not be modified.
func (f *Frame) Columns() []*Column { return f.cols }

// Column returns the named column and whether it exists.
func (f *Frame) Column(name string) (*Column, bool) {
	i, ok := f.index[name]
	if !ok {
		return nil, false
	}
	return f.cols[i], true
}

// Schema returns the frame's schema.
func (f *Frame) Schema() Schema {
	s := make(Schema, len(f.cols))
	for i, c := range f.cols {
		s[i] = Field{Name: c.Name, Kind: c.Kind}
	}
	return s
}

// Select returns a frame with only the named columns, in the given order (storage shared).
func (f *Frame) Select(names ...string) (*Frame, error) {
	cols := make([]*Column, 0, len(names))
	for _, n := range names {
		c, ok := f.Column(n)
		if !ok {
			return nil, fmt.Errorf("frame: no column %q", n)
		}
		cols = append(cols, c)
	}
	return New(cols...)
}

// Slice returns rows [lo, hi) sharing storage with f.
func (f *Frame) Slice(lo, hi int) *Frame {
	if lo < 0 || hi > f.rows || lo > hi {
		panic(fmt.Sprintf("frame: slice [%d:%d] out of range for %d rows", lo, hi, f.rows))
	}
	cols := make([]*Column, len(f.cols))
	for i, c := range f.cols {
		cols[i] = c.Slice(lo, hi)
	}
	return &Frame{cols: cols, index: f.index, rows: hi - lo}
}

// Take returns a new frame with the given rows in that order.
func (f *Frame) Take(rows []int) *Frame {
	cols := make([]*Column, len(f.cols))
	for i, c := range f.cols {
		cols[i] = c.Take(rows)
	}
	return &Frame{cols: cols, index: f.index, rows: len(rows)}
}

// Concat appends the rows of frames with the same schema into one new frame. String columns are
// re-encoded into one dictionary.
func Concat(frames ...*Frame) (*Frame, error) {
	if len(frames) == 0 {
		return New()
	}
	first := frames[0]
	total := 0
	for _, g := range frames {
		if g.NumCols() != first.NumCols() {
			return nil, fmt.Errorf("frame: concat: %d columns vs %d", g.NumCols(), first.NumCols())
		}
		total += g.Len()
	}
	cols := make([]*Column, first.NumCols())
	for j, c0 := range first.cols {
		out := NewColumn(c0.Name, c0.Kind, total)
		for _, g := range frames {
			c := g.cols[j]
			if c.Name != c0.Name || c.Kind != c0.Kind {
				return nil, fmt.Errorf("frame: concat: column %d is %s %s, want %s %s", j, c.Name, c.Kind, c0.Name, c0.Kind)
			}
			switch c.Kind {
			case Numeric:
				out.Num = append(out.Num, c.Num...)
			case Bool:
				out.Bools = append(out.Bools, c.Bools...)
			case Time:
				out.Times = append(out.Times, c.Times...)
			case String:
				remap := make([]int32, len(c.Dict))
				for k, s := range c.Dict {
					remap[k] = out.Code(s)
				}
				for _, code := range c.Codes {
					if code == Missing {
						out.Codes = append(out.Codes, Missing)
					} else {
						out.Codes = append(out.Codes, remap[code])
					}
				}
			}
		}
		cols[j] = out
	}
	return New(cols...)
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
