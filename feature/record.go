package feature

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"riskflow/frame"
)

// Record holds one row of raw input, one slot per input field of its Transformer (see
// Transformer.Inputs and InputIndex): a number, a category code already mapped to the fitted
// vocabulary, a boolean or a time, or missing. Fill it with DecodeJSON or the setters, then
// call Transformer.Vector. A Record is reusable and not safe for concurrent use; make one per
// goroutine.
//
// The setters mirror JSON values: SetFloat is a number, SetString a string, SetBool true or
// false, SetMissing null. A value of the wrong type for the field returns a *FieldError naming
// the field. SetText parses text the way a CSV body carries it. Setters panic if i is not a
// slot index.
type Record struct {
	t    *Transformer
	num  []float64 // Numeric: the value; Bool: 1, 0; NaN missing
	code []int32   // String: index into the input's levels, codeMissing or codeUnknown
	tm   []int64   // Time: UnixNano, frame.TimeMissing missing
	seen []bool    // DecodeJSON: the key occurred (duplicate detection)
	buf  []byte    // DecodeJSON: unescaped strings
}

// NewRecord returns an empty record (every field missing) for t.
func (t *Transformer) NewRecord() *Record {
	n := len(t.inputs)
	r := &Record{
		t:    t,
		num:  make([]float64, n),
		code: make([]int32, n),
		tm:   make([]int64, n),
		seen: make([]bool, n),
	}
	r.Reset()
	return r
}

// Reset marks every field missing.
func (r *Record) Reset() {
	for i := range r.num {
		r.num[i] = math.NaN()
		r.code[i] = codeMissing
		r.tm[i] = frame.TimeMissing
		r.seen[i] = false
	}
}

// SetMissing marks field i missing (a JSON null).
func (r *Record) SetMissing(i int) {
	r.num[i] = math.NaN()
	r.code[i] = codeMissing
	r.tm[i] = frame.TimeMissing
}

// SetFloat sets numeric field i (a JSON number). NaN (any NaN) is missing; ±Inf is an error.
func (r *Record) SetFloat(i int, v float64) error {
	in := &r.t.inputs[i]
	if in.kind != frame.Numeric {
		return r.typeError(i, "a number")
	}
	switch {
	case v != v:
		v = math.NaN() // one bit pattern for missing, whatever NaN the data held
	case math.IsInf(v, 0):
		return &FieldError{Field: in.name, Reason: "non-finite number"}
	}
	r.num[i] = v
	return nil
}

// SetBool sets boolean field i (a JSON true or false).
func (r *Record) SetBool(i int, b bool) error {
	if r.t.inputs[i].kind != frame.Bool {
		return r.typeError(i, "a boolean")
	}
	r.num[i] = 0
	if b {
		r.num[i] = 1
	}
	return nil
}

// SetString sets field i from a string (a JSON string): a categorical field's level (mapped
// through the fitted vocabulary; a level not seen in training is unknown) or a datetime field's
// RFC 3339 timestamp.
func (r *Record) SetString(i int, s string) error { return setString(r, i, s) }

// SetTime sets datetime field i. Times must lie between the years 1678 and 2261 (int64
// nanoseconds since 1970).
func (r *Record) SetTime(i int, t time.Time) error {
	if r.t.inputs[i].kind != frame.Time {
		return r.typeError(i, "a time")
	}
	if t.Before(minTime) || t.After(maxTime) {
		return &FieldError{Field: r.t.inputs[i].name, Reason: "time out of range (years 1678 to 2261)"}
	}
	r.tm[i] = t.UnixNano()
	return nil
}

// SetText sets field i from text as a CSV body carries it: "", NA, N/A, NaN, null and NULL are
// missing for every kind; numbers are parsed by strconv.ParseFloat (surrounding spaces trimmed),
// booleans by strconv.ParseBool's rules, times as RFC 3339 or YYYY-MM-DD (UTC), and a
// categorical value is taken as is.
func (r *Record) SetText(i int, text []byte) error {
	if isMissingText(text) {
		r.SetMissing(i)
		return nil
	}
	in := &r.t.inputs[i]
	switch in.kind {
	case frame.Numeric:
		v, err := strconv.ParseFloat(string(trimSpace(text)), 64)
		if err != nil && !math.IsInf(v, 0) {
			return &FieldError{Field: in.name, Reason: fmt.Sprintf("not a number: %q", text)}
		}
		return r.SetFloat(i, v)
	case frame.Bool:
		v, ok := parseBoolText(trimSpace(text))
		if !ok {
			return &FieldError{Field: in.name, Reason: fmt.Sprintf("not a boolean: %q", text)}
		}
		r.num[i] = v
		return nil
	case frame.Time:
		return setString(r, i, trimSpace(text))
	}
	return setString(r, i, text)
}

