package feature

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"riskflow/frame"
)

// Request decoding is a measured hot path (see BenchmarkDecodeJSON): this is a small hand-written
// JSON scanner that decodes an object straight into a schema-indexed Record, without
// map[string]any, reflection or per-field allocation. Keys are looked up with m[string(b)],
// which does not allocate; strings are sliced from the input and copied only when they contain
// escapes (into a buffer the Record reuses).

const maxJSONDepth = 512 // nesting accepted inside skipped values

// DecodeJSON decodes one JSON object into r, replacing its contents: fields absent from the
// object are missing. Only whitespace may follow the object.
//
// Values: null is missing; numeric fields take JSON numbers (a numeric string is a type error);
// boolean fields take true and false; categorical fields take strings, mapped through the fitted
// vocabulary; datetime fields take RFC 3339 strings. A value of the wrong type, a number out of
// float64 range and a key occurring twice are *FieldError values naming the field. Keys that are
// not inputs are skipped with their values, however nested, unless the spec is strict, when they
// are a *FieldError (the spec's id and label keys are always allowed). Malformed JSON is a
// *SyntaxError. Decoding stops at the first problem.
func (r *Record) DecodeJSON(data []byte) error {
	n, err := r.DecodeJSONObject(data)
	if err != nil {
		return err
	}
	d := decoder{data: data, pos: n}
	if d.ws(); d.pos != len(data) {
		return d.syntax("data after the object")
	}
	return nil
}

// DecodeJSONObject is DecodeJSON for an object at the start of data (after optional whitespace)
// that may be followed by more data, as in a request's array of instances. It returns the number
// of bytes consumed.
func (r *Record) DecodeJSONObject(data []byte) (int, error) {
	r.Reset()
	d := decoder{data: data, r: r}
	err := d.object()
	return d.pos, err
}

type decoder struct {
	data []byte
	pos  int
	r    *Record
}

func (d *decoder) syntax(msg string) error {
	return &SyntaxError{Offset: d.pos, Msg: msg}
}

func (d *decoder) ws() {
	for d.pos < len(d.data) && byteClass[d.data[d.pos]]&classSpace != 0 {
		d.pos++
	}
}

// byteClass classifies bytes for the scanner's inner loops.
var byteClass = func() (t [256]uint8) {
	for _, c := range []byte(" \t\n\r") {
		t[c] |= classSpace
	}
	for c := range 0x20 {
		t[c] |= classStringEnd
	}
	t['"'] |= classStringEnd
	t['\\'] |= classStringEnd
	return t
}()

const (
	classSpace     = 1 << iota // JSON whitespace
	classStringEnd             // ends a run of plain string bytes: a quote, a backslash, a control character
)

// peek returns the next byte, or 0 at the end of the input.
func (d *decoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *decoder) object() error {
	d.ws()
	if d.peek() != '{' {
		return d.syntax("want an object")
	}
	d.pos++
	d.ws()
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	r := d.r
	t := r.t
	for {
		d.ws()
		if d.peek() != '"' {
			return d.syntax("want a string key")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		d.ws()
		if d.peek() != ':' {
			return d.syntax("want :")
		}
		d.pos++
		d.ws()
		if i, ok := t.lay.index[string(key)]; ok {
			if r.seen[i] {
				return &FieldError{Field: t.inputs[i].name, Reason: "duplicate key"}
			}
			r.seen[i] = true
			if err := d.value(i); err != nil {
				return err
			}
		} else {
			passThrough := t.spec.ID != "" && string(key) == t.spec.ID || t.spec.Label != "" && string(key) == t.spec.Label
			if t.spec.Strict && !passThrough {
				return &FieldError{Field: string(key), Reason: "unknown field (the spec is strict)"}
			}
			if err := d.skip(0); err != nil {
				return err
			}
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.syntax("want , or }")
		}
	}
}

// value decodes the value of input i.
func (d *decoder) value(i int) error {
	r := d.r
	switch c := d.peek(); {
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		r.SetMissing(i)
		return nil
	case c == 't' || c == 'f':
		word := "false"
		if c == 't' {
			word = "true"
		}
		if err := d.literal(word); err != nil {
			return err
		}
		return r.SetBool(i, c == 't')
	case c == '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		return setString(r, i, s)
	case c == '-' || c >= '0' && c <= '9':
		tok, err := d.number()
		if err != nil {
			return err
		}
		if r.t.inputs[i].kind != frame.Numeric {
			return r.typeError(i, "a number")
		}
		v, err := strconv.ParseFloat(string(tok), 64)
		if err != nil {
			// The grammar was checked, so this is a number beyond float64's range.
			return &FieldError{Field: r.t.inputs[i].name, Reason: "number out of range"}
		}
		return r.SetFloat(i, v)
	case c == '{':
		return r.typeError(i, "an object")
	case c == '[':
		return r.typeError(i, "an array")
	}
	return d.syntax("want a value")
}

func (d *decoder) literal(word string) error {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return d.syntax("want " + word)
	}
	d.pos += len(word)
	return nil
}

