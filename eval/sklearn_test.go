package eval

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
)

// fixture is one dataset of testdata/sklearn.json (written by testdata/gen_sklearn.py).
type fixture struct {
	Name                     string
	Y, P, P2, W              []float64
	AUC                      float64 `json:"auc"`
	AUC2                     float64 `json:"auc2"`
	AUCWeighted              float64 `json:"auc_weighted"`
	LogLoss                  float64 `json:"log_loss"`
	LogLossWeighted          float64 `json:"log_loss_weighted"`
	Brier                    float64 `json:"brier"`
	BrierWeighted            float64 `json:"brier_weighted"`
	AveragePrecision         float64 `json:"average_precision"`
	AveragePrecisionWeighted float64 `json:"average_precision_weighted"`
	ROC                      struct {
		FPR, TPR   []float64
		Thresholds []float64 // without scikit-learn's first (max+1) threshold
	} `json:"roc"`
	ROCDropped struct {
		FPR, TPR   []float64
		Thresholds []float64
	} `json:"roc_dropped"`
	PR struct {
		Precision, Recall, Thresholds []float64
	} `json:"pr"`
	KS          float64 `json:"ks"`
	Calibration map[string]struct {
		ProbTrue []float64 `json:"prob_true"`
		ProbPred []float64 `json:"prob_pred"`
	}
	DeLong struct {
		AUC    []float64
		Cov    [][]float64
		Z      *float64 // null: infinite
		PValue float64  `json:"p_value"`
	}
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Datasets []fixture }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Datasets) == 0 {
		t.Fatal("no datasets in testdata/sklearn.json")
	}
	return doc.Datasets
}

// near reports whether got and want agree to tol, absolutely or relatively.
func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return got == want || math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func assertNear(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !near(got, want, tol) {
		t.Errorf("%s = %.17g, want %.17g (diff %.3g)", what, got, want, got-want)
	}
}

func assertSlice(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if !near(got[i], want[i], tol) {
			t.Errorf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
			return
		}
	}
}

const tol = 1e-12

func TestSklearnScalars(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			assertNear(t, "AUC", AUC(f.Y, f.P), f.AUC, tol)
			assertNear(t, "AUC(p2)", AUC(f.Y, f.P2), f.AUC2, tol)
			assertNear(t, "Gini", Gini(f.Y, f.P), 2*f.AUC-1, tol)
			assertNear(t, "WeightedAUC", WeightedAUC(f.Y, f.P, f.W), f.AUCWeighted, tol)
			assertNear(t, "LogLoss", LogLoss(f.Y, f.P), f.LogLoss, tol)
			assertNear(t, "WeightedLogLoss", WeightedLogLoss(f.Y, f.P, f.W), f.LogLossWeighted, tol)
			assertNear(t, "Brier", Brier(f.Y, f.P), f.Brier, tol)
			assertNear(t, "WeightedBrier", WeightedBrier(f.Y, f.P, f.W), f.BrierWeighted, tol)
			assertNear(t, "AveragePrecision", AveragePrecision(f.Y, f.P), f.AveragePrecision, tol)
			assertNear(t, "WeightedAveragePrecision", WeightedAveragePrecision(f.Y, f.P, f.W), f.AveragePrecisionWeighted, tol)
			assertNear(t, "KS", KS(f.Y, f.P), f.KS, tol)
		})
	}
}

func TestSklearnCurves(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			roc, err := ROCCurve(f.Y, f.P)
			if err != nil {
				t.Fatal(err)
			}
			assertSlice(t, "roc fpr", roc.X, f.ROC.FPR, tol)
			assertSlice(t, "roc tpr", roc.Y, f.ROC.TPR, tol)
			if !math.IsInf(roc.Thresholds[0], 1) {
				t.Errorf("first ROC threshold %v, want +Inf", roc.Thresholds[0])
			}
			assertSlice(t, "roc thresholds", roc.Thresholds[1:], f.ROC.Thresholds, 0)

			s := roc.Simplify()
			assertSlice(t, "simplified fpr", s.X, f.ROCDropped.FPR, tol)
			assertSlice(t, "simplified tpr", s.Y, f.ROCDropped.TPR, tol)
			assertSlice(t, "simplified thresholds", s.Thresholds[1:], f.ROCDropped.Thresholds, 0)
			if a, b := trapezoid(roc), trapezoid(s); !near(a, f.AUC, tol) || !near(b, f.AUC, tol) {
				t.Errorf("area under ROC %v, simplified %v, want %v", a, b, f.AUC)
			}

			pr, err := PRCurve(f.Y, f.P)
			if err != nil {
				t.Fatal(err)
			}
			// scikit-learn lists the points by ascending threshold; the final (0, 1) point has
			// no threshold.
			prec, rec := slices.Clone(pr.Y), slices.Clone(pr.X)
			slices.Reverse(prec)
			slices.Reverse(rec)
			thr := slices.Clone(pr.Thresholds[1:])
			slices.Reverse(thr)
			assertSlice(t, "precision", prec, f.PR.Precision, tol)
			assertSlice(t, "recall", rec, f.PR.Recall, tol)
			assertSlice(t, "pr thresholds", thr, f.PR.Thresholds, 0)
		})
	}
}

func trapezoid(c Curve) float64 {
	var a float64
	for i := 1; i < c.Len(); i++ {
		a += (c.X[i] - c.X[i-1]) * (c.Y[i] + c.Y[i-1]) / 2
	}
	return a
}

func TestSklearnCalibrationCurve(t *testing.T) {
	for _, f := range loadFixtures(t) {
		for _, nb := range []int{5, 10, 15} {
			want, ok := f.Calibration[strconv.Itoa(nb)]
			if !ok {
				continue
			}
			t.Run(f.Name+"/"+strconv.Itoa(nb), func(t *testing.T) {
				bins, err := CalibrationBins(f.Y, f.P, nb)
				if err != nil {
					t.Fatal(err)
				}
				if len(bins) != nb {
					t.Fatalf("%d bins, want %d", len(bins), nb)
				}
				var obs, pred []float64
				total := 0
				for _, b := range bins {
					total += b.Count
					if b.Count > 0 {
						obs = append(obs, b.Observed)
						pred = append(pred, b.MeanPredicted)
					}
				}
				if total != len(f.Y) {
					t.Errorf("bins hold %d rows, want %d", total, len(f.Y))
				}
				assertSlice(t, "observed", obs, want.ProbTrue, tol)
				assertSlice(t, "mean predicted", pred, want.ProbPred, tol)
			})
		}
	}
}
