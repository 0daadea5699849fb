package feature

import (
	"errors"
	"fmt"
)

// FieldError reports a problem with one input field: a value of the wrong type, a missing value
// the spec does not allow, a non-finite number, an unknown category where the spec says
// `unknown: error`, a column absent from a frame, an unknown key in a strict record.
//
// Field is the raw input field's name (what a client sends). For an expression feature whose
// result is missing, Field is the feature's name.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("feature: field %q: %s", e.Field, e.Reason)
}

// SyntaxError reports malformed JSON input to Record.DecodeJSON.
type SyntaxError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // what was wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("feature: invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// ErrFormat is wrapped by every error ParseTransformer returns for a document that is not a
// valid riskflow transformer (wrong format name, unsupported version, inconsistent content).
var ErrFormat = errors.New("feature: invalid transformer document")

// ErrSpec is wrapped by every error ParseSpec and Spec.Validate return for an invalid spec.
var ErrSpec = errors.New("feature: invalid spec")

// specError is one problem in a spec, located by feature and, when known, by YAML line.
type specError struct {
	feature string // "" for top-level keys
	line    int    // 0 when unknown
	msg     string
}

func (e *specError) Error() string {
	s := "feature: spec"
	if e.line > 0 {
		s += fmt.Sprintf(": line %d", e.line)
	}
	if e.feature != "" {
		s += fmt.Sprintf(": feature %q", e.feature)
	}
	return s + ": " + e.msg
}

func (e *specError) Unwrap() error { return ErrSpec }
