package predlog

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"math"
	"strconv"
	"time"

	"riskflow/internal/jsontext"
)

// Entry is one logged prediction. The server builds it only for sampled requests (see
// Log.Sampled) and hands it to Log.Write, which keeps it, Inputs and Shadow included, until
// the writer goroutine has encoded it.
type Entry struct {
	RequestID     string
	Time          time.Time // when the request arrived; Write uses time.Now if zero
	Model         string
	Version       string  // the version that answered (the champion, or the canary)
	Inputs        []Field // raw input fields in request order; PII ones are hashed by the log
	Probability   float64 // the answered score
	Shadow        *Score  // the challenger's score when shadowing; nil when none
	Canary        bool    // answered by the canary challenger
	LatencyMicros int64
}

// Field is one input field of a request. Value is a float64, string, bool, time.Time or nil
// (missing); other types are encoded with encoding/json, and become null if it fails. When PII
// is true the log writes a keyed hash of the value instead of the value.
type Field struct {
	Name  string
	Value any
	PII   bool
}

// Score is a challenger's answer to a shadowed request.
type Score struct {
	Version     string
	Probability float64
}

// hashPrefix starts every hashed PII value in the log.
const hashPrefix = "hmac-sha256:"

// hashHexLen is how many hex digits of the HMAC are kept: 64 bits, enough to join on without
// collisions in practice, short enough to keep lines small.
const hashHexLen = 16

// encoder turns entries into JSON lines. It belongs to the writer goroutine and is not safe for
// concurrent use; its scratch buffers make encoding allocation-free for the value types Field
// documents.
//
// The JSON is written by hand rather than with encoding/json for two reasons: the "inputs"
// object must keep the request's field order (encoding/json sorts map keys), and the writer
// goroutine's speed bounds how many entries the log can take before it drops (BenchmarkEncode
// against BenchmarkEncodeStdlib measures the difference).
type encoder struct {
	mac     hash.Hash
	scratch []byte // the text that is hashed
	sum     []byte // the HMAC output
}

func newEncoder(key []byte) *encoder {
	return &encoder{
		mac:     hmac.New(sha256.New, key),
		scratch: make([]byte, 0, 128),
		sum:     make([]byte, 0, sha256.Size),
	}
}

// appendEntry appends e as one JSON line, newline included, to b.
func (enc *encoder) appendEntry(b []byte, e *Entry) []byte {
	b = append(b, `{"request_id":`...)
	b = jsontext.AppendString(b, e.RequestID)
	b = append(b, `,"time":"`...)
	b = e.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","model":`...)
	b = jsontext.AppendString(b, e.Model)
	b = append(b, `,"version":`...)
	b = jsontext.AppendString(b, e.Version)
	b = append(b, `,"inputs":{`...)
	for i := range e.Inputs {
		f := &e.Inputs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = jsontext.AppendString(b, f.Name)
		b = append(b, ':')
		if f.PII && f.Value != nil {
			b = enc.appendHash(b, f.Value)
		} else {
			b = appendValue(b, f.Value)
		}
	}
	b = append(b, `},"probability":`...)
	b = appendFloat(b, e.Probability)
	if e.Shadow != nil {
		b = append(b, `,"shadow":{"version":`...)
		b = jsontext.AppendString(b, e.Shadow.Version)
		b = append(b, `,"probability":`...)
		b = appendFloat(b, e.Shadow.Probability)
		b = append(b, '}')
	}
	if e.Canary {
		b = append(b, `,"canary":true`...)
	}
	b = append(b, `,"latency_us":`...)
	b = strconv.AppendInt(b, e.LatencyMicros, 10)
	return append(b, "}\n"...)
}

// appendHash appends the quoted "hmac-sha256:<16 hex digits>" of v. The hashed text is the
// value as the log would have written it, without the quotes of strings and times: so a value
// hashes the same in every field and every model that shares the key.
func (enc *encoder) appendHash(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		enc.scratch = append(enc.scratch[:0], x...)
	case time.Time:
		enc.scratch = x.UTC().AppendFormat(enc.scratch[:0], time.RFC3339Nano)
	default:
		enc.scratch = appendValue(enc.scratch[:0], v)
	}
	enc.mac.Reset()
	enc.mac.Write(enc.scratch)
	enc.sum = enc.mac.Sum(enc.sum[:0])
	b = append(b, '"')
	b = append(b, hashPrefix...)
	b = hex.AppendEncode(b, enc.sum[:hashHexLen/2])
	return append(b, '"')
}

// appendValue appends v as a JSON value.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case float64:
		return appendFloat(b, x)
	case string:
		return jsontext.AppendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		b = append(b, '"')
		b = x.UTC().AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint:
		return strconv.AppendUint(b, uint64(x), 10)
	}
	// Rare types pay for reflection; a value encoding/json refuses is logged as missing.
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// appendFloat appends f in its shortest round-trip form, as encoding/json does: plain
// decimals between 1e-6 and 1e21, exponent form outside. NaN and ±Inf, which JSON cannot
// represent, become null.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Shorten a two-digit negative exponent: 1e-07 → 1e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
