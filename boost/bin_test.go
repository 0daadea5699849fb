package boost

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func TestFindCuts(t *testing.T) {
	w := func(vs ...float64) []weighted {
		out := make([]weighted, len(vs))
		for i, v := range vs {
			out[i] = weighted{v, 1}
		}
		return out
	}
	tests := []struct {
		name    string
		vals    []weighted
		maxBins int
		want    []float64
	}{
		{"empty", nil, 10, nil},
		{"constant", w(3, 3, 3), 10, []float64{}},
		{"few uniques each own bin", w(5, 1, 3, 3, 1), 10, []float64{3, 5}},
		{"equal count", w(1, 2, 3, 4, 5, 6, 7, 8), 4, []float64{3, 5, 7}},
		{"heavy value gets its own bin", w(0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6), 3, []float64{1, 4}},
		{"weights move the cuts", []weighted{{1, 1}, {2, 1}, {3, 1}, {4, 5}}, 2, []float64{4}},
		{"negative values", w(-3, -2, -1, 0), 2, []float64{-1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := findCuts(tc.vals, tc.maxBins)
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("findCuts = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFindCutsQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]weighted, 100_000)
	for i := range vals {
		vals[i] = weighted{r.NormFloat64(), 1}
	}
	cuts := findCuts(vals, 255)
	if len(cuts) != 254 {
		t.Fatalf("%d cuts, want 254", len(cuts))
	}
	if !slices.IsSorted(cuts) {
		t.Fatal("cuts not sorted")
	}
	// vals is sorted now; every bin holds about 1/255 of the values.
	for b := 0; b <= len(cuts); b++ {
		lo, hi := 0, len(vals)
		if b > 0 {
			lo = sort.Search(len(vals), func(i int) bool { return vals[i].v >= cuts[b-1] })
		}
		if b < len(cuts) {
			hi = sort.Search(len(vals), func(i int) bool { return vals[i].v >= cuts[b] })
		}
		if n := hi - lo; n < 300 || n > 500 {
			t.Errorf("bin %d holds %d values, want ≈ 392", b, n)
		}
	}
}

func TestUpperBound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 40; n++ {
		c := make([]float64, n)
		for i := range c {
			c[i] = float64(r.IntN(20))
		}
		slices.Sort(c)
		c = slices.Compact(c)
		for v := -1.0; v <= 21; v += 0.5 {
			want := sort.Search(len(c), func(i int) bool { return c[i] > v })
			if got := upperBound(c, v); got != want {
				t.Fatalf("upperBound(%v, %v) = %d, want %d", c, v, got, want)
			}
		}
	}
}

// TestBinsMatchThresholds checks the contract split search relies on: a value is in bins
// 1..k exactly when it is below the threshold emitted for k, and NaN is bin 0.
func TestBinsMatchThresholds(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ds := &Dataset{Rows: 5000, Features: []Feature{{Name: "a"}, {Name: "b"}, {Name: "c", Categorical: true}}}
	for range ds.Rows {
		a := math.Round(r.NormFloat64()*1000) / 100
		if r.IntN(10) == 0 {
			a = math.NaN()
		}
		ds.X = append(ds.X, a, r.ExpFloat64(), float64(r.IntN(5)))
	}
	bn := newBinner(ds, 64, 2)
	if bn.nbins[0] > 64 || bn.nbins[1] > 64 {
		t.Fatalf("bins %v exceed max bin 64", bn.nbins)
	}
	if bn.nbins[2] != 5+2 {
		t.Errorf("categorical feature has %d bins, want 7 (missing, 5 codes, other)", bn.nbins[2])
	}
	for f := range 2 {
		for i := range ds.Rows {
			v := ds.X[i*3+f]
			b := int(bn.binValue(f, v))
			if math.IsNaN(v) {
				if b != 0 {
					t.Fatalf("NaN in bin %d", b)
				}
				continue
			}
			for k := 0; k < bn.nbins[f]-1; k++ {
				if left := b <= k; left != (v < bn.threshold(f, k)) {
					t.Fatalf("feature %d value %v bin %d: bins ≤ %d left = %v but threshold %v", f, v, b, k, left, bn.threshold(f, k))
				}
			}
		}
	}
	for _, tc := range []struct {
		v    float64
		want uint8
	}{{0, 1}, {4, 5}, {5, 6}, {-1, 6}, {2.5, 6}, {math.NaN(), 0}} {
		if got := bn.binValue(2, tc.v); got != tc.want {
			t.Errorf("categorical code %v in bin %d, want %d", tc.v, got, tc.want)
		}
	}
}

func TestBinMatrixRejectsInf(t *testing.T) {
	ds := &Dataset{Rows: 2, Features: []Feature{{Name: "a"}}, X: []float64{1, math.Inf(1)}, Y: []float64{0, 1}}
	bn := newBinner(ds, 256, 1)
	if _, _, err := bn.binMatrix(ds, 1, false); err == nil {
		t.Fatal("no error for +Inf")
	}
}

func TestSortFloats(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, n := range []int{0, 1, 100, 5000} {
		v := make([]float64, n)
		for i := range v {
			switch i % 4 {
			case 0:
				v[i] = r.NormFloat64() * 1e6
			case 1:
				v[i] = float64(r.IntN(10))
			case 2:
				v[i] = -r.ExpFloat64()
			default:
				v[i] = math.Copysign(0, -1)
			}
		}
		want := slices.Clone(v)
		slices.Sort(want)
		sortFloats(v)
		if !slices.Equal(v, want) {
			t.Fatalf("n=%d: radix sort differs from slices.Sort", n)
		}
	}
}
