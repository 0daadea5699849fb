package frameio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"riskflow/frame"
)

// foreignRow has the column types pandas/pyarrow and Spark commonly write: required and optional
// integers of several widths, float32, strings without and with dictionary encoding, timestamps
// in milli- and microseconds (adjusted to UTC or not), dates, decimals and unsigned integers.
type foreignRow struct {
	I32     int32            `parquet:"i32"`
	I64     int64            `parquet:"i64"`
	OptI64  *int64           `parquet:"opt_i64,optional"`
	F32     float32          `parquet:"f32"`
	F64     *float64         `parquet:"f64,optional"`
	Str     string           `parquet:"str"`
	Dict    string           `parquet:"dict,dict"`
	Bool    *bool            `parquet:"flag,optional"`
	TsMilli time.Time        `parquet:"ts_ms,timestamp(millisecond)"`
	TsMicro *time.Time       `parquet:"ts_us,optional,timestamp(microsecond:local)"`
	Date    int32            `parquet:"day,date"`
	Dec     int64            `parquet:"price,decimal(2:10)"`
	U8      uint8            `parquet:"u8,uint(8)"`
	Legacy  deprecated.Int96 `parquet:"legacy"`
}

// int96 encodes t the way Spark and Impala wrote timestamps: nanoseconds of the day, Julian day.
func int96(t time.Time) deprecated.Int96 {
	days := t.Unix() / 86400
	nanos := uint64(t.UnixNano() - days*86400e9)
	return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(days + 2440588)}
}

func ptr[T any](v T) *T { return &v }

func foreignRows() []foreignRow {
	t1 := time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	return []foreignRow{
		{I32: -7, I64: 1 << 40, OptI64: ptr(int64(3)), F32: 0.5, F64: ptr(2.25), Str: "a", Dict: "x", Bool: ptr(true),
			TsMilli: t1, TsMicro: ptr(t1.Add(456 * time.Microsecond)), Date: 19000, Dec: 12345, U8: 200, Legacy: int96(t1)},
		{I32: 0, I64: -1, F32: -1.25, Str: "", Dict: "y", TsMilli: t1.Add(time.Hour), Date: -1, Dec: -5, U8: 0, Legacy: int96(time.Unix(0, 0))},
		{I32: 1, I64: 2, OptI64: ptr(int64(-9)), F32: 3, F64: ptr(math.NaN()), Str: "ü", Dict: "x", Bool: ptr(false),
			TsMilli: time.Unix(0, 0).UTC(), Date: 0, Dec: 100, U8: 7, Legacy: int96(time.Date(1999, 12, 31, 23, 59, 59, 1, time.UTC))},
	}
}

