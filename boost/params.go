package boost

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"riskflow/gbt"
)

// Feature describes one input column of a Dataset.
type Feature struct {
	Name string
	// Categorical marks a feature whose values are category codes 0, 1, 2, ... (stored as
	// float64); it is split natively into two sets of categories. Codes 0..MaxCategories-1 are
	// learned individually; any other value (a larger, negative or non-integer code) counts as
	// one "other" category that always goes right, as gbt sends unknown codes right.
	Categorical bool
	// Monotone constrains the model's output to be non-decreasing (+1) or non-increasing (-1)
	// in this feature over its non-missing values; 0 means unconstrained. Numeric features only.
	Monotone int8
}

// MaxCategories is the number of category codes of a categorical feature that get their own
// bin (codes 0..253); see Feature.Categorical.
const MaxCategories = 254

// Dataset is a training or validation matrix.
type Dataset struct {
	// X is row-major: X[r*len(Features)+f]. NaN means missing; ±Inf is rejected.
	X        []float64
	Rows     int
	Features []Feature
	// Y holds the labels: 0 or 1 for Logistic, any finite value for SquaredError.
	Y []float64
	// Weight holds optional non-negative row weights; nil means 1 for every row.
	Weight []float64
}

// Params are the training hyperparameters. Names and meanings follow XGBoost's (the XGBoost
// name is in brackets); DefaultParams returns XGBoost's defaults. The zero Params is not
// valid: start from DefaultParams.
type Params struct {
	// Objective is gbt.Logistic (binary:logistic) or gbt.SquaredError (reg:squarederror).
	Objective gbt.Objective
	// Trees is the number of boosting rounds [num_boost_round]. Default 100.
	Trees int
	// LearningRate shrinks every tree's leaf values [eta]. Default 0.3 (XGBoost's).
	LearningRate float64
	// MaxDepth limits the depth of a tree [max_depth]. Default 6. With MaxLeaves > 0, 0 means
	// no depth limit.
	MaxDepth int
	// MaxLeaves > 0 selects leaf-wise growth [grow_policy=lossguide, max_leaves]: the leaf
	// with the largest gain is split first until a tree has MaxLeaves leaves. 0 (default)
	// grows depth-wise [grow_policy=depthwise].
	MaxLeaves int
	// MinChildWeight is the minimum sum of hessians in a child [min_child_weight]. Default 1.
	MinChildWeight float64
	// Lambda is the L2 regularization on leaf weights [lambda, reg_lambda]. Default 1.
	Lambda float64
	// Alpha is the L1 regularization on leaf weights [alpha, reg_alpha]. Default 0.
	Alpha float64
	// Gamma is the minimum loss reduction to make a split [gamma, min_split_loss], compared
	// with XGBoost's gain (without the ½). Default 0.
	Gamma float64
	// MaxDeltaStep clips each leaf weight to ±MaxDeltaStep before the learning rate
	// [max_delta_step]; 0 (default) means no clipping.
	MaxDeltaStep float64
	// Subsample is the probability that a row is used by a tree (a Bernoulli draw per row per
	// tree) [subsample]. Default 1.
	Subsample float64
	// ColsampleByTree is the fraction of features a tree may split on, drawn per tree
	// [colsample_bytree]. Default 1.
	ColsampleByTree float64
	// ScalePosWeight multiplies the weight (hence gradient and hessian) of rows labelled 1
	// [scale_pos_weight]. Logistic only in spirit; applied to any row with label 1. Default 1.
	ScalePosWeight float64
	// MaxBin is the number of histogram bins per numeric feature [max_bin], counting the one
	// bin reserved for missing values: at most MaxBin-1 quantile bins. 2..256, default 256.
	MaxBin int
	// CatSmooth regularizes categorical splits (LightGBM's cat_smooth): categories are
	// ordered by g/(h+CatSmooth), and a category whose hessian sum at a node is below
	// CatSmooth is not placed on its own (it goes right with unknown codes). Default 10.
	CatSmooth float64
	// Seed seeds row and column sampling. The same data, Params and Seed give the same model
	// whatever Threads is.
	Seed uint64
	// Threads is the number of goroutines used; 0 (default) means runtime.GOMAXPROCS(0).
	Threads int
	// EarlyStopping > 0 stops training when the validation metric has not improved for that
	// many rounds [early_stopping_rounds]; the returned model keeps trees up to the best
	// round. It needs a validation set. Default 0 (off).
	EarlyStopping int
	// EvalMetric is the validation metric [eval_metric]: "logloss" or "auc" (Logistic),
	// "rmse" (either objective). "" means logloss for Logistic and rmse for SquaredError.
	EvalMetric string
}

