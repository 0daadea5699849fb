package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"riskflow/calibrate"
	"riskflow/feature"
	"riskflow/gbt"
	"riskflow/internal/version"
	"riskflow/linear"
	"riskflow/nn"
)

// Document format name and version.
const (
	FormatName    = "riskflow.bundle"
	FormatVersion = 1
)

// Model types recorded in Metadata.ModelType.
const (
	TypeGBDT     = "gbdt"
	TypeLogistic = "logistic"
	TypeNN       = "nn" // a network imported from ONNX (see package nn)
)

// DataInfo describes a data set a bundle was trained or validated on.
type DataInfo struct {
	Path        string  `json:"path,omitempty"`
	SHA256      string  `json:"sha256,omitempty"` // of the file's bytes
	Rows        int     `json:"rows"`
	Positives   int     `json:"positives"`
	DefaultRate float64 `json:"default_rate"`
}

// Metadata describes how a bundle was made.
type Metadata struct {
	Name          string             `json:"name,omitempty"`
	ModelType     string             `json:"model_type"`
	CreatedAt     time.Time          `json:"created_at"`
	Riskflow      version.Info       `json:"riskflow"`
	Label         string             `json:"label,omitempty"`
	Positive      string             `json:"positive,omitempty"` // the label value that means default, if not 1/true
	Params        json.RawMessage    `json:"params,omitempty"`
	Training      DataInfo           `json:"training"`
	Validation    *DataInfo          `json:"validation,omitempty"`
	Metrics       map[string]float64 `json:"metrics,omitempty"` // validation metrics
	BestIteration int                `json:"best_iteration,omitempty"`
	TrainSeconds  float64            `json:"train_seconds,omitempty"`
	InputSchema   []feature.Input    `json:"input_schema,omitempty"` // filled by Encode
}

// Bundle is a complete, servable model. Build one with New, or read one with Read or Decode.
// A Bundle is safe for concurrent use.
type Bundle struct {
	Meta        Metadata
	Transformer *feature.Transformer
	GBT         *gbt.Ensemble         // set for tree models
	Linear      *linear.Model         // set for logistic regression
	NN          *nn.Graph             // set for a network (see NewNN)
	Calibrator  *calibrate.Calibrator // nil: no calibration

	est      estimator
	digest   string // SHA-256 of the payload, when read from a file
	scratch  scratchPool
	explains bool     // the estimator gives reason codes (not a network)
	groups   []int    // output column → input slot, for reason codes
	fields   []string // input slot → raw field name
}

// New checks that the parts fit together (the estimator takes the transformer's outputs) and
// returns a bundle ready to score.
func New(meta Metadata, t *feature.Transformer, g *gbt.Ensemble, l *linear.Model, c *calibrate.Calibrator) (*Bundle, error) {
	b := &Bundle{Meta: meta, Transformer: t, GBT: g, Linear: l, Calibrator: c}
	if err := b.init(); err != nil {
		return nil, err
	}
	return b, nil
}

