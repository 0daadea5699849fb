package calibrate

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Method names a calibration method.
type Method string

// The calibration methods.
const (
	None     Method = "none"     // identity: Apply returns its input
	Platt    Method = "platt"    // sigmoid of an affine function of the score's logit
	Isotonic Method = "isotonic" // monotone piecewise-linear map fitted by pool-adjacent-violators
)

// ParseMethod returns the Method named s, or an error wrapping ErrInvalid.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case None, Platt, Isotonic:
		return m, nil
	}
	return "", fmt.Errorf("%w: unknown method %q (want none, platt or isotonic)", ErrInvalid, s)
}

// Eps bounds the scores Platt scaling takes the logit of: scores are clipped to
// [Eps, 1−Eps] first, so a score of exactly 0 or 1 (a saturated sigmoid) has logit ∓34.5.
const Eps = 1e-15

// Errors wrapped by Fit, Validate and the JSON decoder.
var (
	// ErrInput: the fitting data are unusable (length mismatch, no rows, a label not 0 or
	// 1, a score NaN or outside [0, 1], or only one class).
	ErrInput = errors.New("calibrate: invalid input")
	// ErrInvalid: a calibrator's parameters are inconsistent (unknown method, non-finite
	// Platt coefficients, unsorted or out-of-range isotonic knots).
	ErrInvalid = errors.New("calibrate: invalid calibrator")
)

// Calibrator maps a model's probability to a calibrated probability. For Platt,
// Apply(p) = 1/(1 + exp(A·logit(p) + B)) (Platt's sign convention, as scikit-learn's
// _SigmoidCalibration: a useful A is negative). For Isotonic, X and Y are the knots of a
// non-decreasing piecewise-linear function: X strictly increasing, Y non-decreasing in [0, 1];
// inputs outside [X[0], X[len-1]] are clipped to it.
//
// A Calibrator is immutable after Fit or decoding and safe for concurrent use.
type Calibrator struct {
	Method Method    `json:"method"`
	A      float64   `json:"a,omitempty"`
	B      float64   `json:"b,omitempty"`
	X      []float64 `json:"x,omitempty"`
	Y      []float64 `json:"y,omitempty"`
}

// Fit fits a calibrator of method m to scores and labels y (0 or 1). Scores are the model's
// probabilities in [0, 1], for both methods: isotonic regression is fitted on them directly,
// Platt scaling on their logit (so for a boosted model, whose probability is the sigmoid of
// its margin, Platt scaling works on the margin). Fit the calibrator on rows the model was not
// trained on.
//
// Isotonic regression overfits small samples (scikit-learn advises Platt scaling well below
// 1000 rows). Fit with None returns the identity without looking at the data.
//
// Errors wrap ErrInput (see there), or ErrInvalid for an unknown method.
func Fit(m Method, scores, y []float64) (*Calibrator, error) {
	if _, err := ParseMethod(string(m)); err != nil {
		return nil, err
	}
	if m == None {
		return &Calibrator{Method: None}, nil
	}
	if err := checkInput(scores, y); err != nil {
		return nil, err
	}
	switch m {
	case Platt:
		a, b := fitPlatt(scores, y)
		if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
			// Newton with a line search never leaves the finite region; keep the guard anyway.
			return nil, fmt.Errorf("calibrate: platt: no finite solution (a=%v, b=%v)", a, b)
		}
		return &Calibrator{Method: Platt, A: a, B: b}, nil
	default:
		x, v := fitIsotonic(scores, y)
		return &Calibrator{Method: Isotonic, X: x, Y: v}, nil
	}
}

func checkInput(scores, y []float64) error {
	if len(scores) != len(y) {
		return fmt.Errorf("%w: %d scores, %d labels", ErrInput, len(scores), len(y))
	}
	if len(y) == 0 {
		return fmt.Errorf("%w: no rows", ErrInput)
	}
	var npos int
	for i, v := range y {
		switch v {
		case 1:
			npos++
		case 0:
		default:
			return fmt.Errorf("%w: row %d: label %v is not 0 or 1", ErrInput, i, v)
		}
		if s := scores[i]; !(s >= 0 && s <= 1) {
			return fmt.Errorf("%w: row %d: score %v is not a probability", ErrInput, i, s)
		}
	}
	if npos == 0 || npos == len(y) {
		return fmt.Errorf("%w: %d positives of %d rows: need both classes", ErrInput, npos, len(y))
	}
	return nil
}

