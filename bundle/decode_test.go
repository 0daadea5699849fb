package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"riskflow/boost"
	"riskflow/calibrate"
	"riskflow/feature"
	"riskflow/frame"
	"riskflow/linear"
)

// referenceDecode is the previous payload decoder (encoding/json over the whole document),
// kept to check decodePayload against it.
func referenceDecode(payload []byte) (*Bundle, error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrCorrupt, err)
	}
	if head.Format != FormatName {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrCorrupt, head.Format, FormatName)
	}
	if head.Version != FormatVersion {
		return nil, fmt.Errorf("bundle: format version %d is not supported", head.Version)
	}
	var doc document
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("bundle: decode: %w", err)
	}
	b := &Bundle{Meta: doc.Metadata, Transformer: doc.Transformer, GBT: doc.GBT, Linear: doc.Linear, NN: doc.NN, Calibrator: doc.Calibrator}
	if err := b.init(); err != nil {
		return nil, err
	}
	return b, nil
}

// payloadOf returns the payload Encode writes for b.
func payloadOf(t testing.TB, b *Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()[bytes.IndexByte(buf.Bytes(), '\n')+1:]
}

// reencoded is b's payload as Encode writes it, to compare decoded bundles.
func reencoded(t testing.TB, b *Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, b); err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	return buf.Bytes()
}

func TestDecodePayloadReadsWhatEncodeWrites(t *testing.T) {
	tree, lin, _ := trained(t)
	for _, b := range []*Bundle{tree, lin} {
		p := payloadOf(t, b)
		got, err := decodePayload(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(reencoded(t, got), reencoded(t, b)) {
			t.Fatal("decoded bundle encodes differently")
		}
		// The members in another order, with white space: the same bundle (gbt then is
		// decoded after the format and version, not in place).
		var m map[string]json.RawMessage
		if err := json.Unmarshal(p, &m); err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		sb.WriteString(" {\n")
		first := true
		for _, k := range []string{"gbt", "linear", "calibrator", "transformer", "metadata", "version", "format"} {
			if v, ok := m[k]; ok {
				if !first {
					sb.WriteString(" ,\n ")
				}
				first = false
				fmt.Fprintf(&sb, "%q :\t%s", k, v)
			}
		}
		sb.WriteString("\n} \n")
		got, err = decodePayload([]byte(sb.String()))
		if err != nil {
			t.Fatalf("reordered: %v", err)
		}
		if !bytes.Equal(reencoded(t, got), reencoded(t, b)) {
			t.Fatal("reordered: decoded bundle encodes differently")
		}
	}
}

func TestDecodePayloadRejects(t *testing.T) {
	tree, _, _ := trained(t)
	good := string(payloadOf(t, tree))
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("payload has no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	tests := []struct {
		name    string
		payload string
		corrupt bool // wraps ErrCorrupt
		want    string
		older   bool // the previous decoder accepted it (this one is stricter)
	}{
		{"empty", "", true, "payload: unexpected end of input", false},
		{"not an object", "[]", true, "want '{'", false},
		{"null", "null", true, "want '{'", false},
		{"cut in the member name", good[:3], true, "unterminated string", false},
		{"cut after a name", `{"format"`, true, "want ':'", false},
		{"cut after the colon", `{"format":`, true, "want a value", false},
		{"cut after a value", `{"format":"riskflow.bundle"`, true, "want ',' or '}'", false},
		{"cut in the metadata", good[:strings.Index(good, `"transformer"`)-5], true, "payload: offset", false},
		{"cut in the trees", good[:len(good)/2], false, "gbt: decode ensemble", false},
		{"no closing brace", strings.TrimSuffix(good, "}"), true, "want ',' or '}'", false},
		{"trailing data", good + "{}", true, "data after the document", false},
		{"trailing comma", strings.TrimSuffix(good, "}") + ",}", true, "want a member name", false},
		{"no format", replace(`"format":"riskflow.bundle",`, ""), true, `format ""`, false},
		{"wrong format", replace(`"format":"riskflow.bundle"`, `"format":"other"`), true, `format "other"`, false},
		{"format not a string", replace(`"format":"riskflow.bundle"`, `"format":7`), true, "payload: format", false},
		{"future version", replace(`"version":1,`, `"version":2,`), false, "format version 2 is not supported", false},
		{"no version", replace(`"version":1,`, ``), false, "format version 0 is not supported", false},
		{"version not a number", replace(`"version":1,`, `"version":"1",`), true, "payload: version", false},
		{"version bad literal", replace(`"version":1,`, `"version":1x,`), true, "payload: version", false},
		{"unknown member", replace(`"version":1,`, `"version":1,"extra":{"a":[1,"]"]},`), false, `unknown field "extra"`, false},
		{"member in capitals", replace(`"metadata":`, `"Metadata":`), false, `unknown field "Metadata"`, true},
		{"escaped member name", replace(`"metadata":`, `"m\u0065tadata":`), false, `unknown field "m\\u0065tadata"`, true},
		{"repeated member", replace(`"version":1,`, `"version":1,"version":1,`), true, `member "version" given twice`, true},
		{"unknown metadata field", replace(`"model_type":`, `"colour":"red","model_type":`), false, "metadata: json: unknown field", false},
		{"metadata syntax", replace(`"model_type":"gbdt"`, `"model_type":gbdt`), true, "payload: metadata: invalid character", false},
		{"metadata wrong type", replace(`"model_type":"gbdt"`, `"model_type":1`), false, "metadata: json: cannot unmarshal", false},
		{"bad trees", replace(`"trees":[`, `"trees":{`), false, "gbt: decode ensemble: trees", false},
		{"gbt null", replace(`"gbt":{`, `"gbt":null,"x":{`), false, `unknown field "x"`, false},
		{"no estimator", replace(`"gbt":`, `"nothing":`), false, `unknown field "nothing"`, false},
		{"no transformer", replace(`"transformer":`, `"transformer":null,"t":`), false, `unknown field "t"`, false},
		{"bad calibrator", replace(`"calibrator":{`, `"calibrator":{"x":1,`), false, "calibrator", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodePayload([]byte(tt.payload))
			if err == nil {
				t.Fatal("decoded a bad payload")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			if tt.corrupt != errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %q: wraps ErrCorrupt %v, want %v", err, !tt.corrupt, tt.corrupt)
			}
			if !strings.HasPrefix(err.Error(), "bundle: ") {
				t.Fatalf("error %q has no bundle: prefix", err)
			}
			if _, err := referenceDecode([]byte(tt.payload)); (err == nil) != tt.older {
				t.Fatalf("the previous decoder: %v", err)
			}
		})
	}
}

