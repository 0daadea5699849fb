package frameio

import (
	"errors"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"riskflow/frame"
)

// Format is a file format frameio reads and writes.
type Format uint8

// The formats.
const (
	CSV     Format = iota + 1 // comma-separated values with a header row (RFC 4180)
	JSONL                     // one JSON object per line
	Parquet                   // Apache Parquet
)

// String returns the format's name, which is also its file extension without the dot.
func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case JSONL:
		return "jsonl"
	case Parquet:
		return "parquet"
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// ErrUnknownFormat is returned for a path whose extension names no supported format.
var ErrUnknownFormat = errors.New("frameio: unknown file format")

// FormatOf returns the format named by path's extension: .csv, .jsonl (or .ndjson) and
// .parquet, each case-insensitive. CSV and JSONL may be gzip-compressed, as .csv.gz and
// .jsonl.gz; gzip reports whether they are.
func FormatOf(path string) (format Format, gzip bool, err error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".gz" {
		gzip = true
		ext = strings.ToLower(filepath.Ext(strings.TrimSuffix(path, filepath.Ext(path))))
	}
	switch ext {
	case ".csv":
		format = CSV
	case ".jsonl", ".ndjson":
		format = JSONL
	case ".parquet":
		if !gzip {
			format = Parquet
		}
	}
	if format == 0 {
		return 0, false, fmt.Errorf("%w: %q (want .csv, .csv.gz, .jsonl, .jsonl.gz or .parquet)", ErrUnknownFormat, path)
	}
	return format, gzip, nil
}

// Defaults for ReadOptions' zero values.
const (
	DefaultChunkRows  = 65536
	DefaultSampleRows = 10000
)

// ReadOptions configure reading. The zero value means the defaults.
type ReadOptions struct {
	// ChunkRows is the most rows Reader.Next returns at once; 0 means DefaultChunkRows.
	ChunkRows int
	// SampleRows is how many leading rows of a CSV or JSONL file are used to infer column
	// kinds; 0 means DefaultSampleRows. Rows after the sample that do not parse as the inferred
	// kind are errors, so raise it (or set Kinds) for files whose first rows are unrepresentative.
	SampleRows int
	// Kinds forces the kinds of the named columns; they are not inferred. For Parquet, a forced
	// kind other than the file's converts each value through its text (as CSV would print it).
	Kinds map[string]frame.Kind
	// Columns, if set, selects the columns to read, in this order; the others are skipped
	// without being parsed.
	Columns []string
}

// Validate reports whether the options are usable.
func (o ReadOptions) Validate() error {
	if o.ChunkRows < 0 {
		return fmt.Errorf("frameio: ChunkRows is %d, want ≥ 0", o.ChunkRows)
	}
	if o.SampleRows < 0 {
		return fmt.Errorf("frameio: SampleRows is %d, want ≥ 0", o.SampleRows)
	}
	for name, k := range o.Kinds {
		if k < frame.Numeric || k > frame.Time {
			return fmt.Errorf("frameio: Kinds[%q] is an invalid kind %v", name, k)
		}
	}
	seen := make(map[string]bool, len(o.Columns))
	for _, c := range o.Columns {
		if seen[c] {
			return fmt.Errorf("frameio: Columns names %q twice", c)
		}
		seen[c] = true
	}
	return nil
}

func (o ReadOptions) withDefaults() ReadOptions {
	if o.ChunkRows == 0 {
		o.ChunkRows = DefaultChunkRows
	}
	if o.SampleRows == 0 {
		o.SampleRows = DefaultSampleRows
	}
	return o
}

// ParseError locates a problem in the input. Its message reads like
//
//	frameio: orders.csv:1043: column order_amount: cannot parse "12,5" as a number
type ParseError struct {
	Path   string // the file as given to Open or Read; empty for NewReader
	Line   int    // 1-based physical line (CSV, JSONL); 0 if not known
	Row    int64  // 1-based data row (Parquet); 0 if Line is set
	Column string // empty if the problem is not in one column
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("frameio: ")
	switch {
	case e.Path != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.Path, e.Line)
	case e.Path != "" && e.Row > 0:
		fmt.Fprintf(&b, "%s: row %d: ", e.Path, e.Row)
	case e.Path != "":
		fmt.Fprintf(&b, "%s: ", e.Path)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	case e.Row > 0:
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "column %s: ", e.Column)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// cannotParse is the cause of a ParseError for a cell that does not parse as its column's kind.
func cannotParse(text []byte, k frame.Kind) error {
	what := "a number"
	switch k {
	case frame.Bool:
		what = "a boolean"
	case frame.Time:
		what = "a timestamp"
	}
	if len(text) > 64 {
		return fmt.Errorf("cannot parse %q... as %s", text[:64], what)
	}
	return fmt.Errorf("cannot parse %q as %s", text, what)
}

