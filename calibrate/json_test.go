package calibrate

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	s, y := miscalibrated(3, 500)
	for _, m := range []Method{None, Platt, Isotonic} {
		t.Run(string(m), func(t *testing.T) {
			c, err := Fit(m, s, y)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var back Calibrator
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back.Method != c.Method || back.A != c.A || back.B != c.B || !slices.Equal(back.X, c.X) || !slices.Equal(back.Y, c.Y) {
				t.Errorf("round trip: %+v\nwant %+v", back, c)
			}
			for _, p := range s[:50] {
				if back.Apply(p) != c.Apply(p) {
					t.Fatalf("decoded calibrator maps %v differently", p)
				}
			}
		})
	}
}

func TestJSONRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not json", `{`},
		{"array", `[]`},
		{"unknown method", `{"method":"beta"}`},
		{"missing method", `{"a":1}`},
		{"unknown field", `{"method":"platt","a":-1,"b":0,"c":3}`},
		{"platt with knots", `{"method":"platt","a":-1,"x":[0.5],"y":[0.5]}`},
		{"none with coefficients", `{"method":"none","a":1}`},
		{"isotonic with coefficients", `{"method":"isotonic","b":1,"x":[0.5],"y":[0.5]}`},
		{"no knots", `{"method":"isotonic"}`},
		{"length mismatch", `{"method":"isotonic","x":[0.1,0.2],"y":[0.5]}`},
		{"unsorted x", `{"method":"isotonic","x":[0.2,0.1],"y":[0.1,0.2]}`},
		{"duplicate x", `{"method":"isotonic","x":[0.2,0.2],"y":[0.1,0.2]}`},
		{"decreasing y", `{"method":"isotonic","x":[0.1,0.2],"y":[0.3,0.2]}`},
		{"y above 1", `{"method":"isotonic","x":[0.1,0.2],"y":[0.3,1.2]}`},
		{"y below 0", `{"method":"isotonic","x":[0.1,0.2],"y":[-0.1,0.2]}`},
		{"huge x", `{"method":"isotonic","x":[1e400],"y":[0.2]}`},
		{"wrong type", `{"method":"platt","a":"1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Calibrator{Method: Platt, A: -1, B: 2}
			err := json.Unmarshal([]byte(tt.in), &c)
			if err == nil {
				t.Fatalf("decoded %s as %+v", tt.in, c)
			}
			if tt.name != "not json" && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if c.Method != Platt || c.A != -1 || c.B != 2 {
				t.Errorf("failed decode changed the calibrator to %+v", c)
			}
		})
	}
	if _, err := json.Marshal(&Calibrator{Method: Platt, A: math.NaN()}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Marshal of NaN coefficient: %v", err)
	}
}

func FuzzUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"method":"platt","a":-1.5,"b":0.25}`))
	f.Add([]byte(`{"method":"isotonic","x":[0.1,0.3,0.9],"y":[0,0.4,1]}`))
	f.Add([]byte(`{"method":"none"}`))
	f.Add([]byte(`{"method":"isotonic","x":[5e-324],"y":[1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Calibrator
		if err := json.Unmarshal(b, &c); err != nil {
			return
		}
		// Whatever decodes is valid, applies to any input without panicking and stays in
		// [0, 1] for probabilities, and round-trips.
		if err := c.Validate(); err != nil {
			t.Fatalf("decoded an invalid calibrator: %v", err)
		}
		for _, p := range []float64{0, 1e-300, 0.3, 0.5, 1, math.NaN(), -1, 2} {
			v := c.Apply(p)
			if p >= 0 && p <= 1 && c.Method != None && !(v >= 0 && v <= 1) {
				t.Fatalf("Apply(%v) = %v", p, v)
			}
		}
		out, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		var d Calibrator
		if err := json.Unmarshal(out, &d); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if d.Method != c.Method || d.A != c.A || d.B != c.B || !slices.Equal(d.X, c.X) || !slices.Equal(d.Y, c.Y) {
			t.Fatalf("round trip changed %+v to %+v", c, d)
		}
	})
}
