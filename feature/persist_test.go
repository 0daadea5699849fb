package feature

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const goldenSpec = `
id: id
label: y
features:
  - {name: amount, type: numeric, missing: median, transform: standardize, monotone: +1}
  - {name: ratio, type: numeric, expr: "amount / max(amount, 1)", transform: "clip(p10,p90)"}
  - {name: market, type: categorical, encoding: onehot, pii: true}
  - {name: market_te, source: market, type: categorical, encoding: target, missing: mode}
  - {name: tier, type: categorical, unknown: error, encoding: frequency}
  - {name: first, type: boolean, missing: zero}
  - {name: ts, type: datetime, parts: [hour, dayofweek]}
`

func goldenTransformer(t *testing.T) (*Transformer, []byte) {
	t.Helper()
	tr := mustFit(t, goldenSpec, smallFrame())
	doc, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, doc, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	return tr, pretty.Bytes()
}

func TestTransformerGolden(t *testing.T) {
	tr, doc := goldenTransformer(t)
	golden(t, "testdata/transformer.golden.json", doc)

	back, err := ParseTransformer(readFile(t, "testdata/transformer.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	m1, err := tr.Transform(smallFrame())
	if err != nil {
		t.Fatal(err)
	}
	m2, err := back.Transform(smallFrame())
	if err != nil {
		t.Fatal(err)
	}
	if i := firstDiff(m1.Data, m2.Data); i >= 0 {
		t.Fatalf("loaded transformer differs at %d", i)
	}
	again, err := back.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := tr.MarshalJSON()
	if !bytes.Equal(again, orig) {
		t.Fatal("marshal → parse → marshal is not stable")
	}
}

func TestTransformerEmbedded(t *testing.T) {
	tr, _ := goldenTransformer(t)
	type bundle struct {
		Name        string       `json:"name"`
		Transformer *Transformer `json:"transformer"`
	}
	b, err := json.Marshal(bundle{Name: "m", Transformer: tr})
	if err != nil {
		t.Fatal(err)
	}
	var back bundle
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Transformer == nil || back.Transformer.NumOutputs() != tr.NumOutputs() {
		t.Fatalf("embedded transformer %+v", back.Transformer)
	}
	bad := bytes.Replace(b, []byte(`"version":1`), []byte(`"version":9`), 1)
	if err := json.Unmarshal(bad, &back); !errors.Is(err, ErrFormat) {
		t.Fatalf("embedded bad version: %v", err)
	}
}

func TestParseTransformerRejects(t *testing.T) {
	_, doc := goldenTransformer(t)
	// edit applies a change to the decoded document.
	type doc_ = map[string]any
	feature := func(d doc_, i int) doc_ { return d["features"].([]any)[i].(doc_) }
	input := func(d doc_, i int) doc_ { return d["inputs"].([]any)[i].(doc_) }
	tests := []struct {
		name string
		edit func(d doc_)
		raw  func(b []byte) []byte
		want string
	}{
		{"not JSON", nil, func([]byte) []byte { return []byte("{") }, "unexpected end"},
		{"wrong format", func(d doc_) { d["format"] = "riskflow.bundle" }, nil, `format "riskflow.bundle", want "riskflow.transformer"`},
		{"no format", func(d doc_) { delete(d, "format") }, nil, `format ""`},
		{"future version", func(d doc_) { d["version"] = 2 }, nil, "version 2 is not supported (this build reads version 1)"},
		{"no version", func(d doc_) { delete(d, "version") }, nil, "version 0 is not supported"},
		{"unknown key", func(d doc_) { d["extra"] = 1 }, nil, `unknown field "extra"`},
		{"unknown spec key", func(d doc_) { d["spec"].(doc_)["colour"] = "red" }, nil, `unknown field "colour"`},
		{"unknown state key", func(d doc_) { feature(d, 0)["variance"] = 1 }, nil, `unknown field "variance"`},
		{"trailing data", nil, func(b []byte) []byte { return append(b, "{}"...) }, "after top-level value"},
		{"no spec", func(d doc_) { delete(d, "spec") }, nil, "no spec"},
		{"no rows", func(d doc_) { d["rows"] = 0 }, nil, "rows 0"},
		{"invalid spec", func(d doc_) { d["spec"].(doc_)["features"].([]any)[0].(doc_)["type"] = "float" }, nil, `type "float"`},
		{"input missing", func(d doc_) { d["inputs"] = d["inputs"].([]any)[1:] }, nil, "inputs, the spec reads"},
		{"input kind", func(d doc_) { input(d, 0)["kind"] = "string" }, nil, `input 0 is "amount" string`},
		{"input pii", func(d doc_) { input(d, 1)["pii"] = false }, nil, `input 1 is "market"`},
		{"input renamed", func(d doc_) { input(d, 0)["name"] = "amt" }, nil, `input 0 is "amt"`},
		{"duplicate level", func(d doc_) { input(d, 1)["levels"] = []any{"DE", "DE", "SE"} }, nil, `level "DE" listed twice`},
		{"levels on a number", func(d doc_) { input(d, 0)["levels"] = []any{"x"} }, nil, "has levels"},
		{"state for another feature", func(d doc_) { feature(d, 0)["name"] = "ratio" }, nil, `fitted state 0 is for "ratio"`},
		{"missing state", func(d doc_) { d["features"] = d["features"].([]any)[1:] }, nil, "fitted states for"},
		{"no impute", func(d doc_) { delete(feature(d, 0), "impute") }, nil, "fitted impute value disagree"},
		{"zero is not zero", func(d doc_) { feature(d, 5)["impute"] = 0.5 }, nil, "contradicts missing"},
		{"negative std", func(d doc_) { feature(d, 0)["std"] = -1 }, nil, "positive std"},
		{"no std", func(d doc_) { delete(feature(d, 0), "std") }, nil, "finite mean and a positive std"},
		{"clip on standardize", func(d doc_) { feature(d, 0)["clip_lo"] = 1 }, nil, "fitted transform state disagree"},
		{"inverted clip", func(d doc_) { feature(d, 1)["clip_lo"] = 99 }, nil, "low <= high"},
		{"levels on numeric", func(d doc_) { feature(d, 0)["levels"] = []any{"a"} }, nil, "has categorical state"},
		{"count per level", func(d doc_) { feature(d, 2)["counts"] = []any{1} }, nil, "counts for"},
		{"zero count", func(d doc_) { feature(d, 2)["counts"].([]any)[0] = 0 }, nil, "has count 0"},
		{"level not in vocabulary", func(d doc_) { feature(d, 2)["levels"].([]any)[0] = "XX" }, nil, `level "XX" is not in the input's vocabulary`},
		{"too many levels", func(d doc_) {
			d["spec"].(doc_)["features"].([]any)[2].(doc_)["max_categories"] = 1
		}, nil, "more than max_categories 1"},
		{"target state on onehot", func(d doc_) { feature(d, 2)["prior"] = 0.5 }, nil, "fitted target state disagree"},
		{"no prior", func(d doc_) { delete(feature(d, 3), "prior") }, nil, "a finite prior"},
		{"label count above count", func(d doc_) { feature(d, 3)["label_counts"].([]any)[0] = 99 }, nil, "inconsistent"},
		{"impute level of mode unseen", func(d doc_) { feature(d, 3)["impute_level"] = "XX" }, nil, `impute level "XX" was not seen`},
		{"state on datetime", func(d doc_) { feature(d, 6)["impute"] = 1 }, nil, "no fitted state"},
		{"output changed", func(d doc_) { d["outputs"].([]any)[0].(doc_)["monotone"] = -1 }, nil, "outputs listed do not match"},
		{"output missing", func(d doc_) { d["outputs"] = d["outputs"].([]any)[1:] }, nil, "outputs listed do not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := doc
			if tt.edit != nil {
				var d doc_
				if err := json.Unmarshal(doc, &d); err != nil {
					t.Fatal(err)
				}
				tt.edit(d)
				var err error
				if b, err = json.Marshal(d); err != nil {
					t.Fatal(err)
				}
			}
			if tt.raw != nil {
				b = tt.raw(bytes.Clone(b))
			}
			_, err := ParseTransformer(b)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error does not wrap ErrFormat: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Count(err.Error(), "feature: ") != 1 {
				t.Errorf("error %q repeats the package prefix", err)
			}
		})
	}
}
