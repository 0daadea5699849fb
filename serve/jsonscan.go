package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Request envelopes ({"instances": [...]}, Open Inference Protocol tensors) are scanned by hand:
// it is the measured hot path (BenchmarkV1PredictHandler), and a scanner lets each record go
// straight into feature.Record.DecodeJSONObject and each tensor element straight into a Record
// setter, without map[string]any, reflection or an allocation per value. The scanner only
// walks the envelope; records are decoded by the feature package.

// maxDepth bounds the nesting of skipped values (and of v2 data arrays).
const maxDepth = 64

// scanner is a cursor over a JSON text. Its errors are *httpError values with status 400 that
// name the byte offset.
type scanner struct {
	data []byte
	pos  int
}

// jsonSpace reports JSON whitespace.
func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) ws() {
	for s.pos < len(s.data) && jsonSpace(s.data[s.pos]) {
		s.pos++
	}
}

// peek returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) syntax(msg string) error {
	return badRequest(fmt.Sprintf("invalid JSON at offset %d: %s", s.pos, msg))
}

// eat consumes c (after whitespace) or fails naming what was wanted.
func (s *scanner) eat(c byte) error {
	s.ws()
	if s.peek() != c {
		if s.pos >= len(s.data) {
			return s.syntax(fmt.Sprintf("want %q, found the end of the input", c))
		}
		return s.syntax(fmt.Sprintf("want %q", c))
	}
	s.pos++
	return nil
}

// end checks that only whitespace is left.
func (s *scanner) end() error {
	s.ws()
	if s.pos != len(s.data) {
		return s.syntax("data after the top-level value")
	}
	return nil
}

// more is called after an element of an object or array: it consumes a comma and reports
// true, or consumes the closing byte and reports false.
func (s *scanner) more(closing byte) (bool, error) {
	s.ws()
	switch s.peek() {
	case ',':
		s.pos++
		return true, nil
	case closing:
		s.pos++
		return false, nil
	}
	return false, s.syntax(fmt.Sprintf("want , or %c", closing))
}

// objectStart consumes '{' and reports whether the object is empty (then '}' is consumed too).
func (s *scanner) objectStart() (empty bool, err error) {
	if err := s.eat('{'); err != nil {
		return false, err
	}
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return true, nil
	}
	return false, nil
}

// arrayStart consumes '[' and reports whether the array is empty (then ']' is consumed too).
func (s *scanner) arrayStart() (empty bool, err error) {
	if err := s.eat('['); err != nil {
		return false, err
	}
	s.ws()
	if s.peek() == ']' {
		s.pos++
		return true, nil
	}
	return false, nil
}

// key scans an object key and the colon after it. It returns the key's raw bytes (escapes
// undecoded) and whether it has escapes.
func (s *scanner) key() ([]byte, bool, error) {
	s.ws()
	if s.peek() != '"' {
		return nil, false, s.syntax("want a string key")
	}
	k, esc, err := s.str()
	if err != nil {
		return nil, false, err
	}
	if err := s.eat(':'); err != nil {
		return nil, false, err
	}
	return k, esc, nil
}

// keyIs reports whether a key scanned by key equals name, decoding escapes if it has any.
func keyIs(raw []byte, escaped bool, name string) bool {
	if !escaped {
		return string(raw) == name
	}
	return unquote(raw) == name
}

// str scans a string at s.pos (its opening quote) and returns its raw contents, escapes
// undecoded, and whether it has any. Escapes are checked.
func (s *scanner) str() ([]byte, bool, error) {
	data := s.data
	start := s.pos + 1
	escaped := false
	for i := start; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			s.pos = i + 1
			return data[start:i], escaped, nil
		case c < 0x20:
			s.pos = i
			return nil, false, s.syntax("control character in string")
		case c == '\\':
			escaped = true
			if i+1 >= len(data) {
				break
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if !isHex4(data, i+2) {
					s.pos = i
					return nil, false, s.syntax(`bad \u escape`)
				}
				i += 5
			default:
				s.pos = i
				return nil, false, s.syntax("bad escape")
			}
		}
	}
	s.pos = len(data)
	return nil, false, s.syntax("unterminated string")
}

