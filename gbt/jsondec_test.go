package gbt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
)

// referenceDecode is the decoder UnmarshalJSON used before the hand-written one:
// encoding/json into wire structs whose pointers tell a missing key from a zero value. The
// tests check the new decoder against it.
func referenceDecode(b []byte) (*Ensemble, error) {
	type wireNode struct {
		Feature     *int32   `json:"f"`
		Threshold   float64  `json:"t"`
		Left        *int32   `json:"l"`
		Right       *int32   `json:"r"`
		DefaultLeft bool     `json:"d"`
		Categorical bool     `json:"c"`
		Categories  []uint32 `json:"cs"`
		Value       *float64 `json:"v"`
		Gain        float64  `json:"g"`
		Cover       *float64 `json:"h"`
	}
	var w struct {
		Version      *int       `json:"version"`
		Objective    *Objective `json:"objective"`
		BaseScore    *float64   `json:"base_score"`
		NumFeatures  *int       `json:"num_features"`
		FeatureNames []string   `json:"feature_names"`
		Trees        []struct {
			Nodes []wireNode `json:"nodes"`
		} `json:"trees"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the ensemble")
	}
	switch {
	case w.Version == nil || *w.Version != FormatVersion:
		return nil, errors.New("version")
	case w.Objective == nil || w.BaseScore == nil || w.NumFeatures == nil || w.Trees == nil:
		return nil, errors.New("required")
	}
	in := Ensemble{Objective: *w.Objective, BaseScore: *w.BaseScore, NumFeatures: *w.NumFeatures,
		FeatureNames: w.FeatureNames, Trees: make([]Tree, len(w.Trees))}
	for i, t := range w.Trees {
		if t.Nodes == nil {
			return nil, errors.New("no nodes")
		}
		nodes := make([]Node, len(t.Nodes))
		for j, n := range t.Nodes {
			if n.Feature == nil || n.Left == nil || n.Right == nil || n.Value == nil || n.Cover == nil {
				return nil, errors.New("required node key")
			}
			nodes[j] = Node{Feature: *n.Feature, Threshold: n.Threshold, Left: *n.Left, Right: *n.Right,
				DefaultLeft: n.DefaultLeft, Categorical: n.Categorical, Categories: n.Categories,
				Value: *n.Value, Gain: n.Gain, Cover: *n.Cover}
		}
		in.Trees[i] = Tree{Nodes: nodes}
	}
	return New(in)
}

// normalized is exported(e) with the empty lists the new decoder reads as nil made nil.
func normalized(e *Ensemble) Ensemble {
	out := exported(e)
	if len(out.FeatureNames) == 0 && out.NumFeatures == 0 {
		out.FeatureNames = nil
	}
	for i := range out.Trees {
		for j := range out.Trees[i].Nodes {
			if n := &out.Trees[i].Nodes[j]; len(n.Categories) == 0 {
				n.Categories = nil
			}
		}
	}
	return out
}

// TestUnmarshalJSONSyntax: inputs encoding/json accepts or rejects, and what the new
// decoder does with them (stricter on case, repeats and null; the same elsewhere).
func TestUnmarshalJSONSyntax(t *testing.T) {
	base, err := os.ReadFile("testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new string
		ok             bool   // the new decoder accepts it
		refOK          bool   // encoding/json accepted it
		errHas         string // part of the new decoder's error
	}{
		{"as written", "", "", true, true, ""},
		{"white space", `"version":1,`, " \n\t\"version\" :\r 1 ,\n ", true, true, ""},
		{"escaped key", `"f":0,`, `"\u0066":0,`, true, true, ""},
		{"escaped name", `"age"`, `"a\u0067e"`, true, true, ""},
		{"non-ASCII name", `"age"`, `"âge"`, true, true, ""},
		{"exponent", `"h":130`, `"h":1.3E+2`, true, true, ""},
		{"negative zero", `"t":250`, `"t":-0`, true, true, ""},
		{"upper-case key", `"f":0,`, `"F":0,`, false, true, `unknown key "F"`},
		{"repeated key", `"v":-0.2,`, `"v":-0.2,"v":-0.3,`, false, true, `key "v" given twice`},
		{"repeated version", `"version":1,`, `"version":1,"version":1,`, false, true, `key "version" given twice`},
		{"null gain", `"g":12.5`, `"g":null`, false, true, `g: offset`},
		{"null categories", `,"h":130}`, `,"cs":null,"h":130}`, false, true, `cs: offset`},
		{"leading zero", `"h":130`, `"h":0130`, false, false, `want ',' or '}'`},
		{"bare fraction", `"h":130`, `"h":.5`, false, false, "want a number"},
		{"plus sign", `"h":130`, `"h":+5`, false, false, "want a number"},
		{"no fraction digits", `"h":130`, `"h":1.`, false, false, "want a digit"},
		{"no exponent digits", `"h":130`, `"h":1e`, false, false, "want a digit"},
		{"integer with fraction", `"l":3,"r":4`, `"l":3.0,"r":4`, false, false, "3.0 is not an integer"},
		{"integer with exponent", `"l":3,"r":4`, `"l":3e0,"r":4`, false, false, "3e0 is not an integer"},
		{"int32 overflow", `"f":0,`, `"f":2147483648,`, false, false, "out of range"},
		{"category -0", `"cs":[0,3]`, `"cs":[-0,3]`, false, false, "out of range"},
		{"huge integer", `"f":0,`, `"f":123456789012345678901234567890,`, false, false, "out of range"},
		{"control character in name", `"age"`, "\"a\x01ge\"", false, false, "string"},
		{"unterminated string", `"age"`, `"age"`, false, false, "end of input"}, // cut after "age
		{"truncated literal", `"d":true`, `"d":tru`, false, false, "true or false"},
		{"trailing comma", `"cs":[0,3]`, `"cs":[0,3,]`, false, false, "want a number"},
		{"missing colon", `"version":1`, `"version" 1`, false, false, "want ':'"},
		{"not an object", `{"version":1`, `["version",1`, false, false, "want '{'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := base
			if c.old != "" {
				if !bytes.Contains(base, []byte(c.old)) {
					t.Fatalf("%q is not in the base model", c.old)
				}
				b = bytes.Replace(base, []byte(c.old), []byte(c.new), 1)
			}
			if c.name == "unterminated string" {
				b = b[:bytes.Index(b, []byte(`"age`))+4]
			}
			var e Ensemble
			err := e.UnmarshalJSON(b)
			if (err == nil) != c.ok {
				t.Fatalf("ok = %v, want %v (err %v) for %s", err == nil, c.ok, err, b)
			}
			if err != nil && (!strings.HasPrefix(err.Error(), "gbt: decode ensemble: ") || !strings.Contains(err.Error(), c.errHas)) {
				t.Errorf("error %q, want one containing %q", err, c.errHas)
			}
			ref, refErr := referenceDecode(b)
			if (refErr == nil) != c.refOK {
				t.Fatalf("reference ok = %v, want %v (err %v)", refErr == nil, c.refOK, refErr)
			}
			if err == nil && !reflect.DeepEqual(normalized(&e), normalized(ref)) {
				t.Errorf("decoded %+v, reference %+v", exported(&e), exported(ref))
			}
		})
	}
}

