package calibrate

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// calibratorJSON has Calibrator's fields without its methods, so that encoding/json does
// not recurse into MarshalJSON and UnmarshalJSON.
type calibratorJSON Calibrator

// MarshalJSON validates the calibrator and encodes it as {"method":"platt","a":…,"b":…},
// {"method":"isotonic","x":[…],"y":[…]} or {"method":"none"}. Floats round-trip exactly.
func (c *Calibrator) MarshalJSON() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal((*calibratorJSON)(c))
}

// UnmarshalJSON decodes MarshalJSON's form, rejecting unknown fields, and validates the
// result (see Validate). On error c is left unchanged.
func (c *Calibrator) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j calibratorJSON
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out := Calibrator(j)
	if err := out.Validate(); err != nil {
		return err
	}
	*c = out
	return nil
}
