package xgboost

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"riskflow/gbt"
)

type fixture struct {
	Version string       `json:"xgboost"`
	Rows    [][]*float64 `json:"rows"`
	Margin  []float64    `json:"margin"`
	Output  []float64    `json:"output"`
}

func readFixture(t testing.TB, name string) ([][]float64, fixture) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".rows.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, len(fx.Rows))
	for i, r := range fx.Rows {
		rows[i] = make([]float64, len(r))
		for j, v := range r {
			rows[i][j] = math.NaN()
			if v != nil {
				rows[i][j] = *v
			}
		}
	}
	return rows, fx
}

// TestParity checks every fixture row (training rows, missing values, values at and around
// every probed threshold, unseen category codes) against XGBoost 1.7's own margins and
// outputs; see testdata/gen.py.
func TestParity(t *testing.T) {
	for _, tc := range []struct {
		name      string
		objective gbt.Objective
		names     bool
	}{
		{"binary", gbt.Logistic, true},
		{"regression", gbt.SquaredError, false},
		{"reglogistic", gbt.Logistic, true},
		{"categorical", gbt.Logistic, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadFile("testdata/" + tc.name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			e := m.Ensemble
			if e.Objective != tc.objective {
				t.Errorf("objective %q, want %q", e.Objective, tc.objective)
			}
			if (m.FeatureNames != nil) != tc.names {
				t.Errorf("feature names %v, want some: %v", m.FeatureNames, tc.names)
			}
			rows, fx := readFixture(t, tc.name)
			var maxM, maxP float64
			for r, x := range rows {
				margin := e.PredictMargin(x)
				out := e.Predict(x)
				dm, dp := math.Abs(margin-fx.Margin[r]), math.Abs(out-fx.Output[r])
				maxM, maxP = max(maxM, dm), max(maxP, dp)
				tol := 1e-6
				if tc.objective == gbt.SquaredError {
					tol = 1e-5
				}
				if dm > 1e-5 || dp > tol {
					t.Errorf("row %d %v: margin %v output %v, XGBoost %v %v", r, x, margin, out, fx.Margin[r], fx.Output[r])
				}
			}
			t.Logf("%d rows, %d trees: largest difference %.2g in margin, %.2g in output", len(rows), e.NumTrees(), maxM, maxP)
		})
	}
}

// TestLessBound checks the float32 threshold conversion against float32 rounding itself, at
// the boundary and its neighbours, for random and special thresholds.
func TestLessBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ts := []float32{0, float32(math.Copysign(0, -1)), 1, -1, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		math.MaxFloat32, -math.MaxFloat32, 0.1, -0.1, 16777216, 16777217}
	for range 100000 {
		ts = append(ts, math.Float32frombits(rng.Uint32()))
	}
	for _, th := range ts {
		if math.IsNaN(float64(th)) || math.IsInf(float64(th), 0) {
			continue
		}
		b := LessBound(th)
		for _, x := range []float64{b, math.Nextafter(b, math.Inf(-1)), math.Nextafter(b, math.Inf(1)),
			math.Nextafter(math.Nextafter(b, math.Inf(1)), math.Inf(1)), float64(th), float64(math.Nextafter32(th, float32(math.Inf(-1))))} {
			if got, want := x < b, float32(x) < th; got != want {
				t.Fatalf("threshold %v (bound %v): x = %v: x < bound is %v, float32(x) < threshold is %v", th, b, x, got, want)
			}
		}
	}
}

