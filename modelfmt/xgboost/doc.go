// Package xgboost converts XGBoost models saved as JSON (Booster.save_model("m.json"), XGBoost
// 1.x and 2.x; 3.1's vector intercept form of base_score too) into gbt ensembles, so that
// riskflow serves them with its own predictor, TreeSHAP and reason codes.
//
// Supported: the gbtree booster with the binary:logistic, reg:logistic and reg:squarederror
// objectives (one output), numeric and categorical splits, missing values with their default
// directions. Anything else (gblinear, dart, multiclass or multi-target models, other
// objectives) is refused with an error naming it. Every tree is kept: a model saved after early
// stopping keeps its trees past best_iteration, as XGBoost's own Booster.predict does.
//
// # Exact conversion
//
// XGBoost compares float32 values: a row's value x goes left when float32(x) < t for the
// float32 threshold t. gbt compares float64 values with x < T. Decode sets T to the float64
// boundary between the float32 values that round below t and those that do not (the midpoint
// between t and the float32 below it, nudged up one ulp when that midpoint rounds down), so
// every float64 input takes the branch XGBoost takes for it. A categorical split in XGBoost
// sends the codes in its set right and the others left; gbt sends set members left, so Decode
// swaps the children (and the default direction). Leaf values are float32 and exact in
// float64; the base score is converted to a margin as XGBoost does (logit for the logistic
// objectives, in float32). The only difference left is the sum: XGBoost adds leaf values in
// float32, gbt in float64, so margins agree to float32 rounding (about 1e-6 for
// a few hundred trees), and probabilities more closely.
//
// Category codes are the values riskflow's native categorical encoding produces (0, 1, 2,
// ...). XGBoost truncates a fractional code to an integer where gbt sends it right; such
// values never come from a riskflow transformer.
package xgboost
