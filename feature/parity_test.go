package feature

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"riskflow/frame"
)

// TestTransformVectorParity is the package's promise: a frame row through Transform and the same
// row as a JSON request through DecodeJSON and Vector give bit-identical vectors, on 100,000
// generated rows with missing values, unknown levels and out-of-range numbers and times.
func TestTransformVectorParity(t *testing.T) {
	rows := 100_000
	if testing.Short() {
		rows = 10_000
	}
	train := orderFrame(20_000, 1, genOptions{})
	tr := mustFit(t, orderSpecYAML, train)
	data := orderFrame(rows, 2, genOptions{unseen: true})
	m, err := tr.Transform(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != rows || m.Cols != tr.NumOutputs() || len(m.Data) != rows*m.Cols {
		t.Fatalf("matrix %dx%d (%d values), want %dx%d", m.Rows, m.Cols, len(m.Data), rows, tr.NumOutputs())
	}

	rng := rand.New(rand.NewPCG(3, 4))
	rec := tr.NewRecord()
	var buf []byte
	vec := make([]float64, 0, tr.NumOutputs())
	bad := 0
	for i := range rows {
		buf = rowJSON(buf[:0], data, i, rng)
		if err := rec.DecodeJSON(buf); err != nil {
			t.Fatalf("row %d: DecodeJSON: %v\n%s", i, err, buf)
		}
		vec, err = tr.Vector(vec[:0], rec)
		if err != nil {
			t.Fatalf("row %d: Vector: %v\n%s", i, err, buf)
		}
		for j, v := range vec {
			if w := m.At(i, j); math.Float64bits(v) != math.Float64bits(w) {
				t.Errorf("row %d, %s: Vector %v (%#x), Transform %v (%#x)\n%s", i, m.Names[j], v, math.Float64bits(v), w, math.Float64bits(w), buf)
				if bad++; bad > 10 {
					t.FailNow()
				}
			}
		}
	}

	// The data must have exercised what the test claims.
	col := func(name string) int {
		for j, n := range m.Names {
			if n == name {
				return j
			}
		}
		t.Fatalf("no output %q", name)
		return -1
	}
	outs := tr.Outputs()
	marketCats := float64(outs[col("market")].NumCategories)
	counts := map[string]int{}
	for i := range rows {
		if m.At(i, col("market")) == marketCats-1 {
			counts["unknown market"]++
		}
		if m.At(i, col("market")) == marketCats-2 {
			counts["other market"]++
		}
		if math.IsNaN(m.At(i, col("market"))) {
			counts["missing market"]++
		}
		if math.IsNaN(m.At(i, col("order_ts_hour"))) {
			counts["missing time"]++
		}
		if y := m.At(i, col("order_ts_year")); y < 2000 {
			counts["old time"]++
		}
		if math.IsNaN(m.At(i, col("account_age_days"))) {
			counts["kept missing"]++
		}
		if m.At(i, col("order_amount")) < 0 {
			counts["negative log1p"]++
		}
		if m.At(i, col("device")) == m.At(i, col("device")) && data.Col(5).IsMissing(i) {
			counts["imputed device"]++
		}
	}
	for _, k := range []string{"unknown market", "other market", "missing market", "missing time", "old time", "kept missing", "negative log1p", "imputed device"} {
		if counts[k] == 0 {
			t.Errorf("the data has no case of %s", k)
		}
	}

	// A transformer read back from its JSON document is bit-identical.
	doc, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr2, err := ParseTransformer(doc)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := tr2.Transform(data)
	if err != nil {
		t.Fatal(err)
	}
	if i := firstDiff(m.Data, m2.Data); i >= 0 {
		t.Fatalf("reloaded transformer differs at row %d, %s: %v vs %v", i/m.Cols, m.Names[i%m.Cols], m.Data[i], m2.Data[i])
	}

	// One worker gives the same matrix as many.
	prev := runtime.GOMAXPROCS(1)
	m1, err := tr.Transform(data.Slice(0, 5000))
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if i := firstDiff(m1.Data, m.Data[:len(m1.Data)]); i >= 0 {
		t.Fatalf("GOMAXPROCS=1 differs at %d", i)
	}
}

// TestSetTextParity: a row given as CSV text fields through SetText encodes like Transform.
func TestSetTextParity(t *testing.T) {
	train := orderFrame(5000, 1, genOptions{})
	tr := mustFit(t, orderSpecYAML, train)
	data := orderFrame(5000, 7, genOptions{unseen: true})
	m, err := tr.Transform(data)
	if err != nil {
		t.Fatal(err)
	}
	rec := tr.NewRecord()
	type slot struct {
		col *frame.Column
		in  int
	}
	var slots []slot
	for i, in := range tr.Inputs() {
		c, _ := data.Column(in.Name)
		if idx, ok := tr.InputIndex(in.Name); !ok || idx != i {
			t.Fatalf("InputIndex(%q) = %d, %v; want %d", in.Name, idx, ok, i)
		}
		slots = append(slots, slot{c, i})
	}
	vec := make([]float64, 0, tr.NumOutputs())
	for i := range data.Len() {
		rec.Reset()
		for _, s := range slots {
			text := s.col.Format(i)
			if s.col.Kind == frame.String && !s.col.IsMissing(i) && isMissingText([]byte(text)) {
				err = rec.SetString(s.in, text) // CSV cannot carry these levels
			} else {
				err = rec.SetText(s.in, []byte(text))
			}
			if err != nil {
				t.Fatalf("row %d: SetText(%s, %q): %v", i, s.col.Name, text, err)
			}
		}
		if vec, err = tr.Vector(vec[:0], rec); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if j := firstDiff(vec, m.Row(i)); j >= 0 {
			t.Fatalf("row %d, %s: SetText path %v, Transform %v", i, m.Names[j], vec[j], m.At(i, j))
		}
	}
}

// firstDiff returns the first index where a and b differ bitwise, or -1.
func firstDiff(a, b []float64) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}
