package report

import (
	"encoding/json"
	"fmt"

	"riskflow/internal/atomicfile"
)

// JSON returns the report's JSON form: every metric, interval, table and verdict (the exported
// fields of Report), indented.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encoding JSON: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteJSON writes the JSON form to path atomically.
func (r *Report) WriteJSON(path string) error {
	b, err := r.JSON()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}
