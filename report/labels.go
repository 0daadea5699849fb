package report

import (
	"fmt"
	"math"
	"strings"

	"riskflow/frame"
)

// Labels returns column label of f as 0/1 with the semantics of riskflow train: a numeric
// label must be 0 or 1; a boolean is 1 for true; a text label is 1 where it equals positive
// and 0 elsewhere (without positive, only "0"/"1" and "true"/"false" are accepted). A missing
// or other value is an error naming the row (1-based).
func Labels(f *frame.Frame, label, positive string) ([]float64, error) {
	col, ok := f.Column(label)
	if !ok {
		return nil, fmt.Errorf("report: no label column %q (columns: %s)", label, strings.Join(f.Schema().Names(), ", "))
	}
	y := make([]float64, col.Len())
	for i := range y {
		if col.IsMissing(i) {
			return nil, fmt.Errorf("report: label %s is missing in row %d", label, i+1)
		}
		var v float64
		var err error
		switch col.Kind {
		case frame.Numeric:
			v = col.Num[i]
			if v != 0 && v != 1 {
				err = fmt.Errorf("report: label %s is %v in row %d: want 0 or 1", label, v, i+1)
			}
		case frame.Bool:
			if col.Bools[i] == 1 {
				v = 1
			}
		case frame.String:
			s, _ := col.StringAt(i)
			v, err = labelValue(s, positive)
			if err != nil {
				err = fmt.Errorf("report: label %s in row %d: %w", label, i+1, err)
			}
		default:
			err = fmt.Errorf("report: label %s is a %v column: want numeric 0/1, boolean or text", label, col.Kind)
		}
		if err != nil {
			return nil, err
		}
		y[i] = v
	}
	return y, nil
}

// labelValue maps one text label to 0 or 1.
func labelValue(s, positive string) (float64, error) {
	if positive != "" {
		if s == positive {
			return 1, nil
		}
		return 0, nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true":
		return 1, nil
	case "0", "false":
		return 0, nil
	}
	return math.NaN(), fmt.Errorf("text value %q and no positive value naming default", s)
}
