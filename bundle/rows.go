package bundle

import (
	"context"
	"errors"
	"fmt"
	"math"

	"riskflow/feature"
	"riskflow/frame"
)

// RowError is a row of a frame that could not be scored: the transformer rejected one of its
// values (a missing value where the spec says missing: error, an unseen level where it says
// unknown: error, a non-finite number, ...).
type RowError struct {
	Row int   // 0-based row in the frame given to ScoreRows or ExplainRows
	Err error // why; a *feature.FieldError when the transformer says so
}

func (e *RowError) Error() string { return fmt.Sprintf("bundle: row %d: %v", e.Row, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

// ScoreRows scores every row of f into dst (len f.Len()) like ScoreFrame, but a row the
// transformer rejects does not fail the call: it is returned as a RowError (in row order) and
// its slot in dst is NaN. Every other row gets exactly the probability ScoreFrame and Score give
// it. A problem with the frame as a whole (a missing input column, a column of the wrong kind)
// and a cancelled ctx are returned as the error.
//
// A frame without bad rows costs one ScoreFrame call; otherwise the failing parts are bisected
// down to the bad rows, so a few bad rows cost a few dozen extra calls on smaller frames.
func (b *Bundle) ScoreRows(ctx context.Context, f *frame.Frame, dst []float64) ([]RowError, error) {
	if len(dst) != f.Len() {
		return nil, fmt.Errorf("bundle: ScoreRows: dst has %d slots for %d rows", len(dst), f.Len())
	}
	return scoreRows(ctx, f, func(sub *frame.Frame, lo, hi int) error {
		return b.ScoreFrame(ctx, sub, dst[lo:hi])
	}, func(i int) { dst[i] = math.NaN() })
}

// ExplainRows is ExplainFrame with ScoreRows' handling of bad rows: their probability is NaN and
// their reasons are empty.
func (b *Bundle) ExplainRows(ctx context.Context, f *frame.Frame, k int, p []float64, reasons []Reason) ([]RowError, error) {
	if len(p) != f.Len() || len(reasons) != f.Len()*k {
		return nil, fmt.Errorf("bundle: ExplainRows: %d probabilities and %d reasons for %d rows and k=%d", len(p), len(reasons), f.Len(), k)
	}
	return scoreRows(ctx, f, func(sub *frame.Frame, lo, hi int) error {
		return b.ExplainFrame(ctx, sub, k, p[lo:hi], reasons[lo*k:hi*k])
	}, func(i int) {
		p[i] = math.NaN()
		clear(reasons[i*k : (i+1)*k])
	})
}

// scoreRows runs score on f and, if it fails, on halves of the failing parts until the failing
// rows are single rows. score(sub, lo, hi) scores sub = f.Slice(lo, hi); reject(i) clears row
// i's outputs.
func scoreRows(ctx context.Context, f *frame.Frame, score func(sub *frame.Frame, lo, hi int) error, reject func(i int)) ([]RowError, error) {
	n := f.Len()
	err := score(f, 0, n)
	if err == nil {
		return nil, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	// An error that an empty frame has too is not about any row.
	if err := score(f.Slice(0, 0), 0, 0); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, err
	}
	var bad []RowError
	// split handles [lo, hi), known to fail with err.
	var split func(lo, hi int, err error) error
	split = func(lo, hi int, err error) error {
		if hi-lo == 1 {
			reject(lo)
			bad = append(bad, RowError{Row: lo, Err: rowCause(err)})
			return nil
		}
		mid := lo + (hi-lo)/2
		for _, h := range [2][2]int{{lo, mid}, {mid, hi}} {
			if err := score(f.Slice(h[0], h[1]), h[0], h[1]); err != nil {
				if cerr := ctx.Err(); cerr != nil {
					return cerr
				}
				if err := split(h[0], h[1], err); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := split(0, n, err); err != nil {
		return nil, err
	}
	return bad, nil
}

// rowCause returns the transformer's *feature.FieldError inside err (without the row number
// Transform appends, which counts rows of a one-row frame), or err itself.
func rowCause(err error) error {
	if fe, ok := errors.AsType[*feature.FieldError](err); ok {
		return fe
	}
	return err
}
