package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"riskflow/gbt"
)

// This file decodes a bundle's payload (the JSON document after the header line) in one pass.
//
// Why not encoding/json over the whole document: a tree bundle's payload is almost all tree
// nodes (2.7 MB for 300 trees of depth 6), and encoding/json went over them four times: a
// format and version pre-pass (Unmarshal validates the whole input first), json.Decoder
// reading the value, the skip over the "gbt" member before calling its UnmarshalJSON, and
// gbt's own decoder. That was 60-70 ms of the 70 ms a server took to read such a bundle.
//
// Here a small scanner splits the top-level object into its members. The "gbt" member is
// parsed in place by gbt.DecodeJSONPrefix, which says where the ensemble ends, so the trees
// are read exactly once. The other members are small (metadata, transformer, calibrator, a
// linear model; an ONNX network's weights can be large, but they are rare) and their extent is
// found by a skip that only counts brackets and strings; each is then decoded by encoding/json
// with unknown fields refused, as before, which validates its syntax. So every byte of the
// payload is still checked: the scanner checks the top level, the member decoders the rest.
//
// The result is what the previous decoder (encoding/json into document) gave, and it is
// stricter, never looser: member names must be spelled exactly as Encode writes them
// (encoding/json also matched "Format" to "format") and may not repeat (encoding/json kept
// the last). FuzzDecodePayload checks that whatever this decoder accepts, the previous one
// accepts too and reads the same.

// Members of the payload object, in the order Encode writes them.
const (
	memFormat = iota
	memVersion
	memMetadata
	memTransformer
	memGBT
	memLinear
	memNN
	memCalibrator
	numMembers
)

var memberNames = [numMembers]string{"format", "version", "metadata", "transformer", "gbt", "linear", "nn", "calibrator"}

func memberIndex(key []byte) int {
	for i, name := range memberNames {
		if string(key) == name {
			return i
		}
	}
	return -1
}

// decodePayload decodes and checks a bundle's payload: its format and version first, then
// every part, then that the parts fit together (see New).
func decodePayload(payload []byte) (*Bundle, error) {
	var (
		raw     [numMembers][]byte // each member's value, as it is in payload
		seen    [numMembers]bool
		unknown []byte // the first member name that is not one of memberNames
		g       *gbt.Ensemble
		gDone   bool // g was decoded in place
	)
	s := scanner{b: payload}
	if !s.consume('{') {
		return nil, fmt.Errorf("%w: payload: %w", ErrCorrupt, s.syntax("'{' starting the document"))
	}
	if !s.consume('}') {
		for {
			key, err := s.key()
			if err != nil {
				return nil, fmt.Errorf("%w: payload: %w", ErrCorrupt, err)
			}
			if !s.consume(':') {
				return nil, fmt.Errorf("%w: payload: %w", ErrCorrupt, s.syntax("':' after a member name"))
			}
			s.ws()
			m := memberIndex(key)
			switch {
			case m < 0:
				if unknown == nil {
					unknown = key
				}
			case seen[m]:
				return nil, fmt.Errorf("%w: payload: member %q given twice", ErrCorrupt, key)
			default:
				seen[m] = true
			}
			start := s.i
			if m == memGBT && !s.literal("null") && headerOK(&raw, &seen) {
				// Decoded in place: the trees are most of the payload, and gbt's decoder says
				// where they end, so they are not scanned again to find that out.
				e, n, err := gbt.DecodeJSONPrefix(payload[start:])
				if err != nil {
					return nil, fmt.Errorf("bundle: decode: %w", err)
				}
				s.i = start + n
				g, gDone = e, true
			} else if err := s.skip(); err != nil {
				return nil, fmt.Errorf("%w: payload: %w", ErrCorrupt, err)
			}
			if m >= 0 {
				raw[m] = payload[start:s.i]
			}
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				break
			}
			return nil, fmt.Errorf("%w: payload: %w", ErrCorrupt, s.syntax("',' or '}' after a member"))
		}
	}
	if s.ws(); s.i != len(s.b) {
		return nil, fmt.Errorf("%w: payload: data after the document at offset %d", ErrCorrupt, s.i)
	}

	// The checks the previous decoder made first, with the same errors.
	var format string
	var version int
	if err := json.Unmarshal(orNull(raw[memFormat]), &format); err != nil {
		return nil, fmt.Errorf("%w: payload: format: %v", ErrCorrupt, err)
	}
	if err := json.Unmarshal(orNull(raw[memVersion]), &version); err != nil {
		return nil, fmt.Errorf("%w: payload: version: %v", ErrCorrupt, err)
	}
	if format != FormatName {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrCorrupt, format, FormatName)
	}
	if version != FormatVersion {
		return nil, fmt.Errorf("bundle: format version %d is not supported (this riskflow reads version %d)", version, FormatVersion)
	}
	if unknown != nil {
		return nil, fmt.Errorf("bundle: decode: unknown field %q", unknown)
	}

	b := &Bundle{}
	parts := [numMembers]any{
		memMetadata: &b.Meta, memTransformer: &b.Transformer, memLinear: &b.Linear,
		memNN: &b.NN, memCalibrator: &b.Calibrator,
	}
	for m, v := range parts {
		if v == nil || raw[m] == nil {
			continue
		}
		if err := decodeMember(memberNames[m], raw[m], v); err != nil {
			return nil, err
		}
	}
	switch {
	case gDone:
		b.GBT = g
	case raw[memGBT] != nil && string(raw[memGBT]) != "null":
		// Before the format and version: not decoded in place (Encode does not write this).
		e, n, err := gbt.DecodeJSONPrefix(raw[memGBT])
		if err != nil {
			return nil, fmt.Errorf("bundle: decode: %w", err)
		}
		if n != len(raw[memGBT]) {
			return nil, fmt.Errorf("%w: payload: gbt: data after the ensemble at offset %d", ErrCorrupt, n)
		}
		b.GBT = e
	}
	if err := b.init(); err != nil {
		return nil, err
	}
	return b, nil
}

