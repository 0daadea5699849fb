package serve

import (
	"encoding/json"
	"strconv"

	"riskflow/frame"
	"riskflow/internal/jsontext"
	"riskflow/serve/predlog"
)

// Raw values: what the request gave for a field of an instance, for explanations ("value")
// and the prediction log ("inputs"). They are read back from the body on demand (off the hot
// path): records hold decoded values only.

// rawValue is one field's value in a request: a JSON token (v1, bare records, v2 tensor
// elements) or a CSV cell's text.
type rawValue struct {
	tok  []byte
	text bool // tok is CSV text, not a JSON token
}

// lookupRaw returns the raw value of field in instance i.
func (c *call) lookupRaw(i int, field string) (rawValue, bool) {
	switch c.proto {
	case protoV1, protoRecord:
		sp := c.spans[i]
		if tok := objectField(c.body[sp.start:sp.end], field); tok != nil {
			return rawValue{tok: tok}, true
		}
	case protoV2:
		for t := range c.tensors {
			if string(c.tensors[t].name) == field {
				return rawValue{tok: c.elemToken(t, i)}, true
			}
		}
	case protoCSV:
		col := c.csvColumn(field)
		if col < 0 {
			return rawValue{}, false
		}
		var found rawValue
		ok := false
		c.csvCells(i, func(j int, cell []byte) {
			if j == col {
				found, ok = rawValue{tok: append([]byte(nil), cell...), text: true}, true
			}
		})
		return found, ok
	}
	return rawValue{}, false
}

// appendRawValue appends field's value in instance i as JSON: the token as the request gave
// it, a CSV cell converted by the field's kind, or null when absent or missing.
func (c *call) appendRawValue(b []byte, i int, field string) []byte {
	rv, ok := c.lookupRaw(i, field)
	switch {
	case !ok || rv.tok == nil:
		return append(b, "null"...)
	case !rv.text:
		return append(b, rv.tok...)
	}
	switch v := textValue(c.kindOf(field), rv.tok).(type) {
	case nil:
		return append(b, "null"...)
	case float64:
		return appendFloat(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case string:
		return jsontext.AppendString(b, v)
	}
	return append(b, "null"...)
}

// kindOf returns the kind of an input of the scoring version (String for other fields).
func (c *call) kindOf(field string) frame.Kind {
	if j := c.m.slot(field); j >= 0 {
		return c.m.inputs[j].Kind
	}
	return frame.String
}

// value converts a raw value to what the prediction log takes: float64, string, bool or nil.
func (rv rawValue) value(k frame.Kind) any {
	if rv.text {
		return textValue(k, rv.tok)
	}
	return jsonValue(rv.tok)
}

// jsonValue converts a JSON token: null → nil, booleans, numbers → float64, strings →
// string; objects and arrays stay raw JSON.
func jsonValue(tok []byte) any {
	if len(tok) == 0 {
		return nil
	}
	switch tok[0] {
	case 'n':
		return nil
	case 't':
		return true
	case 'f':
		return false
	case '"':
		raw := tok[1 : len(tok)-1]
		for _, ch := range raw {
			if ch == '\\' {
				return unquote(raw)
			}
		}
		return string(raw)
	case '{', '[':
		return json.RawMessage(append([]byte(nil), tok...))
	}
	v, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return string(tok)
	}
	return v
}

// textValue converts a CSV cell by the field's kind, as Record.SetText reads it: the missing
// spellings → nil, numbers → float64, booleans → bool, everything else (and text that does not
// parse) → string.
func textValue(k frame.Kind, text []byte) any {
	switch string(text) {
	case "", "NA", "N/A", "NaN", "null", "NULL":
		return nil
	}
	switch k {
	case frame.Numeric:
		if v, err := strconv.ParseFloat(string(trimText(text)), 64); err == nil {
			return v
		}
	case frame.Bool:
		if v, err := strconv.ParseBool(string(trimText(text))); err == nil {
			return v
		}
	}
	return string(text)
}

func trimText(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// loggedFields returns instance i's inputs (and the spec's id field) for the prediction log,
// in request order, with md's PII flags.
func (c *call) loggedFields(i int, md *model) []predlog.Field {
	var out []predlog.Field
	add := func(name string, rv rawValue) {
		j := md.slot(name)
		if j < 0 && name != md.idField {
			return
		}
		k, pii := frame.String, false
		if j >= 0 {
			k, pii = md.inputs[j].Kind, md.pii[j]
		}
		out = append(out, predlog.Field{Name: name, Value: rv.value(k), PII: pii})
	}
	switch c.proto {
	case protoV1, protoRecord:
		sp := c.spans[i]
		objectFields(c.body[sp.start:sp.end], func(key string, tok []byte) { add(key, rawValue{tok: tok}) })
	case protoV2:
		for t := range c.tensors {
			add(string(c.tensors[t].name), rawValue{tok: c.elemToken(t, i)})
		}
	case protoCSV:
		names := c.csvNames()
		c.csvCells(i, func(j int, cell []byte) {
			if j < len(names) && names[j] != "" {
				add(names[j], rawValue{tok: cell, text: true})
			}
		})
	}
	return out
}
