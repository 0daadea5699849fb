package frameio

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf16"
	"unicode/utf8"

	"riskflow/frame"
)

// JSONL reading: each non-blank line is one flat JSON object. Keys become columns in order of
// first appearance in the sample; values may be strings, numbers, true/false or null (a missing
// key is a missing value). Kinds are inferred from the sample by JSON type: numbers → Numeric,
// booleans → Bool, strings → Time if every sampled string is an RFC 3339 timestamp, else String;
// a key with values of several types → String; a key with only nulls → Numeric.
//
// After inference, a value converts to its column's kind through its text, as a CSV cell would
// ("12.5" reads into a Numeric column, 7 into a String column as "7"), except that a JSON string
// is never a missing token in a String column. Nested objects and arrays are errors (or skipped
// when their key is not selected).
//
// The scanner is hand-written rather than built on encoding/json's token API, which allocates per
// token and measured about ten times slower; FuzzReadJSONL checks it against encoding/json.

const maxLineBytes = 64 << 20

type jsonlDecoder struct {
	path     string
	lr       lineReader
	out      frame.Schema
	cols     map[string]int // key → output column
	selected bool           // ReadOptions.Columns was set: other keys are ignored
	sample   []sampleLine   // the sampled lines, replayed before reading on
	next     int            // next sample line to replay
	stamp    []int64        // per output column: the last row that set it
	row      int64
	sc       jsonScanner
	done     bool
	nsample  int // SampleRows, for error messages

	remaining int64 // bytes not yet read, for rowsHint; < 0 if unknown
	rowBytes  float64
}

type sampleLine struct {
	text []byte
	line int
}

// jsonInfer tracks the JSON types a key's sampled values had.
type jsonInfer struct {
	num, boolean, str, nonTime bool
}

func (s jsonInfer) kind() frame.Kind {
	switch {
	case s.num && !s.boolean && !s.str:
		return frame.Numeric
	case s.boolean && !s.num && !s.str:
		return frame.Bool
	case s.str && !s.num && !s.boolean:
		if s.nonTime {
			return frame.String
		}
		return frame.Time
	case s.num || s.boolean || s.str:
		return frame.String
	}
	return frame.Numeric
}

func newJSONLDecoder(ctx context.Context, r io.Reader, size int64, path string, opt ReadOptions) (*jsonlDecoder, error) {
	d := &jsonlDecoder{path: path, lr: lineReader{br: bufio.NewReaderSize(r, 64<<10)}, remaining: -1, nsample: opt.SampleRows}
	want := make(map[string]bool, len(opt.Columns))
	for _, c := range opt.Columns {
		want[c] = true
	}
	d.selected = len(opt.Columns) > 0
	var (
		keys   []string
		index  = make(map[string]int)
		infer  []jsonInfer
		nbytes int
	)
	for len(d.sample) < opt.SampleRows {
		if len(d.sample)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line, n, err := d.lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, d.lineError(n, "", err)
		}
		nbytes += len(line) + 1
		d.sample = append(d.sample, sampleLine{text: slices.Clone(line), line: n})
		sc := &d.sc
		sc.reset(line)
		if err := sc.begin(); err != nil {
			return nil, d.lineError(n, "", err)
		}
		for {
			key, ok, err := sc.nextKey()
			if err != nil {
				return nil, d.lineError(n, "", err)
			}
			if !ok {
				break
			}
			k, seen := index[string(key)]
			if !seen {
				k = len(keys)
				keys = append(keys, string(key))
				index[keys[k]] = k
				infer = append(infer, jsonInfer{})
			}
			v, err := sc.value()
			if err != nil {
				return nil, d.lineError(n, keys[k], err)
			}
			st := &infer[k]
			switch v.typ {
			case jsonNumber:
				st.num = true
			case jsonBool:
				st.boolean = true
			case jsonString:
				st.str = true
				if !st.nonTime {
					if _, ok := parseTime(v.text); !ok {
						st.nonTime = true
					}
				}
			case jsonNested:
				if !d.selected || want[keys[k]] {
					return nil, d.lineError(n, keys[k], errNested)
				}
			}
		}
		if err := sc.end(); err != nil {
			return nil, d.lineError(n, "", err)
		}
	}
	if len(d.sample) > 0 {
		d.rowBytes = float64(nbytes) / float64(len(d.sample))
		if size > 0 {
			d.remaining = size - int64(nbytes)
		}
	}

	// Forced kinds for keys the sample did not show add columns, in name order.
	var extra []string
	for name := range opt.Kinds {
		if _, ok := index[name]; !ok {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		index[name] = len(keys)
		keys = append(keys, name)
		infer = append(infer, jsonInfer{})
	}
	names := keys
	if d.selected {
		names = opt.Columns
		for _, name := range names {
			if _, ok := index[name]; !ok {
				return nil, &ParseError{Path: path, Err: fmt.Errorf("no key %q in the first %d rows to select (set ReadOptions.Kinds to read it anyway)", name, opt.SampleRows)}
			}
		}
	}
	d.out = make(frame.Schema, len(names))
	d.cols = make(map[string]int, len(names))
	for j, name := range names {
		k := opt.Kinds[name]
		if k == 0 {
			k = infer[index[name]].kind()
		}
		d.out[j] = frame.Field{Name: name, Kind: k}
		d.cols[name] = j
	}
	d.stamp = make([]int64, len(names))
	return d, nil
}

