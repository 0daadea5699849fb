package feature

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"riskflow/frame"
)

// layout is a validated spec compiled for fitting and encoding: the raw inputs the features
// read, and each feature's parsed policies.
type layout struct {
	inputs []inputDef
	index  map[string]int // input name → slot
	feats  []featDef
	loc    *time.Location // datetime parts are computed in this zone
}

// inputDef is one raw input field.
type inputDef struct {
	name       string
	kind       frame.Kind
	pii        bool
	unknownErr bool // some categorical feature reading it rejects unknown levels
}

// featDef is one feature with its parsed policies.
type featDef struct {
	def      Def
	in       int       // input slot; -1 for an expression feature
	expr     *exprNode // expression features
	prog     *program
	refs     []string // raw fields an expression reads
	miss     missing
	tr       transform
	enc      Encoding
	maxCats  int
	unknown  unknownMode
	smooth   float64
	parts    []part
	monotone int
}

// Validate checks the spec: types, encodings, transforms, missing policies, monotone
// constraints, expressions and the fields they reference, duplicate names, the timezone. It
// reports every problem it finds, each naming its feature, joined with errors.Join; each wraps
// ErrSpec.
func (s *Spec) Validate() error {
	_, err := s.compile()
	return err
}

// compile validates the spec and builds its layout.
func (s *Spec) compile() (*layout, error) {
	var errs []error
	// fail records a problem of feature i (-1: the spec's top level).
	fail := func(i int, format string, args ...any) {
		e := &specError{msg: fmt.Sprintf(format, args...)}
		if i >= 0 {
			d := &s.Features[i]
			e.feature, e.line = d.Name, d.line
			if d.Name == "" {
				e.feature = fmt.Sprintf("#%d", i+1)
			}
		}
		errs = append(errs, e)
	}
	lay := &layout{index: make(map[string]int), loc: time.UTC}

	if s.ID != "" && s.ID == s.Label {
		fail(-1, "id and label are both %q", s.ID)
	}
	if s.Positive != "" && s.Label == "" {
		fail(-1, "positive %q needs a label", s.Positive)
	}
	if s.Timezone != "" {
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			fail(-1, "timezone %q: %v", s.Timezone, err)
		} else {
			lay.loc = loc
		}
	}
	if len(s.Features) == 0 {
		fail(-1, "no features")
	}
	reserved := func(i int, what, name string) bool {
		switch {
		case name == "":
			return false
		case name == s.ID:
			fail(i, "%s %q is the id column, which is never a feature", what, name)
		case name == s.Label:
			fail(i, "%s %q is the label column, which is never a feature", what, name)
		default:
			return false
		}
		return true
	}

	// Pass 1: each feature on its own; declared input kinds.
	names := make(map[string]bool)
	declared := make(map[string]Type) // raw field → type of the first non-expression feature reading it
	lay.feats = make([]featDef, len(s.Features))
	for i := range s.Features {
		d := &s.Features[i]
		fd := &lay.feats[i]
		fd.def = *d
		fd.in = -1
		switch {
		case d.Name == "":
			fail(i, "name is empty")
		case strings.ContainsFunc(d.Name, func(r rune) bool { return r < ' ' || r == 0x7f }):
			fail(i, "name contains a control character")
		case names[d.Name]:
			fail(i, "duplicate feature name")
		}
		names[d.Name] = true
		switch d.Type {
		case Numeric, Categorical, Boolean, Datetime:
		case "":
			fail(i, "type is missing (want numeric, categorical, boolean or datetime)")
			continue
		default:
			fail(i, "type %q: want numeric, categorical, boolean or datetime", d.Type)
			continue
		}
		if d.Expr == "" {
			reserved(i, "field", d.source())
		}
		if d.Expr != "" {
			if d.Type != Numeric {
				fail(i, "expr needs type numeric, not %s", d.Type)
			}
			if d.Source != "" {
				fail(i, "expr and source are exclusive")
			}
			n, err := parseExpr(d.Expr)
			if err != nil {
				fail(i, "%v", err)
			} else {
				fd.expr = n
				fd.refs = n.refs()
				if len(fd.refs) == 0 {
					fail(i, "expr reads no fields")
				}
				for _, r := range fd.refs {
					reserved(i, "expr field", r)
				}
			}
		} else if t, ok := declared[d.source()]; ok && t != d.Type {
			fail(i, "field %q is read as %s here and as %s by another feature", d.source(), d.Type, t)
		} else if !ok {
			declared[d.source()] = d.Type
		}
		var err error
		if fd.miss, err = parseMissing(d.Missing, d.Type); err != nil {
			fail(i, "%v", err)
		}
		if fd.tr, err = parseTransform(d.Transform); err != nil {
			fail(i, "%v", err)
		} else if fd.tr.kind != trNone && d.Type != Numeric {
			fail(i, "transform %q applies to numeric features only", d.Transform)
		}
		switch d.Monotone {
		case 0:
		case -1, 1:
			if d.Type != Numeric && d.Type != Boolean {
				fail(i, "monotone applies to numeric and boolean features only")
			}
		default:
			fail(i, "monotone %d: want -1, 0 or +1", d.Monotone)
		}
		fd.monotone = d.Monotone
		if d.Type == Categorical {
			fd.enc = d.Encoding
			switch d.Encoding {
			case "":
				fd.enc = Native
			case Native, OneHot, Frequency, Target:
			default:
				fail(i, "encoding %q: want native, onehot, frequency or target", d.Encoding)
			}
			fd.maxCats = d.MaxCategories
			switch {
			case d.MaxCategories == 0:
				fd.maxCats = DefaultMaxCategories
			case d.MaxCategories < 0 || d.MaxCategories > 1<<20:
				fail(i, "max_categories %d: want 1 to %d", d.MaxCategories, 1<<20)
			}
			if fd.unknown, err = parseUnknown(d.Unknown); err != nil {
				fail(i, "%v", err)
			}
			fd.smooth = d.Smoothing
			switch {
			case d.Smoothing != 0 && fd.enc != Target:
				fail(i, "smoothing applies to target encoding only")
			case d.Smoothing < 0 || math.IsNaN(d.Smoothing) || math.IsInf(d.Smoothing, 0):
				fail(i, "smoothing %v: want a positive number", d.Smoothing)
			case d.Smoothing == 0:
				fd.smooth = DefaultSmoothing
			}
			if fd.enc == Target && s.Label == "" {
				fail(i, "target encoding needs the spec's label")
			}
		} else {
			if d.Encoding != "" {
				fail(i, "encoding applies to categorical features only")
			}
			if d.MaxCategories != 0 {
				fail(i, "max_categories applies to categorical features only")
			}
			if d.Unknown != "" {
				fail(i, "unknown applies to categorical features only")
			}
			if d.Smoothing != 0 {
				fail(i, "smoothing applies to target-encoded categorical features only")
			}
		}
		if d.Type == Datetime {
			parts := d.Parts
			if len(parts) == 0 {
				parts = defaultParts
			}
			for _, ps := range parts {
				p, ok := parsePart(ps)
				switch {
				case !ok:
					fail(i, "part %q: want one of %s", ps, strings.Join(partNames[:], ", "))
				case slices.Contains(fd.parts, p):
					fail(i, "part %q listed twice", ps)
				default:
					fd.parts = append(fd.parts, p)
				}
			}
		} else if len(d.Parts) > 0 {
			fail(i, "parts apply to datetime features only")
		}
	}

	// Pass 2: inputs, in order of first use.
	addInput := func(name string, kind frame.Kind) int {
		if i, ok := lay.index[name]; ok {
			return i
		}
		lay.index[name] = len(lay.inputs)
		lay.inputs = append(lay.inputs, inputDef{name: name, kind: kind})
		return len(lay.inputs) - 1
	}
	for i := range lay.feats {
		fd := &lay.feats[i]
		d := &fd.def
		if d.Expr == "" {
			if kind, ok := typeKind(d.Type); ok {
				fd.in = addInput(d.source(), kind)
			}
			continue
		}
		if fd.expr == nil {
			continue
		}
		bad := false
		for _, r := range fd.refs {
			kind := frame.Numeric
			if t, ok := declared[r]; ok {
				if t != Numeric && t != Boolean {
					fail(i, "expr reads field %q, which is %s; expressions read numeric and boolean fields only", r, t)
					bad = true
					continue
				}
				kind, _ = typeKind(t)
			}
			addInput(r, kind)
		}
		if bad {
			continue
		}
		prog, err := fd.expr.compile(func(name string) int { return lay.index[name] })
		if err != nil {
			fail(i, "%v", err)
		}
		fd.prog = prog
	}
	for _, fd := range lay.feats {
		mark := func(name string) {
			if i, ok := lay.index[name]; ok {
				in := &lay.inputs[i]
				in.pii = in.pii || fd.def.PII
				in.unknownErr = in.unknownErr || fd.def.Type == Categorical && fd.unknown == unknownError
			}
		}
		if fd.def.Expr != "" {
			for _, r := range fd.refs {
				mark(r)
			}
		} else {
			mark(fd.def.source())
		}
	}

	// Output names known before fitting (one-hot names are checked by Fit).
	outs := make(map[string]string)
	for i, fd := range lay.feats {
		if fd.def.Type == Categorical && fd.enc == OneHot {
			continue
		}
		for _, n := range fd.outputNames() {
			if other, dup := outs[n]; dup && other != fd.def.Name {
				fail(i, "output %q is also an output of feature %q", n, other)
			}
			outs[n] = fd.def.Name
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lay, nil
}

// outputNames returns the output names of a feature whose outputs do not depend on fitting.
func (fd *featDef) outputNames() []string {
	if fd.def.Type != Datetime {
		return []string{fd.def.Name}
	}
	out := make([]string, len(fd.parts))
	for i, p := range fd.parts {
		out[i] = fd.def.Name + "_" + partNames[p]
	}
	return out
}

// typeKind returns the frame kind a feature type reads.
func typeKind(t Type) (frame.Kind, bool) {
	switch t {
	case Numeric:
		return frame.Numeric, true
	case Categorical:
		return frame.String, true
	case Boolean:
		return frame.Bool, true
	case Datetime:
		return frame.Time, true
	}
	return 0, false
}