func TestBaseScoreForms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float32
		ok   bool
	}{
		{"5E-1", 0.5, true},
		{"[5E-1]", 0.5, true},
		{" 0.25 ", 0.25, true},
		{"[2.5E-1,1E0]", 0, false},
		{"", 0, false},
		{"NaN", 0, false},
		{"abc", 0, false},
	} {
		got, err := parseBaseScore(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseBaseScore(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestVersionForms decodes one small model written as XGBoost 1.5 (booleans for
// default_left, no split_type), 1.7 and 3.1 ("[...]" base_score) write it, and checks the
// predictions agree.
func TestVersionForms(t *testing.T) {
	doc := func(version, baseScore, defaultLeft, extra string) string {
		return `{"version":[` + version + `],"learner":{"attributes":{},"feature_names":["a","b"],"feature_types":["float","float"],
"learner_model_param":{"base_score":"` + baseScore + `","num_class":"0","num_feature":"2"},
"objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}},
"gradient_booster":{"name":"gbtree","model":{"gbtree_model_param":{"num_trees":"1","num_parallel_tree":"1"},"tree_info":[0],
"trees":[{"tree_param":{"num_nodes":"5","size_leaf_vector":"0","num_feature":"2"},"id":0,
"left_children":[1,-1,3,-1,-1],"right_children":[2,-1,4,-1,-1],"parents":[2147483647,0,0,2,2],
"split_indices":[0,0,1,0,0],"split_conditions":[0.5,-0.25,1.5E0,0.125,0.375],
"default_left":` + defaultLeft + `,"loss_changes":[3,0,1,0,0],"sum_hessian":[10,4,6,3,3],"base_weights":[0,-0.25,0.2,0.125,0.375]` + extra + `}]}}}}`
	}
	rows := [][]float64{{0.4, 0}, {0.5, 1}, {0.6, 1.4}, {0.6, 1.5}, {math.NaN(), 2}, {1, math.NaN()}, {0.49999999, 9}}
	want := []float64{-0.25, 0.125, 0.125, 0.375, -0.25, 0.375}
	want = append(want, -0.25) // float32(0.49999999) = 0.5: right, then b=9 ≥ 1.5: right
	want[len(want)-1] = 0.375
	for _, form := range []string{
		doc("1,5,2", "5E-1", "[true,false,false,false,false]", ""),
		doc("1,7,4", "5E-1", "[1,0,0,0,0]", `,"split_type":[0,0,0,0,0],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[]`),
		doc("3,1,0", "[5E-1]", "[1,0,0,0,0]", `,"split_type":[0,0,0,0,0]`),
	} {
		m, err := Decode([]byte(form))
		if err != nil {
			t.Fatal(err)
		}
		if m.Ensemble.BaseScore != 0 {
			t.Errorf("%s: base margin %v, want 0", m.Version, m.Ensemble.BaseScore)
		}
		for i, x := range rows {
			if got := m.Ensemble.PredictMargin(x); got != want[i] {
				t.Errorf("%s: row %v: margin %v, want %v", m.Version, x, got, want[i])
			}
		}
	}
}

func TestRefused(t *testing.T) {
	base, err := os.ReadFile("testdata/reglogistic.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ old, new, want string }{
		{`"name":"gbtree"`, `"name":"gblinear"`, `booster "gblinear" is not supported`},
		{`"name":"gbtree"`, `"name":"dart"`, `booster "dart" is not supported`},
		{`"name":"reg:logistic"`, `"name":"multi:softprob"`, `objective "multi:softprob" is not supported`},
		{`"name":"reg:logistic"`, `"name":"rank:pairwise"`, `objective "rank:pairwise"`},
		{`"num_class":"0"`, `"num_class":"3"`, "num_class 3"},
		{`"base_score":"2E-1"`, `"base_score":"2E0"`, "needs a probability"},
		{`"num_class":"0","num_feature":"23"`, `"num_class":"0","num_feature":"2"`, "23 feature_names for num_feature 2"},
		{`"learner"`, `"learnr"`, `no "learner"`},
	} {
		doc := strings.Replace(string(base), tc.old, tc.new, 1)
		if doc == string(base) {
			t.Fatalf("fixture has no %s", tc.old)
		}
		_, err := Decode([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s: error %v, want one containing %q", tc.old, tc.new, err, tc.want)
		}
	}
}

func TestQuoteNonFinite(t *testing.T) {
	for in, want := range map[string]string{
		`[1,NaN,2]`:                `[1,"NaN",2]`,
		`[-Infinity,Infinity]`:     `["-Infinity","Infinity"]`,
		`{"NaN":"a\"NaN","x":NaN}`: `{"NaN":"a\"NaN","x":"NaN"}`,
		`"\\"NaN`:                  `"\\""NaN"`,
		`no change`:                `no change`,
	} {
		if got := string(quoteNonFinite([]byte(in))); got != want {
			t.Errorf("quoteNonFinite(%s) = %s, want %s", in, got, want)
		}
	}
}

// refMargin is XGBoost's prediction rule (predict_fn.h) over the decoded JSON arrays: float32
// comparisons, NaN to the default child, a categorical value in the node's set right and
// anything else left; leaf values summed from the base margin.
func refMargin(t *testing.T, doc []byte) func(x []float64) float64 {
	t.Helper()
	var jm jsonModel
	if err := json.Unmarshal(quoteNonFinite(doc), &jm); err != nil {
		t.Fatal(err)
	}
	m, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	trees := jm.Learner.Booster.Model.Trees
	sets := make([]map[int][]uint32, len(trees))
	for i := range trees {
		if sets[i], err = categorySets(&trees[i], len(trees[i].Left)); err != nil {
			t.Fatal(err)
		}
	}
	return func(x []float64) float64 {
		sum := m.Ensemble.BaseScore
		for i, jt := range trees {
			cats := sets[i]
			node := int64(0)
			for steps := 0; jt.Left[node] != -1; steps++ {
				if steps > 1000 {
					t.Fatal("cycle")
				}
				v := x[jt.SplitIndices[node]]
				var left bool
				switch {
				case math.IsNaN(v):
					left = bool(jt.DefaultLeft[node])
				case len(jt.SplitType) > 0 && jt.SplitType[node] == 1:
					left = v < 0 || !slices.Contains(cats[int(node)], uint32(v))
				default:
					left = float32(v) < float32(jt.SplitConditions[node])
				}
				if left {
					node = jt.Left[node]
				} else {
					node = jt.Right[node]
				}
			}
			sum += float64(float32(jt.SplitConditions[node]))
		}
		return sum
	}
}

// TestRefMargin checks refMargin, the rule the fuzz test holds Decode to, on fixture rows.
func TestRefMargin(t *testing.T) {
	for _, name := range []string{"binary", "categorical"} {
		doc, err := os.ReadFile("testdata/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		rows, fx := readFixture(t, name)
		ref := refMargin(t, doc)
		for r, x := range rows {
			if got := ref(x); math.Abs(got-fx.Margin[r]) > 1e-5 {
				t.Fatalf("%s row %d: reference %v, XGBoost %v", name, r, got, fx.Margin[r])
			}
		}
	}
}

// FuzzDecode feeds mutated models to Decode: it must return an error or a model whose
// ensemble survives a JSON round trip through gbt's own strict decoder and predicts what
// XGBoost's rules (refMargin) predict.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"reglogistic.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"learner":{"gradient_booster":{"name":"gbtree","model":{"trees":[{"left_children":[1,-1],"right_children":[1,-1]}]}}}}`))
	f.Add([]byte(`{"version":[1,7,4],"learner":{"learner_model_param":{"base_score":"5E-1","num_feature":"1"},"objective":{"name":"binary:logistic"},"gradient_booster":{"name":"gbtree","model":{"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],"split_conditions":[NaN,1,2],"default_left":[0,0,0],"loss_changes":[1,0,0],"sum_hessian":[2,1,1],"base_weights":[0,1,2],"split_type":[1,0,0],"categories_nodes":[0],"categories_segments":[0],"categories_sizes":[2],"categories":[3,1]}]}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if m != nil {
				t.Fatal("model with an error")
			}
			return
		}
		e := m.Ensemble
		js, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back gbt.Ensemble
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("decoded model does not validate: %v", err)
		}
		ref := refMargin(t, b)
		x := make([]float64, e.NumFeatures)
		// Integer values only: a fractional category code is where gbt and XGBoost differ.
		for _, v := range []float64{math.NaN(), 0, 1, 3, -1, 100} {
			for j := range x {
				x[j] = v
			}
			got, want := e.PredictMargin(x), ref(x)
			if !(math.Abs(got-want) <= 1e-9*(1+math.Abs(want))) {
				t.Fatalf("x=%v: margin %v, XGBoost's rules %v", v, got, want)
			}
		}
	})
}

func TestErrorsAreWrapped(t *testing.T) {
	_, err := ReadFile("testdata/does-not-exist.json")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
