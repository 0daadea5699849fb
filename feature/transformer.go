package feature

import (
	"fmt"
	"math"
	"slices"
	"time"

	"riskflow/frame"
)

// Input describes one raw input field of a Transformer: a slot of its Records.
type Input struct {
	Name string     `json:"name"`
	Kind frame.Kind `json:"kind"`          // Numeric, String (categorical), Bool or Time
	PII  bool       `json:"pii,omitempty"` // personal data: never log it in clear
}

// Output describes one column of the Transformer's output (one element of a Vector, one column
// of a Matrix).
type Output struct {
	Name          string   `json:"name"`
	Feature       string   `json:"feature"`                  // the spec feature it comes from
	Source        string   `json:"source"`                   // the raw field; an expression feature's own name
	Sources       []string `json:"sources"`                  // every raw field it is computed from
	Categorical   bool     `json:"categorical,omitempty"`    // native category codes: split on sets of codes
	NumCategories int      `json:"num_categories,omitempty"` // native: codes are 0..NumCategories-1
	Monotone      int      `json:"monotone,omitempty"`       // -1, 0, +1 constraint for tree training
}

// Matrix is a dense row-major matrix of feature values; NaN is missing.
type Matrix struct {
	Rows, Cols int
	Data       []float64 // len Rows*Cols; row i is Data[i*Cols:(i+1)*Cols]
	Names      []string  // len Cols: the output names
}

// Row returns row i (sharing storage).
func (m *Matrix) Row(i int) []float64 { return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols] }

// At returns the value at row i, column j.
func (m *Matrix) At(i, j int) float64 {
	if j < 0 || j >= m.Cols {
		panic(fmt.Sprintf("feature: column %d out of range for %d columns", j, m.Cols))
	}
	return m.Data[i*m.Cols+j]
}

// Transformer is a fitted feature spec. It turns frames (Transform) and single records (Vector)
// into feature values with the same code. It is immutable and safe for concurrent use; Records
// are not.
type Transformer struct {
	spec    Spec
	lay     *layout
	inputs  []input
	plans   []plan
	states  []state
	outputs []Output
	names   []string
	rows    int // training rows
}

// input is a raw input field with its training vocabulary (String inputs).
type input struct {
	inputDef
	levels []string         // every level seen in training, most frequent first
	lookup map[string]int32 // level → index in levels
}

// Record category codes besides the input vocabulary's indices.
const (
	codeMissing int32 = frame.Missing // -1
	codeUnknown int32 = -2            // a level not seen in training
)

// planKind selects the encoding code of a plan.
type planKind uint8

const (
	planNumeric planKind = iota // numeric and boolean
	planNative
	planOneHot
	planTable // frequency and target: a value per feature code
	planDatetime
)

// plan is one feature compiled for encode: everything encode needs, nothing it has to look up.
type plan struct {
	kind  planKind
	in    int      // input slot; -1 for expressions
	prog  *program // expression features
	out   int      // first output column
	width int      // output columns
	field string   // raw field (or expression feature) named in errors

	miss   missMode
	impute float64 // numeric and boolean replacement for missing values
	tr     trKind
	a, b   float64 // standardize: mean, std; clip: low, high

	k           int32   // categorical: kept levels; codes k and k+1 are __other__ and __unknown__
	remap       []int32 // input level → feature code
	imputeCode  int32   // feature code of the imputed level
	unknownCode int32   // feature code unknown levels map to
	unknownErr  bool
	otherCol    bool      // one-hot: the __other__ column exists
	table       []float64 // frequency and target encodings: value per feature code 0..k+1

	parts []part
	loc   *time.Location
}

// Spec returns a copy of the spec the transformer was fitted from.
func (t *Transformer) Spec() *Spec {
	s := t.spec.clone()
	s.Notes = nil
	return &s
}

// clone returns a deep copy of s.
func (s *Spec) clone() Spec {
	c := *s
	c.Features = slices.Clone(s.Features)
	for i := range c.Features {
		c.Features[i].Parts = slices.Clone(c.Features[i].Parts)
	}
	c.Notes = slices.Clone(s.Notes)
	return c
}

// Inputs returns the raw input fields, in Record slot order.
func (t *Transformer) Inputs() []Input {
	out := make([]Input, len(t.inputs))
	for i, in := range t.inputs {
		out[i] = Input{Name: in.name, Kind: in.kind, PII: in.pii}
	}
	return out
}

// InputIndex returns the Record slot of the named raw field.
func (t *Transformer) InputIndex(name string) (int, bool) {
	i, ok := t.lay.index[name]
	return i, ok
}

// Outputs returns the output columns, in order.
func (t *Transformer) Outputs() []Output {
	out := slices.Clone(t.outputs)
	for i := range out {
		out[i].Sources = slices.Clone(out[i].Sources)
	}
	return out
}

// Names returns the output column names, in order.
func (t *Transformer) Names() []string { return slices.Clone(t.names) }