// TestDecodedBundleOwnsItsMemory: nothing decoded refers to the payload's bytes, which Decode
// frees (unmaps) once it has decoded them: scribbling over the payload after decoding changes
// nothing.
func TestDecodedBundleOwnsItsMemory(t *testing.T) {
	tree, lin, _ := trained(t)
	for _, b := range append([]*Bundle{tree, lin}, tinyBundles(t)...) {
		p := bytes.Clone(payloadOf(t, b))
		got, err := decodePayload(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p {
			p[i] = 'x'
		}
		if !bytes.Equal(reencoded(t, got), reencoded(t, b)) {
			t.Fatalf("%s: the decoded bundle changed with the payload's bytes", b.Meta.ModelType)
		}
	}
}

func TestPayloadBuffer(t *testing.T) {
	for _, n := range []int{0, 10, 1<<20 - 1, 1 << 20, 3<<20 + 17} {
		buf, free := payloadBuffer(n)
		if len(buf) != n || cap(buf) != n {
			t.Fatalf("payloadBuffer(%d): len %d cap %d", n, len(buf), cap(buf))
		}
		for i := range buf {
			buf[i] = byte(i)
		}
		for i := range buf {
			if buf[i] != byte(i) {
				t.Fatalf("payloadBuffer(%d): byte %d reads %d", n, i, buf[i])
			}
		}
		free()
	}
}

// TestReadLargeBundle reads a bundle whose payload is large enough (over 1 MiB) to go into
// memory outside the Go heap, twice, and decodes what a damaged copy refuses.
func TestReadLargeBundle(t *testing.T) {
	tree, _, _ := trained(t)
	meta := tree.Meta
	meta.Params = json.RawMessage(`{"note":"` + strings.Repeat("x", 1<<20) + `"}`)
	big, err := New(meta, tree.Transformer, tree.GBT, nil, tree.Calibrator)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.bundle")
	if err := Write(path, big); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(reencoded(t, got), reencoded(t, big)) {
			t.Fatal("the large bundle reads back differently")
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if _, err := Decode(bytes.NewReader(data)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("damaged large bundle: %v", err)
	}
	if _, err := Decode(bytes.NewReader(data[:len(data)-5])); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated large bundle: %v", err)
	}
}

// TestDecodePayloadNoTransformer: a bundle without a transformer (null, or no member) is
// refused by New's checks.
func TestDecodePayloadNoTransformer(t *testing.T) {
	tree, _, _ := trained(t)
	good := string(payloadOf(t, tree))
	i := strings.Index(good, `"transformer":`)
	j := strings.Index(good, `,"gbt":`)
	for _, p := range []string{good[:i] + `"transformer":null` + good[j:], good[:i-1] + good[j:]} {
		if _, err := decodePayload([]byte(p)); err == nil || !strings.Contains(err.Error(), "no transformer") {
			t.Fatalf("error %v, want one saying no transformer", err)
		}
	}
}

// tinyBundles returns a tree bundle (two trees, a calibrator) and a logistic bundle on two
// features: payloads of a few kilobytes, small enough for the fuzzer to mutate and minimize
// quickly (the shared fixture's are tens of kilobytes).
func tinyBundles(t testing.TB) []*Bundle {
	t.Helper()
	ctx := context.Background()
	n := 60
	amount, kind, y := make([]float64, n), make([]string, n), make([]float64, n)
	for i := range n {
		amount[i] = float64(i * 7 % 50)
		kind[i] = []string{"a", "b", "c"}[i%3]
		if amount[i] > 20 || kind[i] == "c" {
			y[i] = 1
		}
	}
	f := frame.MustNew(frame.NumericColumn("amount", amount), frame.StringColumn("kind", kind), frame.NumericColumn("default", y))
	spec, err := feature.Infer(f, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	tr, x, err := feature.FitTransform(spec, f, feature.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	feats := make([]boost.Feature, x.Cols)
	for j, o := range tr.Outputs() {
		feats[j] = boost.Feature{Name: o.Name, Categorical: o.Categorical}
	}
	p := boost.DefaultParams()
	p.Trees, p.MaxDepth = 2, 2
	res, err := boost.Train(ctx, &boost.Dataset{X: x.Data, Rows: x.Rows, Features: feats, Y: y}, nil, p, boost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calibrate.Fit(calibrate.Platt, sigmoidAll(res.Model.BaseScore, 0.3, y), y)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := New(Metadata{ModelType: TypeGBDT, Label: "default"}, tr, res.Model, nil, cal)
	if err != nil {
		t.Fatal(err)
	}
	spec = tr.Spec()
	for i := range spec.Features {
		if d := &spec.Features[i]; d.Type == feature.Numeric {
			d.Missing = "median"
		} else {
			d.Encoding = feature.OneHot
		}
	}
	ltr, lx, err := feature.FitTransform(spec, f, feature.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lm, err := linear.Train(ctx, lx.Data, lx.Rows, lx.Cols, y, linear.Params{Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	lin, err := New(Metadata{ModelType: TypeLogistic, Label: "default"}, ltr, nil, lm, nil)
	if err != nil {
		t.Fatal(err)
	}
	return []*Bundle{tree, lin}
}

func TestTinyBundlesDecode(t *testing.T) {
	for _, b := range tinyBundles(t) {
		p := payloadOf(t, b)
		if len(p) > 8000 {
			t.Errorf("%s payload is %d bytes, want a few kilobytes for the fuzzer", b.Meta.ModelType, len(p))
		}
		got, err := decodePayload(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(reencoded(t, got), reencoded(t, b)) {
			t.Fatal("decoded bundle encodes differently")
		}
	}
}

// FuzzDecodePayload: decodePayload never accepts what the previous decoder (encoding/json)
// rejects, reads the same bundle when both accept, and errors with the package prefix.
func FuzzDecodePayload(f *testing.F) {
	for _, b := range tinyBundles(f) {
		p := payloadOf(f, b)
		f.Add(p)
		f.Add(p[:len(p)/3])
		f.Add(bytes.Replace(p, []byte(`"version":1,`), []byte(`"version":1,"extra":[1,{"]":2}],`), 1))
	}
	f.Add([]byte(`{"gbt":null,"format":"riskflow.bundle","version":1}`))
	f.Add([]byte(`{"format":"riskflow.bundle","version":1,"gbt":{"version":1,"objective":"binary:logistic","base_score":0,"num_features":0,"trees":[]} }`))
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := decodePayload(p)
		ref, refErr := referenceDecode(p)
		switch {
		case err == nil && refErr != nil:
			t.Fatalf("decoded what the previous decoder rejects (%v)", refErr)
		case err == nil:
			if !bytes.Equal(reencoded(t, b), reencoded(t, ref)) {
				t.Fatal("decoded a bundle other than the previous decoder's")
			}
			if _, err := b.Score(b.NewRecord()); err != nil {
				t.Fatalf("decoded bundle cannot score: %v", err)
			}
		case !strings.HasPrefix(err.Error(), "bundle: "):
			t.Fatalf("error %q has no bundle: prefix", err)
		}
	})
}
