package linear

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Model is a fitted logistic regression on the raw feature scale: margin = Intercept +
// Σⱼ Weights[j]·x[j], probability = sigmoid(margin). Means holds the training mean of each
// feature, the baseline of Contributions. A Model is immutable after Train or decoding and
// safe for concurrent use.
type Model struct {
	Weights      []float64 `json:"weights"`
	Intercept    float64   `json:"intercept"`
	Means        []float64 `json:"means"`
	FeatureNames []string  `json:"feature_names,omitempty"`
}

// NumFeatures returns the length of the input vector.
func (m *Model) NumFeatures() int { return len(m.Weights) }

// PredictMargin returns the log-odds Intercept + w·x. x must have NumFeatures values (it
// panics otherwise: a programmer error). Missing values must be imputed upstream: a NaN in x
// gives NaN.
func (m *Model) PredictMargin(x []float64) float64 {
	if len(x) != len(m.Weights) {
		panic(fmt.Sprintf("linear: input has %d features, model %d", len(x), len(m.Weights)))
	}
	z := m.Intercept
	for j, w := range m.Weights {
		z += w * x[j]
	}
	return z
}

// Predict returns the probability sigmoid(PredictMargin(x)); NaN if x holds NaN.
func (m *Model) Predict(x []float64) float64 {
	return sigmoid(m.PredictMargin(x))
}

// PredictBatch writes the probability of each row of the row-major matrix X (len(dst) rows
// of NumFeatures values) to dst. It panics if the shapes disagree.
func (m *Model) PredictBatch(dst, X []float64) {
	d := len(m.Weights)
	if len(X) != len(dst)*d {
		panic(fmt.Sprintf("linear: PredictBatch: %d values for %d rows of %d features", len(X), len(dst), d))
	}
	for i := range dst {
		dst[i] = sigmoid(m.PredictMargin(X[i*d : (i+1)*d]))
	}
}

// Contributions writes each feature's contribution to the margin, phi[j] =
// Weights[j]·(x[j] − Means[j]), and returns the expected margin Intercept + w·Means, so that
// Σ phi + expected == PredictMargin(x) (up to rounding). For a linear model with independent
// features these are exactly the SHAP values (interventional, with the training sample as
// background), so reason codes work as for the tree models. x and phi must have NumFeatures
// values (it panics otherwise).
func (m *Model) Contributions(x, phi []float64) (expected float64) {
	if len(x) != len(m.Weights) || len(phi) != len(m.Weights) {
		panic(fmt.Sprintf("linear: Contributions: x has %d values, phi %d, model %d features", len(x), len(phi), len(m.Weights)))
	}
	expected = m.Intercept
	for j, w := range m.Weights {
		expected += w * m.Means[j]
		phi[j] = w * (x[j] - m.Means[j])
	}
	return expected
}

// sigmoid returns 1/(1+e^−z) without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Validate checks that the model is usable: at least one weight, Means as long as Weights,
// FeatureNames empty or as long, and every number finite. Errors wrap ErrInvalid.
func (m *Model) Validate() error {
	d := len(m.Weights)
	switch {
	case d == 0:
		return fmt.Errorf("%w: no weights", ErrInvalid)
	case len(m.Means) != d:
		return fmt.Errorf("%w: %d means for %d weights", ErrInvalid, len(m.Means), d)
	case m.FeatureNames != nil && len(m.FeatureNames) != d:
		return fmt.Errorf("%w: %d feature names for %d weights", ErrInvalid, len(m.FeatureNames), d)
	case !finite(m.Intercept):
		return fmt.Errorf("%w: intercept %v", ErrInvalid, m.Intercept)
	}
	for j := range d {
		if !finite(m.Weights[j]) || !finite(m.Means[j]) {
			return fmt.Errorf("%w: feature %d: weight %v, mean %v", ErrInvalid, j, m.Weights[j], m.Means[j])
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// modelJSON has Model's fields without its methods, so that encoding/json does not recurse.
type modelJSON Model

// MarshalJSON validates the model and encodes it; floats round-trip exactly.
func (m *Model) MarshalJSON() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal((*modelJSON)(m))
}

// UnmarshalJSON decodes MarshalJSON's form, rejecting unknown fields, and validates the result.
// On error m is left unchanged.
func (m *Model) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j modelJSON
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out := Model(j)
	if err := out.Validate(); err != nil {
		return err
	}
	*m = out
	return nil
}
