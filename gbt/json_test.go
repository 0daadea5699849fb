package gbt

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestJSONGolden(t *testing.T) {
	e := mustNew(t, smallEnsemble())
	got, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/small.json"
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.TrimSpace(want)) {
		t.Errorf("MarshalJSON =\n%s\nwant (%s)\n%s", got, golden, want)
	}
	var d Ensemble
	if err := json.Unmarshal(want, &d); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(exported(&d), exported(e)) {
		t.Errorf("decoded %s: %+v, want %+v", golden, exported(&d), exported(e))
	}
	if m := d.PredictMargin([]float64{300, 40, 3}); math.Abs(m-(-1.5+0.4-0.05)) > 1e-12 {
		t.Errorf("decoded model predicts %v", m)
	}
}

// exported returns e's exported fields only.
func exported(e *Ensemble) Ensemble {
	return Ensemble{Objective: e.Objective, BaseScore: e.BaseScore, NumFeatures: e.NumFeatures, FeatureNames: e.FeatureNames, Trees: e.Trees}
}

func TestJSONRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	configs := []genConfig{
		benchConfig,
		{Trees: 20, Depth: 5, Features: 7, NumCat: 3, Codes: 20, CodeScale: 5000, SplitProb: 0.8, Objective: SquaredError},
		{Trees: 0, Features: 3},
	}
	for _, c := range configs {
		e := genEnsemble(t, rng, c)
		// Values that need all 17 digits, and awkward ones.
		if len(e.Trees) > 0 {
			e.Trees[0].Nodes[0].Threshold = 0.1 + 0.2
			e.Trees[0].Nodes[0].Gain = 5e-324
		}
		e.BaseScore = -math.Nextafter(1, 2)
		e = mustNew(t, exported(e))
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var d Ensemble
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(exported(&d), exported(e)) {
			t.Fatalf("round trip changed the ensemble")
		}
		b2, _ := json.Marshal(&d)
		if !bytes.Equal(b, b2) {
			t.Fatalf("encoding is not stable")
		}
		X := genRows(rng, c, 200)
		for r := range 200 {
			x := X[r*c.Features : (r+1)*c.Features]
			if d.PredictMargin(x) != e.PredictMargin(x) {
				t.Fatalf("row %d: decoded model predicts %v, original %v", r, d.PredictMargin(x), e.PredictMargin(x))
			}
		}
	}
}

func TestJSONValueReceiver(t *testing.T) {
	e := mustNew(t, smallEnsemble())
	type holder struct{ Model Ensemble }
	b, err := json.Marshal(holder{*e})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(e)
	if !bytes.Equal(b, []byte(`{"Model":`+string(want)+`}`)) {
		t.Errorf("an Ensemble held by value encodes as %s", b)
	}
}

