// Package report builds the model performance report: how well a bundle ranks and how good its
// probabilities are on labelled test data, with confidence intervals, the curves behind the
// numbers, what drives the model (gain and SHAP importance, SHAP dependence), whether the
// population has drifted since training (PSI), how it does per segment and, given a baseline
// bundle, a champion/challenger comparison on the same rows with a plain-language verdict.
//
// Build computes everything once (it scores with bundle.ScoreFrame, the only scoring path, and
// takes every metric from package eval); WritePDF, WriteHTML and WriteJSON render the same
// Report as a paginated PDF, one self-contained HTML page with inline SVG plots, and a JSON
// document holding every metric. All three are written atomically.
//
// # Methods
//
// The AUC interval is DeLong's; the intervals of Gini, KS, log-loss, Brier, average precision
// (PR-AUC) and ECE are stratified percentile bootstraps (eval.Bootstrap) over
// Input.Resamples resamples (default 200) seeded from Input.Seed, so a report is reproducible.
// SHAP values are exact TreeSHAP for tree bundles and w·(x − mean) for logistic bundles, both
// in log-odds, computed on a seeded sample of at most Input.SHAPRows rows (default 2,000) and
// summed over all model columns a raw field feeds. Gain importance is the total split gain
// (gbt.TotalGain) per raw field, as a share of the model's total.
//
// # Decisions
//
// A row is declined when its default probability is at or above the threshold. With
// Input.Threshold > 0 both models use that probability cut-off; with Threshold 0 each model
// declines its riskiest 10% of the test rows (its threshold is the lowest score among its top
// 10%), so the two models decline about as many rows and the comparison is about which rows.
//
// # Stability
//
// The population stability index compares the training data (expected) with the test data
// (actual): the score over quantile deciles of the training scores, numeric and time fields
// the same way, categorical and boolean fields per level. Values from eval.PSIMinor (0.10) are
// flagged "minor", from eval.PSIMajor (0.25) "major".
package report