// headerOK reports whether the format and version members were read before this point and
// are the ones this decoder reads: only then is the "gbt" member worth decoding in place
// (another version's trees may not parse, and its error should be about the version).
func headerOK(raw *[numMembers][]byte, seen *[numMembers]bool) bool {
	if !seen[memFormat] || !seen[memVersion] {
		return false
	}
	var format string
	var version int
	return json.Unmarshal(raw[memFormat], &format) == nil && format == FormatName &&
		json.Unmarshal(raw[memVersion], &version) == nil && version == FormatVersion
}

// orNull is raw, or the JSON null for a member that is absent (it then decodes to its zero
// value, as encoding/json leaves a field whose key is missing).
func orNull(raw []byte) []byte {
	if raw == nil {
		return []byte("null")
	}
	return raw
}

// decodeMember decodes the value raw of the member name into v as the previous decoder did
// (encoding/json, unknown fields refused), checking that the value is all of raw. A syntax
// error wraps ErrCorrupt, as it did when the whole payload was checked first.
func decodeMember(name string, raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
			return fmt.Errorf("%w: payload: %s: %w", ErrCorrupt, name, err)
		}
		return fmt.Errorf("bundle: decode: %s: %w", name, err)
	}
	if dec.InputOffset() != int64(len(raw)) {
		return fmt.Errorf("%w: payload: %s: data after the value at offset %d", ErrCorrupt, name, dec.InputOffset())
	}
	return nil
}

// scanner reads the top level of a JSON object held in memory. Its errors carry no prefix.
type scanner struct {
	b []byte
	i int // next byte
}

// ws skips white space.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, reporting whether c was next.
func (s *scanner) consume(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// literal reports whether lit, followed by a delimiter or the end, is next (after no white
// space), without moving.
func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	j := s.i + len(lit)
	return j == len(s.b) || isDelimiter(s.b[j])
}

// syntax describes what is at the scanner's position when want was expected there.
func (s *scanner) syntax(want string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("unexpected end of input, want %s", want)
	}
	return fmt.Errorf("offset %d: unexpected %q, want %s", s.i, s.b[s.i], want)
}

// key reads a member name, returning the bytes between its quotes. A name with an escape is
// returned as written: it matches none of memberNames, which Encode writes without escapes.
func (s *scanner) key() ([]byte, error) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, s.syntax("a member name")
	}
	start := s.i + 1
	if err := s.skipString(); err != nil {
		return nil, err
	}
	return s.b[start : s.i-1], nil
}

// skipString moves past the string that starts at s.i, whose content is left to the decoder
// of the value that holds it (or, for a member name, to memberIndex).
func (s *scanner) skipString() error {
	start := s.i
	s.i++ // the opening quote
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return nil
		case '\\':
			s.i += 2
		default:
			s.i++
		}
	}
	s.i = len(s.b)
	return fmt.Errorf("offset %d: unterminated string", start)
}

// skip moves past the value that starts at s.i: a string, an object or array (to the bracket
// that closes the first one, counting brackets outside strings), or anything else up to the
// next delimiter. It validates no more than that: the value is then given to a decoder that
// does.
func (s *scanner) skip() error {
	if s.i >= len(s.b) {
		return s.syntax("a value")
	}
	start := s.i
	switch s.b[s.i] {
	case '"':
		return s.skipString()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if err := s.skipString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return fmt.Errorf("offset %d: unexpected end of input in the value starting here", start)
	}
	for s.i < len(s.b) && !isDelimiter(s.b[s.i]) {
		s.i++
	}
	if s.i == start {
		return s.syntax("a value")
	}
	return nil
}

// isDelimiter reports whether c ends a number or a literal.
func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ':', '"', '{', '[', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}
