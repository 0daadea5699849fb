package gbt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// wireInput is wireEnsemble as read: pointers tell a missing key from a zero value.
type wireInput struct {
	Version      *int       `json:"version"`
	Objective    *Objective `json:"objective"`
	BaseScore    *float64   `json:"base_score"`
	NumFeatures  *int       `json:"num_features"`
	FeatureNames []string   `json:"feature_names"`
	Trees        []struct {
		Nodes []wireNode `json:"nodes"`
	} `json:"trees"`
}

type wireNode struct {
	Feature     *int32   `json:"f"`
	Threshold   float64  `json:"t"`
	Left        *int32   `json:"l"`
	Right       *int32   `json:"r"`
	DefaultLeft bool     `json:"d"`
	Categorical bool     `json:"c"`
	Categories  []uint32 `json:"cs"`
	Value       *float64 `json:"v"`
	Gain        float64  `json:"g"`
	Cover       *float64 `json:"h"`
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
// model that decodes is ready to predict. Unknown keys, missing required keys and trailing data
// are errors; so is everything New rejects (the error then wraps ErrInvalid). On error e is
// left unchanged.
func (e *Ensemble) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w wireInput
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("gbt: decode ensemble: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("gbt: decode ensemble: data after the ensemble")
	}
	switch {
	case w.Version == nil:
		return errors.New("gbt: decode ensemble: no version")
	case *w.Version != FormatVersion:
		return fmt.Errorf("gbt: decode ensemble: version %d, want %d", *w.Version, FormatVersion)
	case w.Objective == nil || w.BaseScore == nil || w.NumFeatures == nil || w.Trees == nil:
		return errors.New("gbt: decode ensemble: objective, base_score, num_features and trees are required")
	}
	in := Ensemble{
		Objective:    *w.Objective,
		BaseScore:    *w.BaseScore,
		NumFeatures:  *w.NumFeatures,
		FeatureNames: w.FeatureNames,
		Trees:        make([]Tree, len(w.Trees)),
	}
	for i, t := range w.Trees {
		if t.Nodes == nil {
			return fmt.Errorf("gbt: decode ensemble: tree %d has no nodes", i)
		}
		nodes := make([]Node, len(t.Nodes))
		for j, n := range t.Nodes {
			if n.Feature == nil || n.Left == nil || n.Right == nil || n.Value == nil || n.Cover == nil {
				return fmt.Errorf("gbt: decode ensemble: tree %d node %d: keys f, l, r, v and h are required", i, j)
			}
			nodes[j] = Node{
				Feature: *n.Feature, Threshold: n.Threshold, Left: *n.Left, Right: *n.Right,
				DefaultLeft: n.DefaultLeft, Categorical: n.Categorical, Categories: n.Categories,
				Value: *n.Value, Gain: n.Gain, Cover: *n.Cover,
			}
		}
		in.Trees[i] = Tree{Nodes: nodes}
	}
	out, err := New(in)
	if err != nil {
		return err
	}
	*e = *out
	return nil
}
