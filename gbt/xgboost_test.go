package gbt

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
)

// TestXGBoostParity converts the XGBoost model in testdata/xgboost (see make_fixture.py there)
// and checks margins and TreeSHAP contributions against XGBoost's own. XGBoost computes in
// float32: the fixture's inputs are float32 values, so both route every row alike, and the
// sums agree to float32 precision.
func TestXGBoostParity(t *testing.T) {
	e := loadXGBoost(t, "testdata/xgboost/model.json")
	b, err := os.ReadFile("testdata/xgboost/rows.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		X        [][]*float64 `json:"x"`
		Margin   []float64    `json:"margin"`
		Contribs [][]float64  `json:"contribs"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	ex := e.NewExplainer()
	phi := make([]float64, e.NumFeatures)
	var maxMargin, maxPhi float64
	defer func() {
		t.Logf("%d rows: largest difference %.2g in margin, %.2g in SHAP values", len(fx.X), maxMargin, maxPhi)
	}()
	for r, row := range fx.X {
		x := make([]float64, len(row))
		for j, v := range row {
			x[j] = math.NaN()
			if v != nil {
				x[j] = *v
			}
		}
		m := e.PredictMargin(x)
		maxMargin = max(maxMargin, math.Abs(m-fx.Margin[r]))
		if math.Abs(m-fx.Margin[r]) > 1e-5 {
			t.Errorf("row %d %v: margin %v, XGBoost %v", r, x, m, fx.Margin[r])
		}
		expected := ex.SHAP(x, phi)
		want := fx.Contribs[r]
		if bias := want[len(want)-1]; math.Abs(expected-bias) > 1e-5 {
			t.Errorf("row %d: expected value %v, XGBoost bias %v", r, expected, bias)
		}
		for j := range phi {
			maxPhi = max(maxPhi, math.Abs(phi[j]-want[j]))
			if math.Abs(phi[j]-want[j]) > 1e-5 {
				t.Errorf("row %d %v: phi[%d] = %v, XGBoost %v", r, x, j, phi[j], want[j])
			}
		}
	}
}

// loadXGBoost converts an XGBoost 1.7 binary:logistic JSON model (save_model): the minimum
// for this test, not an importer. Thresholds and values are float32 in XGBoost and exactly
// representable here. XGBoost sends a category that is in a split's set right and others
// (invalid ones too) left; gbt sends set members left, so the children swap.
func loadXGBoost(t testing.TB, path string) *Ensemble {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Learner struct {
			Param struct {
				BaseScore  string `json:"base_score"`
				NumFeature string `json:"num_feature"`
			} `json:"learner_model_param"`
			Objective struct {
				Name string `json:"name"`
			} `json:"objective"`
			Booster struct {
				Model struct {
					Trees []struct {
						Left             []int32   `json:"left_children"`
						RightChildren    []int32   `json:"right_children"`
						SplitIndices     []int32   `json:"split_indices"`
						SplitConditions  []float32 `json:"split_conditions"`
						DefaultLeft      []int     `json:"default_left"`
						SplitType        []int     `json:"split_type"`
						SumHessian       []float32 `json:"sum_hessian"`
						LossChanges      []float32 `json:"loss_changes"`
						BaseWeights      []float32 `json:"base_weights"`
						CategoriesNodes  []int32   `json:"categories_nodes"`
						CategoriesSegs   []int     `json:"categories_segments"`
						CategoriesSizes  []int     `json:"categories_sizes"`
						CategoriesValues []uint32  `json:"categories"`
					} `json:"trees"`
				} `json:"model"`
			} `json:"gradient_booster"`
		} `json:"learner"`
	}
	// XGBoost 1.7 writes NaN, not JSON, as the split condition of a categorical split.
	if err := json.Unmarshal(bytes.ReplaceAll(b, []byte("NaN"), []byte("null")), &m); err != nil {
		t.Fatal(err)
	}
	l := m.Learner
	if l.Objective.Name != "binary:logistic" {
		t.Fatalf("objective %q", l.Objective.Name)
	}
	base, err := strconv.ParseFloat(l.Param.BaseScore, 32)
	if err != nil {
		t.Fatal(err)
	}
	nf, err := strconv.Atoi(l.Param.NumFeature)
	if err != nil {
		t.Fatal(err)
	}
	// XGBoost's ProbToMargin, in float32: -logf(1/b - 1).
	b32 := float32(base)
	e := Ensemble{Objective: Logistic, BaseScore: float64(-float32(math.Log(float64(1/b32 - 1)))), NumFeatures: nf}
	for _, xt := range l.Booster.Model.Trees {
		cats := map[int32][]uint32{}
		for k, n := range xt.CategoriesNodes {
			set := slices.Clone(xt.CategoriesValues[xt.CategoriesSegs[k] : xt.CategoriesSegs[k]+xt.CategoriesSizes[k]])
			slices.Sort(set)
			cats[n] = set
		}
		nodes := make([]Node, len(xt.Left))
		for i := range nodes {
			if xt.Left[i] == -1 {
				nodes[i] = Node{Feature: -1, Left: -1, Right: -1, Value: float64(xt.SplitConditions[i]), Cover: float64(xt.SumHessian[i])}
				continue
			}
			nd := Node{
				Feature: xt.SplitIndices[i], Threshold: float64(xt.SplitConditions[i]),
				Left: xt.Left[i], Right: xt.RightChildren[i], DefaultLeft: xt.DefaultLeft[i] == 1,
				Value: float64(xt.BaseWeights[i]), Gain: float64(xt.LossChanges[i]), Cover: float64(xt.SumHessian[i]),
			}
			if len(xt.SplitType) > 0 && xt.SplitType[i] == 1 {
				nd.Threshold = 0
				nd.Categorical, nd.Categories = true, cats[int32(i)]
				nd.Left, nd.Right, nd.DefaultLeft = nd.Right, nd.Left, !nd.DefaultLeft
			}
			nodes[i] = nd
		}
		e.Trees = append(e.Trees, Tree{Nodes: nodes})
	}
	return mustNew(t, e)
}