// corruptions are JSON models that must not decode, each a change to testdata/small.json.
var corruptions = []struct {
	name, old, new string
}{
	{"not JSON", `{"version"`, `{version`},
	{"truncated", `]}]}`, `]}]`},
	{"trailing data", `]}]}`, `]}]} {}`},
	{"unknown key", `"version":1`, `"version":1,"extra":true`},
	{"unknown node key", `"f":0,`, `"f":0,"x":1,`},
	{"no version", `"version":1,`, ``},
	{"other version", `"version":1`, `"version":2`},
	{"no objective", `"objective":"binary:logistic",`, ``},
	{"objective", `binary:logistic`, `binary:hinge`},
	{"no base score", `"base_score":-1.5,`, ``},
	{"base score string", `"base_score":-1.5`, `"base_score":"-1.5"`},
	{"base score overflow", `"base_score":-1.5`, `"base_score":1e999`},
	{"no features", `"num_features":3,`, ``},
	{"negative features", `"num_features":3`, `"num_features":-3`},
	{"fewer features", `"num_features":3`, `"num_features":2`},
	{"feature names", `"age",`, ``},
	{"no trees", `,"trees":[`, `,"t":[`},
	{"null trees", `"trees":[{`, `"trees":null,"x":[{`},
	{"no nodes", `{"nodes":[{"f":1,`, `{"n":[{"f":1,`},
	{"empty tree", `{"nodes":[{"f":1,`, `{"nodes":[]},{"nodes":[{"f":1,`},
	{"no feature", `{"f":0,"t":250,`, `{"t":250,`},
	{"no left", `"l":1,"r":2,"d":true`, `"r":2,"d":true`},
	{"no right", `"r":2,"d":true`, `"d":true`},
	{"no value", `"v":-0.2,`, ``},
	{"no cover", `,"h":130}`, `}`},
	{"child out of range", `"l":3,"r":4`, `"l":3,"r":5`},
	{"negative child", `"l":3,"r":4`, `"l":-3,"r":4`},
	{"child is root", `"l":3,"r":4`, `"l":0,"r":4`},
	{"self loop", `"l":3,"r":4`, `"l":2,"r":4`},
	{"shared child", `"l":3,"r":4`, `"l":1,"r":4`},
	{"same children", `"l":3,"r":4`, `"l":4,"r":4`},
	{"child index overflow", `"l":3,"r":4`, `"l":3,"r":4294967300`},
	{"feature out of range", `{"f":2,"l":3`, `{"f":3,"l":3`},
	{"feature below -1", `{"f":-1,"l":-1,"r":-1,"v":-0.2`, `{"f":-2,"l":-1,"r":-1,"v":-0.2`},
	{"leaf with children", `{"f":-1,"l":-1,"r":-1,"v":-0.2`, `{"f":-1,"l":3,"r":4,"v":-0.2`},
	{"leaf with categories", `{"f":-1,"l":-1,"r":-1,"v":-0.2`, `{"f":-1,"cs":[1],"l":-1,"r":-1,"v":-0.2`},
	{"unsorted categories", `"cs":[0,3]`, `"cs":[3,0]`},
	{"duplicate categories", `"cs":[0,3]`, `"cs":[0,3,3]`},
	{"negative category", `"cs":[0,3]`, `"cs":[-1,3]`},
	{"category overflow", `"cs":[0,3]`, `"cs":[0,4294967296]`},
	{"numeric split with categories", `"t":250,`, `"t":250,"cs":[1],`},
	{"negative cover", `"h":130`, `"h":-130`},
	{"value overflow", `"v":-0.2`, `"v":-1e400`},
	{"threshold null", `"t":250`, `"t":"NaN"`},
	{"boolean as number", `"d":true`, `"d":1`},
}

func TestJSONRejectsCorrupt(t *testing.T) {
	base, err := os.ReadFile("testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	var ok Ensemble
	if err := json.Unmarshal(base, &ok); err != nil {
		t.Fatalf("base model: %v", err)
	}
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Contains(base, []byte(c.old)) {
				t.Fatalf("%q is not in the base model", c.old)
			}
			b := bytes.Replace(base, []byte(c.old), []byte(c.new), 1)
			e := ok
			err := json.Unmarshal(b, &e)
			if err == nil {
				t.Fatalf("decoded %s", b)
			}
			if !strings.HasPrefix(err.Error(), "gbt: ") {
				var syn *json.SyntaxError
				if !errors.As(err, &syn) {
					t.Errorf("error %q has no gbt: prefix", err)
				}
			}
			if !reflect.DeepEqual(exported(&e), exported(&ok)) {
				t.Errorf("failed decode changed the ensemble")
			}
		})
	}
}

func FuzzUnmarshalJSON(f *testing.F) {
	base, err := os.ReadFile("testdata/small.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	for _, c := range corruptions {
		f.Add(bytes.Replace(base, []byte(c.old), []byte(c.new), 1))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	small, _ := json.Marshal(genEnsemble(f, rng, genConfig{Trees: 3, Depth: 3, Features: 3, NumCat: 1, Codes: 5, SplitProb: 0.8}))
	f.Add(small)
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Ensemble
		if err := json.Unmarshal(b, &e); err != nil {
			return
		}
		// A model that decodes predicts, explains and encodes without trouble.
		nan := math.NaN()
		rows := [][]float64{make([]float64, e.NumFeatures), make([]float64, e.NumFeatures), make([]float64, e.NumFeatures)}
		for j := range e.NumFeatures {
			rows[1][j], rows[2][j] = nan, float64(j)-1.5
		}
		phi := make([]float64, e.NumFeatures)
		X := make([]float64, 0, 3*e.NumFeatures)
		for _, x := range rows {
			X = append(X, x...)
			m := e.PredictMargin(x)
			if ref := refMargin(&e, x); m != ref {
				t.Fatalf("margin %v, reference %v", m, ref)
			}
			s := e.SHAP(x, phi)
			for _, p := range phi {
				s += p
			}
			if math.Abs(s-m) > 1e-9*math.Max(1, math.Abs(m)) {
				t.Fatalf("expected + Σphi = %v, margin %v", s, m)
			}
		}
		dst := make([]float64, 3)
		e.PredictMarginBatch(X, dst)
		out, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		var d Ensemble
		if err := json.Unmarshal(out, &d); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(exported(&d), exported(&e)) {
			t.Fatalf("round trip changed the ensemble")
		}
	})
}
