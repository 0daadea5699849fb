package feature

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"riskflow/frame"
)

// The transformer document's format name and the version this package writes and reads.
const (
	FormatName    = "riskflow.transformer"
	FormatVersion = 1
)

// document is the JSON form of a Transformer: self-describing (format, version, the spec, the
// input schema with training vocabularies, each feature's fitted state, the output columns).
type document struct {
	Format   string     `json:"format"`
	Version  int        `json:"version"`
	Spec     *Spec      `json:"spec"`
	Rows     int        `json:"rows"` // training rows
	Inputs   []inputDoc `json:"inputs"`
	Features []state    `json:"features"`
	Outputs  []Output   `json:"outputs"`
}

type inputDoc struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"` // frame.Kind's name: numeric, string, boolean, timestamp
	PII    bool     `json:"pii,omitempty"`
	Levels []string `json:"levels,omitempty"` // string inputs: every training level, most frequent first
}

// MarshalJSON writes the transformer as a versioned document ("format": "riskflow.transformer",
// "version": 1) that ParseTransformer reads back into a transformer with bit-identical output.
func (t *Transformer) MarshalJSON() ([]byte, error) {
	doc := document{
		Format:   FormatName,
		Version:  FormatVersion,
		Spec:     t.Spec(),
		Rows:     t.rows,
		Inputs:   make([]inputDoc, len(t.inputs)),
		Features: t.states,
		Outputs:  t.outputs,
	}
	for i, in := range t.inputs {
		doc.Inputs[i] = inputDoc{Name: in.name, Kind: in.kind.String(), PII: in.pii, Levels: in.levels}
	}
	return json.Marshal(doc)
}

// UnmarshalJSON reads a transformer document like ParseTransformer, so a Transformer can be a
// field of a larger JSON document (a bundle).
func (t *Transformer) UnmarshalJSON(data []byte) error {
	p, err := ParseTransformer(data)
	if err != nil {
		return err
	}
	*t = *p
	return nil
}

// ParseTransformer reads a transformer document strictly: a wrong format name, an unsupported
// version, unknown keys, trailing data, an invalid spec and a fitted state, input schema or
// output list that does not match the spec are errors wrapping ErrFormat.
func ParseTransformer(data []byte) (*Transformer, error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	// Unmarshal also rejects anything but whitespace after the document.
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, &formatError{err}
	}
	if head.Format != FormatName {
		return nil, &formatError{fmt.Errorf("format %q, want %q", head.Format, FormatName)}
	}
	if head.Version != FormatVersion {
		return nil, &formatError{fmt.Errorf("version %d is not supported (this build reads version %d)", head.Version, FormatVersion)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc document
	if err := dec.Decode(&doc); err != nil {
		return nil, &formatError{err}
	}
	if doc.Spec == nil {
		return nil, &formatError{errors.New("no spec")}
	}
	if doc.Rows <= 0 {
		return nil, &formatError{fmt.Errorf("rows %d: want a positive number of training rows", doc.Rows)}
	}
	lay, err := doc.Spec.compile()
	if err != nil {
		return nil, &formatError{err}
	}
	if len(doc.Inputs) != len(lay.inputs) {
		return nil, &formatError{fmt.Errorf("%d inputs, the spec reads %d", len(doc.Inputs), len(lay.inputs))}
	}
	levels := make([][]string, len(doc.Inputs))
	for i, in := range doc.Inputs {
		want := lay.inputs[i]
		kind, err := frame.ParseKind(in.Kind)
		if err != nil || in.Name != want.name || kind != want.kind || in.PII != want.pii {
			return nil, &formatError{fmt.Errorf("input %d is %q %s (pii %v), the spec reads %q %s (pii %v)",
				i, in.Name, in.Kind, in.PII, want.name, want.kind, want.pii)}
		}
		levels[i] = in.Levels
		if kind == frame.String && levels[i] == nil {
			levels[i] = []string{}
		}
	}
	t, err := build(doc.Spec, lay, levels, doc.Features, doc.Rows)
	if err != nil {
		return nil, &formatError{err}
	}
	if !reflect.DeepEqual(normalizeOutputs(doc.Outputs), normalizeOutputs(t.outputs)) {
		return nil, &formatError{errors.New("the outputs listed do not match the spec and fitted state")}
	}
	return t, nil
}

func normalizeOutputs(outs []Output) []Output {
	outs = append([]Output{}, outs...)
	for i := range outs {
		if outs[i].Sources == nil {
			outs[i].Sources = []string{}
		}
	}
	return outs
}

// formatError is an invalid transformer document: it wraps ErrFormat and the cause.
type formatError struct{ err error }

func (e *formatError) Error() string {
	return ErrFormat.Error() + ": " + strings.TrimPrefix(e.err.Error(), "feature: ")
}

func (e *formatError) Unwrap() []error { return []error{ErrFormat, e.err} }