// Apply returns the calibrated probability of p. It does not allocate: Platt costs a log and
// an exp, Isotonic a binary search over the knots. A NaN p gives NaN. An unknown method
// (which Validate rejects) behaves as None.
func (c *Calibrator) Apply(p float64) float64 {
	switch c.Method {
	case Platt:
		return sigmoidNeg(c.A*logit(p) + c.B)
	case Isotonic:
		return interpolate(c.X, c.Y, p)
	}
	return p
}

// ApplyBatch writes Apply(p[i]) to dst[i]. It panics if the lengths differ.
func (c *Calibrator) ApplyBatch(dst, p []float64) {
	if len(dst) != len(p) {
		panic(fmt.Sprintf("calibrate: ApplyBatch: dst has %d elements, p %d", len(dst), len(p)))
	}
	for i, v := range p {
		dst[i] = c.Apply(v)
	}
}

// logit returns ln(p/(1−p)) of p clipped to [Eps, 1−Eps].
func logit(p float64) float64 {
	p = min(max(p, Eps), 1-Eps)
	return math.Log(p) - math.Log1p(-p)
}

// sigmoidNeg returns 1/(1+e^z) without overflow.
func sigmoidNeg(z float64) float64 {
	if z >= 0 {
		e := math.Exp(-z)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(z))
}

// interpolate evaluates the piecewise-linear function through the knots (x, y) at v, clipping
// v to [x[0], x[len-1]]: scikit-learn's IsotonicRegression(out_of_bounds="clip").predict.
func interpolate(x, y []float64, v float64) float64 {
	n := len(x)
	switch {
	case n == 0 || math.IsNaN(v):
		return math.NaN()
	case v <= x[0]:
		return y[0]
	case v >= x[n-1]:
		return y[n-1]
	}
	// The first knot above v; 1 ≤ i ≤ n−1 since x[0] < v < x[n−1].
	i := sort.Search(n, func(k int) bool { return x[k] > v })
	x0, x1, y0, y1 := x[i-1], x[i], y[i-1], y[i]
	if y0 == y1 {
		return y0
	}
	return y0 + (y1-y0)*(v-x0)/(x1-x0)
}

// Validate checks the calibrator's parameters: a known method; finite A and B for Platt; for
// Isotonic at least one knot, len(X) == len(Y), X finite and strictly increasing, Y
// non-decreasing in [0, 1]. Errors wrap ErrInvalid.
func (c *Calibrator) Validate() error {
	if _, err := ParseMethod(string(c.Method)); err != nil {
		return err
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if c.Method != Isotonic && (len(c.X) > 0 || len(c.Y) > 0) {
		return fmt.Errorf("%w: %s calibrator has isotonic knots", ErrInvalid, c.Method)
	}
	switch c.Method {
	case None:
		if c.A != 0 || c.B != 0 {
			return fmt.Errorf("%w: identity calibrator has coefficients", ErrInvalid)
		}
	case Platt:
		if !finite(c.A) || !finite(c.B) {
			return fmt.Errorf("%w: platt coefficients a=%v, b=%v", ErrInvalid, c.A, c.B)
		}
	case Isotonic:
		if c.A != 0 || c.B != 0 {
			return fmt.Errorf("%w: isotonic calibrator has platt coefficients", ErrInvalid)
		}
		if len(c.X) == 0 || len(c.X) != len(c.Y) {
			return fmt.Errorf("%w: %d isotonic x knots, %d y knots", ErrInvalid, len(c.X), len(c.Y))
		}
		for i := range c.X {
			if !finite(c.X[i]) {
				return fmt.Errorf("%w: knot %d: x = %v", ErrInvalid, i, c.X[i])
			}
			if !(c.Y[i] >= 0 && c.Y[i] <= 1) {
				return fmt.Errorf("%w: knot %d: y = %v not in [0, 1]", ErrInvalid, i, c.Y[i])
			}
			if i > 0 && !(c.X[i] > c.X[i-1]) {
				return fmt.Errorf("%w: knot %d: x = %v not above %v", ErrInvalid, i, c.X[i], c.X[i-1])
			}
			if i > 0 && c.Y[i] < c.Y[i-1] {
				return fmt.Errorf("%w: knot %d: y = %v below %v", ErrInvalid, i, c.Y[i], c.Y[i-1])
			}
		}
	}
	return nil
}
