// Package lightgbm converts LightGBM text models (Booster.save_model("m.txt"), versions v2 to v4
// of the format) into gbt ensembles, so that riskflow serves them with its own predictor,
// TreeSHAP and reason codes.
//
// Supported: the binary objective (any sigmoid parameter) and regression (L2), boosted (gbdt,
// dart, goss) trees with numeric and categorical splits. Refused with an error naming what is
// unsupported: multiclass and other objectives, random forests (average_output), linear trees.
// Leaf values already include the shrinkage and the boost_from_average start, so the base
// score is 0.
//
// # Exact conversion
//
// LightGBM decides in float64, as gbt does, but sends x left when x <= threshold; Decode uses
// the next float64 above the threshold with gbt's x < T. The missing type of decision_type
// decides NaN: type NaN follows the default-left bit; type None treats NaN as 0; type Zero
// sends NaN and every |x| <= 1e-35 (LightGBM's kZeroThreshold, a float32) the default way.
// gbt's splits have one threshold, so a Zero split becomes a chain of up to three numeric
// splits, copying a child subtree when both children own two intervals of the line. A
// categorical split's bitset (cat_boundaries, cat_threshold) becomes gbt's category list;
// NaN and negative codes go right, as in LightGBM 4 (LightGBM 2 sent NaN of a split whose
// missing type is not NaN as code 0). A binary model's sigmoid parameter s multiplies the leaf
// values, so the margin is s times LightGBM's raw score and the probability is LightGBM's.
// Node covers are LightGBM's row counts (leaf_count, internal_count), the weights LightGBM's own
// TreeSHAP uses.
//
// Category codes are the values riskflow's native categorical encoding produces (0, 1, 2,
// ...). LightGBM truncates a fractional code to an integer where gbt sends it right; such
// values never come from a riskflow transformer.
package lightgbm