func isHex4(data []byte, i int) bool {
	if i+4 > len(data) {
		return false
	}
	for _, c := range data[i : i+4] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unquote decodes the raw contents of a string that str accepted. It is off the hot path (keys
// and values with escapes) and leans on encoding/json, whose rules str checks.
func unquote(raw []byte) string {
	q := make([]byte, 0, len(raw)+2)
	q = append(q, '"')
	q = append(q, raw...)
	q = append(q, '"')
	var out string
	if err := json.Unmarshal(q, &out); err != nil {
		return string(raw)
	}
	return out
}

// number scans a JSON number and returns its text.
func (s *scanner) number() ([]byte, error) {
	data, start := s.data, s.pos
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
		s.pos = i
		return nil, s.syntax("bad number")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			s.pos = i
			return nil, s.syntax("bad number: no digits after .")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			s.pos = i
			return nil, s.syntax("bad number: no digits in the exponent")
		}
	}
	s.pos = i
	return data[start:i], nil
}

func (s *scanner) literal(word string) error {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return s.syntax("want " + word)
	}
	s.pos += len(word)
	return nil
}

// skip scans past any JSON value (after whitespace), checking its syntax.
func (s *scanner) skip(depth int) error {
	s.ws()
	switch c := s.peek(); {
	case c == '"':
		_, _, err := s.str()
		return err
	case c == 'n':
		return s.literal("null")
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == '-' || c >= '0' && c <= '9':
		_, err := s.number()
		return err
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return s.syntax("nested too deep")
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		s.pos++
		s.ws()
		if s.peek() == closing {
			s.pos++
			return nil
		}
		for {
			if c == '{' {
				if _, _, err := s.key(); err != nil {
					return err
				}
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			more, err := s.more(closing)
			if err != nil || !more {
				return err
			}
		}
	case s.pos >= len(s.data):
		return s.syntax("want a value, found the end of the input")
	}
	return s.syntax("want a value")
}

// value scans any value and returns its raw text.
func (s *scanner) value() ([]byte, error) {
	s.ws()
	start := s.pos
	if err := s.skip(0); err != nil {
		return nil, err
	}
	return s.data[start:s.pos], nil
}

// integer scans a JSON number that must be a whole number in [lo, hi].
func (s *scanner) integer(what string, lo, hi int) (int, error) {
	s.ws()
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		return 0, badRequest(fmt.Sprintf("%s: want a whole number", what))
	}
	tok, err := s.number()
	if err != nil {
		return 0, err
	}
	v, ok := parseInt(tok)
	if !ok || v < lo || v > hi {
		return 0, badRequest(fmt.Sprintf("%s: %s is not a whole number in [%d, %d]", what, tok, lo, hi))
	}
	return v, nil
}

// parseInt parses an optionally negative decimal integer of at most 9 digits.
func parseInt(tok []byte) (int, bool) {
	neg := len(tok) > 0 && tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	if len(tok) == 0 || len(tok) > 9 {
		return 0, false
	}
	v := 0
	for _, c := range tok {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// objectField finds the top-level key name in the JSON object obj and returns its raw value,
// or nil if the key is absent or obj is not a well-formed object. It reads the first occurrence.
func objectField(obj []byte, name string) []byte {
	s := scanner{data: obj}
	empty, err := s.objectStart()
	if err != nil || empty {
		return nil
	}
	for {
		k, esc, err := s.key()
		if err != nil {
			return nil
		}
		v, err := s.value()
		if err != nil {
			return nil
		}
		if keyIs(k, esc, name) {
			return v
		}
		if more, err := s.more('}'); err != nil || !more {
			return nil
		}
	}
}

// objectFields calls fn with each top-level key (decoded) and raw value of a well-formed JSON
// object, in order.
func objectFields(obj []byte, fn func(key string, raw []byte)) {
	s := scanner{data: obj}
	empty, err := s.objectStart()
	if err != nil || empty {
		return
	}
	for {
		k, esc, err := s.key()
		if err != nil {
			return
		}
		v, err := s.value()
		if err != nil {
			return
		}
		key := string(k)
		if esc {
			key = unquote(k)
		}
		fn(key, v)
		if more, err := s.more('}'); err != nil || !more {
			return
		}
	}
}

// httpError is a request's failure as the client sees it: a status and a message for the JSON
// body {"error": msg}.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) *httpError { return &httpError{code: http.StatusBadRequest, msg: msg} }
