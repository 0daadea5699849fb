package linear

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Defaults for the zero fields of Params.
const (
	DefaultL2      = 1.0
	DefaultMaxIter = 1000
	DefaultTol     = 1e-7
)

// Errors wrapped by Train, Validate and the JSON decoder.
var (
	// ErrInput: the training data are unusable (shape, NaN or infinite value, label not 0
	// or 1, one class only). A NaN error names the column: impute upstream.
	ErrInput = errors.New("linear: invalid input")
	// ErrParams: Params.Validate failed.
	ErrParams = errors.New("linear: invalid params")
	// ErrNoConvergence: the optimiser stopped (iteration limit, or no further progress)
	// before the gradient reached Tol. Train returns the model it reached together with this
	// error; it is usable but may be slightly off the optimum.
	ErrNoConvergence = errors.New("linear: optimiser did not converge")
	// ErrInvalid: a Model's fields are inconsistent (see Model.Validate).
	ErrInvalid = errors.New("linear: invalid model")
)

// Params configures Train. The zero value means the defaults.
type Params struct {
	// L2 is the ridge penalty λ: Train minimises Σᵢ logloss(yᵢ, xᵢ·w + b) + λ/2·‖w‖², the sum
	// (not the mean) of the row losses plus the penalty, intercept b not penalised. This is
	// scikit-learn's LogisticRegression(C=1/λ, penalty="l2"). 0 means DefaultL2 (C = 1);
	// negative is invalid. To approximate no penalty pass a tiny value such as 1e-8 (without
	// a penalty, separable data have no finite solution).
	L2 float64
	// MaxIter caps the L-BFGS iterations; 0 means DefaultMaxIter.
	MaxIter int
	// Tol stops the optimiser when every component of the gradient of the objective divided
	// by the number of rows (in standardised coordinates) is at most Tol; 0 means DefaultTol.
	// The weights are then within about Tol/(p(1−p)) of the optimum on the standardised
	// scale. Below about 1e-8 the line search may not resolve the objective's decrease in
	// float64 and Train reports ErrNoConvergence.
	Tol float64
	// Standardize applies the penalty to the weights of standardised features (each column
	// centred and divided by its population standard deviation; constant columns by 1), as
	// StandardScaler followed by LogisticRegression would. The model's weights are always on
	// the raw feature scale, so prediction needs no scaling. Without Standardize the penalty
	// falls on the raw weights, which makes it depend on the features' units. (Either way
	// the optimiser works in standardised coordinates for conditioning.)
	Standardize bool
	// FeatureNames, if set, must have one name per column; they name columns in errors and
	// are stored in the model.
	FeatureNames []string
}

// Validate checks the parameters.
func (p Params) Validate() error {
	switch {
	case p.L2 < 0 || math.IsNaN(p.L2) || math.IsInf(p.L2, 0):
		return fmt.Errorf("%w: L2 = %v", ErrParams, p.L2)
	case p.MaxIter < 0:
		return fmt.Errorf("%w: MaxIter = %d", ErrParams, p.MaxIter)
	case p.Tol < 0 || math.IsNaN(p.Tol) || math.IsInf(p.Tol, 0):
		return fmt.Errorf("%w: Tol = %v", ErrParams, p.Tol)
	}
	return nil
}

func (p Params) withDefaults() Params {
	if p.L2 == 0 {
		p.L2 = DefaultL2
	}
	if p.MaxIter == 0 {
		p.MaxIter = DefaultMaxIter
	}
	if p.Tol == 0 {
		p.Tol = DefaultTol
	}
	return p
}

