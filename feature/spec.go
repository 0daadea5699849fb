package feature

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"riskflow/frame"
)

// Type is a feature's type: what kind of raw value it reads and how it is encoded.
type Type string

// The feature types.
const (
	Numeric     Type = "numeric"     // a float64 (or an expression over numeric and boolean fields)
	Categorical Type = "categorical" // a string level, encoded by Encoding
	Boolean     Type = "boolean"     // true/false, encoded 1/0
	Datetime    Type = "datetime"    // a timestamp, encoded as calendar parts
)

// Encoding is how a categorical feature becomes numbers.
type Encoding string

// The categorical encodings.
const (
	Native    Encoding = "native"    // one column of category codes 0..K+1; trees split on sets of codes
	OneHot    Encoding = "onehot"    // one 0/1 column per kept level (and __other__ when levels were folded)
	Frequency Encoding = "frequency" // the level's share of the training rows
	Target    Encoding = "target"    // the smoothed mean label of the level's training rows
)

// Reserved level names of a categorical feature's vocabulary.
const (
	OtherLevel   = "__other__"   // training levels beyond max_categories
	UnknownLevel = "__unknown__" // levels never seen in training
)

// Defaults applied when a spec leaves a key out.
const (
	DefaultMaxCategories = 50 // max_categories
	DefaultSmoothing     = 10 // smoothing (m) of target encoding
	DefaultFolds         = 5  // out-of-fold folds of target encoding in FitTransform
)

// defaultParts are the datetime parts used when a datetime feature lists none.
var defaultParts = []string{"hour", "dayofweek", "month"}

// Spec is a feature spec: which raw fields become which model inputs, and how. It is written by
// hand or by Infer, read by ParseSpec and checked by Validate. The YAML keys are the json tags.
type Spec struct {
	ID       string `json:"id,omitempty"`       // identifier column: passed through, never a feature
	Label    string `json:"label,omitempty"`    // label column: never a feature; needed by target encoding
	Positive string `json:"positive,omitempty"` // for a string label: the level that counts as 1
	Timezone string `json:"timezone,omitempty"` // IANA zone for datetime parts; "" means UTC
	Strict   bool   `json:"strict,omitempty"`   // reject unknown fields in online records
	Features []Def  `json:"features"`

	// Notes are written as comments at the top of the YAML by MarshalYAML (Infer explains the
	// columns it left out here). They are not read back.
	Notes []string `json:"-"`
}

// Def defines one feature. Name is the feature's (and by default its raw field's) name; the
// other keys are described in the package documentation.
type Def struct {
	Name          string   `json:"name"`
	Type          Type     `json:"type"`
	Source        string   `json:"source,omitempty"`         // raw field to read; default Name
	Expr          string   `json:"expr,omitempty"`           // numeric only: expression over raw fields
	Missing       string   `json:"missing,omitempty"`        // median|mean|zero|mode|constant:<v>|keep|error
	Transform     string   `json:"transform,omitempty"`      // none|log1p|standardize|clip(pA,pB)
	Monotone      int      `json:"monotone,omitempty"`       // -1, 0, +1 (numeric and boolean)
	Encoding      Encoding `json:"encoding,omitempty"`       // categorical: native|onehot|frequency|target
	MaxCategories int      `json:"max_categories,omitempty"` // categorical: levels kept; 0 means 50
	Unknown       string   `json:"unknown,omitempty"`        // categorical: unknown (default)|other|error
	Smoothing     float64  `json:"smoothing,omitempty"`      // target encoding: m; 0 means 10
	Parts         []string `json:"parts,omitempty"`          // datetime: parts to emit
	PII           bool     `json:"pii,omitempty"`            // the raw field is personal data

	line int // YAML line of the definition, 0 if unknown
}

// source returns the raw field the feature reads (for non-expression features).
func (d *Def) source() string {
	if d.Source != "" {
		return d.Source
	}
	return d.Name
}

// missMode is a parsed `missing:` policy.
type missMode uint8

const (
	missKeep     missMode = iota // leave missing: NaN (trees route it)
	missError                    // a missing value is an error
	missMedian                   // numeric, boolean: training median
	missMean                     // numeric, boolean: training mean
	missZero                     // numeric, boolean: 0
	missConstant                 // numeric, boolean, categorical: a given value or level
	missFrequent                 // categorical: the most frequent training level
)

// missing is a parsed `missing:` policy with its constant, if any.
type missing struct {
	mode  missMode
	value float64 // missConstant of numeric and boolean features
	level string  // missConstant of categorical features
}

// imputes reports whether the policy replaces missing values (with a value fitted or given).
func (m missing) imputes() bool {
	return m.mode >= missMedian
}

