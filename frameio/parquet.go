package frameio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"runtime"
	"strconv"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"riskflow/frame"
)

// Parquet layout written: one optional leaf per column, in frame order —
//
//	Numeric  DOUBLE (NaN written as null)
//	String   BYTE_ARRAY, STRING logical type, dictionary-encoded
//	Bool     BOOLEAN
//	Time     INT64, TIMESTAMP(NANOS, isAdjustedToUTC=true)
//
// Snappy-compressed, in row groups of up to parquetRowGroupRows rows.
//
// Read: flat files (top-level leaves, required or optional). BOOLEAN → Bool; INT32, INT64 (signed
// or unsigned), FLOAT, DOUBLE and DECIMAL → Numeric (integers beyond 2^53 lose precision); STRING,
// ENUM, JSON and unannotated BYTE_ARRAY → String; TIMESTAMP (millis, micros, nanos; adjusted to
// UTC or not, both read as UTC), DATE and legacy INT96 → Time. Nested and repeated columns are
// errors unless ReadOptions.Columns leaves them out.

const parquetRowGroupRows = 1 << 20

// pqConv is how a Parquet column's values become frame values.
type pqConv uint8

const (
	convDouble pqConv = iota + 1
	convFloat
	convInt32
	convUint32
	convInt64
	convUint64
	convDecimal32
	convDecimal64
	convDecimalBytes
	convBool
	convString
	convTimestamp
	convDate
	convInt96
)

// parquetColumn maps one Parquet leaf type to a conversion and a natural kind.
func parquetColumn(t parquet.Type) (conv pqConv, kind frame.Kind, scale int, unit int64, err error) {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	var ct deprecated.ConvertedType = -1
	if c := t.ConvertedType(); c != nil {
		ct = *c
	}
	if dec, ok := lt.(*format.DecimalType); ok {
		scale = int(dec.Scale)
		switch t.Kind() {
		case parquet.Int32:
			return convDecimal32, frame.Numeric, scale, 0, nil
		case parquet.Int64:
			return convDecimal64, frame.Numeric, scale, 0, nil
		case parquet.ByteArray, parquet.FixedLenByteArray:
			return convDecimalBytes, frame.Numeric, scale, 0, nil
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return convBool, frame.Bool, 0, 0, nil
	case parquet.Float:
		return convFloat, frame.Numeric, 0, 0, nil
	case parquet.Double:
		return convDouble, frame.Numeric, 0, 0, nil
	case parquet.Int96:
		return convInt96, frame.Time, 0, 0, nil
	case parquet.Int32:
		switch v := lt.(type) {
		case *format.DateType:
			return convDate, frame.Time, 0, 0, nil
		case *format.IntType:
			if !v.IsSigned {
				return convUint32, frame.Numeric, 0, 0, nil
			}
		case *format.TimeType:
			return 0, 0, 0, 0, errors.New("TIME (time of day) columns are not supported")
		}
		switch ct {
		case deprecated.Date:
			return convDate, frame.Time, 0, 0, nil
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32:
			return convUint32, frame.Numeric, 0, 0, nil
		case deprecated.TimeMillis:
			return 0, 0, 0, 0, errors.New("TIME (time of day) columns are not supported")
		}
		return convInt32, frame.Numeric, 0, 0, nil
	case parquet.Int64:
		switch v := lt.(type) {
		case *format.TimestampType:
			switch v.Unit.Value.(type) {
			case *format.MilliSeconds:
				return convTimestamp, frame.Time, 0, 1e6, nil
			case *format.MicroSeconds:
				return convTimestamp, frame.Time, 0, 1e3, nil
			case *format.NanoSeconds:
				return convTimestamp, frame.Time, 0, 1, nil
			}
		case *format.IntType:
			if !v.IsSigned {
				return convUint64, frame.Numeric, 0, 0, nil
			}
		case *format.TimeType:
			return 0, 0, 0, 0, errors.New("TIME (time of day) columns are not supported")
		}
		switch ct {
		case deprecated.TimestampMillis:
			return convTimestamp, frame.Time, 0, 1e6, nil
		case deprecated.TimestampMicros:
			return convTimestamp, frame.Time, 0, 1e3, nil
		case deprecated.Uint64:
			return convUint64, frame.Numeric, 0, 0, nil
		case deprecated.TimeMicros:
			return 0, 0, 0, 0, errors.New("TIME (time of day) columns are not supported")
		}
		return convInt64, frame.Numeric, 0, 0, nil
	case parquet.ByteArray:
		return convString, frame.String, 0, 0, nil
	}
	return 0, 0, 0, 0, fmt.Errorf("parquet type %v is not supported", t)
}

type pqColumn struct {
	name    string
	leaf    int // column index in the file
	conv    pqConv
	natural frame.Kind // the kind the file's type maps to
	kind    frame.Kind // the output kind (forced by ReadOptions.Kinds, else natural)
	scale   int
	unit    int64

	pages parquet.Pages
	page  parquet.Page
	vr    parquet.ValueReader
	vals  []parquet.Value
	text  []byte
}

type parquetDecoder struct {
	path string
	rgs  []parquet.RowGroup
	rg   int   // current row group
	left int64 // rows left in it
	rows int64 // rows decoded so far
	cols []*pqColumn
	out  frame.Schema
	rem  int64 // rows not yet decoded
}

func newParquetDecoder(r io.ReaderAt, size int64, path string, opt ReadOptions) (*parquetDecoder, error) {
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, &ParseError{Path: path, Err: err}
	}
	type leaf struct {
		field parquet.Field
		index int // -1 for nested
	}
	var (
		leaves []leaf
		names  []string
		next   int
	)
	for _, fld := range f.Schema().Fields() {
		l := leaf{field: fld, index: -1}
		if fld.Leaf() && !fld.Repeated() {
			l.index = next
		}
		next += countLeaves(fld)
		leaves = append(leaves, l)
		names = append(names, fld.Name())
	}
	if err := checkKinds(path, names, opt.Kinds); err != nil {
		return nil, err
	}
	src, err := selectColumns(path, names, opt.Columns)
	if err != nil {
		return nil, err
	}
	d := &parquetDecoder{path: path, rgs: f.RowGroups(), rg: -1, rem: f.NumRows()}
	for _, i := range src {
		l := leaves[i]
		if l.index < 0 {
			return nil, &ParseError{Path: path, Column: names[i], Err: errors.New("nested and repeated parquet columns are not supported")}
		}
		conv, natural, scale, unit, err := parquetColumn(l.field.Type())
		if err != nil {
			return nil, &ParseError{Path: path, Column: names[i], Err: err}
		}
		c := &pqColumn{name: names[i], leaf: l.index, conv: conv, natural: natural, kind: natural, scale: scale, unit: unit}
		if k := opt.Kinds[names[i]]; k != 0 {
			c.kind = k
		}
		d.cols = append(d.cols, c)
		d.out = append(d.out, frame.Field{Name: c.name, Kind: c.kind})
	}
	return d, nil
}