// NumOutputs returns the number of output columns: the length of a Vector.
func (t *Transformer) NumOutputs() int { return len(t.names) }

// Vector appends the feature values of rec to dst and returns the extended slice. It is the
// online path and runs exactly the code Transform runs for each row of a frame. It allocates
// nothing when dst has room for NumOutputs more values. On error, dst is returned unextended.
// It panics if rec was made by another Transformer.
func (t *Transformer) Vector(dst []float64, rec *Record) ([]float64, error) {
	if rec.t != t {
		panic("feature: Vector: record belongs to another transformer")
	}
	n := len(dst)
	dst = slices.Grow(dst, len(t.names))[:n+len(t.names)]
	if err := t.encode(rec, dst[n:]); err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// encode computes every output from one record into dst (len NumOutputs). It is the one
// implementation of the per-feature work: Vector calls it for an online request, Transform for
// every row of a frame, so training and serving cannot disagree.
func (t *Transformer) encode(r *Record, dst []float64) error {
	for i := range t.plans {
		p := &t.plans[i]
		switch p.kind {
		case planNumeric:
			x := rawValue(r, p.prog, p.in)
			if x != x {
				switch p.miss {
				case missKeep:
				case missError:
					return p.missingError()
				default:
					x = p.impute
				}
			}
			if x = p.apply(x); x != x {
				x = math.NaN() // canonical missing, whichever operation produced it
			}
			dst[p.out] = x
		case planNative:
			c, err := p.code(r.code[p.in])
			if err != nil {
				return err
			}
			if c < 0 {
				dst[p.out] = math.NaN()
			} else {
				dst[p.out] = float64(c)
			}
		case planOneHot:
			c, err := p.code(r.code[p.in])
			if err != nil {
				return err
			}
			o := dst[p.out : p.out+p.width]
			clear(o)
			if c >= 0 && c < p.k || c == p.k && p.otherCol {
				o[c] = 1
			}
		case planTable:
			c, err := p.code(r.code[p.in])
			if err != nil {
				return err
			}
			if c < 0 {
				dst[p.out] = math.NaN()
			} else {
				dst[p.out] = p.table[c]
			}
		case planDatetime:
			o := dst[p.out : p.out+p.width]
			ns := r.tm[p.in]
			if ns == frame.TimeMissing {
				if p.miss == missError {
					return p.missingError()
				}
				for j := range o {
					o[j] = math.NaN()
				}
				continue
			}
			timeParts(o, ns, p.parts, p.loc)
		}
	}
	return nil
}

// rawValue is a numeric or boolean feature's value before imputation and transform: the input
// slot, or the expression over the record. Fit learns its statistics from the same function.
func rawValue(r *Record, prog *program, in int) float64 {
	if prog != nil {
		return prog.eval(r.num)
	}
	return r.num[in]
}

func (p *plan) missingError() error {
	return &FieldError{Field: p.field, Reason: "missing value (the spec says missing: error)"}
}

// apply applies the numeric transform. NaN stays NaN.
func (p *plan) apply(x float64) float64 {
	switch p.tr {
	case trLog1p:
		if x < 0 {
			return -math.Log1p(-x)
		}
		return math.Log1p(x)
	case trStandardize:
		return (x - p.a) / p.b
	case trClip:
		if x < p.a {
			return p.a
		}
		if x > p.b {
			return p.b
		}
	}
	return x
}

// code maps a record's input code to the feature's code: 0..k-1 a kept level, k __other__,
// k+1 __unknown__, -1 missing (kept missing).
func (p *plan) code(c int32) (int32, error) {
	switch {
	case c >= 0:
		return p.remap[c], nil
	case c == codeUnknown:
		if p.unknownErr {
			return 0, &FieldError{Field: p.field, Reason: "unknown category (the spec says unknown: error)"}
		}
		return p.unknownCode, nil
	}
	switch p.miss {
	case missKeep:
		return -1, nil
	case missError:
		return 0, p.missingError()
	}
	return p.imputeCode, nil
}

// timeParts writes the datetime parts of ns (UnixNano) as seen in loc.
func timeParts(o []float64, ns int64, parts []part, loc *time.Location) {
	tm := time.Unix(0, ns).In(loc)
	year, month, day := tm.Date()
	hour, minute, _ := tm.Clock()
	for j, pt := range parts {
		var v float64
		switch pt {
		case partHour:
			v = float64(hour)
		case partMinute:
			v = float64(minute)
		case partDayOfWeek:
			v = float64((int(tm.Weekday()) + 6) % 7) // Monday = 0
		case partDay:
			v = float64(day)
		case partMonth:
			v = float64(month)
		case partYear:
			v = float64(year)
		case partDayOfYear:
			v = float64(tm.YearDay())
		case partUnix:
			s := ns / 1_000_000_000
			if ns%1_000_000_000 < 0 {
				s-- // floor
			}
			v = float64(s)
		}
		o[j] = v
	}
}
