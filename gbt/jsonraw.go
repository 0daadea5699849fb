package gbt

import "fmt"

// DecodeJSONPrefix decodes the JSON form of an ensemble (see FormatVersion) that starts b,
// after optional white space, exactly as UnmarshalJSON does (same strictness, same
// validation, same errors), and returns it with the offset in b just past its closing brace.
// What follows is left to the caller: it is for a decoder of a larger document (a bundle's
// payload) that holds an ensemble as one member, so that the trees, nearly all of such a
// document, are parsed once instead of being scanned first to find where they end.
func DecodeJSONPrefix(b []byte) (e *Ensemble, n int, err error) {
	d := jsonDecoder{b: b}
	in, err := d.ensemble()
	if err != nil {
		return nil, 0, fmt.Errorf("gbt: decode ensemble: %w", err)
	}
	// What New does, without its copy: nothing else holds the decoded slices.
	f, err := compile(in)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	in.flat = f
	return in, d.i, nil
}