func countLeaves(n parquet.Node) int {
	if n.Leaf() {
		return 1
	}
	k := 0
	for _, f := range n.Fields() {
		k += countLeaves(f)
	}
	return k
}

func (d *parquetDecoder) schema() frame.Schema { return d.out }

func (d *parquetDecoder) rowsHint() int { return int(min(d.rem, math.MaxInt32)) }

func (d *parquetDecoder) close() { d.closePages() }

func (d *parquetDecoder) closePages() {
	for _, c := range d.cols {
		if c.page != nil {
			parquet.Release(c.page)
			c.page, c.vr = nil, nil
		}
		if c.pages != nil {
			c.pages.Close()
			c.pages = nil
		}
	}
}

func (d *parquetDecoder) decode(ctx context.Context, s *sink, limit int) (int, error) {
	for d.left == 0 {
		d.closePages()
		d.rg++
		if d.rg >= len(d.rgs) {
			return 0, io.EOF
		}
		rg := d.rgs[d.rg]
		d.left = rg.NumRows()
		chunks := rg.ColumnChunks()
		for _, c := range d.cols {
			c.pages = chunks[c.leaf].Pages()
		}
	}
	n := int(min(int64(limit), d.left))
	if len(d.cols) == 0 {
		d.left -= int64(n)
		d.rows += int64(n)
		return n, nil
	}
	errs := make([]error, len(d.cols))
	w := min(runtime.GOMAXPROCS(0), len(d.cols))
	if n < minParallelRows {
		w = 1
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	work := func() {
		for {
			mu.Lock()
			j := next
			next++
			mu.Unlock()
			if j >= len(d.cols) {
				return
			}
			errs[j] = d.readColumn(s, j, n)
		}
	}
	for k := 0; k < w-1; k++ {
		wg.Go(work)
	}
	work()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			d.left = 0
			d.rg = len(d.rgs)
			return 0, err
		}
	}
	d.left -= int64(n)
	d.rows += int64(n)
	d.rem -= int64(n)
	return n, nil
}