// TestUnmarshalJSONErrorPlace: an error deep in the trees names the tree, node and key.
func TestUnmarshalJSONErrorPlace(t *testing.T) {
	e := genEnsemble(t, rand.New(rand.NewPCG(3, 4)), genConfig{Trees: 5, Depth: 3, Features: 4, SplitProb: 0.9})
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	// Corrupt the value of the 3rd node of tree 2.
	i := 0
	for range 3 {
		i += bytes.Index(b[i:], []byte(`{"nodes":`)) + 1
	}
	for range 3 {
		i += bytes.Index(b[i:], []byte(`"v":`)) + 1
	}
	b = append(b[:i+3:i+3], append([]byte(`"x"`), b[i+3+bytes.IndexAny(b[i+3:], ",}"):]...)...)
	var d Ensemble
	err = d.UnmarshalJSON(b)
	if want := "gbt: decode ensemble: trees: tree 2: node 2: v: offset"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want one starting %q", err, want)
	}
}

// TestUnmarshalJSONCategoryChunks decodes more category codes than one chunk of the
// decoder's category space holds, checking that no list overwrites another.
func TestUnmarshalJSONCategoryChunks(t *testing.T) {
	var b strings.Builder
	const trees, codes = 40, 300 // 12,000 codes: several chunks, and lists that straddle them
	b.WriteString(`{"version":1,"objective":"binary:logistic","base_score":0,"num_features":1,"trees":[`)
	for i := range trees {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"nodes":[{"f":0,"c":true,"cs":[`)
		for k := range codes {
			if k > 0 {
				b.WriteString(",")
			}
			fmt.Fprint(&b, 1000*i+k)
		}
		b.WriteString(`],"l":1,"r":2,"v":0,"h":2},{"f":-1,"l":-1,"r":-1,"v":1,"h":1},{"f":-1,"l":-1,"r":-1,"v":-1,"h":1}]}`)
	}
	b.WriteString("]}")
	var e Ensemble
	if err := e.UnmarshalJSON([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	for i, tr := range e.Trees {
		cs := tr.Nodes[0].Categories
		if len(cs) != codes || cs[0] != uint32(1000*i) || cs[codes-1] != uint32(1000*i+codes-1) {
			t.Fatalf("tree %d: %d categories %v...", i, len(cs), cs[:min(3, len(cs))])
		}
		if got := e.PredictMargin([]float64{float64(1000*i + 7)}); got != 2-trees {
			// Code 1000i+7 goes left (+1) in tree i only.
			t.Fatalf("tree %d: margin %v", i, got)
		}
	}
}

// FuzzUnmarshalJSONReference checks the hand-written decoder against encoding/json: what it
// accepts, encoding/json accepts and reads the same; what only encoding/json accepts (a
// repeated key, a null, a key in another case) is a model the new decoder reads once
// MarshalJSON has written it.
func FuzzUnmarshalJSONReference(f *testing.F) {
	base, err := os.ReadFile("testdata/small.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	for _, c := range corruptions {
		f.Add(bytes.Replace(base, []byte(c.old), []byte(c.new), 1))
	}
	f.Add(bytes.Replace(base, []byte(`"v":-0.2,`), []byte(`"v":-0.2,"V":1,"g":null,`), 1))
	f.Add(bytes.Replace(base, []byte(`"cs":[0,3]`), []byte(`"cs":[]`), 1))
	f.Add([]byte(`{"version":1,"objective":"reg:squarederror","base_score":0,"num_features":0,"feature_names":[],"trees":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Ensemble
		err := e.UnmarshalJSON(b)
		ref, refErr := referenceDecode(b)
		switch {
		case err == nil && refErr != nil:
			t.Fatalf("decoded what encoding/json rejects (%v)", refErr)
		case err == nil:
			if !reflect.DeepEqual(normalized(&e), normalized(ref)) {
				t.Fatalf("decoded %+v, encoding/json %+v", exported(&e), exported(ref))
			}
		case !strings.HasPrefix(err.Error(), "gbt: "):
			t.Fatalf("error %q has no gbt: prefix", err)
		case refErr == nil:
			out, err := json.Marshal(ref)
			if err != nil {
				t.Fatal(err)
			}
			var d Ensemble
			if err := d.UnmarshalJSON(out); err != nil {
				t.Fatalf("rejects the re-encoded model: %v", err)
			}
		}
	})
}

