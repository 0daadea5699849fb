package boost

import (
	"errors"
	"testing"

	"riskflow/gbt"
)

func TestDefaultParamsValid(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	// XGBoost's defaults.
	if p.LearningRate != 0.3 || p.MaxDepth != 6 || p.MinChildWeight != 1 || p.Lambda != 1 ||
		p.Alpha != 0 || p.Gamma != 0 || p.Subsample != 1 || p.ColsampleByTree != 1 ||
		p.ScalePosWeight != 1 || p.MaxBin != 256 || p.MaxLeaves != 0 || p.MaxDeltaStep != 0 {
		t.Errorf("defaults differ from XGBoost's: %+v", p)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Params)
		ok   bool
	}{
		{"squared error", func(p *Params) { p.Objective = gbt.SquaredError }, true},
		{"lossguide", func(p *Params) { p.MaxLeaves, p.MaxDepth = 31, 0 }, true},
		{"auc", func(p *Params) { p.EvalMetric = "auc" }, true},
		{"rmse", func(p *Params) { p.EvalMetric = "rmse" }, true},
		{"objective", func(p *Params) { p.Objective = "multi:softmax" }, false},
		{"trees", func(p *Params) { p.Trees = 0 }, false},
		{"eta zero", func(p *Params) { p.LearningRate = 0 }, false},
		{"depth", func(p *Params) { p.MaxDepth = -1 }, false},
		{"depthwise unlimited", func(p *Params) { p.MaxDepth = 0 }, false},
		{"one leaf", func(p *Params) { p.MaxLeaves = 1 }, false},
		{"min child weight", func(p *Params) { p.MinChildWeight = -1 }, false},
		{"lambda", func(p *Params) { p.Lambda = -0.1 }, false},
		{"alpha", func(p *Params) { p.Alpha = -1 }, false},
		{"gamma", func(p *Params) { p.Gamma = -1 }, false},
		{"max delta step", func(p *Params) { p.MaxDeltaStep = -1 }, false},
		{"subsample zero", func(p *Params) { p.Subsample = 0 }, false},
		{"subsample big", func(p *Params) { p.Subsample = 1.5 }, false},
		{"colsample", func(p *Params) { p.ColsampleByTree = 0 }, false},
		{"scale pos weight", func(p *Params) { p.ScalePosWeight = 0 }, false},
		{"max bin small", func(p *Params) { p.MaxBin = 1 }, false},
		{"max bin big", func(p *Params) { p.MaxBin = 257 }, false},
		{"threads", func(p *Params) { p.Threads = -2 }, false},
		{"early stopping", func(p *Params) { p.EarlyStopping = -1 }, false},
		{"metric", func(p *Params) { p.EvalMetric = "error" }, false},
		{"auc for regression", func(p *Params) { p.Objective, p.EvalMetric = gbt.SquaredError, "auc" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.edit(&p)
			err := p.Validate()
			if tc.ok && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrParams) {
				t.Fatalf("got %v, want ErrParams", err)
			}
		})
	}
}
