package feature

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"riskflow/frame"
)

// column returns the named output column of m.
func column(t *testing.T, m *Matrix, name string) []float64 {
	t.Helper()
	j := slices.Index(m.Names, name)
	if j < 0 {
		t.Fatalf("no output %q in %v", name, m.Names)
	}
	out := make([]float64, m.Rows)
	for i := range out {
		out[i] = m.At(i, j)
	}
	return out
}

// sameFloats compares with bitwise equality, NaN equal to NaN.
func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func TestFitNumeric(t *testing.T) {
	nan := math.NaN()
	f := frame.MustNew(
		frame.NumericColumn("x", []float64{1, 2, 3, 4, nan, 100}),
		frame.NumericColumn("neg", []float64{-3, 0, 3, -0.5, nan, 1e300}),
		frame.NumericColumn("c", []float64{5, 5, 5, 5, 5, 5}),
		frame.BoolColumn("b", []bool{true, true, true, false, false, false}),
	)
	f.Col(3).Bools[4] = frame.BoolMissing
	spec := `
features:
  - {name: median, source: x, type: numeric, missing: median}
  - {name: mean, source: x, type: numeric, missing: mean}
  - {name: zero, source: x, type: numeric, missing: zero}
  - {name: const, source: x, type: numeric, missing: "constant:-7"}
  - {name: keep, source: x, type: numeric}
  - {name: std, source: x, type: numeric, missing: median, transform: standardize}
  - {name: clip, source: x, type: numeric, missing: median, transform: "clip(p20,p80)"}
  - {name: clipkeep, source: x, type: numeric, transform: "clip(p0,p100)"}
  - {name: log, source: neg, type: numeric, transform: log1p}
  - {name: flat, source: c, type: numeric, transform: standardize}
  - {name: b, type: boolean}
  - {name: bmean, source: b, type: boolean, missing: mean}
  - {name: bmedian, source: b, type: boolean, missing: median}
  - {name: btrue, source: b, type: boolean, missing: "constant:true"}
`
	tr := mustFit(t, spec, f)
	m, err := tr.Transform(f)
	if err != nil {
		t.Fatal(err)
	}
	imputed := []float64{1, 2, 3, 4, 3, 100}
	mu := (1 + 2 + 3 + 4 + 3 + 100) / 6.0
	var ss float64
	for _, v := range imputed {
		ss += (v - mu) * (v - mu)
	}
	sd := math.Sqrt(ss / 6) // population std
	std := make([]float64, 6)
	for i, v := range imputed {
		std[i] = (v - mu) / sd
	}
	tests := []struct {
		name string
		want []float64
	}{
		{"median", []float64{1, 2, 3, 4, 3, 100}},
		{"mean", []float64{1, 2, 3, 4, 22, 100}},
		{"zero", []float64{1, 2, 3, 4, 0, 100}},
		{"const", []float64{1, 2, 3, 4, -7, 100}},
		{"keep", []float64{1, 2, 3, 4, nan, 100}},
		{"std", std},
		{"clip", []float64{2, 2, 3, 4, 3, 4}}, // p20 and p80 of [1 2 3 3 4 100]: ranks 1 and 4
		{"clipkeep", []float64{1, 2, 3, 4, nan, 100}},
		{"log", []float64{-math.Log1p(3), 0, math.Log1p(3), -math.Log1p(0.5), nan, math.Log1p(1e300)}},
		{"flat", []float64{0, 0, 0, 0, 0, 0}}, // std 0 is taken as 1
		{"b", []float64{1, 1, 1, 0, nan, 0}},
		{"bmean", []float64{1, 1, 1, 0, 0.6, 0}},
		{"bmedian", []float64{1, 1, 1, 0, 1, 0}},
		{"btrue", []float64{1, 1, 1, 0, 1, 0}},
	}
	for _, tt := range tests {
		if got := column(t, m, tt.name); !sameFloats(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Interpolated percentiles.
	if got := percentile([]float64{10, 20, 30, 40}, 50); got != 25 {
		t.Errorf("median of 10..40 = %v, want 25", got)
	}
	if got := percentile([]float64{0, 100}, 1); got != 1 {
		t.Errorf("p01 of [0 100] = %v, want 1", got)
	}
	if got := percentile([]float64{7}, 99); got != 7 {
		t.Errorf("p99 of [7] = %v", got)
	}
}

func catFrame() *frame.Frame {
	m := frame.StringColumn("m", []string{"a", "a", "a", "b", "b", "c", "d", "d", "?", "e"})
	m.Codes[8] = frame.Missing
	return frame.MustNew(m, frame.NumericColumn("y", []float64{1, 0, 1, 0, 0, 1, 1, 1, 0, 1}))
}

func TestFitCategorical(t *testing.T) {
	spec := `
label: y
features:
  - {name: native, source: m, type: categorical, max_categories: 3}
  - {name: nativeall, source: m, type: categorical}
  - {name: oh, source: m, type: categorical, encoding: onehot, max_categories: 3}
  - {name: ohall, source: m, type: categorical, encoding: onehot}
  - {name: freq, source: m, type: categorical, encoding: frequency}
  - {name: te, source: m, type: categorical, encoding: target, smoothing: 1}
  - {name: mode, source: m, type: categorical, missing: mode}
  - {name: const, source: m, type: categorical, missing: "constant:zzz"}
  - {name: other, source: m, type: categorical, max_categories: 3, unknown: other}
`
	tr := mustFit(t, spec, catFrame())
	m := frame.StringColumn("m", []string{"a", "b", "d", "c", "x", "?"})
	m.Codes[5] = frame.Missing
	test := frame.MustNew(m)
	mat, err := tr.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	prior := 0.6
	te := func(sum, n float64) float64 { return (sum + 1*prior) / (n + 1) }
	tests := []struct {
		name string
		want []float64 // for a, b, d, c, x (unknown), missing
	}{
		// Training levels by count: a 3, b 2, d 2 (ties by name), c 1, e 1.
		{"native", []float64{0, 1, 2, 3, 4, nan}},    // c folds into __other__ (3), x is __unknown__ (4)
		{"nativeall", []float64{0, 1, 2, 3, 6, nan}}, // 5 levels, __other__ 5, __unknown__ 6
		{"oh=a", []float64{1, 0, 0, 0, 0, 0}},
		{"oh=b", []float64{0, 1, 0, 0, 0, 0}},
		{"oh=d", []float64{0, 0, 1, 0, 0, 0}},
		{"oh=__other__", []float64{0, 0, 0, 1, 0, 0}},
		{"ohall=c", []float64{0, 0, 0, 1, 0, 0}},
		{"freq", []float64{3.0 / 9, 2.0 / 9, 2.0 / 9, 1.0 / 9, 0, nan}},
		{"te", []float64{te(2, 3), te(0, 2), te(2, 2), te(1, 1), prior, nan}},
		{"mode", []float64{0, 1, 2, 3, 6, 0}},  // missing takes a, the most frequent level
		{"const", []float64{0, 1, 2, 3, 7, 5}}, // zzz is a level (count 1, after c and e)
		{"other", []float64{0, 1, 2, 3, 3, nan}},
	}
	for _, tt := range tests {
		if got := column(t, mat, tt.name); !sameFloats(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
	if slices.Contains(mat.Names, "ohall="+OtherLevel) {
		t.Error("one-hot without folded levels must not have an __other__ column")
	}
	outs := tr.Outputs()
	if o := outs[0]; !o.Categorical || o.NumCategories != 5 || o.Source != "m" || o.Feature != "native" {
		t.Errorf("native output %+v", o)
	}
	if o := outs[slices.Index(mat.Names, "oh=b")]; o.Categorical || o.Feature != "oh" || o.Source != "m" {
		t.Errorf("one-hot output %+v", o)
	}
}

func TestFitTransformOutOfFold(t *testing.T) {
	f := orderFrame(3000, 11, genOptions{})
	spec := mustSpec(t, orderSpecYAML)
	tr, m, err := FitTransform(spec, f, FitOptions{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	full, err := tr.Transform(f)
	if err != nil {
		t.Fatal(err)
	}
	targetCols := map[string]bool{"device": true, "shipping_method": true, "market_te": true}
	for j, name := range m.Names {
		a, b := column(t, m, name), column(t, full, name)
		if targetCols[name] {
			if sameFloats(a, b) {
				t.Errorf("%s: out-of-fold values equal the full-data encoding", name)
			}
			continue
		}
		if !sameFloats(a, b) {
			t.Errorf("%s (column %d): FitTransform differs from Transform for a non-target column", name, j)
		}
	}

	// Brute force: each row's encoding from the rows of the other folds.
	y, err := tr.Label(f)
	if err != nil {
		t.Fatal(err)
	}
	fold := assignFolds(f.Len(), DefaultFolds, 42)
	for _, c := range []struct {
		feature, column string
		smoothing       float64
		missingLevel    string
	}{
		{"device", "device", 10, "__missing__"},
		{"shipping_method", "shipping_method", 3, ""},
	} {
		col, _ := f.Column(c.column)
		level := func(i int) (string, bool) {
			s, ok := col.StringAt(i)
			if !ok && c.missingLevel != "" {
				return c.missingLevel, true
			}
			return s, ok
		}
		got := column(t, m, c.feature)
		for i := range f.Len() {
			li, ok := level(i)
			if !ok {
				if !math.IsNaN(got[i]) {
					t.Fatalf("%s row %d: missing level encodes as %v, want NaN", c.feature, i, got[i])
				}
				continue
			}
			var s, n, ps, pn float64
			for r := range f.Len() {
				if fold[r] == fold[i] || math.IsNaN(y[r]) {
					continue
				}
				ps += y[r]
				pn++
				if lr, ok := level(r); ok && lr == li {
					s += y[r]
					n++
				}
			}
			prior := ps / pn
			want := (s + c.smoothing*prior) / (n + c.smoothing)
			if math.Abs(got[i]-want) > 1e-12 {
				t.Fatalf("%s row %d (%q): %v, want %v", c.feature, i, li, got[i], want)
			}
		}
	}

	// Deterministic in the seed.
	_, again, err := FitTransform(spec, f, FitOptions{Seed: 42})
	if err != nil || firstDiff(again.Data, m.Data) >= 0 {
		t.Fatalf("same seed, different matrix (%v)", err)
	}
	_, other, err := FitTransform(spec, f, FitOptions{Seed: 43, Folds: 3})
	if err != nil || sameFloats(column(t, other, "device"), column(t, m, "device")) {
		t.Fatalf("another seed and fold count, same encoding (%v)", err)
	}
	if _, _, err := FitTransform(spec, f, FitOptions{Folds: 1}); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Fatalf("one fold: %v", err)
	}
}

func TestAssignFolds(t *testing.T) {
	fold := assignFolds(103, 5, 7)
	sizes := make([]int, 5)
	for _, k := range fold {
		sizes[k]++
	}
	for _, s := range sizes {
		if s < 20 || s > 21 {
			t.Fatalf("fold sizes %v", sizes)
		}
	}
	if !slices.Equal(fold, assignFolds(103, 5, 7)) || slices.Equal(fold, assignFolds(103, 5, 8)) {
		t.Fatal("fold assignment is not a function of the seed")
	}
}

func TestDatetimeParts(t *testing.T) {
	times := []time.Time{
		time.Date(2025, 3, 30, 0, 30, 0, 0, time.UTC),                  // Sunday; 01:30 in Berlin (CET)
		time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC),                  // 03:30 in Berlin (CEST)
		time.Date(2024, 12, 31, 23, 15, 0, 0, time.UTC),                // 2025-01-01 00:15 in Berlin, a Wednesday
		time.Date(1969, 12, 31, 23, 59, 59, 5e8, time.UTC),             // unix seconds round down
		time.Date(2024, 2, 29, 12, 0, 0, 0, time.FixedZone("", -3600)), // leap day
	}
	f := frame.MustNew(frame.TimeColumn("ts", times))
	f.Col(0).AppendMissing()
	f = frame.MustNew(f.Col(0))
	spec := `
timezone: %s
features:
  - {name: ts, type: datetime, parts: [hour, minute, dayofweek, day, month, year, dayofyear, unix]}
`
	tests := []struct {
		zone string
		want [][]float64
	}{
		{"UTC", [][]float64{
			{0, 30, 6, 30, 3, 2025, 89, 1743294600},
			{1, 30, 6, 30, 3, 2025, 89, 1743298200},
			{23, 15, 1, 31, 12, 2024, 366, 1735686900},
			{23, 59, 2, 31, 12, 1969, 365, -1},
			{13, 0, 3, 29, 2, 2024, 60, 1709211600},
		}},
		{"Europe/Berlin", [][]float64{
			{1, 30, 6, 30, 3, 2025, 89, 1743294600},
			{3, 30, 6, 30, 3, 2025, 89, 1743298200},
			{0, 15, 2, 1, 1, 2025, 1, 1735686900},
			{0, 59, 3, 1, 1, 1970, 1, -1},
			{14, 0, 3, 29, 2, 2024, 60, 1709211600},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			tr := mustFit(t, strings.Replace(spec, "%s", tt.zone, 1), f)
			m, err := tr.Transform(f)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				if got := m.Row(i); !slices.Equal(got, want) {
					t.Errorf("%s: %v, want %v", times[i], got, want)
				}
			}
			for _, v := range m.Row(len(times)) {
				if !math.IsNaN(v) {
					t.Errorf("missing time: %v, want NaN", m.Row(len(times)))
				}
			}
		})
	}
}

func TestTransformErrors(t *testing.T) {
	tr := mustFit(t, smallSpec+"  - {name: strict_amount, source: amount, type: numeric, missing: error}\n", smallFrame().Slice(0, 3))
	n := 5000
	amount := make([]float64, n)
	amount[1500], amount[4000] = math.NaN(), math.NaN()
	rows := func(cols ...*frame.Column) *frame.Frame {
		base := map[string]*frame.Column{
			"amount": frame.NumericColumn("amount", amount),
			"market": frame.StringColumn("market", make([]string, n)),
			"tier":   frame.StringColumn("tier", slices.Repeat([]string{"gold"}, n)),
			"first":  frame.BoolColumn("first", make([]bool, n)),
			"ts":     frame.TimeColumn("ts", make([]time.Time, n)),
		}
		for _, c := range cols {
			base[c.Name] = c
		}
		var list []*frame.Column
		for _, name := range []string{"amount", "market", "tier", "first", "ts"} {
			if c := base[name]; c != nil {
				list = append(list, c)
			}
		}
		return frame.MustNew(list...)
	}
	tier := frame.StringColumn("tier", slices.Repeat([]string{"gold"}, n))
	tier.Codes[3000] = tier.Code("bronze")
	inf := slices.Clone(amount)
	inf[10] = math.Inf(1)
	tests := []struct {
		name  string
		f     *frame.Frame
		field string
		want  string
	}{
		{"missing value, lowest row", rows(), "amount", "missing value (the spec says missing: error) (row 1500)"},
		{"unknown level", rows(frame.NumericColumn("amount", make([]float64, n)), tier), "tier", `unknown category "bronze" (the spec says unknown: error) (row 3000)`},
		{"infinite number", rows(frame.NumericColumn("amount", inf)), "amount", "non-finite number (row 10)"},
		{"missing column", frame.MustNew(frame.NumericColumn("amount", amount)), "market", "not in the data"},
		{"wrong kind", rows(frame.NumericColumn("market", make([]float64, n))), "market", "is numeric in the data, the spec reads it as string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tr.Transform(tt.f)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a *FieldError for %s containing %q", err, tt.field, tt.want)
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	nan := math.NaN()
	f := frame.MustNew(
		frame.NumericColumn("x", []float64{nan, nan}),
		frame.StringColumn("s", []string{"good", "bad"}),
		frame.StringColumn("m", []string{"DE", "SE"}),
		frame.NumericColumn("y", []float64{0, 1}),
	)
	tests := []struct {
		name string
		spec string
		f    *frame.Frame
		want string
	}{
		{"no rows", "features:\n  - {name: x, type: numeric}\n", f.Slice(0, 0), "no rows"},
		{"median of nothing", "features:\n  - {name: x, type: numeric, missing: median}\n", f, `fit "x": missing "median": no values`},
		{"standardize nothing", "features:\n  - {name: x, type: numeric, transform: standardize}\n", f, `fit "x": transform "standardize": no values`},
		{"string label without positive", "label: s\nfeatures:\n  - {name: m, type: categorical, encoding: target}\n", f, "needs the spec's positive"},
		{"label not in data", "label: z\nfeatures:\n  - {name: s, type: categorical, encoding: target}\n", f, `field "z": label not in the data`},
		{"positive on numeric label", "label: y\npositive: '1'\nfeatures:\n  - {name: s, type: categorical, encoding: target}\n", f, "positive applies to string labels"},
		{"positive level absent", "label: s\npositive: ugly\nfeatures:\n  - {name: m, type: categorical, encoding: target}\n", f, `positive level "ugly" does not occur`},
		{"wrong kind", "features:\n  - {name: x, type: categorical}\n", f, `field "x": is numeric in the data`},
		{"missing column", "features:\n  - {name: q, type: boolean}\n", f, `field "q": not in the data`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(mustSpec(t, tt.spec), tt.f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Fit(nil, f); err == nil {
		t.Fatal("nil spec: no error")
	}
}

func TestLabel(t *testing.T) {
	status := frame.StringColumn("status", []string{"good", "bad", "good", ""})
	status.Codes[3] = frame.Missing
	flag := frame.BoolColumn("flag", []bool{true, false, true, false})
	flag.Bools[1] = frame.BoolMissing
	f := frame.MustNew(frame.StringColumn("m", []string{"a", "b", "a", "b"}), status, flag)
	tr := mustFit(t, "label: status\npositive: bad\nfeatures:\n  - {name: m, type: categorical, encoding: target}\n", f)
	y, err := tr.Label(f)
	if err != nil || !sameFloats(y, []float64{0, 1, 0, math.NaN()}) {
		t.Fatalf("string label: %v, %v", y, err)
	}
	tr = mustFit(t, "label: flag\nfeatures:\n  - {name: m, type: categorical, encoding: target}\n", f)
	y, err = tr.Label(f)
	if err != nil || !sameFloats(y, []float64{1, math.NaN(), 1, 0}) {
		t.Fatalf("bool label: %v, %v", y, err)
	}
}

func TestOutputsAndInputs(t *testing.T) {
	tr := mustFit(t, orderSpecYAML, orderFrame(3000, 1, genOptions{}))
	byName := map[string]Output{}
	for _, o := range tr.Outputs() {
		byName[o.Name] = o
	}
	if len(byName) != tr.NumOutputs() || !slices.Equal(tr.Names(), func() []string {
		var n []string
		for _, o := range tr.Outputs() {
			n = append(n, o.Name)
		}
		return n
	}()) {
		t.Fatal("Names and Outputs disagree")
	}
	checks := []struct {
		name string
		want Output
	}{
		{"order_amount", Output{Feature: "order_amount", Source: "order_amount", Sources: []string{"order_amount"}, Monotone: 1}},
		{"billing_shipping_match", Output{Feature: "billing_shipping_match", Source: "billing_shipping_match", Sources: []string{"billing_shipping_match"}, Monotone: -1}},
		{"amount_per_item", Output{Feature: "amount_per_item", Source: "amount_per_item", Sources: []string{"order_amount", "basket_size"}}},
		{"market", Output{Feature: "market", Source: "market", Sources: []string{"market"}, Categorical: true, NumCategories: 7}},
		{"market_freq", Output{Feature: "market_freq", Source: "market", Sources: []string{"market"}}},
		{"assortment=__other__", Output{Feature: "assortment", Source: "assortment", Sources: []string{"assortment"}}},
		{"order_ts_dayofweek", Output{Feature: "order_ts", Source: "order_ts", Sources: []string{"order_ts"}}},
	}
	for _, c := range checks {
		c.want.Name = c.name
		got, ok := byName[c.name]
		if !ok {
			t.Errorf("no output %q", c.name)
			continue
		}
		if !slices.Equal(got.Sources, c.want.Sources) {
			t.Errorf("%s sources %v, want %v", c.name, got.Sources, c.want.Sources)
		}
		got.Sources, c.want.Sources = nil, nil
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("output %+v, want %+v", got, c.want)
		}
	}
	inputs := tr.Inputs()
	pii := map[string]bool{}
	kinds := map[string]frame.Kind{}
	for _, in := range inputs {
		pii[in.Name], kinds[in.Name] = in.PII, in.Kind
	}
	if !pii["email_domain_kind"] || pii["market"] || len(inputs) != 20 {
		t.Errorf("inputs %+v", inputs)
	}
	if kinds["is_first_order"] != frame.Bool || kinds["order_ts"] != frame.Time || kinds["market"] != frame.String || kinds["basket_size"] != frame.Numeric {
		t.Errorf("input kinds %v", kinds)
	}
	for _, absent := range []string{"order_id", "default", "customer_id"} {
		if _, ok := tr.InputIndex(absent); ok {
			t.Errorf("%s is an input", absent)
		}
	}
	// The accessors return copies.
	tr.Outputs()[0].Sources[0] = "changed"
	tr.Spec().Features[0].Name = "changed"
	if tr.Outputs()[0].Sources[0] == "changed" || tr.Spec().Features[0].Name == "changed" {
		t.Fatal("accessors share state with the transformer")
	}
}

func TestTransformEmptyFrame(t *testing.T) {
	tr := mustFit(t, smallSpec, smallFrame())
	m, err := tr.Transform(smallFrame().Slice(0, 0))
	if err != nil || m.Rows != 0 || len(m.Data) != 0 || m.Cols != tr.NumOutputs() {
		t.Fatalf("empty frame: %+v, %v", m, err)
	}
}

// TestFitCopiesSpec: editing a spec after Fit must not change the fitted transformer.
func TestFitCopiesSpec(t *testing.T) {
	f := frame.MustNew(
		frame.NumericColumn("x", []float64{1, 2, math.NaN(), 4}),
		frame.NumericColumn("y", []float64{0, 1, 0, 1}),
	)
	spec := &Spec{Label: "y", Features: []Def{{Name: "x", Type: Numeric, Missing: "median", Parts: nil}}}
	tr, err := Fit(spec, f)
	if err != nil {
		t.Fatal(err)
	}
	spec.Features[0].Missing = "zero"
	spec.Features[0].Name = "renamed"
	if got := tr.Spec().Features[0]; got.Missing != "median" || got.Name != "x" {
		t.Fatalf("fitted spec changed with the caller's: %+v", got)
	}
	doc, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTransformer(doc); err != nil {
		t.Fatalf("transformer no longer loads after the caller edited its spec: %v", err)
	}
}
