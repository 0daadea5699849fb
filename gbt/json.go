package gbt

import (
	"encoding/json"
	"fmt"
)

// FormatVersion is the version of the JSON form of an Ensemble that MarshalJSON writes; the
// decoder accepts only this version.
const FormatVersion = 1

// wireEnsemble is the JSON form of an Ensemble:
//
//	{
//	  "version": 1,
//	  "objective": "binary:logistic",
//	  "base_score": -1.386,                  // margin units
//	  "num_features": 3,
//	  "feature_names": ["age", "amount", "merchant"],   // optional
//	  "trees": [{"nodes": [
//	    {"f": 1, "t": 250, "l": 1, "r": 2, "d": true, "v": 0.1, "g": 12.5, "h": 240},
//	    {"f": -1, "l": -1, "r": -1, "v": -0.2, "h": 130},
//	    {"f": 2, "c": true, "cs": [0, 3], "l": 3, "r": 4, "v": 0.3, "g": 4.1, "h": 110},
//	    ...
//	  ]}]
//	}
//
// A node's keys are Node's JSON tags: f feature (-1 for a leaf), t threshold, l and r the
// children's indices (-1 for a leaf), d default left, c categorical, cs categories, v value,
// g gain, h cover. Keys f, l, r, v and h are required; the others default to zero. Floats are
// written in the shortest form that reads back to the same float64.
type wireEnsemble struct {
	Version      int       `json:"version"`
	Objective    Objective `json:"objective"`
	BaseScore    float64   `json:"base_score"`
	NumFeatures  int       `json:"num_features"`
	FeatureNames []string  `json:"feature_names,omitempty"`
	Trees        []Tree    `json:"trees"`
}

// MarshalJSON encodes the ensemble in the documented JSON form (see FormatVersion). It has a
// value receiver so that an Ensemble held by value encodes the same way.
func (e Ensemble) MarshalJSON() ([]byte, error) {
	trees := e.Trees
	if trees == nil {
		trees = []Tree{}
	}
	return json.Marshal(wireEnsemble{
		Version:      FormatVersion,
		Objective:    e.Objective,
		BaseScore:    e.BaseScore,
		NumFeatures:  e.NumFeatures,
		FeatureNames: e.FeatureNames,
		Trees:        trees,
	})
}

// UnmarshalJSON decodes an ensemble written by MarshalJSON and validates it as New does, so a
// model that decodes is ready to predict. Unknown keys, repeated keys, null values, missing
// required keys and trailing data are errors; so is everything New rejects (the error then
// wraps ErrInvalid). Keys are matched exactly, as MarshalJSON writes them. On error e is left
// unchanged. The decoder is hand-written for speed (see decodeJSON).
func (e *Ensemble) UnmarshalJSON(b []byte) error {
	in, err := decodeJSON(b)
	if err != nil {
		return err
	}
	// What New does, without its copy: nothing else holds the decoded slices.
	f, err := compile(in)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	in.flat = f
	*e = *in
	return nil
}