// readColumn appends n values of column j to s.
func (d *parquetDecoder) readColumn(s *sink, j, n int) error {
	c := d.cols[j]
	if cap(c.vals) < n {
		c.vals = make([]parquet.Value, n)
	}
	vals := c.vals[:n]
	got := 0
	for got < n {
		if c.vr == nil {
			p, err := c.pages.ReadPage()
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return &ParseError{Path: d.path, Row: d.rows + int64(got) + 1, Column: c.name, Err: err}
			}
			c.page, c.vr = p, p.Values()
		}
		k, err := c.vr.ReadValues(vals[got:])
		got += k
		if errors.Is(err, io.EOF) || (err == nil && k == 0) {
			parquet.Release(c.page)
			c.page, c.vr = nil, nil
			continue
		}
		if err != nil {
			return &ParseError{Path: d.path, Row: d.rows + int64(got) + 1, Column: c.name, Err: err}
		}
	}
	col := s.cols[j]
	for i := range vals {
		if err := d.put(s, col, j, c, vals[i]); err != nil {
			return &ParseError{Path: d.path, Row: d.rows + int64(i) + 1, Column: c.name, Err: err}
		}
	}
	clear(vals) // drop references to page memory
	return nil
}

var errNonFiniteRead = errors.New("non-finite number")

// put appends one value to col (column j of s).
func (d *parquetDecoder) put(s *sink, col *frame.Column, j int, c *pqColumn, v parquet.Value) error {
	if v.IsNull() {
		col.AppendMissing()
		return nil
	}
	var (
		num float64
		ns  int64
		b   uint8
		str []byte
	)
	switch c.conv {
	case convDouble:
		num = v.Double()
	case convFloat:
		num = float64(v.Float())
	case convInt32:
		num = float64(v.Int32())
	case convUint32:
		num = float64(uint32(v.Int32()))
	case convInt64:
		num = float64(v.Int64())
	case convUint64:
		num = float64(uint64(v.Int64()))
	case convDecimal32:
		num = decimalFloat(big.NewInt(int64(v.Int32())), c.scale)
	case convDecimal64:
		num = decimalFloat(big.NewInt(v.Int64()), c.scale)
	case convDecimalBytes:
		num = decimalFloat(twosComplement(v.ByteArray()), c.scale)
	case convBool:
		if v.Boolean() {
			b = 1
		}
	case convString:
		str = v.ByteArray()
	case convTimestamp:
		t := v.Int64()
		if t > math.MaxInt64/c.unit || t <= math.MinInt64/c.unit {
			return fmt.Errorf("timestamp %d out of range", t)
		}
		ns = t * c.unit
	case convDate:
		days := int64(v.Int32())
		if days*86400 < minUnixSec || days*86400 > maxUnixSec-86400 {
			return fmt.Errorf("date %d out of range", days)
		}
		ns = days * 86400e9
	case convInt96:
		ns = int96Nanos(v.Int96())
		if ns == frame.TimeMissing {
			return errors.New("INT96 timestamp out of range")
		}
	}
	if c.natural == frame.Numeric && (math.IsInf(num, 0) || math.IsNaN(num)) {
		if math.IsNaN(num) { // a NaN stored as a value (not null) is missing too
			col.AppendMissing()
			return nil
		}
		return errNonFiniteRead
	}
	if c.kind != c.natural {
		t := c.text[:0]
		switch c.natural {
		case frame.Numeric:
			t = appendNumber(t, num)
		case frame.Bool:
			t = strconv.AppendBool(t, b == 1)
		case frame.Time:
			t = appendTime(t, ns)
		case frame.String:
			t = append(t, str...)
		}
		c.text = t
		return s.appendCell(j, t, true)
	}
	switch c.kind {
	case frame.Numeric:
		col.Num = append(col.Num, num)
	case frame.Bool:
		col.Bools = append(col.Bools, b)
	case frame.Time:
		col.Times = append(col.Times, ns)
	case frame.String:
		col.Codes = append(col.Codes, s.code(j, str))
	}
	return nil
}

// decimalFloat returns unscaled × 10^-scale, correctly rounded.
func decimalFloat(unscaled *big.Int, scale int) float64 {
	if unscaled.IsInt64() && scale >= 0 && scale < len(pow10) {
		if u := unscaled.Int64(); u > -(1<<53) && u < 1<<53 {
			return float64(u) / pow10[scale] // both operands exact, one rounding
		}
	}
	v, _ := strconv.ParseFloat(unscaled.String()+"e"+strconv.Itoa(-scale), 64)
	return v
}

// twosComplement decodes a big-endian two's complement integer.
func twosComplement(b []byte) *big.Int {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return v
}

// int96Nanos converts a legacy INT96 timestamp (nanoseconds of the day, then the Julian day) to
// Unix nanoseconds, or frame.TimeMissing if it does not fit.
func int96Nanos(v deprecated.Int96) int64 {
	nanos := int64(uint64(v[1])<<32 | uint64(v[0]))
	days := int64(v[2]) - 2440588 // Julian day of 1970-01-01
	sec := days * 86400
	if sec < minUnixSec || sec > maxUnixSec-86400 || nanos < 0 || nanos >= 86400e9 {
		return frame.TimeMissing
	}
	return sec*1e9 + nanos
}