var errNested = errors.New("nested JSON objects and arrays are not supported")

func (d *jsonlDecoder) lineError(line int, column string, err error) error {
	return &ParseError{Path: d.path, Line: line, Column: column, Err: err}
}

func (d *jsonlDecoder) schema() frame.Schema { return d.out }

func (d *jsonlDecoder) close() {}

func (d *jsonlDecoder) rowsHint() int {
	if d.remaining < 0 || d.rowBytes == 0 {
		return len(d.sample) - d.next
	}
	return len(d.sample) - d.next + int(min(float64(d.remaining)/d.rowBytes*1.02+16, math.MaxInt32))
}

func (d *jsonlDecoder) decode(ctx context.Context, s *sink, limit int) (int, error) {
	if d.done {
		return 0, io.EOF
	}
	n := 0
	for n < limit {
		var (
			line []byte
			num  int
		)
		if d.next < len(d.sample) {
			sl := &d.sample[d.next]
			line, num = sl.text, sl.line
			d.next++
			if d.next == len(d.sample) {
				d.sample = nil // release the sample
				d.next = 0
			}
		} else {
			var err error
			line, num, err = d.lr.next()
			if errors.Is(err, io.EOF) {
				d.done = true
				break
			}
			if err != nil {
				d.done = true
				return 0, d.lineError(num, "", err)
			}
		}
		if err := d.decodeLine(s, line, num); err != nil {
			d.done = true
			return 0, err
		}
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (d *jsonlDecoder) decodeLine(s *sink, line []byte, num int) error {
	d.row++
	sc := &d.sc
	sc.reset(line)
	if err := sc.begin(); err != nil {
		return d.lineError(num, "", err)
	}
	for {
		key, ok, err := sc.nextKey()
		if err != nil {
			return d.lineError(num, "", err)
		}
		if !ok {
			break
		}
		j, known := d.cols[string(key)]
		if !known {
			if !d.selected {
				return d.lineError(num, "", fmt.Errorf("key %q is not in the first %d rows (raise ReadOptions.SampleRows or set ReadOptions.Kinds)", key, d.nsample))
			}
			if _, err := sc.value(); err != nil {
				return d.lineError(num, "", err)
			}
			continue
		}
		name := d.out[j].Name
		v, err := sc.value()
		if err != nil {
			return d.lineError(num, name, err)
		}
		if d.stamp[j] == d.row {
			return d.lineError(num, name, errors.New("duplicate key"))
		}
		d.stamp[j] = d.row
		switch v.typ {
		case jsonNull:
			s.cols[j].AppendMissing()
		case jsonNested:
			return d.lineError(num, name, errNested)
		default:
			if err := s.appendCell(j, v.text, true); err != nil {
				return d.lineError(num, name, err)
			}
		}
	}
	if err := sc.end(); err != nil {
		return d.lineError(num, "", err)
	}
	for j, st := range d.stamp {
		if st != d.row {
			s.cols[j].AppendMissing()
		}
	}
	return nil
}

// lineReader returns the non-blank lines of a stream with their 1-based line numbers.
type lineReader struct {
	br   *bufio.Reader
	line int
	long []byte // a line longer than br's buffer
}

// next returns the next line that holds more than JSON whitespace, without its terminator. The
// slice is valid until the next call.
func (l *lineReader) next() ([]byte, int, error) {
	for {
		b, err := l.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			l.long = append(l.long[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				if len(l.long) > maxLineBytes {
					return nil, l.line + 1, fmt.Errorf("line longer than %d MiB", maxLineBytes>>20)
				}
				b, err = l.br.ReadSlice('\n')
				l.long = append(l.long, b...)
			}
			b = l.long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, l.line + 1, err
		}
		if len(b) == 0 && err != nil {
			return nil, l.line, io.EOF
		}
		l.line++
		line := bytes.TrimRight(b, "\r\n")
		if len(bytes.Trim(line, " \t\r")) > 0 {
			return line, l.line, nil
		}
		if err != nil {
			return nil, l.line, io.EOF
		}
	}
}

type jsonType uint8

const (
	jsonNull jsonType = iota
	jsonBool
	jsonNumber
	jsonString
	jsonNested
)

// jsonValue is a scalar: its text is the unescaped string, the number literal or true/false.
type jsonValue struct {
	typ  jsonType
	text []byte
}

// jsonScanner reads one flat JSON object. Returned slices are valid until the next call.
type jsonScanner struct {
	b          []byte
	p          int
	afterValue bool
	kbuf, vbuf []byte
}

const maxJSONDepth = 1000

var (
	errJSONEnd = errors.New("unexpected end of JSON object")
	trueText   = []byte("true")
	falseText  = []byte("false")
)

func (s *jsonScanner) reset(b []byte) {
	s.b, s.p, s.afterValue = b, 0, false
}

func (s *jsonScanner) ws() {
	for s.p < len(s.b) {
		switch s.b[s.p] {
		case ' ', '\t', '\n', '\r':
			s.p++
		default:
			return
		}
	}
}

func (s *jsonScanner) syntax(what string) error {
	if s.p >= len(s.b) {
		return errJSONEnd
	}
	return fmt.Errorf("invalid JSON: %s at offset %d, found %q", what, s.p, s.b[s.p])
}

func (s *jsonScanner) begin() error {
	s.ws()
	if s.p >= len(s.b) || s.b[s.p] != '{' {
		return s.syntax("want an object")
	}
	s.p++
	return nil
}

// nextKey returns the next key, or ok == false after the closing brace.
func (s *jsonScanner) nextKey() (key []byte, ok bool, err error) {
	s.ws()
	if s.p >= len(s.b) {
		return nil, false, errJSONEnd
	}
	if s.afterValue {
		switch s.b[s.p] {
		case '}':
			s.p++
			return nil, false, nil
		case ',':
			s.p++
			s.ws()
		default:
			return nil, false, s.syntax("want , or }")
		}
	} else if s.b[s.p] == '}' {
		s.p++
		return nil, false, nil
	}
	if s.p >= len(s.b) || s.b[s.p] != '"' {
		return nil, false, s.syntax("want a key")
	}
	key, err = s.str(&s.kbuf)
	if err != nil {
		return nil, false, err
	}
	s.ws()
	if s.p >= len(s.b) || s.b[s.p] != ':' {
		return nil, false, s.syntax("want :")
	}
	s.p++
	s.afterValue = true
	return key, true, nil
}

// value reads the value after a key. A nested value is skipped (and validated) and reported as
// jsonNested.
func (s *jsonScanner) value() (jsonValue, error) {
	s.ws()
	if s.p >= len(s.b) {
		return jsonValue{}, errJSONEnd
	}
	switch c := s.b[s.p]; c {
	case '"':
		t, err := s.str(&s.vbuf)
		return jsonValue{typ: jsonString, text: t}, err
	case 't':
		return jsonValue{typ: jsonBool, text: trueText}, s.literal("true")
	case 'f':
		return jsonValue{typ: jsonBool, text: falseText}, s.literal("false")
	case 'n':
		return jsonValue{typ: jsonNull}, s.literal("null")
	case '{', '[':
		return jsonValue{typ: jsonNested}, s.skip(0)
	default:
		t, err := s.number()
		return jsonValue{typ: jsonNumber, text: t}, err
	}
}

func (s *jsonScanner) literal(lit string) error {
	if !bytes.HasPrefix(s.b[s.p:], []byte(lit)) {
		return s.syntax("invalid literal")
	}
	s.p += len(lit)
	return nil
}

func (s *jsonScanner) end() error {
	s.ws()
	if s.p != len(s.b) {
		return s.syntax("trailing data after the object")
	}
	return nil
}

// number scans a number per the JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() ([]byte, error) {
	b, start := s.b, s.p
	p := s.p
	if p < len(b) && b[p] == '-' {
		p++
	}
	digitsFrom := func() bool {
		q := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
		return p > q
	}
	switch {
	case p < len(b) && b[p] == '0':
		p++
	case p < len(b) && b[p] >= '1' && b[p] <= '9':
		digitsFrom()
	default:
		s.p = p
		return nil, s.syntax("invalid value")
	}
	if p < len(b) && b[p] == '.' {
		p++
		if !digitsFrom() {
			s.p = p
			return nil, s.syntax("invalid number")
		}
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		p++
		if p < len(b) && (b[p] == '+' || b[p] == '-') {
			p++
		}
		if !digitsFrom() {
			s.p = p
			return nil, s.syntax("invalid number")
		}
	}
	s.p = p
	return b[start:p], nil
}

// str reads a string starting at the opening quote. Plain strings are returned in place; strings
// with escapes or invalid UTF-8 are decoded into *buf the way encoding/json decodes them
// (invalid UTF-8 and unpaired surrogates become U+FFFD).
func (s *jsonScanner) str(buf *[]byte) ([]byte, error) {
	b := s.b
	start := s.p + 1
	ascii := true
	for i := start; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			if ascii || utf8.Valid(b[start:i]) {
				s.p = i + 1
				return b[start:i], nil
			}
			return s.strSlow(buf, start)
		case c == '\\':
			return s.strSlow(buf, start)
		case c < 0x20:
			s.p = i
			return nil, s.syntax("control character in string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	s.p = len(b)
	return nil, errJSONEnd
}

func (s *jsonScanner) strSlow(buf *[]byte, start int) ([]byte, error) {
	b := s.b
	out := (*buf)[:0]
	defer func() { *buf = out[:0] }()
	for i := start; ; {
		if i >= len(b) {
			s.p = i
			return nil, errJSONEnd
		}
		c := b[i]
		switch {
		case c == '"':
			s.p = i + 1
			return out, nil
		case c == '\\':
			if i+1 >= len(b) {
				s.p = i + 1
				return nil, errJSONEnd
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(b[i+2:])
				if !ok {
					s.p = i
					return nil, s.syntax("invalid \\u escape")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+2 < len(b) && b[i+2] == '\\' && i+3 < len(b) && b[i+3] == 'u' {
						r2, ok = hex4(b[i+4:])
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				s.p = i
				return nil, s.syntax("invalid escape")
			}
			i += 2
		case c < 0x20:
			s.p = i
			return nil, s.syntax("control character in string")
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
		}
	}
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip validates and skips a nested object or array.
func (s *jsonScanner) skip(depth int) error {
	if depth > maxJSONDepth {
		return s.syntax("nesting too deep")
	}
	open := s.b[s.p]
	s.p++
	s.ws()
	if open == '{' {
		if s.p < len(s.b) && s.b[s.p] == '}' {
			s.p++
			return nil
		}
		for {
			s.ws()
			if s.p >= len(s.b) || s.b[s.p] != '"' {
				return s.syntax("want a key")
			}
			if _, err := s.str(&s.kbuf); err != nil {
				return err
			}
			s.ws()
			if s.p >= len(s.b) || s.b[s.p] != ':' {
				return s.syntax("want :")
			}
			s.p++
			if err := s.skipValue(depth); err != nil {
				return err
			}
			s.ws()
			if s.p >= len(s.b) {
				return errJSONEnd
			}
			switch s.b[s.p] {
			case ',':
				s.p++
			case '}':
				s.p++
				return nil
			default:
				return s.syntax("want , or }")
			}
		}
	}
	if s.p < len(s.b) && s.b[s.p] == ']' {
		s.p++
		return nil
	}
	for {
		if err := s.skipValue(depth); err != nil {
			return err
		}
		s.ws()
		if s.p >= len(s.b) {
			return errJSONEnd
		}
		switch s.b[s.p] {
		case ',':
			s.p++
		case ']':
			s.p++
			return nil
		default:
			return s.syntax("want , or ]")
		}
	}
}

func (s *jsonScanner) skipValue(depth int) error {
	s.ws()
	if s.p < len(s.b) && (s.b[s.p] == '{' || s.b[s.p] == '[') {
		return s.skip(depth + 1)
	}
	_, err := s.value()
	return err
}
