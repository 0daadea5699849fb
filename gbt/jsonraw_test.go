package gbt

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestDecodeJSONPrefix(t *testing.T) {
	base, err := os.ReadFile("testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	base = bytes.TrimSpace(base)
	var want Ensemble
	if err := want.UnmarshalJSON(base); err != nil {
		t.Fatal(err)
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(base)
	tests := []struct {
		name    string
		in      string
		wantN   int    // where the ensemble ends
		wantErr string // "": no error
	}{
		{"alone", doc, len(doc), ""},
		{"white space around", " \n\t" + doc + "  \n", 3 + len(doc), ""},
		{"rest of a document", doc + `,"calibrator":null}`, len(doc), ""},
		{"anything after", doc + "garbage", len(doc), ""},
		{"not an object", "[" + doc, 0, "gbt: decode ensemble: offset 0"},
		{"empty", "", 0, "unexpected end of input"},
		{"cut short", doc[:len(doc)-1], 0, "unexpected end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			e, n, err := DecodeJSONPrefix([]byte(in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.wantN {
				t.Fatalf("n = %d, want %d", n, tt.wantN)
			}
			got, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wantJSON) {
				t.Fatalf("decoded %s, want %s", got, wantJSON)
			}
			// Nothing refers to the input's bytes.
			scratch := []byte(in)
			if e, _, err = DecodeJSONPrefix(scratch); err != nil {
				t.Fatal(err)
			}
			for i := range scratch {
				scratch[i] = 'x'
			}
			if got, err = json.Marshal(e); err != nil || !bytes.Equal(got, wantJSON) {
				t.Fatalf("after overwriting the input: %s, %v", got, err)
			}
			// Compiled: ready to predict.
			x := []float64{100, 30, 3}
			if p, q := e.PredictMargin(x), want.PredictMargin(x); p != q {
				t.Fatalf("margin %v, want %v", p, q)
			}
		})
	}
}

// FuzzDecodeJSONPrefix: DecodeJSONPrefix accepts the prefix it reports exactly when
// UnmarshalJSON accepts that prefix, and reads the same model; it accepts a whole document
// exactly when UnmarshalJSON does.
func FuzzDecodeJSONPrefix(f *testing.F) {
	base, err := os.ReadFile("testdata/small.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	f.Add(append(bytes.Clone(base), `,"x":1}`...))
	for _, c := range corruptions {
		f.Add(bytes.Replace(base, []byte(c.old), []byte(c.new), 1))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, n, err := DecodeJSONPrefix(b)
		var whole Ensemble
		wholeErr := whole.UnmarshalJSON(b)
		if err != nil {
			if wholeErr == nil {
				t.Fatalf("rejects (%v) what UnmarshalJSON accepts", err)
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("n = %d of %d bytes", n, len(b))
		}
		var ref Ensemble
		if err := ref.UnmarshalJSON(b[:n]); err != nil {
			t.Fatalf("UnmarshalJSON rejects the accepted prefix: %v", err)
		}
		got, err1 := json.Marshal(e)
		want, err2 := json.Marshal(ref)
		if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Fatalf("decoded %s (%v), UnmarshalJSON %s (%v)", got, err1, want, err2)
		}
		if wholeErr == nil && len(bytes.TrimRight(b[n:], " \t\r\n")) != 0 {
			t.Fatalf("UnmarshalJSON accepts %d bytes, the prefix ends at %d", len(b), n)
		}
	})
}