// Train fits an L2-regularised logistic regression to the rows×cols row-major matrix X and
// labels y (0 or 1) with gonum's L-BFGS. It honours ctx cancellation between evaluations.
//
// X must hold no NaN or infinite value: missing values are imputed by the feature pipeline,
// and Train names the first offending column and row in an ErrInput error. Both classes must
// occur (with one class the unpenalised intercept diverges).
//
// If the optimiser stops before the gradient reaches Tol, Train returns the model it reached
// together with an error wrapping ErrNoConvergence.
func Train(ctx context.Context, X []float64, rows, cols int, y []float64, p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p = p.withDefaults()
	if err := checkData(X, rows, cols, y, p.FeatureNames); err != nil {
		return nil, err
	}
	prob := newProblem(X, rows, cols, y, p)
	theta := make([]float64, cols+1)
	// Start at the base rate: zero weights, intercept the log-odds of the positive rate.
	var npos float64
	for _, v := range y {
		npos += v
	}
	theta[cols] = math.Log(npos / (float64(rows) - npos))

	settings := &optimize.Settings{
		GradientThreshold: p.Tol,
		MajorIterations:   p.MaxIter,
		Converger:         optimize.NeverTerminate{}, // stop on the gradient, not on F
	}
	problem := optimize.Problem{
		Func: prob.value,
		Grad: prob.gradient,
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	res, err := optimize.Minimize(problem, theta, settings, &optimize.LBFGS{})
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("linear: train: %w", ctxErr)
	}
	if res == nil {
		return nil, fmt.Errorf("linear: train: %w", err)
	}
	m := prob.model(res.X)
	if p.FeatureNames != nil {
		m.FeatureNames = append([]string(nil), p.FeatureNames...)
	}
	if err := m.Validate(); err != nil {
		return nil, err // a non-finite weight: the optimiser diverged
	}
	if res.Status != optimize.GradientThreshold {
		// L-BFGS can stall a hair above Tol when the objective is flat to rounding; judge by
		// the gradient itself.
		g := make([]float64, cols+1)
		prob.gradient(g, res.X)
		if gn := floats.Norm(g, math.Inf(1)); gn > p.Tol {
			return m, fmt.Errorf("%w: status %v after %d iterations, gradient %.3g > tol %.3g (%v)",
				ErrNoConvergence, res.Status, res.Stats.MajorIterations, gn, p.Tol, err)
		}
	}
	return m, nil
}

// checkData validates the shape, values and labels of the training data.
func checkData(X []float64, rows, cols int, y []float64, names []string) error {
	if rows <= 0 || cols <= 0 {
		return fmt.Errorf("%w: %d rows × %d columns", ErrInput, rows, cols)
	}
	if len(X) != rows*cols {
		return fmt.Errorf("%w: X has %d values, want %d rows × %d columns", ErrInput, len(X), rows, cols)
	}
	if len(y) != rows {
		return fmt.Errorf("%w: %d labels for %d rows", ErrInput, len(y), rows)
	}
	if names != nil && len(names) != cols {
		return fmt.Errorf("%w: %d feature names for %d columns", ErrInput, len(names), cols)
	}
	for i, v := range X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: column %s has %v in row %d (impute missing values upstream)",
				ErrInput, columnName(names, i%cols), v, i/cols)
		}
	}
	var npos int
	for i, v := range y {
		switch v {
		case 1:
			npos++
		case 0:
		default:
			return fmt.Errorf("%w: row %d has label %v, want 0 or 1", ErrInput, i, v)
		}
	}
	if npos == 0 || npos == rows {
		return fmt.Errorf("%w: %d positives of %d rows: need both classes", ErrInput, npos, rows)
	}
	return nil
}

func columnName(names []string, j int) string {
	if names != nil {
		return fmt.Sprintf("%q (%d)", names[j], j)
	}
	return fmt.Sprint(j)
}

// problem is the objective in standardised coordinates θ = (v, c): with column means μ and
// scales s, the raw weights are w = v/s and the raw intercept b = c − w·μ, so the margin is
// xᵢ·w + b. The optimiser sees F(θ)/n, whose gradient is O(1) whatever the number of rows.
type problem struct {
	x          *mat.Dense // rows × cols, sharing the caller's X
	y          []float64
	mean, scl  []float64
	l2         float64
	penScale   []float64 // penalty on v_j is λ/2·v_j²·penScale_j: 1 standardised, 1/s_j² raw
	rows, cols int

	// Scratch and a one-entry cache: L-BFGS asks for F and ∇F at the same point.
	w, margin, resid *mat.VecDense
	cacheX, cacheG   []float64
	cacheF           float64
	cached           bool
}