// validateSchema checks a schema given to a writer.
func validateSchema(s frame.Schema) error {
	if len(s) == 0 {
		return errors.New("frameio: schema has no columns")
	}
	seen := make(map[string]bool, len(s))
	for _, f := range s {
		if f.Name == "" {
			return errors.New("frameio: schema has a column with an empty name")
		}
		if seen[f.Name] {
			return fmt.Errorf("frameio: schema names column %q twice", f.Name)
		}
		seen[f.Name] = true
		if f.Kind < frame.Numeric || f.Kind > frame.Time {
			return fmt.Errorf("frameio: column %q has invalid kind %v", f.Name, f.Kind)
		}
	}
	return nil
}

// sink collects decoded rows into columns. String columns are interned through an internTable
// per column, looked up with byte slices without allocating.
type sink struct {
	cols     []*frame.Column
	dicts    []*internTable // per String column; nil for other kinds
	parts    []*partDict    // per String column the CSV reader interns by partition (IDs), or nil
	seed     maphash.Seed   // of every internTable of the sink
	capacity int            // the rows the sink was sized for
}

func newSink(schema frame.Schema, capacity int) *sink {
	s := &sink{
		cols:     make([]*frame.Column, len(schema)),
		dicts:    make([]*internTable, len(schema)),
		parts:    make([]*partDict, len(schema)),
		seed:     maphash.MakeSeed(),
		capacity: capacity,
	}
	for j, f := range schema {
		s.cols[j] = frame.NewColumn(f.Name, f.Kind, capacity)
		if f.Kind == frame.String {
			s.dicts[j] = newInternTable(s.seed, 0)
		}
	}
	return s
}

// len returns the number of rows collected.
func (s *sink) len() int {
	if len(s.cols) == 0 {
		return 0
	}
	return s.cols[0].Len()
}

// code returns b's code in String column j, adding b to its dictionary if new.
func (s *sink) code(j int, b []byte) int32 {
	t, c := s.dicts[j], s.cols[j]
	h := t.hashBytes(b)
	if code := t.find(c.Dict, b, h); code >= 0 {
		return code
	}
	return t.add(&c.Dict, string(b), h)
}

// codeHashed is code for a string the caller has already allocated and hashed with s.seed.
func (s *sink) codeHashed(j int, v string, h uint64) int32 {
	return s.dicts[j].add(&s.cols[j].Dict, v, h)
}

// appendCell parses text as a value of column j's kind and appends it. quoted marks text that
// was quoted in its source: a quoted (or JSON string) token is never missing in a String column.
func (s *sink) appendCell(j int, text []byte, quoted bool) error {
	c := s.cols[j]
	if c.Kind == frame.String {
		if !quoted && isMissingToken(text) {
			c.Codes = append(c.Codes, frame.Missing)
		} else {
			c.Codes = append(c.Codes, s.code(j, text))
		}
		return nil
	}
	if isMissingToken(text) {
		c.AppendMissing()
		return nil
	}
	switch c.Kind {
	case frame.Numeric:
		v, ok := parseNumber(text)
		if !ok {
			return cannotParse(text, c.Kind)
		}
		c.Num = append(c.Num, v)
	case frame.Bool:
		v, ok := parseBool(text)
		if !ok {
			return cannotParse(text, c.Kind)
		}
		c.Bools = append(c.Bools, v)
	case frame.Time:
		v, ok := parseTime(text)
		if !ok {
			return cannotParse(text, c.Kind)
		}
		c.Times = append(c.Times, v)
	}
	return nil
}

func (s *sink) frame() (*frame.Frame, error) {
	return frame.New(s.cols...)
}

// selectColumns resolves ReadOptions.Columns against the names a file offers. It returns, for
// each output column, the index of its source; with no selection, every source in order.
func selectColumns(path string, names []string, want []string) ([]int, error) {
	if len(want) == 0 {
		idx := make([]int, len(names))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	pos := make(map[string]int, len(names))
	for i, n := range names {
		pos[n] = i
	}
	idx := make([]int, len(want))
	for k, n := range want {
		i, ok := pos[n]
		if !ok {
			return nil, &ParseError{Path: path, Err: fmt.Errorf("no column %q to select", n)}
		}
		idx[k] = i
	}
	return idx, nil
}

// checkKinds reports a forced kind for a column the file does not have.
func checkKinds(path string, names []string, kinds map[string]frame.Kind) error {
	if len(kinds) == 0 {
		return nil
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	var missing []string
	for n := range kinds {
		if !have[n] {
			missing = append(missing, strconv.Quote(n))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return &ParseError{Path: path, Err: fmt.Errorf("ReadOptions.Kinds names columns the file does not have: %s", strings.Join(missing, ", "))}
	}
	return nil
}
