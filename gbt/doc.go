// Package gbt holds a trained tree ensemble: the model that boost produces and that importers
// of XGBoost and LightGBM models convert into. It predicts (one row or a batch), explains
// (TreeSHAP, reason codes), reports feature importance, and reads and writes its JSON form. It
// contains no training code.
//
// In the serving flow (see DESIGN.md) it sits after feature.Vector: a bundle scores a request
// with Ensemble.Predict (or PredictBatch for batch predictions), and explains it with
// Ensemble.SHAP and TopReasons.
//
// # Model
//
// Trees are stored in canonical form (Tree, Node): what trainers and importers build and
// bundles store. Split rules: a missing value (NaN) goes the default way; a numeric split
// sends x < Threshold left; a categorical split sends a code in its set left, anything else
// (negative, fractional, too large) right. New validates an Ensemble fully (a corrupt model is
// an error, never a wrong prediction) and compiles it.
//
// # Prediction
//
// New compiles all trees into one array of 16-byte nodes in preorder, so a left child is the
// next node and only the right child's index is stored: threshold (a leaf keeps its value
// there), the "slot" the split reads, and the right child with flag bits. A row is first
// spread into slots: feature f as slot 2f with a missing value replaced by +Inf and slot 2f+1
// with −Inf, plus a last slot +Inf. A split whose missing values go left reads slot 2f+1, the
// others slot 2f, so x < thr decides missing values too; a leaf reads the +Inf slot and
// "goes right" to itself. So every tree is walked exactly as many steps as it is deep, and
// each step picks the next node from the sign bit of slot − thr, without a branch to
// mispredict. Eight trees (one row) or eight rows (a batch, in blocks of 32 rows per tree) are
// walked in lockstep so that their chains of dependent loads overlap. Categorical splits take
// a branch to a bitset test on a code computed once per row. Margins add leaf values in tree
// order on every path, so single-row, batch and parallel batch results are bit-identical to the
// reference walk over the canonical nodes (tested).
//
// Measured on the development machine (a 2-core AMD EPYC VM shared with other jobs, Go 1.26),
// as the median thread CPU time per row, for a 300-tree depth-6 model (about 103 nodes per
// tree) over 40 features with 5% missing inputs; the go test -bench numbers (wall clock) agree
// when the machine is quiet:
//
//	                                            numeric splits   10% categorical splits
//	reference walk over canonical Nodes             32 µs             36 µs
//	compiled nodes, walk with branches              21 µs             23 µs
//	slot layout, 1 tree at a time                  7.6 µs
//	slot layout, 4 trees in lockstep               4.3 µs
//	slot layout, 8 trees (PredictMargin)           3.0 µs            6.5 µs
//	  the same without bounds checks (unsafe)      2.8 µs             -     not worth it
//	batch, 8 rows in lockstep, 1 goroutine         3.5 µs            6.7 µs
//
// An earlier layout that tested for NaN at every step (two compares and SETcc selects) was
// 1.4× slower than slots. Categorical splits cost a mispredicted branch whenever a walk meets
// one; testing every node both ways without a branch took 8.4 µs, and keeping small sets as a
// mask in the node (no bitset load) 6.4 µs, the same as the bitset.
//
// The batch path gains over the single-row one mainly by running GOMAXPROCS goroutines. For an
// XGBoost 1.7.4 model of 300 depth-6 trees (29,220 nodes, numeric; testdata/xgboost/
// bench_predict.py and BenchmarkPredictBatchXGBoost), 200,000 rows with 5% missing values took
// 0.34–0.70 s with PredictMarginBatch and 2 goroutines, and 0.89–1.71 s with XGBoost's
// inplace_predict and 2 threads; gbt was faster in every back-to-back pair (the spread is other
// jobs on the machine).
//
// # Explanation
//
// Explainer computes exact path-dependent TreeSHAP values (the game of Lundberg, Erion & Lee
// 2018, with Node.Cover as the branch weights), allocation-free per row; see Explainer for the
// algorithm, which integrates Owen's formula by Gauss–Legendre quadrature instead of
// Algorithm 2's permutation weights. The values agree with a brute-force enumeration of
// Shapley values on small models, with Algorithm 2 on large ones (to 1e-9), and with XGBoost's
// pred_contribs (to float32 precision, testdata/xgboost). On the benchmark model above it takes
// about 0.18 ms per row, from a plan of the trees of depth 6 or less (1.5 MB) that the first
// NewExplainer of an ensemble builds in 1–2 ms, so that New stays as fast as before; deeper
// trees are walked (the benchmark model walked: 0.58 ms; Algorithm 2 as written in the tests:
// about 4.5 ms). TopReasons groups the values by input field for adverse-action reason codes.
//
// # Serialization
//
// An Ensemble marshals to a documented JSON form (see FormatVersion), with floats that read
// back exactly. UnmarshalJSON is strict: unknown, repeated or missing keys, null values,
// trailing data and anything New rejects are errors. Its decoder is hand-written: it reads a
// 300-tree depth-6 model about four times as fast as encoding/json (see BenchmarkUnmarshalJSON).
package gbt
