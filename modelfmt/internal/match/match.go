package match

import (
	"fmt"
	"slices"
	"strings"

	"riskflow/gbt"
)

// Features returns, for each of the model's numModel features, the index of the output it
// reads: the output of the same name, or of the same position when names is nil. Any
// difference (a name on one side only, a name twice, a count) is an error that lists them.
func Features(names []string, numModel int, outputs []string) ([]int, error) {
	if names == nil {
		if numModel != len(outputs) {
			return nil, fmt.Errorf("the model has %d features and the transformer %d outputs (the model file stores no feature names, so they are matched by position)",
				numModel, len(outputs))
		}
		perm := make([]int, numModel)
		for i := range perm {
			perm[i] = i
		}
		return perm, nil
	}
	if len(names) != numModel {
		return nil, fmt.Errorf("the model has %d features but %d feature names", numModel, len(names))
	}
	index := make(map[string]int, len(outputs))
	for i, n := range outputs {
		index[n] = i
	}
	perm := make([]int, len(names))
	seen := make(map[string]bool, len(names))
	var missing, dup, extra []string
	for j, n := range names {
		if seen[n] {
			dup = append(dup, n)
		}
		seen[n] = true
		i, ok := index[n]
		if !ok {
			missing = append(missing, n)
		}
		perm[j] = i
	}
	for _, n := range outputs {
		if !seen[n] {
			extra = append(extra, n)
		}
	}
	if len(missing)+len(extra)+len(dup) == 0 {
		return perm, nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "in the model but not the transformer: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "in the transformer but not the model: "+strings.Join(extra, ", "))
	}
	if len(dup) > 0 {
		parts = append(parts, "named twice in the model: "+strings.Join(dup, ", "))
	}
	return nil, fmt.Errorf("the model's features do not match the transformer's outputs; %s", strings.Join(parts, "; "))
}

// Ensemble returns e reading its features from the outputs, matched by Features, with
// FeatureNames set to outputs.
func Ensemble(e *gbt.Ensemble, names []string, outputs []string) (*gbt.Ensemble, error) {
	perm, err := Features(names, e.NumFeatures, outputs)
	if err != nil {
		return nil, err
	}
	out := gbt.Ensemble{Objective: e.Objective, BaseScore: e.BaseScore, NumFeatures: len(outputs),
		FeatureNames: slices.Clone(outputs), Trees: make([]gbt.Tree, len(e.Trees))}
	for i, tr := range e.Trees {
		nodes := slices.Clone(tr.Nodes)
		for k := range nodes {
			if f := nodes[k].Feature; f >= 0 {
				nodes[k].Feature = int32(perm[f])
			}
		}
		out.Trees[i] = gbt.Tree{Nodes: nodes}
	}
	return gbt.New(out)
}