// setString is SetString for strings and for the byte slices DecodeJSON and SetText hold.
func setString[T string | []byte](r *Record, i int, s T) error {
	in := &r.t.inputs[i]
	switch in.kind {
	case frame.String:
		if c := lookupLevel(in, s); !r.setCode(i, c) {
			return r.unknownError(i, string(s))
		}
		return nil
	case frame.Time:
		ns, err := parseTime(s)
		if err != nil {
			return &FieldError{Field: in.name, Reason: err.Error()}
		}
		r.tm[i] = ns
		return nil
	}
	return r.typeError(i, "a string")
}

// lookupLevel maps a level to its code in the input's training vocabulary, or codeUnknown. It is
// the one category lookup: DecodeJSON and SetString call it per value, Transform and Fit once per
// frame dictionary entry. The map lookup with a converted key does not allocate.
func lookupLevel[T string | []byte](in *input, s T) int32 {
	if c, ok := in.lookup[string(s)]; ok {
		return c
	}
	return codeUnknown
}

// setCode stores a category code; it reports false if the code is unknown and a feature reading
// the field rejects unknown levels.
func (r *Record) setCode(i int, c int32) bool {
	if c == codeUnknown && r.t.inputs[i].unknownErr {
		return false
	}
	r.code[i] = c
	return true
}

func (r *Record) unknownError(i int, level string) error {
	return &FieldError{Field: r.t.inputs[i].name, Reason: fmt.Sprintf("unknown category %q (the spec says unknown: error)", level)}
}

// typeError reports a value of the wrong type; got describes the value.
func (r *Record) typeError(i int, got string) error {
	in := &r.t.inputs[i]
	return &FieldError{Field: in.name, Reason: fmt.Sprintf("got %s, want %s", got, wantKind(in.kind))}
}

func wantKind(k frame.Kind) string {
	switch k {
	case frame.Numeric:
		return "a number"
	case frame.String:
		return "a string (categorical)"
	case frame.Bool:
		return "true or false"
	case frame.Time:
		return "an RFC 3339 timestamp string"
	}
	return k.String()
}

// binding reads one input from a frame column.
type binding struct {
	in    int
	col   *frame.Column
	codes []int32 // String: frame dictionary code → input code (lookupLevel of each entry)
}

// bind maps the frame's columns to the given input slots (every input if slots is nil). A
// missing column or a column of the wrong kind is a *FieldError.
func (t *Transformer) bind(f *frame.Frame, slots []int) ([]binding, error) {
	if slots == nil {
		slots = make([]int, len(t.inputs))
		for i := range slots {
			slots[i] = i
		}
	}
	bs := make([]binding, 0, len(slots))
	for _, i := range slots {
		in := &t.inputs[i]
		col, ok := f.Column(in.name)
		if !ok {
			return nil, &FieldError{Field: in.name, Reason: "not in the data"}
		}
		if col.Kind != in.kind {
			return nil, &FieldError{Field: in.name, Reason: fmt.Sprintf("is %s in the data, the spec reads it as %s", col.Kind, in.kind)}
		}
		b := binding{in: i, col: col}
		if col.Kind == frame.String {
			b.codes = make([]int32, len(col.Dict))
			for k, s := range col.Dict {
				b.codes[k] = lookupLevel(in, s)
			}
		}
		bs = append(bs, b)
	}
	return bs, nil
}

// fillRow sets the bound fields of r from one frame row with the setters' semantics.
func (r *Record) fillRow(bs []binding, row int) error {
	for _, b := range bs {
		switch b.col.Kind {
		case frame.Numeric:
			if err := r.SetFloat(b.in, b.col.Num[row]); err != nil {
				return err
			}
		case frame.String:
			c := b.col.Codes[row]
			switch {
			case c == frame.Missing:
				r.SetMissing(b.in)
			case c < 0 || int(c) >= len(b.codes):
				return &FieldError{Field: b.col.Name, Reason: fmt.Sprintf("dictionary code %d out of range", c)}
			case !r.setCode(b.in, b.codes[c]):
				return r.unknownError(b.in, b.col.Dict[c])
			}
		case frame.Bool:
			switch b.col.Bools[row] {
			case 0:
				r.num[b.in] = 0
			case 1:
				r.num[b.in] = 1
			case frame.BoolMissing:
				r.SetMissing(b.in)
			default:
				return &FieldError{Field: b.col.Name, Reason: fmt.Sprintf("invalid boolean byte %d", b.col.Bools[row])}
			}
		case frame.Time:
			r.tm[b.in] = b.col.Times[row]
		}
	}
	return nil
}

