package train

import (
	"context"
	"slices"
	"strings"
	"testing"

	"riskflow/boost"
	"riskflow/calibrate"
	"riskflow/datagen"
	"riskflow/feature"
)

func TestRun(t *testing.T) {
	ctx := context.Background()
	f, err := datagen.GenerateFrame(ctx, datagen.Config{Rows: 4000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := feature.Infer(f, "default", "order_id")
	if err != nil {
		t.Fatal(err)
	}
	params := boost.DefaultParams()
	params.Trees, params.MaxDepth = 20, 3
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"gbdt with holdout and isotonic", Config{Spec: spec, Train: f, Holdout: 0.2, Params: params, Calibrate: calibrate.Isotonic}, ""},
		{"logistic", Config{Spec: spec, Train: f, Holdout: 0.2, Model: Logistic}, ""},
		{"calibration needs validation rows", Config{Spec: spec, Train: f, Params: params, Calibrate: calibrate.Platt}, "needs validation rows"},
		{"unknown model", Config{Spec: spec, Train: f, Model: "forest"}, "forest"},
		{"no spec", Config{Train: f}, "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.Model == Logistic {
				s := *spec
				s.Features = append(s.Features[:0:0], spec.Features...)
				AdaptSpecForLinear(&s)
				cfg.Spec = &s
			}
			b, err := Run(ctx, cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := b.Meta
			if m.Validation == nil || m.Metrics["auc"] < 0.6 || m.Training.Rows+m.Validation.Rows != f.Len() {
				t.Errorf("metadata: %+v, validation %+v", m.Metrics, m.Validation)
			}
			if (cfg.Calibrate != "") != (b.Calibrator != nil) {
				t.Errorf("calibrator %v for %q", b.Calibrator, cfg.Calibrate)
			}
		})
	}
}

func TestRunDeterministic(t *testing.T) {
	ctx := context.Background()
	f, _ := datagen.GenerateFrame(ctx, datagen.Config{Rows: 3000, Seed: 4})
	spec, _ := feature.Infer(f, "default", "order_id")
	params := boost.DefaultParams()
	params.Trees = 10
	var scores [][]float64
	for range 2 {
		b, err := Run(ctx, Config{Spec: spec, Train: f, Holdout: 0.1, Params: params})
		if err != nil {
			t.Fatal(err)
		}
		p := make([]float64, f.Len())
		if err := b.ScoreFrame(ctx, f, p); err != nil {
			t.Fatal(err)
		}
		scores = append(scores, p)
	}
	if !slices.Equal(scores[0], scores[1]) {
		t.Error("two runs with the same seed scored differently")
	}
}
