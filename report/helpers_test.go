package report

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"riskflow/boost"
	"riskflow/bundle"
	"riskflow/datagen"
	"riskflow/feature"
	"riskflow/frame"
	"riskflow/train"
)

// fixture is a small tree model, a logistic baseline, their training rows and test rows,
// built once per test binary.
var fixture struct {
	once          sync.Once
	tree, lin     *bundle.Bundle
	trainF, testF *frame.Frame
	err           error
}

func trained(t testing.TB) (tree, lin *bundle.Bundle, trainF, testF *frame.Frame) {
	t.Helper()
	fixture.once.Do(func() {
		fixture.tree, fixture.lin, fixture.trainF, fixture.testF, fixture.err = buildFixture()
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.tree, fixture.lin, fixture.trainF, fixture.testF
}

func buildFixture() (tree, lin *bundle.Bundle, trainF, testF *frame.Frame, err error) {
	ctx := context.Background()
	all, err := datagen.GenerateFrame(ctx, datagen.Config{Rows: 6000, Seed: 7})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	trainF, testF = all.Slice(0, 4000), all.Slice(4000, all.Len())
	spec, err := feature.Infer(trainF, datagen.LabelColumn, "order_id")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	params := boost.DefaultParams()
	params.Trees, params.MaxDepth, params.LearningRate, params.Seed = 40, 3, 0.15, 3
	tree, err = fitBundle(ctx, train.Config{Spec: spec, Train: trainF, Model: train.GBDT, Params: params, Name: "gbdt-candidate",
		TrainInfo: bundle.DataInfo{Path: "train.csv"}})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	lspec, err := feature.Infer(trainF, datagen.LabelColumn, "order_id")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	train.AdaptSpecForLinear(lspec)
	lin, err = fitBundle(ctx, train.Config{Spec: lspec, Train: trainF, Model: train.Logistic, L2: 1, Name: "logistic-champion",
		TrainInfo: bundle.DataInfo{Path: "train.csv"}})
	return tree, lin, trainF, testF, err
}

// fitBundle trains a bundle with a fixed creation time and round-trips it through its file form,
// so that it has a digest.
func fitBundle(ctx context.Context, cfg train.Config) (*bundle.Bundle, error) {
	b, err := train.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b.Meta.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if b, err = bundle.New(b.Meta, b.Transformer, b.GBT, b.Linear, b.Calibrator); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := bundle.Encode(&buf, b); err != nil {
		return nil, err
	}
	return bundle.Decode(&buf)
}
