package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"riskflow/frame"
	"riskflow/frameio"
)

// With --on-error skip, a CSV or JSONL file's non-text model inputs are read as text, so that a
// value of the wrong type ("twelve" in a numeric column) cannot stop the reader, and each chunk
// is typed here: every distinct value of such a column is parsed by frameio itself, from a
// one-column CSV document with the column's kind forced, so a value that parses gets exactly
// the bits frameio would have read (quoting does not matter in a non-text CSV column, and
// frameio's JSONL reader converts values to their kind through the same text rules). The
// values that do not parse are found by bisection and reject their rows.

// typeColumns returns chunk with the columns named in kinds (String columns holding the text)
// converted to those kinds, and for each row the reason it cannot be typed ("" when it can;
// nil when every row can). A rejected row's converted values are missing.
func typeColumns(ctx context.Context, chunk *frame.Frame, kinds map[string]frame.Kind) (*frame.Frame, []string, error) {
	n := chunk.Len()
	var reasons []string
	cols := make([]*frame.Column, chunk.NumCols())
	for j, col := range chunk.Columns() {
		kind, ok := kinds[col.Name]
		if !ok {
			cols[j] = col
			continue
		}
		if col.Kind != frame.String {
			return nil, nil, fmt.Errorf("predict: column %s: read as %s, want text", col.Name, col.Kind)
		}
		vals, bad, err := parseValues(ctx, col.Name, kind, col.Dict)
		if err != nil {
			return nil, nil, err
		}
		out := frame.NewColumn(col.Name, kind, n)
		for i, c := range col.Codes {
			switch {
			case c == frame.Missing:
				out.AppendMissing()
				continue
			case c < 0 || int(c) >= len(col.Dict):
				return nil, nil, fmt.Errorf("predict: column %s: dictionary code %d out of range", col.Name, c)
			case bad[c] != nil:
				if reasons == nil {
					reasons = make([]string, n)
				}
				if reasons[i] == "" {
					reasons[i] = fmt.Sprintf("column %s: %v", col.Name, bad[c])
				}
				out.AppendMissing()
				continue
			}
			switch kind {
			case frame.Numeric:
				out.AppendFloat(vals.Num[c])
			case frame.Bool:
				if v := vals.Bools[c]; v == frame.BoolMissing {
					out.AppendMissing()
				} else {
					out.AppendBool(v == 1)
				}
			case frame.Time:
				if ns := vals.Times[c]; ns == frame.TimeMissing {
					out.AppendMissing()
				} else {
					out.AppendTime(time.Unix(0, ns).UTC())
				}
			}
		}
		cols[j] = out
	}
	typed, err := frame.New(cols...)
	if err != nil {
		return nil, nil, fmt.Errorf("predict: %w", err)
	}
	return typed, reasons, nil
}

// parseValues parses texts as a column of the given kind (Numeric, Bool or Time) with
// frameio's rules. It returns the values (one row per text; a text that does not parse gets a
// missing value) and, per text, why it does not parse (nil when it does).
func parseValues(ctx context.Context, name string, kind frame.Kind, texts []string) (*frame.Column, []error, error) {
	if kind != frame.Numeric && kind != frame.Bool && kind != frame.Time {
		return nil, nil, fmt.Errorf("predict: column %s: cannot type text as %s", name, kind)
	}
	bad := make([]error, len(texts))
	vals := frame.NewColumn(name, kind, len(texts))
	for range texts {
		vals.AppendMissing()
	}
	// decode parses texts[lo:hi] into vals, bisecting around values frameio rejects.
	var decode func(lo, hi int) error
	decode = func(lo, hi int) error {
		if lo == hi {
			return nil
		}
		col, err := decodeTexts(ctx, name, kind, texts[lo:hi])
		var pe *frameio.ParseError
		switch {
		case err == nil:
			switch kind {
			case frame.Numeric:
				copy(vals.Num[lo:hi], col.Num)
			case frame.Bool:
				copy(vals.Bools[lo:hi], col.Bools)
			case frame.Time:
				copy(vals.Times[lo:hi], col.Times)
			}
			return nil
		case !errors.As(err, &pe):
			return err
		case hi-lo == 1:
			bad[lo] = pe.Err
			return nil
		}
		mid := lo + (hi-lo)/2
		if err := decode(lo, mid); err != nil {
			return err
		}
		return decode(mid, hi)
	}
	if err := decode(0, len(texts)); err != nil {
		return nil, nil, err
	}
	return vals, bad, nil
}

// decodeTexts parses texts as one CSV column of the given kind.
func decodeTexts(ctx context.Context, name string, kind frame.Kind, texts []string) (*frame.Column, error) {
	var buf bytes.Buffer
	quote := func(s string) {
		buf.WriteByte('"')
		buf.WriteString(strings.ReplaceAll(s, `"`, `""`))
		buf.WriteString("\"\n")
	}
	quote(name)
	for _, s := range texts {
		quote(s)
	}
	f, err := frameio.Decode(ctx, &buf, frameio.CSV, frameio.ReadOptions{Kinds: map[string]frame.Kind{name: kind}})
	if err != nil {
		return nil, err
	}
	if f.Len() != len(texts) || f.NumCols() != 1 || f.Col(0).Kind != kind {
		return nil, fmt.Errorf("predict: column %s: %d values read back as %d rows", name, len(texts), f.Len())
	}
	return f.Col(0), nil
}
