package frameio

import (
	"io"
	"math"
	"runtime"
	"sync"

	"riskflow/frame"
	"riskflow/internal/jsontext"
)

// rowFormatter appends rows [lo, hi) of cols as text. It returns a *ValueError (with a
// frame-relative row) for values the format cannot hold.
type rowFormatter func(dst []byte, cols []*frame.Column, lo, hi int) ([]byte, error)

// textEncoder writes CSV or JSONL. Formatting numbers and times dominates writing, so blocks of
// rows are formatted on GOMAXPROCS goroutines into separate buffers that are then written in
// order (measured: about 2x faster on 2 cores than one goroutine).
type textEncoder struct {
	w      io.Writer
	format rowFormatter
	bufs   [][]byte
}

const formatBlockRows = 4096

func (e *textEncoder) encode(f *frame.Frame, rowBase int64) error {
	cols := f.Columns()
	n := f.Len()
	w := max(1, min(runtime.GOMAXPROCS(0), n/formatBlockRows))
	for len(e.bufs) < w {
		e.bufs = append(e.bufs, nil)
	}
	errs := make([]error, w)
	round := w * formatBlockRows
	for lo := 0; lo < n; lo += round {
		hi := min(lo+round, n)
		var wg sync.WaitGroup
		for k := 0; k < w; k++ {
			a, b := lo+(hi-lo)*k/w, lo+(hi-lo)*(k+1)/w
			run := func() { e.bufs[k], errs[k] = e.format(e.bufs[k][:0], cols, a, b) }
			if k == w-1 {
				run()
			} else {
				wg.Go(run)
			}
		}
		wg.Wait()
		for k := 0; k < w; k++ {
			if errs[k] != nil {
				if ve, ok := errs[k].(*ValueError); ok {
					ve.Row += rowBase
				}
				return errs[k]
			}
		}
		for k := 0; k < w; k++ {
			if _, err := e.w.Write(e.bufs[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *textEncoder) finish() error { return nil }

func nonFinite(row int, col string) error {
	return &ValueError{Row: int64(row), Column: col, Err: ErrNonFinite}
}

// newCSVEncoder writes the header row at once.
func newCSVEncoder(w io.Writer, schema frame.Schema) (*textEncoder, error) {
	var hdr []byte
	for j, f := range schema {
		if j > 0 {
			hdr = append(hdr, ',')
		}
		hdr = appendCSVString(hdr, f.Name)
	}
	hdr = append(hdr, '\n')
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	return &textEncoder{w: w, format: appendCSVRows}, nil
}

// appendCSVRows formats rows as CSV: numbers in the shortest form that reads back to the same
// bits, missing values as empty fields, booleans as true/false, times as RFC 3339 UTC with
// nanoseconds, strings quoted only when needed.
func appendCSVRows(dst []byte, cols []*frame.Column, lo, hi int) ([]byte, error) {
	for i := lo; i < hi; i++ {
		for j, c := range cols {
			if j > 0 {
				dst = append(dst, ',')
			}
			switch c.Kind {
			case frame.Numeric:
				v := c.Num[i]
				if v != v {
					continue
				}
				if math.IsInf(v, 0) {
					return dst, nonFinite(i, c.Name)
				}
				dst = appendNumber(dst, v)
			case frame.String:
				if code := c.Codes[i]; code != frame.Missing {
					dst = appendCSVString(dst, c.Dict[code])
				}
			case frame.Bool:
				switch c.Bools[i] {
				case 0:
					dst = append(dst, "false"...)
				case 1:
					dst = append(dst, "true"...)
				}
			case frame.Time:
				if ns := c.Times[i]; ns != frame.TimeMissing {
					dst = appendTime(dst, ns)
				}
			}
		}
		dst = append(dst, '\n')
	}
	return dst, nil
}

// appendCSVString appends s, quoted if it holds a comma, quote or line break, starts with a space
// or tab, or would read back as missing (the empty string, "NA", ...).
func appendCSVString(dst []byte, s string) []byte {
	need := s == "" || s[0] == ' ' || s[0] == '\t' || isMissingString(s)
	for i := 0; !need && i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			need = true
		}
	}
	if !need {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// newJSONLEncoder writes one object per row with the schema's keys in order; missing values are
// null.
func newJSONLEncoder(w io.Writer, schema frame.Schema) *textEncoder {
	keys := make([][]byte, len(schema)) // `{"name":` or `,"name":`
	for j, f := range schema {
		k := []byte{','}
		if j == 0 {
			k[0] = '{'
		}
		k = jsontext.AppendString(k, f.Name)
		keys[j] = append(k, ':')
	}
	format := func(dst []byte, cols []*frame.Column, lo, hi int) ([]byte, error) {
		for i := lo; i < hi; i++ {
			if len(cols) == 0 {
				dst = append(dst, '{')
			}
			for j, c := range cols {
				dst = append(dst, keys[j]...)
				switch c.Kind {
				case frame.Numeric:
					v := c.Num[i]
					switch {
					case v != v:
						dst = append(dst, "null"...)
					case math.IsInf(v, 0):
						return dst, nonFinite(i, c.Name)
					default:
						dst = appendNumber(dst, v)
					}
				case frame.String:
					if code := c.Codes[i]; code != frame.Missing {
						dst = jsontext.AppendString(dst, c.Dict[code])
					} else {
						dst = append(dst, "null"...)
					}
				case frame.Bool:
					switch c.Bools[i] {
					case 0:
						dst = append(dst, "false"...)
					case 1:
						dst = append(dst, "true"...)
					default:
						dst = append(dst, "null"...)
					}
				case frame.Time:
					if ns := c.Times[i]; ns != frame.TimeMissing {
						dst = append(dst, '"')
						dst = appendTime(dst, ns)
						dst = append(dst, '"')
					} else {
						dst = append(dst, "null"...)
					}
				}
			}
			dst = append(dst, '}', '\n')
		}
		return dst, nil
	}
	return &textEncoder{w: w, format: format}
}