// number scans a JSON number and returns its text.
func (d *decoder) number() ([]byte, error) {
	data, start := d.data, d.pos
	i := start
	digits := func() bool {
		j := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case !digits():
		d.pos = i
		return nil, d.syntax("bad number")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			d.pos = i
			return nil, d.syntax("bad number: no digits after .")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			d.pos = i
			return nil, d.syntax("bad number: no digits in the exponent")
		}
	}
	d.pos = i
	return data[start:i], nil
}

// str scans a string at d.pos (at its opening quote) and returns its contents: a slice of the
// input, or of the record's buffer if it has escapes.
func (d *decoder) str() ([]byte, error) {
	data := d.data
	start := d.pos + 1
	i := start
	for i < len(data) && byteClass[data[i]]&classStringEnd == 0 {
		i++
	}
	switch {
	case i == len(data):
		d.pos = len(data)
		return nil, d.syntax("unterminated string")
	case data[i] == '"':
		d.pos = i + 1
		return data[start:i], nil
	case data[i] == '\\':
		return d.unescape(start, i)
	}
	d.pos = i
	return nil, d.syntax("control character in string")
}

// unescape decodes a string with escapes into the record's buffer; i is the first backslash.
// Invalid surrogates become U+FFFD, as encoding/json does.
func (d *decoder) unescape(start, i int) ([]byte, error) {
	data := d.data
	buf := append(d.r.buf[:0], data[start:i]...)
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.r.buf = buf
			return buf, nil
		case c < 0x20:
			d.pos = i
			return nil, d.syntax("control character in string")
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(data) {
			break
		}
		switch e := data[i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r1, ok := hex4(data, i+2)
			if !ok {
				d.pos = i
				return nil, d.syntax("bad \\u escape")
			}
			i += 6
			ch := rune(r1)
			if utf16.IsSurrogate(ch) {
				ch = utf8.RuneError
				if i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' {
					if r2, ok := hex4(data, i+2); ok {
						if dec := utf16.DecodeRune(rune(r1), rune(r2)); dec != utf8.RuneError {
							ch = dec
							i += 6
						}
					}
				}
			}
			buf = utf8.AppendRune(buf, ch)
			continue
		default:
			d.pos = i
			return nil, d.syntax("bad escape")
		}
		i += 2
	}
	d.r.buf = buf
	d.pos = len(data)
	return nil, d.syntax("unterminated string")
}

func hex4(data []byte, i int) (uint16, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var v uint16
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(c)
	}
	return v, true
}

// skipString scans past a string without decoding it, checking its escapes.
func (d *decoder) skipString() error {
	data := d.data
	for i := d.pos + 1; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			return nil
		case c < 0x20:
			d.pos = i
			return d.syntax("control character in string")
		case c == '\\':
			if i+1 >= len(data) {
				d.pos = len(data)
				return d.syntax("unterminated string")
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if _, ok := hex4(data, i+2); !ok {
					d.pos = i
					return d.syntax("bad \\u escape")
				}
				i += 5
			default:
				d.pos = i
				return d.syntax("bad escape")
			}
		}
	}
	d.pos = len(data)
	return d.syntax("unterminated string")
}

// skip scans past any JSON value, checking its syntax.
func (d *decoder) skip(depth int) error {
	switch c := d.peek(); {
	case c == '"':
		return d.skipString()
	case c == 'n':
		return d.literal("null")
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return d.syntax("nested too deep")
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.pos++
		d.ws()
		if d.peek() == end {
			d.pos++
			return nil
		}
		for {
			d.ws()
			if c == '{' {
				if d.peek() != '"' {
					return d.syntax("want a string key")
				}
				if err := d.skipString(); err != nil {
					return err
				}
				d.ws()
				if d.peek() != ':' {
					return d.syntax("want :")
				}
				d.pos++
				d.ws()
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			switch d.peek() {
			case ',':
				d.pos++
			case end:
				d.pos++
				return nil
			default:
				return d.syntax("want , or " + string(end))
			}
		}
	}
	return d.syntax("want a value")
}
