package datagen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"riskflow/frame"
)

// statsRows is the size of the frame the statistical tests share: large enough that the checked
// rates are many standard errors inside their bounds, small enough to generate in a fraction
// of a second.
const statsRows = 200_000

var statsFrame = sync.OnceValues(func() (*frame.Frame, error) {
	return GenerateFrame(context.Background(), Config{Rows: statsRows, Seed: 20250101, WithTruth: true})
})

func mustStats(t *testing.T) *frame.Frame {
	t.Helper()
	f, err := statsFrame()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func col(t *testing.T, f *frame.Frame, name string) *frame.Column {
	t.Helper()
	c, ok := f.Column(name)
	if !ok {
		t.Fatalf("no column %q", name)
	}
	return c
}

func collect(t *testing.T, cfg Config) []*frame.Frame {
	t.Helper()
	var frames []*frame.Frame
	if err := Generate(context.Background(), cfg, func(f *frame.Frame) error {
		frames = append(frames, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return frames
}

// sameValues reports the first difference between a and b: schema, then values row by row
// (floats bit for bit, strings by value, so that dictionaries may differ).
func sameValues(a, b *frame.Frame) error {
	if !slices.Equal(a.Schema(), b.Schema()) {
		return fmt.Errorf("schema %v vs %v", a.Schema(), b.Schema())
	}
	if a.Len() != b.Len() {
		return fmt.Errorf("%d rows vs %d", a.Len(), b.Len())
	}
	for j, ca := range a.Columns() {
		cb := b.Col(j)
		for i := range a.Len() {
			var same bool
			switch ca.Kind {
			case frame.Numeric:
				same = math.Float64bits(ca.Num[i]) == math.Float64bits(cb.Num[i])
			case frame.String:
				va, oka := ca.StringAt(i)
				vb, okb := cb.StringAt(i)
				same = va == vb && oka == okb
			case frame.Bool:
				same = ca.Bools[i] == cb.Bools[i]
			case frame.Time:
				same = ca.Times[i] == cb.Times[i]
			}
			if !same {
				return fmt.Errorf("column %s row %d: %s vs %s", ca.Name, i, ca.Format(i), cb.Format(i))
			}
		}
	}
	return nil
}

func reversed(s []string) []string {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

func concat(t *testing.T, frames []*frame.Frame) *frame.Frame {
	t.Helper()
	f, err := frame.Concat(frames...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" for valid
	}{
		{"zero", Config{}, ""},
		{"typical", Config{Rows: 1000, Seed: 7, Markets: []string{"de", "fr"}, WithTruth: true}, ""},
		{"market case and space", Config{Rows: 1, Markets: []string{" DE", "Fr "}}, ""},
		{"max rows", Config{Rows: MaxRows}, ""},
		{"negative rows", Config{Rows: -1}, "datagen: rows must not be negative"},
		{"too many rows", Config{Rows: MaxRows + 1}, "datagen: rows must be at most"},
		{"negative chunk", Config{Rows: 1, ChunkRows: -5}, "datagen: chunk rows"},
		{"negative workers", Config{Rows: 1, Workers: -1}, "datagen: workers"},
		{"unknown market", Config{Rows: 1, Markets: []string{"de", "xx"}}, `datagen: unknown market "xx"; valid markets: de, at, ch`},
		{"empty market", Config{Rows: 1, Markets: []string{""}}, `unknown market ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
			if _, gerr := GenerateFrame(context.Background(), tt.cfg); gerr == nil {
				t.Fatal("GenerateFrame accepted an invalid config")
			}
		})
	}
	err := Config{Markets: []string{"uk"}}.Validate()
	if !errors.Is(err, ErrUnknownMarket) {
		t.Fatalf("errors.Is(%v, ErrUnknownMarket) = false", err)
	}
	for _, code := range Markets() {
		if !strings.Contains(err.Error(), code) {
			t.Errorf("error %q does not list market %q", err, code)
		}
	}
}

func TestSchema(t *testing.T) {
	want := []string{
		"order_id", "customer_id", "order_ts", "market", "assortment", "device", "payment_method",
		"shipping_method", "email_domain_kind", "customer_segment", "order_amount", "basket_size",
		"avg_item_price", "customer_age", "customer_tenure_days", "account_age_days", "n_prev_orders",
		"n_prev_returns", "n_late_payments", "days_since_last_order", "hour_of_day",
		"billing_shipping_match", "is_first_order", "default",
	}
	kinds := map[string]frame.Kind{
		"order_id": frame.String, "customer_id": frame.String, "order_ts": frame.Time,
		"market": frame.String, "assortment": frame.String, "device": frame.String,
		"payment_method": frame.String, "shipping_method": frame.String,
		"email_domain_kind": frame.String, "customer_segment": frame.String,
		"billing_shipping_match": frame.Bool, "is_first_order": frame.Bool,
	}
	for _, truth := range []bool{false, true} {
		t.Run(fmt.Sprintf("truth=%v", truth), func(t *testing.T) {
			cfg := Config{Rows: 100, Seed: 1, WithTruth: truth}
			names := want
			if truth {
				names = append(slices.Clone(want), TruthColumn)
			}
			f, err := GenerateFrame(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Schema(); !slices.Equal(got, cfg.Schema()) {
				t.Fatalf("frame schema %v, Config.Schema %v", got, cfg.Schema())
			}
			if got := f.Schema().Names(); !slices.Equal(got, names) {
				t.Fatalf("columns %v, want %v", got, names)
			}
			for _, fd := range f.Schema() {
				kind, ok := kinds[fd.Name]
				if !ok {
					kind = frame.Numeric
				}
				if fd.Kind != kind {
					t.Errorf("%s is %v, want %v", fd.Name, fd.Kind, kind)
				}
			}
			if f.Len() != 100 {
				t.Fatalf("%d rows, want 100", f.Len())
			}
		})
	}
}

func TestZeroRows(t *testing.T) {
	frames := collect(t, Config{WithTruth: true})
	if len(frames) != 1 || frames[0].Len() != 0 || frames[0].NumCols() != numCols {
		t.Fatalf("want one empty frame with %d columns, got %d frames", numCols, len(frames))
	}
}

func TestDeterminism(t *testing.T) {
	const rows = 40_000
	base := Config{Rows: rows, Seed: 42, WithTruth: true}
	want, err := GenerateFrame(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cfg    Config
		chunks int
	}{
		{"default chunks", base, 1},
		{"chunks=1000", Config{Rows: rows, Seed: 42, WithTruth: true, ChunkRows: 1000}, 40},
		{"chunks=4097 workers=3", Config{Rows: rows, Seed: 42, WithTruth: true, ChunkRows: 4097, Workers: 3}, 10},
		{"chunks=16384 workers=1", Config{Rows: rows, Seed: 42, WithTruth: true, ChunkRows: pieceRows, Workers: 1}, 3},
		{"one chunk workers=8", Config{Rows: rows, Seed: 42, WithTruth: true, ChunkRows: rows, Workers: 8}, 1},
		{"markets reordered", Config{Rows: rows, Seed: 42, WithTruth: true, Markets: reversed(Markets())}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := collect(t, tt.cfg)
			if len(frames) != tt.chunks {
				t.Fatalf("%d frames, want %d", len(frames), tt.chunks)
			}
			for k, f := range frames[:len(frames)-1] {
				if f.Len() != frames[0].Len() {
					t.Fatalf("frame %d has %d rows, frame 0 %d", k, f.Len(), frames[0].Len())
				}
			}
			if err := sameValues(concat(t, frames), want); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("repeat is identical bit for bit", func(t *testing.T) {
		again, err := GenerateFrame(context.Background(), base)
		if err != nil {
			t.Fatal(err)
		}
		for j, c := range want.Columns() {
			d := again.Col(j)
			if !slices.Equal(c.Codes, d.Codes) || !slices.Equal(c.Dict, d.Dict) || !slices.Equal(c.Bools, d.Bools) ||
				!slices.Equal(c.Times, d.Times) || !slices.EqualFunc(c.Num, d.Num, func(a, b float64) bool {
				return math.Float64bits(a) == math.Float64bits(b)
			}) {
				t.Fatalf("column %s differs", c.Name)
			}
		}
	})

	t.Run("truth column does not change the rest", func(t *testing.T) {
		plain, err := GenerateFrame(context.Background(), Config{Rows: rows, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := want.Select(plain.Schema().Names()...)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameValues(plain, sub); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("other seed differs", func(t *testing.T) {
		other, err := GenerateFrame(context.Background(), Config{Rows: rows, Seed: 43, WithTruth: true})
		if err != nil {
			t.Fatal(err)
		}
		a, b := col(t, want, "order_amount").Num, col(t, other, "order_amount").Num
		same := 0
		for i := range a {
			if a[i] == b[i] {
				same++
			}
		}
		if same > rows/100 {
			t.Fatalf("seeds 42 and 43 agree on %d of %d amounts", same, rows)
		}
	})
}

// TestDictionaries checks frame's String column invariants in every emitted chunk: each value
// once in Dict, codes numbered in order of first appearance.
func TestDictionaries(t *testing.T) {
	for k, f := range collect(t, Config{Rows: 30_000, Seed: 5, ChunkRows: 7001, WithTruth: true}) {
		for _, c := range f.Columns() {
			if c.Kind != frame.String {
				continue
			}
			seen := map[string]bool{}
			for _, v := range c.Dict {
				if seen[v] {
					t.Fatalf("chunk %d column %s: %q twice in the dictionary", k, c.Name, v)
				}
				seen[v] = true
			}
			next := int32(0)
			for i, code := range c.Codes {
				if code == frame.Missing {
					continue
				}
				if code > next || code < 0 {
					t.Fatalf("chunk %d column %s row %d: code %d, next new code %d", k, c.Name, i, code, next)
				}
				if code == next {
					next++
				}
			}
			if int(next) != len(c.Dict) {
				t.Fatalf("chunk %d column %s: %d codes used, %d in the dictionary", k, c.Name, next, len(c.Dict))
			}
		}
	}
}

func TestMarketsRestrict(t *testing.T) {
	f, err := GenerateFrame(context.Background(), Config{Rows: 5000, Seed: 3, Markets: []string{"it", "DE", "de"}})
	if err != nil {
		t.Fatal(err)
	}
	m := col(t, f, "market")
	slices.Sort(m.Dict)
	if !slices.Equal(m.Dict, []string{"de", "it"}) {
		t.Fatalf("markets %v, want [de it]", m.Dict)
	}
	if got := Markets(); len(got) < 10 || got[0] != "de" {
		t.Fatalf("Markets() = %v", got)
	}
}

func TestConsistency(t *testing.T) {
	f := mustStats(t)
	num := func(name string) []float64 { return col(t, f, name).Num }
	amount, basket, avg := num("order_amount"), num("basket_size"), num("avg_item_price")
	tenure, account, prev := num("customer_tenure_days"), num("account_age_days"), num("n_prev_orders")
	returns, late, since := num("n_prev_returns"), num("n_late_payments"), num("days_since_last_order")
	hour, age, label, truth := num("hour_of_day"), num("customer_age"), num(LabelColumn), num(TruthColumn)
	first := col(t, f, "is_first_order").Bools
	ts := col(t, f, "order_ts")
	ship, assort := col(t, f, "shipping_method"), col(t, f, "assortment")
	oid := col(t, f, "order_id")
	yearEnd := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

	isCents := func(x float64) bool { return math.Abs(x*100-math.Round(x*100)) < 1e-6 }
	isCount := func(x float64) bool { return x >= 0 && x == math.Trunc(x) }
	for i := range f.Len() {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("row %d: %s", i, fmt.Sprintf(format, args...))
		}
		if !(amount[i] >= 1 && amount[i] <= maxAmount && isCents(amount[i])) {
			fail("order_amount %v", amount[i])
		}
		if !(basket[i] >= 1 && isCount(basket[i])) {
			fail("basket_size %v", basket[i])
		}
		if !isCents(avg[i]) || math.Abs(avg[i]-amount[i]/basket[i]) > 0.005+1e-9 {
			fail("avg_item_price %v, order_amount/basket_size %v", avg[i], amount[i]/basket[i])
		}
		if !(age[i] >= 18 && age[i] <= 82 && isCount(age[i])) || !isCount(account[i]) {
			fail("customer_age %v account_age_days %v", age[i], account[i])
		}
		if !(hour[i] >= 0 && hour[i] < 24) {
			fail("hour_of_day %v", hour[i])
		}
		tm, _ := ts.TimeAt(i)
		if h := float64((tm.Hour() + 1) % 24); h != hour[i] {
			fail("hour_of_day %v, order_ts %v is hour %v in CET", hour[i], tm, h)
		}
		if ts.Times[i] < yearStart || ts.Times[i] >= yearEnd || (i > 0 && ts.Times[i] < ts.Times[i-1]) {
			fail("order_ts %v out of 2025 or out of order", tm)
		}
		if got, want := oid.Dict[oid.Codes[i]], fmt.Sprintf("o-%09d", i+1); got != want {
			fail("order_id %q, want %q", got, want)
		}
		if label[i] != 0 && label[i] != 1 {
			fail("default %v", label[i])
		}
		if !(truth[i] > 0 && truth[i] < 1) {
			fail("true_probability %v", truth[i])
		}
		if s, _ := ship.StringAt(i); s == "digital" {
			if a, _ := assort.StringAt(i); !assortmentTable[slices.IndexFunc(assortmentTable[:], func(x assortment) bool { return x.name == a })].digital {
				fail("digital shipping for %s", a)
			}
		}
		// is_first_order ⇔ n_prev_orders = 0 ⇔ history missing.
		if (first[i] == 1) != (prev[i] == 0) {
			fail("is_first_order %v, n_prev_orders %v", first[i], prev[i])
		}
		if first[i] == 1 {
			for _, v := range []float64{tenure[i], returns[i], late[i], since[i]} {
				if !math.IsNaN(v) {
					fail("first order with history %v %v %v %v", tenure[i], returns[i], late[i], since[i])
				}
			}
			continue
		}
		if !isCount(prev[i]) || !isCount(returns[i]) || !isCount(late[i]) || !isCount(since[i]) || !isCount(tenure[i]) {
			fail("history not counts: %v %v %v %v %v", prev[i], returns[i], late[i], since[i], tenure[i])
		}
		if !(tenure[i] >= 1 && account[i] >= tenure[i] && since[i] <= tenure[i]) {
			fail("tenure %v, account age %v, days since last order %v", tenure[i], account[i], since[i])
		}
		if returns[i] > prev[i] || late[i] > prev[i] {
			fail("returns %v, late %v of %v orders", returns[i], late[i], prev[i])
		}
		if prev[i] == 1 && since[i] != tenure[i] {
			fail("one previous order %v days ago but tenure %v", since[i], tenure[i])
		}
	}
}

func TestMissingness(t *testing.T) {
	f := mustStats(t)
	missing := func(c *frame.Column) float64 {
		n := 0
		for i := range f.Len() {
			if c.IsMissing(i) {
				n++
			}
		}
		return float64(n) / float64(f.Len())
	}
	first := 0.0
	for _, b := range col(t, f, "is_first_order").Bools {
		first += float64(b)
	}
	first /= float64(f.Len())
	tests := []struct {
		column   string
		min, max float64
	}{
		{"device", 0.03, 0.05},
		{"email_domain_kind", 0.015, 0.025},
		{"customer_tenure_days", first, first},
		{"n_late_payments", first, first},
		{"n_prev_returns", first, first},
		{"days_since_last_order", first, first},
	}
	for _, tt := range tests {
		if got := missing(col(t, f, tt.column)); got < tt.min || got > tt.max {
			t.Errorf("%s missing in %.4f of rows, want [%.4f, %.4f]", tt.column, got, tt.min, tt.max)
		}
	}
	if first < 0.2 || first > 0.35 {
		t.Errorf("first orders %.3f, want about 0.26", first)
	}
	for _, c := range f.Columns() {
		switch c.Name {
		case "device", "email_domain_kind", "customer_tenure_days", "n_late_payments", "n_prev_returns", "days_since_last_order":
		default:
			if m := missing(c); m != 0 {
				t.Errorf("%s missing in %.4f of rows, want none", c.Name, m)
			}
		}
	}
}

func TestCustomersRecur(t *testing.T) {
	f := mustStats(t)
	cust, first := col(t, f, "customer_id"), col(t, f, "is_first_order").Bools
	market, segment, age := col(t, f, "market"), col(t, f, "customer_segment"), col(t, f, "customer_age").Num
	type seen struct {
		n, market, segment int32
		age                float64
		first              bool
	}
	byCustomer := map[int32]*seen{}
	for i, code := range cust.Codes {
		s, ok := byCustomer[code]
		if !ok {
			byCustomer[code] = &seen{1, market.Codes[i], segment.Codes[i], age[i], first[i] == 1}
			continue
		}
		s.n++
		if s.first || first[i] == 1 {
			t.Fatalf("customer %s has a first order and other orders", cust.Dict[code])
		}
		if s.market != market.Codes[i] || s.segment != segment.Codes[i] || math.Abs(s.age-age[i]) > 1 {
			t.Fatalf("customer %s changes market, segment or age between orders", cust.Dict[code])
		}
	}
	repeat := 0
	for _, s := range byCustomer {
		if s.n > 1 {
			repeat++
		}
	}
	if repeat < len(byCustomer)/5 {
		t.Fatalf("%d of %d customers order more than once", repeat, len(byCustomer))
	}
}

// auc returns the area under the ROC curve of score for the 0/1 labels (ties count half).
func auc(score, label []float64) float64 {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var rankSum, pos float64
	for lo := 0; lo < len(idx); {
		hi := lo
		for hi < len(idx) && score[idx[hi]] == score[idx[lo]] {
			hi++
		}
		mid := float64(lo+hi+1) / 2 // average 1-based rank of the tie group
		for _, i := range idx[lo:hi] {
			if label[i] == 1 {
				rankSum += mid
				pos++
			}
		}
		lo = hi
	}
	neg := float64(len(idx)) - pos
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func TestAUC(t *testing.T) {
	tests := []struct {
		score, label []float64
		want         float64
	}{
		{[]float64{0.1, 0.2, 0.3, 0.4}, []float64{0, 0, 1, 1}, 1},
		{[]float64{0.4, 0.3, 0.2, 0.1}, []float64{0, 0, 1, 1}, 0},
		{[]float64{0.5, 0.5, 0.5, 0.5}, []float64{0, 1, 0, 1}, 0.5},
		{[]float64{0.1, 0.4, 0.35, 0.8}, []float64{0, 0, 1, 1}, 0.75},
	}
	for _, tt := range tests {
		if got := auc(tt.score, tt.label); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("auc(%v, %v) = %v, want %v", tt.score, tt.label, got, tt.want)
		}
	}
}

// rate is a default rate with its binomial standard error.
type rate struct{ n, k float64 }

func (r rate) p() float64  { return r.k / r.n }
func (r rate) se() float64 { return math.Sqrt(r.p() * (1 - r.p()) / r.n) }

func (r *rate) add(y float64) { r.n++; r.k += y }

// higher reports whether a's rate exceeds b's by more than four standard errors.
func higher(a, b rate) bool {
	return a.p()-b.p() > 4*math.Hypot(a.se(), b.se())
}

func TestDefaultRates(t *testing.T) {
	f := mustStats(t)
	label, truth := col(t, f, LabelColumn).Num, col(t, f, TruthColumn).Num
	var all rate
	meanTruth, logLoss, baseLoss := 0.0, 0.0, 0.0
	for i, y := range label {
		all.add(y)
		meanTruth += truth[i]
		logLoss -= y*math.Log(truth[i]) + (1-y)*math.Log(1-truth[i])
	}
	n := float64(len(label))
	meanTruth /= n
	logLoss /= n
	p := all.p()
	baseLoss = -(p*math.Log(p) + (1-p)*math.Log(1-p))
	bayesAUC := auc(truth, label)
	t.Logf("%d rows: default rate %.4f, mean true_probability %.4f, Bayes AUC %.4f, Bayes log-loss %.4f (base rate %.4f)",
		len(label), p, meanTruth, bayesAUC, logLoss, baseLoss)

	if p < 0.03 || p > 0.06 {
		t.Errorf("default rate %.4f, want in [0.03, 0.06]", p)
	}
	if math.Abs(meanTruth-p) > 4*all.se() {
		t.Errorf("mean true_probability %.4f, default rate %.4f ± %.4f", meanTruth, p, all.se())
	}
	if bayesAUC < 0.75 || bayesAUC > 0.85 {
		t.Errorf("Bayes AUC %.4f, want in [0.75, 0.85]", bayesAUC)
	}
	if logLoss >= baseLoss {
		t.Errorf("Bayes log-loss %.4f not below the base-rate log-loss %.4f", logLoss, baseLoss)
	}

	// Calibration: within deciles of true_probability the default rate matches the mean.
	idx := make([]int, len(label))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return truth[idx[a]] < truth[idx[b]] })
	for d := range 10 {
		var r rate
		mean := 0.0
		for _, i := range idx[d*len(idx)/10 : (d+1)*len(idx)/10] {
			r.add(label[i])
			mean += truth[i]
		}
		mean /= r.n
		if math.Abs(r.p()-mean) > 4*math.Sqrt(mean*(1-mean)/r.n) {
			t.Errorf("decile %d: default rate %.4f, mean true_probability %.4f", d, r.p(), mean)
		}
	}

	// Markets differ: a chi-squared test of equal rates rejects overwhelmingly, and the
	// riskiest market is far from the safest.
	market := col(t, f, "market")
	byMarket := map[string]*rate{}
	for i, y := range label {
		m, _ := market.StringAt(i)
		if byMarket[m] == nil {
			byMarket[m] = &rate{}
		}
		byMarket[m].add(y)
	}
	if len(byMarket) != len(marketTable) {
		t.Fatalf("%d markets in the data, want %d", len(byMarket), len(marketTable))
	}
	chi2 := 0.0
	for _, r := range byMarket {
		e := r.n * p
		chi2 += sq(r.k-e)/e + sq((r.n-r.k)-(r.n-e))/(r.n-e)
	}
	// With 12 degrees of freedom, P(χ² > 100) < 1e-15 if the rates were equal.
	if chi2 < 100 || !higher(*byMarket["it"], *byMarket["dk"]) {
		t.Errorf("market rates barely differ: χ² = %.1f, it %.4f, dk %.4f", chi2, byMarket["it"].p(), byMarket["dk"].p())
	}
}

func TestEffects(t *testing.T) {
	f := mustStats(t)
	truth := col(t, f, TruthColumn).Num
	label := col(t, f, LabelColumn).Num
	amount, late, hour := col(t, f, "order_amount").Num, col(t, f, "n_late_payments").Num, col(t, f, "hour_of_day").Num
	first := col(t, f, "is_first_order").Bools
	logit := func(p float64) float64 { return math.Log(p / (1 - p)) }

	// Interaction: late payments raise the true log-odds more for large orders. Compare the
	// mean true logit of orders with and without late payments, for small and large amounts.
	var sum, cnt [2][2]float64 // [large amount][has late payments]
	for i := range truth {
		if first[i] == 1 || (amount[i] >= 50 && amount[i] < 300) {
			continue
		}
		big, l := 0, 0
		if amount[i] >= 300 {
			big = 1
		}
		if late[i] > 0 {
			l = 1
		}
		sum[big][l] += logit(truth[i])
		cnt[big][l]++
	}
	lift := func(big int) float64 { return sum[big][1]/cnt[big][1] - sum[big][0]/cnt[big][0] }
	if small, large := lift(0), lift(1); large < small+0.3 {
		t.Errorf("late payments add %.3f to the log-odds of orders under 50 EUR and %.3f above 300 EUR; want a clearly larger effect for large orders", small, large)
	} else {
		t.Logf("late-payment log-odds lift: %.3f under 50 EUR, %.3f over 300 EUR", small, large)
	}

	// U-shaped hour of day, seen in the labels: night orders default more than afternoon ones,
	// and evening ones lie in between.
	var night, afternoon, evening rate
	for i, h := range hour {
		switch {
		case h >= 1 && h <= 5:
			night.add(label[i])
		case h >= 13 && h <= 17:
			afternoon.add(label[i])
		case h >= 20 && h <= 22:
			evening.add(label[i])
		}
	}
	if !higher(night, afternoon) || !(evening.p() > afternoon.p()) {
		t.Errorf("default rate at night %.4f, afternoon %.4f, evening %.4f", night.p(), afternoon.p(), evening.p())
	}

	// First orders are riskier than returning customers' orders.
	var newC, oldC rate
	for i, y := range label {
		if first[i] == 1 {
			newC.add(y)
		} else {
			oldC.add(y)
		}
	}
	if !higher(newC, oldC) {
		t.Errorf("default rate of first orders %.4f, of returning customers %.4f", newC.p(), oldC.p())
	}
}

func TestSaleDays(t *testing.T) {
	f := mustStats(t)
	ts := col(t, f, "order_ts")
	basket, first, label := col(t, f, "basket_size").Num, col(t, f, "is_first_order").Bools, col(t, f, LabelColumn).Num
	type acc struct{ orders, basket, first, days float64 }
	var sale, normal acc
	isSale := map[int]bool{}
	for _, ev := range saleEvents {
		isSale[time.Date(2025, time.Month(ev.month), ev.day, 0, 0, 0, 0, time.UTC).YearDay()] = true
	}
	var saleRate, normalRate rate
	for i := range f.Len() {
		tm, _ := ts.TimeAt(i)
		a, r := &normal, &normalRate
		if isSale[tm.Add(time.Hour).YearDay()] { // sale days are CET days
			a, r = &sale, &saleRate
		}
		a.orders++
		a.basket += basket[i]
		a.first += float64(first[i])
		r.add(label[i])
	}
	sale.days, normal.days = float64(len(saleEvents)), 365-float64(len(saleEvents))
	if perDay := sale.orders / sale.days / (normal.orders / normal.days); perDay < 2 {
		t.Errorf("sale days have %.2f times the orders of other days, want > 2", perDay)
	}
	if sale.basket/sale.orders < 1.2*normal.basket/normal.orders {
		t.Errorf("mean basket %.2f on sale days, %.2f otherwise", sale.basket/sale.orders, normal.basket/normal.orders)
	}
	if sale.first/sale.orders < normal.first/normal.orders+0.1 {
		t.Errorf("first orders %.3f on sale days, %.3f otherwise", sale.first/sale.orders, normal.first/normal.orders)
	}
	if !higher(saleRate, normalRate) {
		t.Errorf("default rate %.4f on sale days, %.4f otherwise", saleRate.p(), normalRate.p())
	}
}

func TestYearStart(t *testing.T) {
	if want := time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC).UnixNano(); yearStart != want {
		t.Fatalf("yearStart = %d, want %d", yearStart, want)
	}
}

func TestTruthQuadrature(t *testing.T) {
	m := newModel(Config{Rows: 1})
	for _, eta := range []float64{-12, -6, -4, -3, -2, -1, 0, 1.5, 4} {
		// Reference: the trapezoid rule on a fine grid over ±10 standard deviations.
		const h = 1e-3
		ref := 0.0
		for z := -10.0; z <= 10; z += h {
			ref += math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) * sigmoid(eta+latentScale*z) * h
		}
		if got := m.truth(eta); math.Abs(got-ref) > 1e-10 {
			t.Errorf("truth(%v) = %.12g, numerical integral %.12g", eta, got, ref)
		}
	}
}

func TestCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	cfg := Config{Rows: 200_000, Seed: 1, ChunkRows: 1000, Workers: 4}

	t.Run("emit error", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := Generate(context.Background(), cfg, func(*frame.Frame) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 3 {
			t.Fatalf("Generate = %v after %d calls, want %v after 3", err, calls, stop)
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := Generate(ctx, cfg, func(*frame.Frame) error {
			calls++
			if calls == 2 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || calls != 2 {
			t.Fatalf("Generate = %v after %d calls, want context.Canceled after 2", err, calls)
		}
	})
	t.Run("cancelled before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := GenerateFrame(ctx, cfg); !errors.Is(err, context.Canceled) {
			t.Fatalf("GenerateFrame = %v, want context.Canceled", err)
		}
	})
	for range 100 { // goroutines exit before Generate returns; the runtime may lag a moment
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d goroutines before, %d after", before, runtime.NumGoroutine())
}
