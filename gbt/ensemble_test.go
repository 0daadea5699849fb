package gbt

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// smallEnsemble is the model in testdata/small.json: two trees over amount, age and merchant
// (categorical), stored out of preorder.
func smallEnsemble() Ensemble {
	leaf := func(v, h float64) Node { return Node{Feature: -1, Left: -1, Right: -1, Value: v, Cover: h} }
	return Ensemble{
		Objective:    Logistic,
		BaseScore:    -1.5,
		NumFeatures:  3,
		FeatureNames: []string{"amount", "age", "merchant"},
		Trees: []Tree{
			{Nodes: []Node{
				{Feature: 0, Threshold: 250, Left: 1, Right: 2, DefaultLeft: true, Value: 0.05, Gain: 12.5, Cover: 240},
				leaf(-0.2, 130),
				{Feature: 2, Categorical: true, Categories: []uint32{0, 3}, Left: 3, Right: 4, Value: 0.3, Gain: 4.25, Cover: 110},
				leaf(0.4, 60),
				leaf(0.1, 50),
			}},
			{Nodes: []Node{
				{Feature: 1, Threshold: 30.5, Left: 2, Right: 1, Gain: 3, Cover: 230},
				leaf(-0.05, 150),
				leaf(0.15, 80),
			}},
		},
	}
}

func mustNew(t testing.TB, e Ensemble) *Ensemble {
	t.Helper()
	out, err := New(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPredictSmall(t *testing.T) {
	e := mustNew(t, smallEnsemble())
	nan := math.NaN()
	tests := []struct {
		name string
		x    []float64
		want float64
	}{
		{"left left", []float64{100, 25, 1}, -1.5 - 0.2 + 0.15},
		{"missing", []float64{nan, nan, nan}, -1.5 - 0.2 - 0.05},
		{"code in set", []float64{300, 40, 3}, -1.5 + 0.4 - 0.05},
		{"equal goes right", []float64{250, 30.5, 2}, -1.5 + 0.1 - 0.05},
		{"fractional code", []float64{1000, 0, 3.5}, -1.5 + 0.1 + 0.15},
		{"negative zero code", []float64{1000, 0, math.Copysign(0, -1)}, -1.5 + 0.4 + 0.15},
		{"missing code", []float64{1000, 0, nan}, -1.5 + 0.1 + 0.15},
		{"infinite", []float64{math.Inf(-1), math.Inf(1), 0}, -1.5 - 0.2 - 0.05},
		{"longer row", []float64{100, 25, 1, 7, 7}, -1.5 - 0.2 + 0.15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.PredictMargin(tt.x); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("PredictMargin(%v) = %v, want %v", tt.x, got, tt.want)
			}
			if got, want := e.Predict(tt.x), 1/(1+math.Exp(-e.PredictMargin(tt.x))); got != want {
				t.Errorf("Predict(%v) = %v, want %v", tt.x, got, want)
			}
		})
	}
}