func parseMissing(s string, typ Type) (missing, error) {
	if rest, ok := strings.CutPrefix(s, "constant:"); ok {
		switch typ {
		case Numeric:
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return missing{}, fmt.Errorf("missing %q: the constant must be a finite number", s)
			}
			return missing{mode: missConstant, value: v}, nil
		case Boolean:
			b, ok := parseBoolText([]byte(strings.TrimSpace(rest)))
			if !ok {
				return missing{}, fmt.Errorf("missing %q: the constant must be true or false", s)
			}
			return missing{mode: missConstant, value: b}, nil
		case Categorical:
			if rest == "" {
				return missing{}, fmt.Errorf("missing %q: the constant level is empty", s)
			}
			return missing{mode: missConstant, level: rest}, nil
		}
		return missing{}, fmt.Errorf("missing %q: a %s feature can only keep or reject missing values", s, typ)
	}
	var m missing
	switch s {
	case "", "keep":
		m.mode = missKeep
	case "error":
		m.mode = missError
	case "median":
		m.mode = missMedian
	case "mean":
		m.mode = missMean
	case "zero":
		m.mode = missZero
	case "mode":
		m.mode = missFrequent
	default:
		return missing{}, fmt.Errorf("missing %q: want median, mean, zero, mode, constant:<v>, keep or error", s)
	}
	ok := true
	switch typ {
	case Numeric, Boolean:
		ok = m.mode != missFrequent
	case Categorical:
		ok = m.mode <= missError || m.mode == missFrequent
	case Datetime:
		ok = m.mode <= missError
	}
	if !ok {
		return missing{}, fmt.Errorf("missing %q does not apply to a %s feature", s, typ)
	}
	return m, nil
}

// trKind is a parsed `transform:`.
type trKind uint8

const (
	trNone trKind = iota
	trLog1p
	trStandardize
	trClip
)

type transform struct {
	kind     trKind
	plo, phi float64 // clip: percentiles in [0, 100]
}

func parseTransform(s string) (transform, error) {
	switch s {
	case "", "none":
		return transform{kind: trNone}, nil
	case "log1p":
		return transform{kind: trLog1p}, nil
	case "standardize":
		return transform{kind: trStandardize}, nil
	}
	inner, ok := strings.CutPrefix(s, "clip(")
	if ok {
		inner, ok = strings.CutSuffix(inner, ")")
	}
	if ok {
		lo, hi, found := strings.Cut(inner, ",")
		plo, err1 := parsePercentile(lo)
		phi, err2 := parsePercentile(hi)
		if found && err1 == nil && err2 == nil && plo < phi {
			return transform{kind: trClip, plo: plo, phi: phi}, nil
		}
		return transform{}, fmt.Errorf("transform %q: want clip(pLO,pHI) with 0 <= LO < HI <= 100, e.g. clip(p01,p99)", s)
	}
	return transform{}, fmt.Errorf("transform %q: want none, log1p, standardize or clip(pLO,pHI)", s)
}

// parsePercentile parses "p01", "p99", "p99.5" into a number in [0, 100].
func parsePercentile(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num, ok := strings.CutPrefix(s, "p")
	if !ok || num == "" || num[0] < '0' || num[0] > '9' {
		return 0, fmt.Errorf("percentile %q: want pNN", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || v > 100 {
		return 0, fmt.Errorf("percentile %q: want a number from 0 to 100", s)
	}
	return v, nil
}

// part is a datetime part.
type part uint8

const (
	partHour part = iota
	partMinute
	partDayOfWeek
	partDay
	partMonth
	partYear
	partDayOfYear
	partUnix
)

var partNames = [...]string{"hour", "minute", "dayofweek", "day", "month", "year", "dayofyear", "unix"}

func parsePart(s string) (part, bool) {
	for i, n := range partNames {
		if n == s {
			return part(i), true
		}
	}
	return 0, false
}

// unknownMode is a parsed `unknown:` policy of a categorical feature.
type unknownMode uint8

const (
	unknownLevel unknownMode = iota // map to __unknown__ (default)
	unknownOther                    // map to __other__
	unknownError                    // reject the record
)

func parseUnknown(s string) (unknownMode, error) {
	switch s {
	case "", "unknown":
		return unknownLevel, nil
	case "other":
		return unknownOther, nil
	case "error":
		return unknownError, nil
	}
	return 0, fmt.Errorf("unknown %q: want unknown, other or error", s)
}

// Kinds returns the column kinds the spec's raw inputs (and its id column) are read as, so that
// a data file is parsed the way the spec expects whatever its first rows look like. Expression
// features read no column of their own.
func (s *Spec) Kinds() map[string]frame.Kind {
	kinds := make(map[string]frame.Kind)
	for _, d := range s.Features {
		if d.Expr != "" {
			continue
		}
		name := d.Name
		if d.Source != "" {
			name = d.Source
		}
		switch d.Type {
		case Categorical:
			kinds[name] = frame.String
		case Boolean:
			kinds[name] = frame.Bool
		case Datetime:
			kinds[name] = frame.Time
		case Numeric:
			kinds[name] = frame.Numeric
		}
	}
	if s.ID != "" {
		kinds[s.ID] = frame.String
	}
	return kinds
}
