package lightgbm

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"riskflow/gbt"
)

// readTSV reads rows of tab-separated numbers.
func readTSV(t testing.TB, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]float64
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row []float64
		for _, w := range strings.Fields(sc.Text()) {
			v, err := strconv.ParseFloat(w, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestParityBinary checks the DART binary model against LightGBM's own probabilities (see
// testdata/SOURCE.md).
func TestParityBinary(t *testing.T) {
	m, err := ReadFile("testdata/lg_dart_breast_cancer.model")
	if err != nil {
		t.Fatal(err)
	}
	if m.Ensemble.Objective != gbt.Logistic || len(m.FeatureNames) != 30 || m.Ensemble.NumTrees() != 10 {
		t.Fatalf("objective %q, %d names, %d trees", m.Ensemble.Objective, len(m.FeatureNames), m.Ensemble.NumTrees())
	}
	rows := readTSV(t, "testdata/breast_cancer_test.tsv")
	want := readTSV(t, "testdata/lg_dart_breast_cancer_true_predictions.txt")
	if len(rows) != len(want) || len(rows) == 0 {
		t.Fatalf("%d rows, %d predictions", len(rows), len(want))
	}
	var worst float64
	for r, x := range rows {
		p := m.Ensemble.Predict(x)
		worst = max(worst, math.Abs(p-want[r][0]))
		if math.Abs(p-want[r][0]) > 1e-6 {
			t.Errorf("row %d: probability %v, LightGBM %v", r, p, want[r][0])
		}
	}
	t.Logf("%d rows: largest difference %.2g", len(rows), worst)
}

// TestParityCategorical checks the raw scores of the kddcup99 multiclass model, class by
// class (each class's trees as one ensemble): its trees hold categorical bitset splits, with
// missing types None and Zero. Decode itself refuses the model (multiclass).
func TestParityCategorical(t *testing.T) {
	b, err := os.ReadFile("testdata/lg_kddcup99.model")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(b); err == nil || !strings.Contains(err.Error(), "multiclass") {
		t.Errorf("Decode of a multiclass model: %v", err)
	}
	f, err := parse(b)
	if err != nil {
		t.Fatal(err)
	}
	rows := readTSV(t, "testdata/kddcup99_test.tsv")
	want := readTSV(t, "testdata/lg_kddcup99_true_predictions.txt")
	cats := 0
	var worst float64
	for k := range f.numClass {
		e, err := f.ensemble(gbt.SquaredError, 1, k, f.treesPerIter)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range e.Trees {
			for _, n := range tr.Nodes {
				if n.Categorical {
					cats++
				}
			}
		}
		for r, x := range rows {
			got := e.PredictMargin(x)
			worst = max(worst, math.Abs(got-want[r][k]))
			if math.Abs(got-want[r][k]) > 1e-5 {
				t.Errorf("row %d class %d: raw score %v, LightGBM %v", r, k, got, want[r][k])
			}
		}
	}
	if cats == 0 {
		t.Error("no categorical splits converted")
	}
	t.Logf("%d rows × %d classes, %d categorical splits: largest difference %.2g", len(rows), f.numClass, cats, worst)
}

// refPredict is LightGBM's tree walk (Tree::NumericalDecision and CategoricalDecision as in
// LightGBM 4), over the parsed arrays.
func refPredict(t *tree, x []float64) float64 {
	if t.numLeaves == 1 {
		return t.leafValue[0]
	}
	node := 0
	for node >= 0 {
		v := x[t.splitFeature[node]]
		dt := t.decisionType[node]
		var goLeft bool
		if dt&categoricalMask != 0 {
			if math.IsNaN(v) || int(v) < 0 {
				goLeft = false
			} else {
				k := int(t.threshold[node])
				words := t.catThreshold[t.catBoundaries[k]:t.catBoundaries[k+1]]
				c := int(v)
				goLeft = c/32 < len(words) && words[c/32]>>(c%32)&1 != 0
			}
		} else {
			mt := dt >> 2 & 3
			if math.IsNaN(v) && mt != missingNaN {
				v = 0
			}
			if (mt == missingZero && v >= -zeroThreshold && v <= zeroThreshold) || (mt == missingNaN && math.IsNaN(v)) {
				goLeft = dt&defaultLeftMask != 0
			} else {
				goLeft = v <= t.threshold[node]
			}
		}
		if goLeft {
			node = t.left[node]
		} else {
			node = t.right[node]
		}
	}
	return t.leafValue[^node]
}

// randomModel writes a random LightGBM text model over nf features: numeric splits of every
// missing type and default direction, thresholds near and at zero, on features 0 to nf-2, and
// categorical splits on feature nf-1 (whose values must be integers or NaN: LightGBM truncates
// a fractional code, gbt sends it right).
func randomModel(rng *rand.Rand, trees, nf int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=%d\nobjective=regression\n", nf-1)
	thresholds := []float64{0, 1e-35, -1e-35, zeroThreshold, -zeroThreshold, 1e-36, -1e-36, 0.5, -0.5, 1.5, 3}
	for i := range trees {
		leaves := 2 + rng.IntN(8)
		// Grow by splitting a random leaf: node j splits leaf slot.
		left, right := []int{^0}, []int{^1}
		parentOf := map[int][2]int{0: {0, 0}, 1: {0, 1}} // leaf → (node, side)
		for j := 1; j < leaves-1; j++ {
			leaf := rng.IntN(j + 1)
			p := parentOf[leaf]
			if p[1] == 0 {
				left[p[0]] = j
			} else {
				right[p[0]] = j
			}
			left = append(left, ^leaf)
			right = append(right, ^(j + 1))
			parentOf[leaf] = [2]int{j, 0}
			parentOf[j+1] = [2]int{j, 1}
		}
		k := leaves - 1
		feat, thr, dts := make([]string, k), make([]string, k), make([]string, k)
		var bounds, words []string
		bounds = append(bounds, "0")
		for j := range k {
			feat[j] = strconv.Itoa(rng.IntN(nf - 1))
			if rng.IntN(4) == 0 {
				feat[j] = strconv.Itoa(nf - 1)
				thr[j] = strconv.Itoa(len(bounds) - 1)
				dts[j] = strconv.Itoa(1 | rng.IntN(2)<<1 | rng.IntN(3)<<2)
				n := 1 + rng.IntN(2)
				for range n {
					words = append(words, strconv.FormatUint(uint64(rng.Uint32()), 10))
				}
				bounds = append(bounds, strconv.Itoa(len(words)))
				continue
			}
			thr[j] = strconv.FormatFloat(thresholds[rng.IntN(len(thresholds))], 'g', -1, 64)
			dts[j] = strconv.Itoa(rng.IntN(2)<<1 | rng.IntN(3)<<2)
		}
		vals, counts := make([]string, leaves), make([]string, leaves)
		for j := range leaves {
			vals[j] = strconv.FormatFloat(rng.NormFloat64(), 'g', -1, 64)
			counts[j] = strconv.Itoa(1 + rng.IntN(100))
		}
		itoa := func(a []int) string {
			s := make([]string, len(a))
			for i, v := range a {
				s[i] = strconv.Itoa(v)
			}
			return strings.Join(s, " ")
		}
		fmt.Fprintf(&sb, "\nTree=%d\nnum_leaves=%d\nnum_cat=%d\nsplit_feature=%s\nthreshold=%s\ndecision_type=%s\nleft_child=%s\nright_child=%s\nleaf_value=%s\nleaf_count=%s\n",
			i, leaves, len(bounds)-1, strings.Join(feat, " "), strings.Join(thr, " "), strings.Join(dts, " "), itoa(left), itoa(right), strings.Join(vals, " "), strings.Join(counts, " "))
		if len(bounds) > 1 {
			fmt.Fprintf(&sb, "cat_boundaries=%s\ncat_threshold=%s\n", strings.Join(bounds, " "), strings.Join(words, " "))
		}
		sb.WriteString("shrinkage=1\n")
	}
	sb.WriteString("\nend of trees\n")
	return sb.String()
}

// TestRandomModels converts random models with every decision type and compares each tree
// with LightGBM's decision rules on values at and around the thresholds and the zero band.
func TestRandomModels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := []float64{math.NaN(), 0, math.Copysign(0, -1), 1e-35, -1e-35, zeroThreshold, -zeroThreshold,
		math.Nextafter(zeroThreshold, 1), math.Nextafter(-zeroThreshold, -1), 1e-36, -1e-36, 0.5, -0.5,
		math.Nextafter(0.5, 1), math.Nextafter(-0.5, -1), 1.5, 3, 1, 2, 7, 31, 32, 33, 63, -1, 1.5, math.Inf(1), math.Inf(-1)}
	codes := []float64{math.NaN(), 0, 1, 2, 7, 31, 32, 33, 63, 64, 100, -1, -2}
	const nf = 3
	for it := range 300 {
		text := randomModel(rng, 5, nf)
		m, err := Decode([]byte(text))
		if err != nil {
			t.Fatalf("model %d: %v\n%s", it, err, text)
		}
		f, err := parse([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, nf)
		for range 200 {
			for j := range x {
				x[j] = values[rng.IntN(len(values))]
			}
			x[nf-1] = codes[rng.IntN(len(codes))]
			want := 0.0
			for i := range f.trees {
				want += refPredict(&f.trees[i], x)
			}
			if got := m.Ensemble.PredictMargin(x); math.Abs(got-want) > 1e-12 {
				t.Fatalf("model %d row %v: margin %v, LightGBM rules %v\n%s", it, x, got, want, text)
			}
		}
	}
}

func TestObjectives(t *testing.T) {
	for _, tc := range []struct {
		line  string
		obj   gbt.Objective
		scale float64
		err   string
	}{
		{"binary sigmoid:1", gbt.Logistic, 1, ""},
		{"binary sigmoid:2.5", gbt.Logistic, 2.5, ""},
		{"regression", gbt.SquaredError, 1, ""},
		{"regression sqrt", "", 0, "output transforms"},
		{"multiclass num_class:3", "", 0, `objective "multiclass" is not supported`},
		{"lambdarank", "", 0, `"lambdarank"`},
		{"binary sigmoid:-1", "", 0, "sigmoid"},
		{"binary foo", "", 0, "unknown parameter"},
		{"", "", 0, "no objective"},
	} {
		obj, scale, err := objective(tc.line)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil || obj != tc.obj || scale != tc.scale {
			t.Errorf("%q: %q %v %v", tc.line, obj, scale, err)
		}
	}
}

// TestSigmoid checks that a sigmoid parameter scales the margin and gives LightGBM's
// probability 1/(1+exp(-s·raw)).
func TestSigmoid(t *testing.T) {
	text := "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=0\nobjective=binary sigmoid:2\nfeature_names=a\n\n" +
		"Tree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=0\nthreshold=0.5\ndecision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=0.25 -0.75\nleaf_count=1 1\n\nend of trees\n"
	m, err := Decode([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for x, raw := range map[float64]float64{0.5: 0.25, 0.6: -0.75, math.NaN(): 0.25} {
		want := 1 / (1 + math.Exp(-2*raw))
		if got := m.Ensemble.Predict([]float64{x}); math.Abs(got-want) > 1e-15 {
			t.Errorf("x %v: %v, want %v", x, got, want)
		}
	}
}

func TestRefused(t *testing.T) {
	base, err := os.ReadFile("testdata/lg_dart_breast_cancer.model")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ old, new, want string }{
		{"objective=binary sigmoid:1", "objective=cross_entropy", `objective "cross_entropy" is not supported`},
		{"num_class=1", "num_class=3", "multiclass"},
		{"max_feature_idx=29", "max_feature_idx=28", "30 feature_names"},
		{"end of trees", "<cut>", "truncated"},
		{"left_child=1 2 3 5 -2 6 8 -6 -1", "left_child=1 2 3 5 -2 6 8 -6 -6", "leaf"},
		{"left_child=1 2 3 5 -2 6 8 -6 -1", "left_child=1 2 3 5 -2 6 8 -6 0", "child"},
		{"split_feature=22 27", "split_feature=30 27", "split_feature 30"},
		{"Tree=1", "Tree=7", "want Tree=1"},
		{"shrinkage=1", "is_linear=1\nshrinkage=1", "linear"},
		{"num_tree_per_iteration=1", "num_tree_per_iteration=1\naverage_output", "average_output"},
	} {
		doc := strings.Replace(string(base), tc.old, tc.new, 1)
		if tc.new == "<cut>" {
			doc, _, _ = strings.Cut(string(base), tc.old)
		}
		if doc == string(base) {
			t.Fatalf("fixture has no %q", tc.old)
		}
		_, err := Decode([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q → %q: error %v, want one containing %q", tc.old, tc.new, err, tc.want)
		}
	}
}

// FuzzDecode feeds mutated models to Decode: an error, or a model that agrees with
// LightGBM's decision rules (refPredict) on a few rows.
func FuzzDecode(f *testing.F) {
	b, err := os.ReadFile("testdata/lg_dart_breast_cancer.model")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(randomModel(rand.New(rand.NewPCG(1, 1)), 2, 2)))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if m != nil {
				t.Fatal("model with an error")
			}
			return
		}
		p, err := parse(b)
		if err != nil {
			t.Fatalf("Decode accepted what parse rejects: %v", err)
		}
		_, scale, _ := objective(p.objective)
		x := make([]float64, m.Ensemble.NumFeatures)
		// Integer values only: a fractional category code is where gbt and LightGBM differ.
		for _, v := range []float64{math.NaN(), 0, 1, 3, -2, 100} {
			for j := range x {
				x[j] = v
			}
			want := 0.0
			for i := range p.trees {
				want += refPredict(&p.trees[i], x)
			}
			got := m.Ensemble.PredictMargin(x)
			if want *= scale; !(math.Abs(got-want) <= 1e-9*(1+math.Abs(want))) && !(math.IsInf(want, 0) && got == want) {
				t.Fatalf("x=%v: margin %v, LightGBM rules %v", v, got, want)
			}
		}
	})
}

func TestForOutputs(t *testing.T) {
	m, err := ReadFile("testdata/lg_dart_breast_cancer.model")
	if err != nil {
		t.Fatal(err)
	}
	if !m.NamesGenerated() {
		t.Fatal("Column_0 ... not recognised as generated names")
	}
	outputs := make([]string, 30)
	for i := range outputs {
		outputs[i] = fmt.Sprintf("f%d", i)
	}
	e, err := m.ForOutputs(outputs)
	if err != nil {
		t.Fatal(err)
	}
	x := readTSV(t, "testdata/breast_cancer_test.tsv")[0]
	if a, b := m.Ensemble.Predict(x), e.Predict(x); a != b {
		t.Errorf("by position: %v, want %v", b, a)
	}
	if _, err := m.ForOutputs(outputs[1:]); err == nil || !strings.Contains(err.Error(), "30 features and the transformer 29 outputs") {
		t.Errorf("count mismatch: %v", err)
	}
	m.FeatureNames[3] = "amount"
	if _, err := m.ForOutputs(outputs); err == nil || !strings.Contains(err.Error(), "not the transformer: Column_0") {
		t.Errorf("names: %v", err)
	}
}
