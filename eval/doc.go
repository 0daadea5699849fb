// Package eval holds the metrics riskflow reports for a binary risk model: how well scores
// rank (AUC, Gini, KS, average precision), how good the probabilities are (log-loss, Brier,
// calibration bins, ECE), what a cut-off buys (lift and gains), whether a population has
// drifted (PSI), and how sure we are (DeLong variance, confidence interval and paired test,
// bootstrap intervals). The boost trainer uses AUC and LogLoss for early stopping; the
// report, the CLI and bundle metadata use Compute and the curves.
//
// DESIGN.md lists eval after the trainers; eval imports nothing of riskflow's, so it sits
// above boost in the import order (a deliberate change: early stopping and the report must
// compute AUC and log-loss with one implementation).
//
// # Inputs
//
// Labels y are exactly 0 (good, paid) or 1 (bad, the event being predicted). Scores p are
// probabilities for the probability metrics (log-loss, Brier, calibration, Compute); the rank
// metrics (AUC, KS, average precision, the curves, DeLong) accept any score, margins included,
// since only the order matters. Optional per-row weights exist where they are cheap:
// WeightedAUC, WeightedLogLoss, WeightedBrier, WeightedAveragePrecision.
//
// # Degenerate inputs
//
// Nothing panics on bad data. Functions returning a bare float64 return NaN, and functions
// returning an error wrap one of the sentinels, when the lengths differ (ErrLength), there
// are no rows (ErrEmpty), a label is not 0 or 1 (ErrLabel), a score is NaN or a required
// probability lies outside [0, 1] (ErrScore), a weight is invalid (ErrWeight), or a rank
// metric lacks a class (ErrOneClass; DeLong's variance needs two of each). Log-loss and Brier
// are defined with one class only. Results meant for JSON (Metrics, Bin, LiftRow, PSIResult,
// KSCurve) never hold NaN; Curve writes its +Inf threshold as null.
//
// # Ties
//
// Tied scores count one half in AUC and DeLong (mid-ranks), form one threshold in the
// curves, KS and average precision (as in scikit-learn), and are split pro rata across lift
// groups (see Lift).
//
// # References
//
// The metrics agree with scikit-learn (roc_auc_score, log_loss with eps=1e-15,
// brier_score_loss, average_precision_score, roc_curve, precision_recall_curve,
// calibration_curve) and scipy (ks_2samp) to about 1e-12 on the fixtures in testdata/, which
// testdata/gen_sklearn.py regenerates. DeLong follows DeLong, DeLong & Clarke-Pearson
// (Biometrics 1988) in the O(N log N) mid-rank form of Sun & Xu (IEEE SPL 2014), checked
// against a numpy implementation and an O(n₊n₋) reference.
package eval