// NewNN is New for a network (an nn.Graph, e.g. imported from ONNX): the transformer's
// outputs are its input row. The transformer must impute every feature (a network takes no missing
// values): a feature whose missing policy is keep, unless one-hot encoded, is an error. Explain on such a bundle returns the probability and no reason
// codes: a network has no exact additive attribution that riskflow would stand behind
// (gradient×input and the like are approximations), so it gives none rather than a misleading
// one.
func NewNN(meta Metadata, t *feature.Transformer, g *nn.Graph, c *calibrate.Calibrator) (*Bundle, error) {
	b := &Bundle{Meta: meta, Transformer: t, NN: g, Calibrator: c}
	if err := b.init(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Bundle) init() error {
	if b.Transformer == nil {
		return errors.New("bundle: no transformer")
	}
	n := 0
	for _, set := range []bool{b.GBT != nil, b.Linear != nil, b.NN != nil} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return errors.New("bundle: more than one estimator")
	case b.GBT != nil:
		b.est = treeEstimator{b.GBT}
	case b.Linear != nil:
		b.est = linearEstimator{b.Linear}
	case b.NN != nil:
		b.est = nnEstimator{b.NN}
	default:
		return errors.New("bundle: no estimator")
	}
	if got, want := b.est.numFeatures(), b.Transformer.NumOutputs(); got != want {
		return fmt.Errorf("bundle: the model takes %d features, the transformer makes %d", got, want)
	}
	if b.NN != nil {
		if err := imputesAll(b.Transformer); err != nil {
			return err
		}
	}
	if b.Calibrator != nil {
		if err := b.Calibrator.Validate(); err != nil {
			return fmt.Errorf("bundle: calibrator: %w", err)
		}
	}
	inputs := b.Transformer.Inputs()
	b.fields = make([]string, len(inputs))
	for i, in := range inputs {
		b.fields[i] = in.Name
	}
	outs := b.Transformer.Outputs()
	b.groups = make([]int, len(outs))
	for j, o := range outs {
		slot, ok := b.Transformer.InputIndex(o.Source)
		if !ok {
			// An expression feature: it is its own group, reported under its own name.
			slot = len(b.fields)
			b.fields = append(b.fields, o.Source)
		}
		b.groups[j] = slot
	}
	b.explains = b.NN == nil
	b.scratch.init(b)
	return nil
}

// imputesAll checks that no transformer output can be missing (NaN): a network, unlike trees,
// has no way to route a missing value, so its bundle is refused here rather than scoring NaN at
// request time. A feature can be missing when its policy is keep (the default), unless it is
// one-hot encoded (a missing level is all zeros); error rejects the record instead.
func imputesAll(t *feature.Transformer) error {
	for _, d := range t.Spec().Features {
		if d.Missing != "" && d.Missing != "keep" {
			continue
		}
		if d.Type == feature.Categorical && d.Encoding == feature.OneHot {
			continue
		}
		return fmt.Errorf("bundle: feature %q may be missing (missing: keep) and a network takes no missing values; set missing: median, mean, zero, mode, constant:<v> or error", d.Name)
	}
	return nil
}

// Digest returns the SHA-256 (hex) of the bundle's payload when it was read from a file or
// encoded, and "" otherwise.
func (b *Bundle) Digest() string { return b.digest }

// document is the JSON payload of a bundle file, as Encode writes it (decodePayload reads it).
type document struct {
	Format      string                `json:"format"`
	Version     int                   `json:"version"`
	Metadata    Metadata              `json:"metadata"`
	Transformer *feature.Transformer  `json:"transformer"`
	GBT         *gbt.Ensemble         `json:"gbt,omitempty"`
	Linear      *linear.Model         `json:"linear,omitempty"`
	NN          *nn.Graph             `json:"nn,omitempty"`
	Calibrator  *calibrate.Calibrator `json:"calibrator,omitempty"`
}

// Encode writes b as a bundle file (header and payload) to w.
func Encode(w io.Writer, b *Bundle) error {
	meta := b.Meta
	meta.InputSchema = b.Transformer.Inputs()
	payload, err := json.Marshal(document{
		Format: FormatName, Version: FormatVersion, Metadata: meta,
		Transformer: b.Transformer, GBT: b.GBT, Linear: b.Linear, NN: b.NN, Calibrator: b.Calibrator,
	})
	if err != nil {
		return fmt.Errorf("bundle: encode: %w", err)
	}
	if err := writeContainer(w, payload); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// Decode reads a bundle file from r, verifying its checksum and every part.
func Decode(r io.Reader) (*Bundle, error) {
	payload, digest, free, err := readContainer(r)
	if err != nil {
		return nil, err
	}
	defer free()
	b, err := decodePayload(payload)
	if err != nil {
		return nil, err
	}
	b.digest = digest
	return b, nil
}
