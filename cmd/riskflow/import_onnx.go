package main

import (
	"fmt"

	"riskflow/bundle"
	"riskflow/calibrate"
	"riskflow/feature"
	"riskflow/modelfmt/onnx"
)

// importONNX reads an ONNX model: a network becomes an nn.Graph bundle (no reason codes), an
// ai.onnx.ml tree ensemble riskflow's own trees.
func importONNX(path string, outputs []string) (*importedModel, error) {
	m, err := onnx.ReadFile(path, onnx.Options{})
	if err != nil {
		return nil, err
	}
	if m, err = m.ForOutputs(outputs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	what := "ONNX"
	if m.Producer != "" {
		what += " (" + m.Producer + ")"
	}
	if m.Trees != nil {
		return treeModel(m.Trees, false, what+" "+m.Operator), nil
	}
	g := m.Graph
	return &importedModel{
		logistic: true, // both output kinds score a probability
		describe: fmt.Sprintf("%s network, %d operators, %s output", what, len(g.Nodes), g.OutputKind),
		bundle: func(meta bundle.Metadata, t *feature.Transformer, c *calibrate.Calibrator) (*bundle.Bundle, error) {
			meta.ModelType = bundle.TypeNN
			return bundle.NewNN(meta, t, g, c)
		},
	}, nil
}
