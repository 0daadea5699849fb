// Package boost trains gradient-boosted decision trees with the histogram method, in pure Go,
// and returns them as a *gbt.Ensemble. In the training flow it sits between feature, which
// produces the numeric matrix, and calibrate/bundle:
//
//	feature.Transform ─▶ boost.Train ─▶ *gbt.Ensemble ─▶ calibrate.Fit ─▶ bundle.Write
//
// The algorithm is XGBoost's tree_method=hist: its parameter names and defaults
// (DefaultParams), split gain and leaf weight (lambda, alpha, gamma, min_child_weight,
// max_delta_step, without the ½, kRtEps 1e-6), learned default directions for missing values,
// depth-wise and loss-guided growth, and monotone constraints; plus LightGBM-style native
// splits of categorical features.
//
// # Objectives and the base score
//
// binary:logistic (gbt.Logistic) and reg:squarederror (gbt.SquaredError). The model starts from
// the constant margin that minimises the weighted training loss: the log-odds of the
// (weighted, scale_pos_weight included) positive rate, or the weighted label mean. XGBoost 1.7
// starts from margin 0 and 2.0 from one Newton step; boosting corrects either, but the
// log-odds start saves the first trees the work. Leaf values are stored multiplied by the
// learning rate; internal nodes hold their (scaled) weight; Gain is XGBoost's loss_chg and Cover
// the hessian sum, for gbt's importance and TreeSHAP.
//
// # Binning
//
// Every feature is quantized once, before the first tree, into at most 256 bins held as one
// byte per value in a row-major matrix (a row's bins are contiguous, as the histogram loop
// reads them) plus a column-major copy for partitioning. Bin 0 of every feature holds missing
// values (NaN), so a numeric feature has at most MaxBin-1 value bins (255 by default, where
// XGBoost has 256 and no missing bin). Numeric cuts are training values placed at equal-weight
// quantiles (row weights count) of a stratified sample of at most 2¹⁸ rows; every distinct value
// gets its own bin when they fit. A value v is in bin 1 + #{cuts ≤ v}, so "bins 1..k go left" is
// exactly gbt's rule v < cut[k-1], and the trees need no conversion. A categorical feature's
// code c (0 ≤ c < MaxCategories, integer) is bin c+1; any other value shares an "other" bin
// that always goes right, as gbt sends unknown codes right. ±Inf is rejected.
//
// # Trees
//
// The rows of every node are a contiguous range of one index array, stably partitioned when
// the node splits. Depth-wise growth splits a whole level at once: one parallel partition
// pass, one parallel pass that builds the histogram of the smaller child of every split (by
// row count), the larger child being parent − smaller in the parent's buffer, and one parallel
// evaluation over (node, feature) pairs. Loss-guided growth (MaxLeaves > 0) expands the leaf
// with the largest loss change first, ties to the older node. Histogram buffers are pooled.
// Training margins are updated leaf by leaf through the row partition; rows left out by
// subsampling, and the validation rows, walk the tree over their bins.
//
// Split search scans each numeric feature's bins forward with missing values right and, if the
// node has missing values, again with them left (including missing-versus-the-rest). A feature
// never missing at a node sends missing values right, as XGBoost does. A categorical feature
// orders the categories present at the node by g/(h+CatSmooth) and tries left sets of up to 32
// categories from either end of that order, missing values left and right; categories whose
// hessian sum is below CatSmooth stay right (LightGBM's rules, with hessian for count).
//
// Monotone constraints follow XGBoost exactly: each node carries bounds on its weights, child
// weights are clamped to the parent's bounds, a split whose left weight exceeds its right
// weight (for +1) is rejected, and the children's bounds meet at the mid-point of the two
// weights. The model is then monotone in the feature over its non-missing values.
//
// # Parallelism and determinism
//
// Work is split into row chunks or (node, feature) tasks handed to Threads goroutines.
// Gradients and histograms are fixed-point integers: float64 gradients are scaled to integers
// per tree (for logistic loss packed as two 20-bit fields in one int64, which halves the
// histogram loop's memory writes; see hist.go) and summed as int64, so every histogram is
// exact whatever the order of the additions. A model is therefore bit-for-bit the same for any
// Threads value, and the subtraction trick loses nothing. Row and column sampling draw from
// hashes of (Seed, tree, row) and generators seeded by (Seed, tree).
//
// # Speed
//
// The hot loops (histogram building, partitioning, bin search) are hand-optimised; their
// comments give the measurements. BenchmarkTrain1M reports ms per tree on 1M rows × 35
// features; TestVersusXGBoost (RISKFLOW_XGB=1) compares time and accuracy with
// python3-xgboost on the same rows.
package boost