// parquetEncoder writes frames as Parquet through parquet-go's column writers: each column's
// values are handed over as one batch, columns in parallel.
type parquetEncoder struct {
	w         *parquet.Writer
	schema    frame.Schema
	vals      [][]parquet.Value
	arenas    [][]byte
	groupRows int64
}

func newParquetEncoder(out io.Writer, schema frame.Schema) *parquetEncoder {
	g := orderedGroup{group: parquet.Group{}}
	for _, f := range schema {
		var n parquet.Node
		switch f.Kind {
		case frame.Numeric:
			n = parquet.Leaf(parquet.DoubleType)
		case frame.String:
			n = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		case frame.Bool:
			n = parquet.Leaf(parquet.BooleanType)
		case frame.Time:
			n = parquet.Timestamp(parquet.Nanosecond)
		}
		n = parquet.Optional(n)
		g.group[f.Name] = n
		g.fields = append(g.fields, &orderedField{Node: n, name: f.Name})
	}
	w := parquet.NewWriter(out, parquet.NewSchema("frame", g), parquet.Compression(&parquet.Snappy))
	return &parquetEncoder{
		w:      w,
		schema: schema,
		vals:   make([][]parquet.Value, len(schema)),
		arenas: make([][]byte, len(schema)),
	}
}

func (e *parquetEncoder) encode(f *frame.Frame, rowBase int64) error {
	cols := f.Columns()
	writers := e.w.ColumnWriters()
	errs := make([]error, len(cols))
	w := min(runtime.GOMAXPROCS(0), len(cols))
	if f.Len() < minParallelRows {
		w = 1
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	work := func() {
		for {
			mu.Lock()
			j := next
			next++
			mu.Unlock()
			if j >= len(cols) {
				return
			}
			vals, err := e.values(j, cols[j], rowBase)
			if err == nil {
				_, err = writers[j].WriteRowValues(vals)
			}
			errs[j] = err
		}
	}
	for k := 0; k < w-1; k++ {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	e.groupRows += int64(f.Len())
	if e.groupRows >= parquetRowGroupRows {
		e.groupRows = 0
		return e.w.Flush()
	}
	return nil
}

// values converts column j to Parquet values with definition levels (0 null, 1 present).
func (e *parquetEncoder) values(j int, c *frame.Column, rowBase int64) ([]parquet.Value, error) {
	n := c.Len()
	vals := e.vals[j][:0]
	null := parquet.Value{}.Level(0, 0, j)
	switch c.Kind {
	case frame.Numeric:
		for i, v := range c.Num {
			switch {
			case v != v:
				vals = append(vals, null)
			case math.IsInf(v, 0):
				return nil, &ValueError{Row: rowBase + int64(i), Column: c.Name, Err: ErrNonFinite}
			default:
				vals = append(vals, parquet.DoubleValue(v).Level(0, 1, j))
			}
		}
	case frame.String:
		// The values point into an arena sized up front, so appending never moves it.
		size := 0
		for _, code := range c.Codes {
			if code != frame.Missing {
				size += len(c.Dict[code])
			}
		}
		arena := e.arenas[j][:0]
		if cap(arena) < size {
			arena = make([]byte, 0, size)
		}
		for _, code := range c.Codes {
			if code == frame.Missing {
				vals = append(vals, null)
				continue
			}
			start := len(arena)
			arena = append(arena, c.Dict[code]...)
			vals = append(vals, parquet.ByteArrayValue(arena[start:len(arena):len(arena)]).Level(0, 1, j))
		}
		e.arenas[j] = arena
	case frame.Bool:
		for _, b := range c.Bools {
			if b == frame.BoolMissing {
				vals = append(vals, null)
			} else {
				vals = append(vals, parquet.BooleanValue(b == 1).Level(0, 1, j))
			}
		}
	case frame.Time:
		for _, t := range c.Times {
			if t == frame.TimeMissing {
				vals = append(vals, null)
			} else {
				vals = append(vals, parquet.Int64Value(t).Level(0, 1, j))
			}
		}
	}
	e.vals[j] = vals[:0]
	return vals[:n], nil
}

func (e *parquetEncoder) finish() error { return e.w.Close() }

// orderedGroup is a Parquet group whose fields keep the frame's column order (parquet.Group
// sorts them by name).
type orderedGroup struct {
	group  parquet.Group
	fields []parquet.Field
}

var _ parquet.Node = orderedGroup{}

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return g.group.String() }
func (g orderedGroup) Type() parquet.Type          { return g.group.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g.fields }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return g.group.GoType() }

type orderedField struct {
	parquet.Node
	name string
}

func (f *orderedField) Name() string { return f.name }

// Value is used by parquet-go's reflection-based row writing, which frameio does not use; it
// returns the map entry of that name as parquet.Group's fields do.
func (f *orderedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Map {
		return base.MapIndex(reflect.ValueOf(f.name))
	}
	return reflect.Value{}
}