// BenchmarkUnmarshalJSON decodes the benchmark model (300 depth-6 trees), compile included.
func BenchmarkUnmarshalJSON(b *testing.B) {
	benchDecode(b, func(data []byte) error {
		var e Ensemble
		return e.UnmarshalJSON(data)
	})
}

// BenchmarkUnmarshalJSONReference is BenchmarkUnmarshalJSON with encoding/json (the previous
// decoder), for comparison.
func BenchmarkUnmarshalJSONReference(b *testing.B) {
	benchDecode(b, func(data []byte) error {
		_, err := referenceDecode(data)
		return err
	})
}

func benchDecode(b *testing.B, decode func([]byte) error) {
	e, _ := benchModel(b)
	data, err := json.Marshal(e)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUnmarshalJSONEmptyLists: empty category and feature-name lists, which MarshalJSON omits,
// decode so that the model encodes and decodes to itself (encoding/json read them as empty
// slices, and the round trip then changed the model: FuzzUnmarshalJSON found it).
func TestUnmarshalJSONEmptyLists(t *testing.T) {
	base, err := os.ReadFile("testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	inputs := [][]byte{
		bytes.Replace(base, []byte(`"cs":[0,3]`), []byte(`"cs":[]`), 1),
		[]byte(`{"version":1,"objective":"reg:squarederror","base_score":0,"num_features":0,"feature_names":[],"trees":[]}`),
	}
	for _, b := range inputs {
		var e Ensemble
		if err := e.UnmarshalJSON(b); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		out, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		var d Ensemble
		if err := d.UnmarshalJSON(out); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(exported(&d), exported(&e)) {
			t.Errorf("round trip of %s changed the ensemble: %+v, then %+v", b, exported(&e), exported(&d))
		}
	}
	// Empty names for features that exist are still refused.
	b := bytes.Replace(base, []byte(`["amount","age","merchant"]`), []byte(`[]`), 1)
	if bytes.Equal(b, base) {
		t.Fatal("no feature names in the base model")
	}
	var e Ensemble
	if err := e.UnmarshalJSON(b); !errors.Is(err, ErrInvalid) {
		t.Errorf("no names for 3 features: error %v, want ErrInvalid", err)
	}
}

// TestUnmarshalJSONLargeModel decodes a large model and a model dense enough for its nodes to
// take several blocks (see tree), and checks that each predicts as its original does and that
// no two trees share capacity (appending to one must not write into the next).
func TestUnmarshalJSONLargeModel(t *testing.T) {
	dense := Ensemble{Objective: SquaredError, NumFeatures: 1}
	for i := range 3000 { // short stumps: about 30 bytes of JSON a node
		dense.Trees = append(dense.Trees, Tree{Nodes: []Node{
			{Feature: 0, Threshold: float64(i % 7), Left: 1, Right: 2, Cover: 2},
			{Feature: -1, Left: -1, Right: -1, Value: 1, Cover: 1},
			{Feature: -1, Left: -1, Right: -1, Value: 2, Cover: 1},
		}})
	}
	bench, X := benchModel(t)
	for _, tc := range []struct {
		name string
		e    *Ensemble
		X    []float64
	}{
		{"300 trees", bench, X},
		{"dense stumps", mustNew(t, dense), []float64{-1, 0, 0.5, 3, 6, 7, math.NaN()}},
	} {
		data, err := json.Marshal(tc.e)
		if err != nil {
			t.Fatal(err)
		}
		var got Ensemble
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i := range got.Trees {
			if n := got.Trees[i].Nodes; cap(n) != len(n) {
				t.Fatalf("%s: tree %d: %d nodes with capacity %d", tc.name, i, len(n), cap(n))
			}
		}
		nf := tc.e.NumFeatures
		for r := range len(tc.X) / nf {
			x := tc.X[r*nf : (r+1)*nf]
			if a, b := tc.e.PredictMargin(x), got.PredictMargin(x); a != b {
				t.Fatalf("%s: row %d: margin %v after decoding, %v before", tc.name, r, b, a)
			}
		}
	}
	if nodes, first := 3*3000, max(4096, len(mustJSON(t, dense))/nodeJSONBytes); first >= nodes {
		t.Errorf("the dense model's %d nodes fit the first block of %d: no second block tested", nodes, first)
	}
}

func mustJSON(t *testing.T, e Ensemble) []byte {
	t.Helper()
	data, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
