package serve

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"riskflow/bundle"
	"riskflow/feature"
	"riskflow/frame"
)

// model is one loaded, immutable version of a model: a bundle, its version label, what the
// request path needs precomputed, and a pool of the bundle's Records.
type model struct {
	name    string // the model's name
	version string // the version label responses name
	key     string // the Ref.Key it was loaded from
	b       *bundle.Bundle
	inputs  []feature.Input
	pii     []bool         // by input slot
	index   map[string]int // input name → slot
	idField string         // the spec's id field ("" for none), logged with the inputs
	label   string         // the spec's label field ("" for none)
	strict  bool           // the spec refuses unknown fields
	loaded  time.Time
	vm      *versionMetrics

	recs sync.Pool // *feature.Record of this bundle
}

// newModel wraps a verified bundle.
func newModel(name string, ref Ref, b *bundle.Bundle, m *metrics) (*model, error) {
	ver := ref.Version
	if ver == "" {
		ver = versionOf(b)
	}
	if ver == "" {
		return nil, errors.New("bundle has no digest and the source gave no version")
	}
	spec := b.Transformer.Spec()
	md := &model{
		name:    name,
		version: ver,
		key:     ref.Key,
		b:       b,
		inputs:  b.Transformer.Inputs(),
		idField: spec.ID,
		label:   spec.Label,
		strict:  spec.Strict,
		loaded:  time.Now(),
	}
	md.pii = make([]bool, len(md.inputs))
	md.index = make(map[string]int, len(md.inputs))
	for i, in := range md.inputs {
		md.pii[i] = in.PII
		md.index[in.Name] = i
	}
	md.recs.New = func() any { return b.NewRecord() }
	if err := md.verify(); err != nil {
		return nil, err
	}
	md.vm = m.forVersion(name, ver)
	return md, nil
}

// versionOf is a bundle's default version label: its digest's first 12 hex digits.
func versionOf(b *bundle.Bundle) string {
	d := b.Digest()
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// verify scores an empty record: a bundle that cannot score (or panics) is not swapped in. A
// *feature.FieldError is fine: the spec may require fields.
func (md *model) verify() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("verify: scoring panicked: %v", r)
		}
	}()
	rec := md.getRecord()
	defer md.recs.Put(rec)
	if _, err := md.b.Score(rec); err != nil {
		var fe *feature.FieldError
		if !errors.As(err, &fe) {
			return fmt.Errorf("verify: %w", err)
		}
	}
	return nil
}

// getRecord returns a record of the model's bundle; its contents are undefined until decoded
// into (DecodeJSONObject resets it) or Reset.
func (md *model) getRecord() *feature.Record { return md.recs.Get().(*feature.Record) }

// slot returns the input slot of a field, or -1.
func (md *model) slot(name string) int {
	if i, ok := md.index[name]; ok {
		return i
	}
	return -1
}

// slotOf is slot for a name in bytes; the map lookup does not allocate.
func (md *model) slotOf(name []byte) int {
	if i, ok := md.index[string(name)]; ok {
		return i
	}
	return -1
}

// v2Datatype is the Open Inference Protocol datatype of an input kind.
func v2Datatype(k frame.Kind) string {
	switch k {
	case frame.Numeric:
		return "FP64"
	case frame.Bool:
		return "BOOL"
	}
	return "BYTES" // categorical values and RFC 3339 timestamps
}

// entry is one named model in a snapshot: its champion, its optional challenger and how the
// challenger takes traffic, and its queue (which outlives versions).
type entry struct {
	name       string
	champion   *model // nil until a version has loaded
	challenger *model
	route      Route
	canaryKey  string
	limits     Limits
	q          *queue
}

// ready reports whether the model can answer.
func (e *entry) ready() bool { return e.champion != nil }

// modelSet is an immutable snapshot of the served models, swapped atomically on reload.
type modelSet struct {
	entries map[string]*entry
	names   []string // sorted
	ready   bool     // every listed model has a champion
	loaded  bool     // a Reload has listed the models (false in New's empty snapshot)
}

func (set *modelSet) lookup(name string) *entry {
	if set == nil {
		return nil
	}
	return set.entries[name]
}

// Descriptions, for /v1/models and the command's startup lines.

// ModelStatus describes a served model.
type ModelStatus struct {
	Name       string          `json:"name"`
	Ready      bool            `json:"ready"`
	Version    string          `json:"model_version,omitempty"`
	Platform   string          `json:"platform"`
	ModelType  string          `json:"model_type,omitempty"`
	CreatedAt  *time.Time      `json:"created_at,omitempty"`
	LoadedAt   *time.Time      `json:"loaded_at,omitempty"`
	Challenger *VersionStatus  `json:"challenger,omitempty"`
	Inputs     []feature.Input `json:"inputs,omitempty"` // in CSV column order
}

// VersionStatus describes a challenger.
type VersionStatus struct {
	Version string  `json:"model_version"`
	Mode    string  `json:"mode"`
	Percent float64 `json:"percent,omitempty"`
	Key     string  `json:"key,omitempty"`
}

const platform = "riskflow"

func (e *entry) status(withInputs bool) ModelStatus {
	st := ModelStatus{Name: e.name, Ready: e.ready(), Platform: platform}
	if c := e.champion; c != nil {
		st.Version = c.version
		st.ModelType = c.b.Meta.ModelType
		if !c.b.Meta.CreatedAt.IsZero() {
			t := c.b.Meta.CreatedAt
			st.CreatedAt = &t
		}
		t := c.loaded
		st.LoadedAt = &t
		if withInputs {
			st.Inputs = c.inputs
		}
	}
	if ch := e.challenger; ch != nil {
		st.Challenger = &VersionStatus{Version: ch.version, Mode: e.route.Mode.String()}
		if e.route.Mode == ModeCanary {
			st.Challenger.Percent = e.route.Percent
			st.Challenger.Key = e.canaryKey
		}
	}
	return st
}

// v2Metadata is the Open Inference Protocol model metadata document.
type v2Metadata struct {
	Name     string     `json:"name"`
	Versions []string   `json:"versions"`
	Platform string     `json:"platform"`
	Inputs   []v2Tensor `json:"inputs"`
	Outputs  []v2Tensor `json:"outputs"`
}

type v2Tensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// v2Meta describes md; versions lists the model's served versions (champion first).
func (md *model) v2Meta(versions []string) v2Metadata {
	meta := v2Metadata{Name: md.name, Versions: versions, Platform: platform,
		Outputs: []v2Tensor{{Name: "probability", Datatype: "FP64", Shape: []int{-1}}}}
	for _, in := range md.inputs {
		meta.Inputs = append(meta.Inputs, v2Tensor{Name: in.Name, Datatype: v2Datatype(in.Kind), Shape: []int{-1}})
	}
	return meta
}

// versions lists the entry's loaded versions, champion first.
func (e *entry) versions() []string {
	var vs []string
	if e.champion != nil {
		vs = append(vs, e.champion.version)
	}
	if e.challenger != nil && (e.champion == nil || e.challenger.version != e.champion.version) {
		vs = append(vs, e.challenger.version)
	}
	return vs
}

// byVersion returns the entry's loaded version named v, or nil.
func (e *entry) byVersion(v string) *model {
	switch {
	case e.champion != nil && e.champion.version == v:
		return e.champion
	case e.challenger != nil && e.challenger.version == v:
		return e.challenger
	}
	return nil
}