func newProblem(X []float64, rows, cols int, y []float64, p Params) *problem {
	pr := &problem{
		x: mat.NewDense(rows, cols, X), y: y, l2: p.L2, rows: rows, cols: cols,
		mean: make([]float64, cols), scl: make([]float64, cols), penScale: make([]float64, cols),
		w: mat.NewVecDense(cols, nil), margin: mat.NewVecDense(rows, nil), resid: mat.NewVecDense(rows, nil),
		cacheX: make([]float64, cols+1), cacheG: make([]float64, cols+1),
	}
	for i := range rows {
		floats.Add(pr.mean, X[i*cols:(i+1)*cols])
	}
	floats.Scale(1/float64(rows), pr.mean)
	for i := range rows {
		for j, v := range X[i*cols : (i+1)*cols] {
			d := v - pr.mean[j]
			pr.scl[j] += d * d
		}
	}
	for j := range pr.scl {
		s := math.Sqrt(pr.scl[j] / float64(rows))
		if !(s > 1e-12*math.Max(1, math.Abs(pr.mean[j]))) {
			s = 1 // a constant column (StandardScaler does the same)
		}
		pr.scl[j] = s
		if p.Standardize {
			pr.penScale[j] = 1
		} else {
			pr.penScale[j] = 1 / (s * s)
		}
	}
	return pr
}

// raw returns the raw weights (written to pr.w) and intercept of θ.
func (pr *problem) raw(theta []float64) (w []float64, b float64) {
	w = pr.w.RawVector().Data
	b = theta[pr.cols]
	for j := range w {
		w[j] = theta[j] / pr.scl[j]
		b -= w[j] * pr.mean[j]
	}
	return w, b
}

// eval computes F(θ)/n and its gradient into the cache.
func (pr *problem) eval(theta []float64) {
	if pr.cached && floats.Equal(theta, pr.cacheX) {
		return
	}
	_, b := pr.raw(theta)
	pr.margin.MulVec(pr.x, pr.w)
	m := pr.margin.RawVector().Data
	r := pr.resid.RawVector().Data
	var f, sumR float64
	for i, z := range m {
		z += b
		// log(1 + e^z) − y·z and σ(z) − y, sharing one exp, without overflow.
		e := math.Exp(-math.Abs(z))
		var s float64 // σ(z)
		if z >= 0 {
			f += z + math.Log1p(e)
			s = 1 / (1 + e)
		} else {
			f += math.Log1p(e)
			s = e / (1 + e)
		}
		f -= pr.y[i] * z
		r[i] = s - pr.y[i]
		sumR += r[i]
	}
	// ∂/∂v_j = (Σᵢ rᵢ·xᵢⱼ − μⱼ·Σᵢ rᵢ)/sⱼ + λ·v_j·penScaleⱼ;  ∂/∂c = Σᵢ rᵢ.
	g := pr.cacheG
	gw := mat.NewVecDense(pr.cols, g[:pr.cols])
	gw.MulVec(pr.x.T(), pr.resid)
	n := float64(pr.rows)
	for j := range pr.cols {
		v := theta[j]
		f += pr.l2 / 2 * v * v * pr.penScale[j]
		g[j] = ((g[j]-pr.mean[j]*sumR)/pr.scl[j] + pr.l2*v*pr.penScale[j]) / n
	}
	g[pr.cols] = sumR / n
	pr.cacheF = f / n
	copy(pr.cacheX, theta)
	pr.cached = true
}

func (pr *problem) value(theta []float64) float64 {
	pr.eval(theta)
	return pr.cacheF
}

func (pr *problem) gradient(grad, theta []float64) {
	pr.eval(theta)
	copy(grad, pr.cacheG)
}

// model builds the raw-scale model of θ.
func (pr *problem) model(theta []float64) *Model {
	w, b := pr.raw(theta)
	return &Model{
		Weights:   append([]float64(nil), w...),
		Intercept: b,
		Means:     append([]float64(nil), pr.mean...),
	}
}
