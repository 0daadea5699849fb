package linear

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	X, y := synthetic(7, 300, []float64{1, 10, 0.1})
	m, err := Train(context.Background(), X, 300, 3, y, Params{FeatureNames: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Weights, m.Weights) || back.Intercept != m.Intercept ||
		!slices.Equal(back.Means, m.Means) || !slices.Equal(back.FeatureNames, m.FeatureNames) {
		t.Errorf("round trip: %+v\nwant %+v", back, m)
	}
}

func TestJSONRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not json", `{`},
		{"no weights", `{"weights":[],"intercept":0,"means":[]}`},
		{"means length", `{"weights":[1,2],"intercept":0,"means":[0]}`},
		{"names length", `{"weights":[1],"intercept":0,"means":[0],"feature_names":["a","b"]}`},
		{"unknown field", `{"weights":[1],"intercept":0,"means":[0],"bias":1}`},
		{"overflow", `{"weights":[1e999],"intercept":0,"means":[0]}`},
		{"null weights", `{"weights":null,"intercept":0,"means":null}`},
		{"wrong type", `{"weights":["1"],"intercept":0,"means":[0]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Model{Weights: []float64{3}, Means: []float64{1}}
			err := json.Unmarshal([]byte(tt.in), &m)
			if err == nil {
				t.Fatalf("decoded %s as %+v", tt.in, m)
			}
			if tt.name != "not json" && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if m.Weights[0] != 3 {
				t.Errorf("failed decode changed the model")
			}
		})
	}
	if _, err := json.Marshal(&Model{Weights: []float64{math.NaN()}, Means: []float64{0}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Marshal of a NaN weight: %v", err)
	}
}

func FuzzUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"weights":[0.5,-1.25],"intercept":-2,"means":[1,3],"feature_names":["a","b"]}`))
	f.Add([]byte(`{"weights":[1e300],"intercept":1e-300,"means":[-1e300]}`))
	f.Add([]byte(`{"weights":[1],"intercept":0,"means":[0],"feature_names":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Model
		if err := json.Unmarshal(b, &m); err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded an invalid model: %v", err)
		}
		// A decoded model predicts and explains any input of the right length without panicking.
		x := make([]float64, m.NumFeatures())
		phi := make([]float64, m.NumFeatures())
		if p := m.Predict(x); !(p >= 0 && p <= 1) && !math.IsNaN(p) {
			t.Fatalf("Predict = %v", p)
		}
		m.Contributions(x, phi)
		out, err := json.Marshal(&m)
		if err != nil {
			t.Fatal(err)
		}
		var d Model
		if err := json.Unmarshal(out, &d); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !slices.Equal(d.Weights, m.Weights) || d.Intercept != m.Intercept || !slices.Equal(d.Means, m.Means) {
			t.Fatalf("round trip changed %+v to %+v", m, d)
		}
	})
}