// TestRouting checks one split at a time against the rules of Node's documentation.
func TestRouting(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	split := func(n Node) *Ensemble {
		n.Feature, n.Left, n.Right, n.Cover = 0, 1, 2, 2
		return mustNew(t, Ensemble{Objective: SquaredError, NumFeatures: 1, Trees: []Tree{{Nodes: []Node{
			n,
			{Feature: -1, Left: -1, Right: -1, Value: -1, Cover: 1}, // left: -1
			{Feature: -1, Left: -1, Right: -1, Value: 1, Cover: 1},  // right: +1
		}}}})
	}
	dense := []uint32{0, 2, 3, 63, 64, 130}
	sparse := []uint32{1, 5, 100000, 4000000000}
	tests := []struct {
		name string
		node Node
		left []float64
		righ []float64
	}{
		{"numeric", Node{Threshold: 0.5}, []float64{0.4999999999999999, -inf, -1e300}, []float64{0.5, 0.5000000000000001, inf, nan}},
		{"numeric default left", Node{Threshold: 0.5, DefaultLeft: true}, []float64{nan, -inf, 0}, []float64{0.5, inf}},
		{"numeric zero", Node{Threshold: 0}, []float64{-5e-324}, []float64{0, math.Copysign(0, -1), 5e-324}},
		{"dense set", Node{Categorical: true, Categories: dense}, []float64{0, 2, 3, 63, 64, 130, math.Copysign(0, -1)},
			[]float64{1, 4, 65, 129, 131, 189, 190, 191, 192, 500, 1022, 1023, 1e6, 1e12, -1, -2, 2.5, 0.1, inf, -inf, nan, math.MaxUint32, math.MaxUint32 + 1}},
		{"small set", Node{Categorical: true, Categories: []uint32{1}}, []float64{1}, []float64{0, 2, 61, 62, 63, 64, 65, 1022, 1023, 1024, nan}},
		{"dense set default left", Node{Categorical: true, Categories: dense, DefaultLeft: true}, []float64{nan, 0, 130}, []float64{-1, 1, inf, 2.000001}},
		{"sparse set", Node{Categorical: true, Categories: sparse}, []float64{1, 5, 100000, 4000000000},
			[]float64{0, 2, 99999, 100001, 4000000001, math.MaxUint32, 1e15, -5, 5.5, nan}},
		{"empty set", Node{Categorical: true, DefaultLeft: true}, []float64{nan}, []float64{0, 1, 7}},
		{"max code", Node{Categorical: true, Categories: []uint32{math.MaxUint32}}, []float64{math.MaxUint32}, []float64{math.MaxUint32 - 1, math.MaxUint32 + 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := split(tt.node)
			for _, v := range tt.left {
				if got := e.PredictMargin([]float64{v}); got != -1 {
					t.Errorf("%v went right, want left", v)
				}
				if refMargin(e, []float64{v}) != -1 {
					t.Errorf("reference: %v went right, want left", v)
				}
			}
			for _, v := range tt.righ {
				if got := e.PredictMargin([]float64{v}); got != 1 {
					t.Errorf("%v went left, want right", v)
				}
				if refMargin(e, []float64{v}) != 1 {
					t.Errorf("reference: %v went left, want right", v)
				}
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		mutate func(e *Ensemble)
		want   string
	}{
		{"objective", func(e *Ensemble) { e.Objective = "multi:softmax" }, "objective"},
		{"no objective", func(e *Ensemble) { e.Objective = "" }, "objective"},
		{"negative features", func(e *Ensemble) { e.NumFeatures = -1; e.FeatureNames = nil }, "features"},
		{"too many features", func(e *Ensemble) { e.NumFeatures = 1<<20 + 1; e.FeatureNames = nil }, "features"},
		{"feature names", func(e *Ensemble) { e.FeatureNames = e.FeatureNames[:2] }, "feature names"},
		{"base score NaN", func(e *Ensemble) { e.BaseScore = nan }, "base score"},
		{"base score Inf", func(e *Ensemble) { e.BaseScore = math.Inf(-1) }, "base score"},
		{"no nodes", func(e *Ensemble) { e.Trees[1].Nodes = nil }, "tree 1: no nodes"},
		{"feature out of range", func(e *Ensemble) { e.Trees[0].Nodes[0].Feature = 3 }, "feature 3"},
		{"feature below -1", func(e *Ensemble) { e.Trees[0].Nodes[1].Feature = -2 }, "feature -2"},
		{"child out of range", func(e *Ensemble) { e.Trees[0].Nodes[2].Right = 5 }, "children"},
		{"negative child", func(e *Ensemble) { e.Trees[0].Nodes[2].Left = -1 }, "children"},
		{"child is root", func(e *Ensemble) { e.Trees[0].Nodes[2].Left = 0 }, "children"},
		{"same children", func(e *Ensemble) { e.Trees[0].Nodes[2].Left = 4 }, "children"},
		{"shared child", func(e *Ensemble) { e.Trees[0].Nodes[2].Left = 1 }, "reached twice"},
		{"cycle", func(e *Ensemble) {
			e.Trees[0].Nodes[3] = Node{Feature: 1, Left: 2, Right: 4, Cover: 1}
		}, "reached twice"},
		{"leaf with children", func(e *Ensemble) { e.Trees[0].Nodes[1].Left = 3 }, "leaf has children"},
		{"leaf with categories", func(e *Ensemble) { e.Trees[0].Nodes[1].Categories = []uint32{1} }, "leaf has categories"},
		{"value NaN", func(e *Ensemble) { e.Trees[0].Nodes[3].Value = nan }, "non-finite"},
		{"value Inf", func(e *Ensemble) { e.Trees[1].Nodes[2].Value = math.Inf(1) }, "non-finite"},
		{"cover NaN", func(e *Ensemble) { e.Trees[0].Nodes[0].Cover = nan }, "non-finite"},
		{"gain Inf", func(e *Ensemble) { e.Trees[0].Nodes[0].Gain = math.Inf(1) }, "non-finite"},
		{"negative cover", func(e *Ensemble) { e.Trees[0].Nodes[4].Cover = -1 }, "negative cover"},
		{"threshold NaN", func(e *Ensemble) { e.Trees[1].Nodes[0].Threshold = nan }, "threshold"},
		{"threshold Inf", func(e *Ensemble) { e.Trees[1].Nodes[0].Threshold = math.Inf(1) }, "threshold"},
		{"unsorted categories", func(e *Ensemble) { e.Trees[0].Nodes[2].Categories = []uint32{3, 0} }, "strictly increasing"},
		{"duplicate categories", func(e *Ensemble) { e.Trees[0].Nodes[2].Categories = []uint32{0, 3, 3} }, "strictly increasing"},
		{"numeric with categories", func(e *Ensemble) { e.Trees[0].Nodes[0].Categories = []uint32{1} }, "numeric split has categories"},
		{"too deep", func(e *Ensemble) { e.Trees[1] = chain(maxTreeDepth + 1) }, "deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := smallEnsemble()
			tt.mutate(&e)
			_, err := New(e)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("New: error %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "gbt: ") {
				t.Errorf("New: error %q, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := New(Ensemble{Objective: Logistic, NumFeatures: 1, Trees: []Tree{chain(maxTreeDepth)}}); err != nil {
		t.Errorf("New(tree of depth %d): %v", maxTreeDepth, err)
	}
}

// chain returns a tree of depth d splitting on feature 0 at every level.
func chain(d int) Tree {
	var nodes []Node
	for i := range d {
		nodes = append(nodes,
			Node{Feature: 0, Threshold: float64(i), Left: int32(2*i + 1), Right: int32(2*i + 2), Cover: 1},
			Node{Feature: -1, Left: -1, Right: -1, Value: float64(i), Cover: 1})
	}
	// The last split's right child.
	nodes = append(nodes, Node{Feature: -1, Left: -1, Right: -1, Value: -1, Cover: 1})
	return Tree{Nodes: nodes}
}

func TestNewUnreachableNodesIgnored(t *testing.T) {
	// Nodes no root path reaches (XGBoost leaves pruned nodes in its arrays) are not compiled,
	// counted or validated.
	e := smallEnsemble()
	e.Trees[1].Nodes = append(e.Trees[1].Nodes, Node{Feature: 99, Value: math.NaN()})
	m := mustNew(t, e)
	if n := m.NumNodes(); n != 8 {
		t.Errorf("NumNodes = %d, want 8", n)
	}
}

func TestNewCopies(t *testing.T) {
	in := smallEnsemble()
	e := mustNew(t, in)
	x := []float64{300, 40, 3}
	want := e.PredictMargin(x)
	in.Trees[0].Nodes[3].Value = 100
	in.Trees[0].Nodes[2].Categories[1] = 7
	in.FeatureNames[0] = "changed"
	if got := e.PredictMargin(x); got != want || e.Trees[0].Nodes[3].Value != 0.4 || e.FeatureNames[0] != "amount" ||
		e.Trees[0].Nodes[2].Categories[1] != 3 {
		t.Errorf("New did not copy its input: margin %v, want %v", got, want)
	}
}

func TestShape(t *testing.T) {
	e := mustNew(t, smallEnsemble())
	if e.NumTrees() != 2 || e.NumNodes() != 8 || e.MaxDepth() != 2 {
		t.Errorf("NumTrees, NumNodes, MaxDepth = %d, %d, %d, want 2, 8, 2", e.NumTrees(), e.NumNodes(), e.MaxDepth())
	}
	d := mustNew(t, Ensemble{Objective: Logistic, NumFeatures: 1, Trees: []Tree{chain(9)}})
	if d.MaxDepth() != 9 || d.NumNodes() != 19 {
		t.Errorf("chain(9): MaxDepth %d, NumNodes %d, want 9, 19", d.MaxDepth(), d.NumNodes())
	}
	empty := mustNew(t, Ensemble{Objective: Logistic, BaseScore: 0.5})
	if empty.NumTrees() != 0 || empty.NumNodes() != 0 || empty.MaxDepth() != 0 || empty.PredictMargin(nil) != 0.5 {
		t.Errorf("empty ensemble: %d trees, %d nodes, depth %d, margin %v", empty.NumTrees(), empty.NumNodes(), empty.MaxDepth(), empty.PredictMargin(nil))
	}
}

func TestTruncate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	c := genConfig{Trees: 30, Depth: 4, Features: 6, NumCat: 1, Codes: 5, SplitProb: 0.9}
	e := genEnsemble(t, rng, c)
	X := genRows(rng, c, 50)
	for _, n := range []int{0, 1, 4, 5, 29, 30} {
		tr := e.Truncate(n)
		if tr.NumTrees() != n {
			t.Fatalf("Truncate(%d) has %d trees", n, tr.NumTrees())
		}
		for r := range 50 {
			x := X[r*6 : r*6+6]
			want := e.BaseScore
			for i := range n {
				want += e.Trees[i].Nodes[refLeaf(&e.Trees[i], x)].Value
			}
			if got := tr.PredictMargin(x); got != want {
				t.Fatalf("Truncate(%d): margin %v, want %v", n, got, want)
			}
		}
	}
	for _, n := range []int{-1, 31} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Truncate(%d) did not panic", n)
				}
			}()
			e.Truncate(n)
		}()
	}
}

func TestPanics(t *testing.T) {
	e := mustNew(t, smallEnsemble())
	tests := []struct {
		name string
		fn   func()
	}{
		{"short row", func() { e.PredictMargin([]float64{1, 2}) }},
		{"not built by New", func() { (&Ensemble{Objective: Logistic}).PredictMargin(nil) }},
		{"batch shape", func() { e.PredictMarginBatch(make([]float64, 7), make([]float64, 2)) }},
		{"short phi", func() { e.NewExplainer().SHAP([]float64{1, 2, 3}, make([]float64, 2)) }},
		{"importance kind", func() { e.Importance(ImportanceKind(99)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "gbt: ") {
					t.Errorf("panic %v, want a gbt: message", r)
				}
			}()
			tt.fn()
		})
	}
}