func writeForeign(t *testing.T, rowGroups ...[]foreignRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[foreignRow](&buf)
	for _, rows := range rowGroups {
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadParquetForeignTypes(t *testing.T) {
	data := writeForeign(t, foreignRows())
	f, err := Decode(context.Background(), bytes.NewReader(data), Parquet, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		kind  frame.Kind
		cells []string
	}{
		{"i32", frame.Numeric, []string{"-7", "0", "1"}},
		{"i64", frame.Numeric, []string{"1.099511627776e+12", "-1", "2"}},
		{"opt_i64", frame.Numeric, []string{"3", "∅", "-9"}},
		{"f32", frame.Numeric, []string{"0.5", "-1.25", "3"}},
		{"f64", frame.Numeric, []string{"2.25", "∅", "∅"}}, // a stored NaN is missing too
		{"str", frame.String, []string{"a", "", "ü"}},
		{"dict", frame.String, []string{"x", "y", "x"}},
		{"flag", frame.Bool, []string{"true", "∅", "false"}},
		{"ts_ms", frame.Time, []string{"2024-05-06T07:08:09.123Z", "2024-05-06T08:08:09.123Z", "1970-01-01T00:00:00Z"}},
		{"ts_us", frame.Time, []string{"2024-05-06T07:08:09.123456Z", "∅", "∅"}},
		{"day", frame.Time, []string{"2022-01-08T00:00:00Z", "1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z"}},
		{"price", frame.Numeric, []string{"123.45", "-0.05", "1"}},
		{"u8", frame.Numeric, []string{"200", "0", "7"}},
		{"legacy", frame.Time, []string{"2024-05-06T07:08:09.123Z", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59.000000001Z"}},
	}
	if f.NumCols() != len(want) {
		t.Fatalf("schema %v", f.Schema())
	}
	for j, w := range want {
		t.Run(w.name, func(t *testing.T) {
			c := f.Col(j)
			if c.Name != w.name || c.Kind != w.kind {
				t.Fatalf("column %d is %s %v, want %s %v", j, c.Name, c.Kind, w.name, w.kind)
			}
			if got := cells(c); !slices.Equal(got, w.cells) {
				t.Fatalf("cells %q, want %q", got, w.cells)
			}
		})
	}
}

func TestReadParquetOptions(t *testing.T) {
	data := writeForeign(t, foreignRows())
	tests := []struct {
		name  string
		opt   ReadOptions
		kinds []frame.Kind
		cells [][]string
	}{
		{"select", ReadOptions{Columns: []string{"dict", "i32"}}, []frame.Kind{frame.String, frame.Numeric},
			[][]string{{"x", "y", "x"}, {"-7", "0", "1"}}},
		{"forced kinds", ReadOptions{Columns: []string{"i32", "flag", "ts_ms"}, Kinds: map[string]frame.Kind{"i32": frame.String, "flag": frame.String, "ts_ms": frame.String}},
			[]frame.Kind{frame.String, frame.String, frame.String},
			[][]string{{"-7", "0", "1"}, {"true", "∅", "false"}, {"2024-05-06T07:08:09.123Z", "2024-05-06T08:08:09.123Z", "1970-01-01T00:00:00Z"}}},
		{"string to number", ReadOptions{Columns: []string{"dict"}, Kinds: map[string]frame.Kind{"dict": frame.Numeric}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Decode(context.Background(), bytes.NewReader(data), Parquet, tt.opt)
			if tt.kinds == nil {
				if err == nil || err.Error() != `frameio: row 1: column dict: cannot parse "x" as a number` {
					t.Fatalf("got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for j, c := range f.Columns() {
				if c.Kind != tt.kinds[j] {
					t.Errorf("%s kind %v, want %v", c.Name, c.Kind, tt.kinds[j])
				}
				if got := cells(c); !slices.Equal(got, tt.cells[j]) {
					t.Errorf("%s cells %q, want %q", c.Name, got, tt.cells[j])
				}
			}
		})
	}
}

// TestReadParquetChunksAcrossRowGroups streams a file of three row groups in chunks that do not
// line up with them.
func TestReadParquetChunksAcrossRowGroups(t *testing.T) {
	var groups [][]foreignRow
	var all []foreignRow
	for g := 0; g < 3; g++ {
		var rows []foreignRow
		for i := 0; i < 1000+g*500; i++ {
			r := foreignRows()[i%3]
			r.I64 = int64(len(all))
			rows = append(rows, r)
			all = append(all, r)
		}
		groups = append(groups, rows)
	}
	data := writeForeign(t, groups...)
	ctx := context.Background()
	r, err := NewReader(ctx, bytes.NewReader(data), Parquet, ReadOptions{ChunkRows: 700, Columns: []string{"i64", "dict"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ids []float64
	for {
		f, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Len() > 700 {
			t.Fatalf("chunk of %d rows", f.Len())
		}
		ids = append(ids, f.Col(0).Num...)
	}
	if len(ids) != len(all) {
		t.Fatalf("read %d rows, want %d", len(ids), len(all))
	}
	for i, v := range ids {
		if v != float64(i) {
			t.Fatalf("row %d has id %v", i, v)
		}
	}
}

func TestReadParquetNested(t *testing.T) {
	type nested struct {
		ID   int64    `parquet:"id"`
		Tags []string `parquet:"tags,list"`
		Name string   `parquet:"name"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[nested](&buf)
	if _, err := w.Write([]nested{{1, []string{"a", "b"}, "x"}, {2, nil, "y"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err := Decode(ctx, bytes.NewReader(buf.Bytes()), Parquet, ReadOptions{})
	if err == nil || err.Error() != "frameio: column tags: nested and repeated parquet columns are not supported" {
		t.Fatalf("got %v", err)
	}
	f, err := Decode(ctx, bytes.NewReader(buf.Bytes()), Parquet, ReadOptions{Columns: []string{"name", "id"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cells(f.Col(0)); !slices.Equal(got, []string{"x", "y"}) {
		t.Fatalf("name %q", got)
	}
}

func TestReadParquetCorrupt(t *testing.T) {
	data := writeForeign(t, foreignRows())
	for _, bad := range [][]byte{nil, []byte("PAR1"), data[:len(data)/2], append([]byte("XXXX"), data[4:]...)} {
		if _, err := Decode(context.Background(), bytes.NewReader(bad), Parquet, ReadOptions{}); err == nil {
			t.Errorf("%d corrupt bytes read without error", len(bad))
		}
	}
}

// TestWriteParquetLayout checks the types written, for the benefit of other Parquet readers.
func TestWriteParquetLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(context.Background(), &buf, Parquet, trickyFrame()); err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range pf.Schema().Fields() {
		s := f.Name() + " " + f.Type().String()
		if f.Optional() {
			s += " optional"
		}
		got = append(got, s)
	}
	want := []string{"x DOUBLE optional", "s STRING optional", "b BOOLEAN optional",
		"t TIMESTAMP(isAdjustedToUTC=true,unit=NANOS) optional", "all missing DOUBLE optional"}
	if !slices.Equal(got, want) {
		t.Fatalf("parquet schema\n got %q\nwant %q", got, want)
	}
}