// DefaultParams returns XGBoost's defaults for binary:logistic with 100 rounds.
func DefaultParams() Params {
	return Params{
		Objective:       gbt.Logistic,
		Trees:           100,
		LearningRate:    0.3,
		MaxDepth:        6,
		MinChildWeight:  1,
		Lambda:          1,
		Subsample:       1,
		ColsampleByTree: 1,
		ScalePosWeight:  1,
		MaxBin:          256,
		CatSmooth:       10,
	}
}

// ErrParams is wrapped by every error Params.Validate returns.
var ErrParams = errors.New("boost: invalid params")

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrParams}, a...)...)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch p.Objective {
	case gbt.Logistic, gbt.SquaredError:
	default:
		return bad("objective %q (want %q or %q)", p.Objective, gbt.Logistic, gbt.SquaredError)
	}
	switch {
	case p.Trees < 1:
		return bad("trees %d < 1", p.Trees)
	case !finite(p.LearningRate) || p.LearningRate <= 0:
		return bad("learning rate %v not > 0", p.LearningRate)
	case p.MaxDepth < 0 || p.MaxDepth > 63:
		return bad("max depth %d not in 0..63", p.MaxDepth)
	case p.MaxLeaves < 0 || p.MaxLeaves == 1:
		return bad("max leaves %d (want 0 or ≥ 2)", p.MaxLeaves)
	case p.MaxLeaves == 0 && p.MaxDepth == 0:
		return bad("depth-wise growth needs max depth ≥ 1")
	case !finite(p.MinChildWeight) || p.MinChildWeight < 0:
		return bad("min child weight %v < 0", p.MinChildWeight)
	case !finite(p.Lambda) || p.Lambda < 0:
		return bad("lambda %v < 0", p.Lambda)
	case !finite(p.Alpha) || p.Alpha < 0:
		return bad("alpha %v < 0", p.Alpha)
	case !finite(p.Gamma) || p.Gamma < 0:
		return bad("gamma %v < 0", p.Gamma)
	case !finite(p.MaxDeltaStep) || p.MaxDeltaStep < 0:
		return bad("max delta step %v < 0", p.MaxDeltaStep)
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return bad("subsample %v not in (0, 1]", p.Subsample)
	case !(p.ColsampleByTree > 0 && p.ColsampleByTree <= 1):
		return bad("colsample by tree %v not in (0, 1]", p.ColsampleByTree)
	case !finite(p.ScalePosWeight) || p.ScalePosWeight <= 0:
		return bad("scale pos weight %v not > 0", p.ScalePosWeight)
	case p.MaxBin < 2 || p.MaxBin > 256:
		return bad("max bin %d not in 2..256", p.MaxBin)
	case !finite(p.CatSmooth) || p.CatSmooth < 0:
		return bad("cat smooth %v < 0", p.CatSmooth)
	case p.Threads < 0:
		return bad("threads %d < 0", p.Threads)
	case p.EarlyStopping < 0:
		return bad("early stopping %d < 0", p.EarlyStopping)
	}
	switch p.EvalMetric {
	case "", "rmse":
	case "logloss", "auc":
		if p.Objective != gbt.Logistic {
			return bad("eval metric %q needs objective %q", p.EvalMetric, gbt.Logistic)
		}
	default:
		return bad("eval metric %q (want logloss, auc or rmse)", p.EvalMetric)
	}
	return nil
}

// threads returns the effective number of goroutines.
func (p Params) threads() int {
	if p.Threads > 0 {
		return p.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// metric returns the effective evaluation metric.
func (p Params) metric() string {
	if p.EvalMetric != "" {
		return p.EvalMetric
	}
	if p.Objective == gbt.Logistic {
		return "logloss"
	}
	return "rmse"
}

// Progress is reported after every tree.
type Progress struct {
	Tree    int           // trees built so far
	Trees   int           // Params.Trees
	Metric  float64       // validation metric after this tree; NaN without a validation set
	Best    int           // 0-based round with the best validation metric so far
	Elapsed time.Duration // since Train started
}

// Options are Train's non-hyperparameter settings; the zero value is valid.
type Options struct {
	// Progress, if set, is called after every tree from the goroutine that called Train.
	Progress func(Progress)
}

// Result is what Train returns.
type Result struct {
	// Model holds BestIteration+1 trees when early stopping was on, every tree otherwise.
	Model *gbt.Ensemble
	// BestIteration is the 0-based round with the best validation metric (the last round
	// without a validation set).
	BestIteration int
	// BestScore is the validation metric at BestIteration; NaN without a validation set.
	BestScore float64
	// History holds the validation metric after each round; nil without a validation set.
	History []float64
	// TrainTime is the wall time Train took.
	TrainTime time.Duration

	trainMargins []float64 // the training rows' margins as training kept them (for tests)
}
