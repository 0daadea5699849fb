package frame

import (
	"fmt"
	"math"
	"time"
)

// Kind is the type of a column.
type Kind uint8

// The column kinds.
const (
	Numeric Kind = iota + 1
	String
	Bool
	Time
)

// String returns the kind's name as used in schemas and error messages.
func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case String:
		return "string"
	case Bool:
		return "boolean"
	case Time:
		return "timestamp"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "numeric":
		return Numeric, nil
	case "string":
		return String, nil
	case "boolean", "bool":
		return Bool, nil
	case "timestamp", "time", "datetime":
		return Time, nil
	}
	return 0, fmt.Errorf("frame: unknown column kind %q", s)
}

// MarshalText writes the kind's name, so kinds read as words in JSON and YAML.
func (k Kind) MarshalText() ([]byte, error) {
	if k < Numeric || k > Time {
		return nil, fmt.Errorf("frame: invalid kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText is the inverse of MarshalText.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Missing markers for the non-float kinds.
const (
	Missing     int32 = -1            // a missing String value's code
	BoolMissing uint8 = 2             // a missing Bool value
	TimeMissing int64 = math.MinInt64 // a missing Time value
)

// Column is one named column. Exactly one of the value slices is used, chosen by Kind.
// The slices are exported so that hot loops can range over them without a call per value.
type Column struct {
	Name string
	Kind Kind

	Num   []float64 // Numeric
	Codes []int32   // String: index into Dict, or Missing
	Dict  []string  // String: the distinct values, in order of first appearance
	Bools []uint8   // Bool
	Times []int64   // Time: UnixNano, UTC

	lookup map[string]int32 // String: Dict value → code, built lazily
}

// NewColumn returns an empty column of the given kind with room for capacity rows.
func NewColumn(name string, kind Kind, capacity int) *Column {
	c := &Column{Name: name, Kind: kind}
	switch kind {
	case Numeric:
		c.Num = make([]float64, 0, capacity)
	case String:
		c.Codes = make([]int32, 0, capacity)
	case Bool:
		c.Bools = make([]uint8, 0, capacity)
	case Time:
		c.Times = make([]int64, 0, capacity)
	}
	return c
}

// NumericColumn returns a Numeric column holding vals (not copied).
func NumericColumn(name string, vals []float64) *Column {
	return &Column{Name: name, Kind: Numeric, Num: vals}
}

// StringColumn returns a String column holding vals, dictionary-encoded. An empty string is a
// value, not a missing one; use AppendMissing for missing values.
func StringColumn(name string, vals []string) *Column {
	c := NewColumn(name, String, len(vals))
	for _, v := range vals {
		c.AppendString(v)
	}
	return c
}

// BoolColumn returns a Bool column holding vals.
func BoolColumn(name string, vals []bool) *Column {
	c := NewColumn(name, Bool, len(vals))
	for _, v := range vals {
		c.AppendBool(v)
	}
	return c
}

// TimeColumn returns a Time column holding vals.
func TimeColumn(name string, vals []time.Time) *Column {
	c := NewColumn(name, Time, len(vals))
	for _, v := range vals {
		c.AppendTime(v)
	}
	return c
}

// Len returns the number of rows.
func (c *Column) Len() int {
	switch c.Kind {
	case Numeric:
		return len(c.Num)
	case String:
		return len(c.Codes)
	case Bool:
		return len(c.Bools)
	case Time:
		return len(c.Times)
	}
	return 0
}

// IsMissing reports whether row i is missing.
func (c *Column) IsMissing(i int) bool {
	switch c.Kind {
	case Numeric:
		return math.IsNaN(c.Num[i])
	case String:
		return c.Codes[i] == Missing
	case Bool:
		return c.Bools[i] == BoolMissing
	case Time:
		return c.Times[i] == TimeMissing
	}
	return true
}

// AppendFloat appends a numeric value (NaN for missing).
func (c *Column) AppendFloat(v float64) { c.Num = append(c.Num, v) }

// AppendString appends a string value, adding it to the dictionary if new.
func (c *Column) AppendString(v string) {
	c.Codes = append(c.Codes, c.Code(v))
}

// Code returns v's dictionary code, adding v to the dictionary if it is new. Like the Append
// methods it mutates the column: not for concurrent use.
func (c *Column) Code(v string) int32 {
	if c.lookup == nil {
		c.buildLookup()
	}
	if code, ok := c.lookup[v]; ok {
		return code
	}
	code := int32(len(c.Dict))
	c.Dict = append(c.Dict, v)
	c.lookup[v] = code
	return code
}

// LookupCode returns v's dictionary code and whether v is in the dictionary. It never adds a
// value, but builds the column's lookup table on first use, so it is not safe to call
// concurrently on a shared column.
func (c *Column) LookupCode(v string) (int32, bool) {
	if c.lookup == nil {
		c.buildLookup()
	}
	code, ok := c.lookup[v]
	return code, ok
}

func (c *Column) buildLookup() {
	c.lookup = make(map[string]int32, len(c.Dict))
	for i, s := range c.Dict {
		c.lookup[s] = int32(i)
	}
}

// AppendBool appends a boolean value.
func (c *Column) AppendBool(v bool) {
	var b uint8
	if v {
		b = 1
	}
	c.Bools = append(c.Bools, b)
}

// AppendTime appends a time value, stored as UTC nanoseconds.
func (c *Column) AppendTime(v time.Time) { c.Times = append(c.Times, v.UnixNano()) }

// AppendMissing appends a missing value of the column's kind.
func (c *Column) AppendMissing() {
	switch c.Kind {
	case Numeric:
		c.Num = append(c.Num, math.NaN())
	case String:
		c.Codes = append(c.Codes, Missing)
	case Bool:
		c.Bools = append(c.Bools, BoolMissing)
	case Time:
		c.Times = append(c.Times, TimeMissing)
	}
}

// StringAt returns row i of a String column and whether it is present.
func (c *Column) StringAt(i int) (string, bool) {
	code := c.Codes[i]
	if code == Missing {
		return "", false
	}
	return c.Dict[code], true
}

// TimeAt returns row i of a Time column (UTC) and whether it is present.
func (c *Column) TimeAt(i int) (time.Time, bool) {
	ns := c.Times[i]
	if ns == TimeMissing {
		return time.Time{}, false
	}
	return time.Unix(0, ns).UTC(), true
}

// Slice returns rows [lo, hi) as a new column sharing storage with c (String columns share
// the dictionary; appending to either is not allowed afterwards).
func (c *Column) Slice(lo, hi int) *Column {
	s := &Column{Name: c.Name, Kind: c.Kind}
	switch c.Kind {
	case Numeric:
		s.Num = c.Num[lo:hi:hi]
	case String:
		s.Codes = c.Codes[lo:hi:hi]
		s.Dict = c.Dict[:len(c.Dict):len(c.Dict)]
	case Bool:
		s.Bools = c.Bools[lo:hi:hi]
	case Time:
		s.Times = c.Times[lo:hi:hi]
	}
	return s
}

// Take returns a new column with the given rows of c, in that order (deep copy of values;
// String columns share the dictionary contents by copy).
func (c *Column) Take(rows []int) *Column {
	t := NewColumn(c.Name, c.Kind, len(rows))
	switch c.Kind {
	case Numeric:
		for _, r := range rows {
			t.Num = append(t.Num, c.Num[r])
		}
	case String:
		t.Dict = append([]string(nil), c.Dict...)
		for _, r := range rows {
			t.Codes = append(t.Codes, c.Codes[r])
		}
	case Bool:
		for _, r := range rows {
			t.Bools = append(t.Bools, c.Bools[r])
		}
	case Time:
		for _, r := range rows {
			t.Times = append(t.Times, c.Times[r])
		}
	}
	return t
}

// Format returns row i as text the way frameio's CSV writer prints it ("" for missing).
func (c *Column) Format(i int) string {
	if c.IsMissing(i) {
		return ""
	}
	switch c.Kind {
	case Numeric:
		return formatFloat(c.Num[i])
	case String:
		return c.Dict[c.Codes[i]]
	case Bool:
		if c.Bools[i] == 1 {
			return "true"
		}
		return "false"
	case Time:
		t, _ := c.TimeAt(i)
		return t.Format(time.RFC3339Nano)
	}
	return ""
}