// Text parsing shared by SetText, DecodeJSON and spec constants.

var (
	minTime = time.Unix(0, math.MinInt64+1).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

func isMissingText(b []byte) bool {
	switch string(b) {
	case "", "NA", "N/A", "NaN", "null", "NULL":
		return true
	}
	return false
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// parseBoolText accepts strconv.ParseBool's spellings and returns 1 or 0.
func parseBoolText(b []byte) (float64, bool) {
	switch string(b) {
	case "1", "t", "T", "true", "TRUE", "True":
		return 1, true
	case "0", "f", "F", "false", "FALSE", "False":
		return 0, true
	}
	return 0, false
}

// parseTime parses an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM), 'T' also
// 't' or ' ', 'Z' also 'z', at most 9 fraction digits) or a date YYYY-MM-DD (midnight UTC) into
// UnixNano. It is hand-written because it runs per request and must not allocate; it agrees with
// time.Parse(time.RFC3339Nano) on every timestamp both accept (a fuzz test checks).
func parseTime[T string | []byte](s T) (int64, error) {
	num := func(i, n int) (int64, bool) {
		if i+n > len(s) {
			return 0, false
		}
		var v int64
		for j := i; j < i+n; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
	bad := func() (int64, error) {
		return 0, fmt.Errorf("not an RFC 3339 timestamp: %q", s)
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return bad()
	}
	var hour, minute, sec, frac, offset int64
	if len(s) > 10 {
		if c := s[10]; c != 'T' && c != 't' && c != ' ' {
			return bad()
		}
		var ok4, ok5, ok6 bool
		hour, ok4 = num(11, 2)
		minute, ok5 = num(14, 2)
		sec, ok6 = num(17, 2)
		if !ok4 || !ok5 || !ok6 || s[13] != ':' || s[16] != ':' || hour > 23 || minute > 59 || sec > 59 {
			return bad()
		}
		i := 19
		if i < len(s) && s[i] == '.' {
			i++
			start := i
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			n := i - start
			if n == 0 || n > 9 {
				return bad()
			}
			frac, _ = num(start, n)
			for ; n < 9; n++ {
				frac *= 10
			}
		}
		if i >= len(s) {
			return bad()
		}
		switch s[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			oh, okh := num(i+1, 2)
			om, okm := num(i+4, 2)
			if !okh || !okm || i+3 >= len(s) || s[i+3] != ':' || oh > 23 || om > 59 {
				return bad()
			}
			offset = oh*3600 + om*60
			if s[i] == '-' {
				offset = -offset
			}
			i += 6
		default:
			return bad()
		}
		if i != len(s) {
			return bad()
		}
	}
	secs := daysFromCivil(year, month, day)*86400 + hour*3600 + minute*60 + sec - offset
	// UnixNano must fit an int64 (years 1678 to 2262) and differ from frame.TimeMissing.
	const maxSec = math.MaxInt64 / 1_000_000_000 // 9223372036
	if secs < -maxSec || secs > maxSec || secs == maxSec && frac > math.MaxInt64%1_000_000_000 {
		return 0, fmt.Errorf("timestamp out of range (years 1678 to 2262): %q", s)
	}
	return secs*1_000_000_000 + frac, nil
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(year, month int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Value returns field i as the record holds it: a float64 (numeric), a string (categorical: the
// level, or UnknownLevel for a level not seen in training, whose text the record does not keep),
// a bool, a time.Time (UTC), or nil when the field is missing. It boxes its result, so it
// allocates: use it off the scoring hot path (reason codes, prediction logs).
func (r *Record) Value(i int) any {
	in := &r.t.inputs[i]
	switch in.kind {
	case frame.Numeric:
		if math.IsNaN(r.num[i]) {
			return nil
		}
		return r.num[i]
	case frame.Bool:
		if math.IsNaN(r.num[i]) {
			return nil
		}
		return r.num[i] == 1
	case frame.String:
		switch c := r.code[i]; c {
		case codeMissing:
			return nil
		case codeUnknown:
			return UnknownLevel
		default:
			return in.levels[c]
		}
	case frame.Time:
		if r.tm[i] == frame.TimeMissing {
			return nil
		}
		return time.Unix(0, r.tm[i]).UTC()
	}
	return nil
}
