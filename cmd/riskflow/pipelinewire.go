package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	_ "gocloud.dev/blob/fileblob" // file:// artifact stores

	"riskflow/artifact"
	"riskflow/internal/version"
	"riskflow/pipeline"
	"riskflow/registry"
	"riskflow/report"
)

// homeEnv is a home folder's artifact store and registry, opened together.
type homeEnv struct {
	home  string
	store *artifact.Store
	reg   *registry.Registry
}

// openHome opens <home>/artifacts and <home>/registry.db.
func openHome(ctx context.Context, home string) (*homeEnv, error) {
	store, err := artifact.Open(ctx, artifact.FileURL(filepath.Join(home, "artifacts")))
	if err != nil {
		return nil, err
	}
	reg, err := registry.Open(ctx, filepath.Join(home, "registry.db"))
	if err != nil {
		store.Close()
		return nil, err
	}
	return &homeEnv{home: home, store: store, reg: reg}, nil
}

func (e *homeEnv) Close() error {
	return errors.Join(e.reg.Close(), e.store.Close())
}

func (e *homeEnv) pipelineRegistry() pipeline.Registry { return pipelineRegistry{e.reg} }

// pipelineRegistry adapts the registry to what the pipeline needs of it.
type pipelineRegistry struct{ r *registry.Registry }

var _ pipeline.Registry = pipelineRegistry{}

func (p pipelineRegistry) Current(ctx context.Context, model, alias string) (string, int, error) {
	v, _, err := p.r.Alias(ctx, model, alias)
	if errors.Is(err, registry.ErrNotFound) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	return v.BundleDigest, v.Number, nil
}

func (p pipelineRegistry) Deploy(ctx context.Context, d pipeline.Deployment) (int, error) {
	vs, err := p.r.Versions(ctx, d.Model)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return 0, err
	}
	num := 0
	for _, v := range vs {
		if v.BundleDigest == d.BundleDigest {
			num = v.Number
		}
	}
	if num == 0 {
		info := version.Get()
		v, err := p.r.RegisterVersion(ctx, registry.NewVersion{
			Model: d.Model, BundleDigest: d.BundleDigest, RunID: d.RunID, Metrics: d.Metrics,
			Params: d.Params, DataDigests: d.DataDigests, FeatureSpec: d.FeatureSpec,
			RiskflowVersion: info.Version, GitCommit: info.Commit, CreatedBy: actor(),
		})
		if err != nil {
			return 0, err
		}
		num = v.Number
	}
	cur, _, err := p.r.Alias(ctx, d.Model, d.Alias)
	if err == nil && cur.Number == num {
		return num, nil // already there: a resumed deploy changes nothing
	}
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return 0, err
	}
	err = p.r.SetAlias(ctx, registry.AliasChange{Model: d.Model, Alias: d.Alias, Version: num, Mode: d.Mode, Actor: actor(), Reason: d.Reason})
	if err != nil {
		return 0, err
	}
	return num, nil
}

func (p pipelineRegistry) RecordRun(ctx context.Context, r pipeline.RunRecord) error {
	if err := p.r.CreateRun(ctx, registry.Run{ID: r.ID, Pipeline: r.Pipeline, Status: r.Status, StartedAt: r.Started}); err != nil && !errors.Is(err, registry.ErrExists) {
		return err
	}
	if !r.Finished.IsZero() || r.Status != pipeline.StatusRunning {
		return p.r.UpdateRun(ctx, r.ID, r.Status, r.Finished)
	}
	return nil
}

func (p pipelineRegistry) RecordStage(ctx context.Context, s pipeline.StageRecord) error {
	return p.r.RecordStage(ctx, registry.StageRecord{
		RunID: s.RunID, Matrix: s.Job, Stage: s.Stage, Status: s.Status, CacheKey: s.CacheKey,
		Cached: s.Cached, Started: s.Started, Finished: s.Finished, Outputs: s.Outputs,
		Metrics: s.Metrics, Error: s.Error,
	})
}

// writeReport is the pipeline's report stage: the report package's PDF, HTML and JSON.
func writeReport(ctx context.Context, in pipeline.ReportInput) error {
	rep, err := report.Build(ctx, report.Input{
		Model: in.Model, ModelName: in.ModelName, Baseline: in.Baseline, BaselineName: in.BaselineName,
		Data: in.Test, Train: in.Train, Label: in.Label, Segment: in.Segment, Threshold: in.Threshold,
		Seed: 1,
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := rep.WritePDF(in.PDF); err != nil {
		return err
	}
	if err := rep.WriteHTML(in.HTML); err != nil {
		return err
	}
	return rep.WriteJSON(in.JSON)
}

// modelBundle resolves a registry reference (NAME for its champion, NAME@VERSION, or
// NAME:ALIAS) in the home folder to a verified local bundle file.
func modelBundle(ctx context.Context, home, ref string) (string, error) {
	reg, err := openRegistryIn(ctx, home, true)
	if err != nil {
		return "", fmt.Errorf("--model %s: %w", ref, err)
	}
	store, err := artifact.Open(ctx, artifact.FileURL(filepath.Join(home, "artifacts")))
	if err != nil {
		reg.Close()
		return "", err
	}
	src := &registrySource{reg: reg, store: store, cacheDir: filepath.Join(home, "cache", "blobs")}
	defer src.Close()
	name, alias, num := ref, "champion", 0
	if n, a, ok := strings.Cut(ref, ":"); ok {
		name, alias = n, a
	} else if n, v, ok := strings.Cut(ref, "@"); ok {
		name = n
		if num, err = strconv.Atoi(v); err != nil || num < 1 {
			return "", usagef("--model %s: the version after @ must be a number ≥ 1", ref)
		}
	}
	var v registry.Version
	if num > 0 {
		v, err = reg.Version(ctx, name, num)
	} else {
		v, _, err = reg.Alias(ctx, name, alias)
	}
	if err != nil {
		return "", fmt.Errorf("--model %s: %w", ref, err)
	}
	p, err := src.fetch(ctx, v.BundleDigest)
	if err != nil {
		return "", fmt.Errorf("--model %s: %w", ref, err)
	}
	return p, nil
}
