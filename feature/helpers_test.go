package feature

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
	_ "time/tzdata" // the tests use Europe/Berlin whatever the machine has installed

	"riskflow/frame"
)

// genOptions shapes a generated order frame.
type genOptions struct {
	unseen bool // add levels, magnitudes and times that a training frame does not have
}

// orderFrame generates n synthetic buy-now-pay-later orders with the columns datagen produces,
// missing values in most columns, and (opts.unseen) unknown levels and out-of-range values.
// It is deterministic in seed.
func orderFrame(n int, seed uint64, opts genOptions) *frame.Frame {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	pick := func(levels []string, weights []float64) string {
		u := rng.Float64()
		for i, w := range weights {
			if u < w {
				return levels[i]
			}
			u -= w
		}
		return levels[len(levels)-1]
	}
	markets := []string{"DE", "SE", "NO", "FI", "DK", "NL", "AT", "CH"}
	marketW := []float64{0.35, 0.2, 0.1, 0.1, 0.08, 0.08, 0.05, 0.04}
	assort := []string{"fashion", "electronics", "home", "beauty", "sports", "toys"}
	devices := []string{"mobile", "desktop", "tablet", "app"}
	payments := []string{"invoice", "installments", "paylater_30", "card"}
	shipping := []string{"standard", "express", "pickup", "locker"}
	emailKinds := []string{"freemail", "corporate", "isp", "disposable", "other"}
	segments := []string{"new", "occasional", "regular", "vip"}
	unseenMarkets := []string{"XX", "PL", "tab\tnew\"line\n", "日本", "é€<&>", ""}

	cols := map[string]*frame.Column{}
	add := func(name string, kind frame.Kind) *frame.Column {
		c := frame.NewColumn(name, kind, n)
		cols[name] = c
		return c
	}
	orderID := add("order_id", frame.String)
	customerID := add("customer_id", frame.String)
	ts := add("order_ts", frame.Time)
	market := add("market", frame.String)
	assortment := add("assortment", frame.String)
	device := add("device", frame.String)
	payment := add("payment_method", frame.String)
	ship := add("shipping_method", frame.String)
	email := add("email_domain_kind", frame.String)
	segment := add("customer_segment", frame.String)
	amount := add("order_amount", frame.Numeric)
	basket := add("basket_size", frame.Numeric)
	avgPrice := add("avg_item_price", frame.Numeric)
	tenure := add("customer_tenure_days", frame.Numeric)
	accountAge := add("account_age_days", frame.Numeric)
	prevOrders := add("n_prev_orders", frame.Numeric)
	prevReturns := add("n_prev_returns", frame.Numeric)
	late := add("n_late_payments", frame.Numeric)
	sinceLast := add("days_since_last_order", frame.Numeric)
	hour := add("hour_of_day", frame.Numeric)
	match := add("billing_shipping_match", frame.Bool)
	first := add("is_first_order", frame.Bool)
	label := add("default", frame.Numeric)

	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	span := int64(365 * 24 * time.Hour)
	maybe := func(p float64) bool { return rng.Float64() < p }
	num := func(c *frame.Column, v float64, pMissing float64) {
		if maybe(pMissing) {
			c.AppendMissing()
		} else {
			c.AppendFloat(v)
		}
	}
	str := func(c *frame.Column, v string, pMissing float64) {
		if maybe(pMissing) {
			c.AppendMissing()
		} else {
			c.AppendString(v)
		}
	}
	boolean := func(c *frame.Column, v bool, pMissing float64) {
		if maybe(pMissing) {
			c.AppendMissing()
		} else {
			c.AppendBool(v)
		}
	}
	for i := range n {
		orderID.AppendString("o-" + strconv.FormatUint(seed, 10) + "-" + strconv.Itoa(i))
		customerID.AppendString("c-" + strconv.Itoa(rng.IntN(n/2+1)))
		t := start + rng.Int64N(span)
		switch {
		case opts.unseen && maybe(0.01):
			t = time.Date(1700+rng.IntN(500), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1e9), time.UTC).UnixNano()
		case maybe(0.02):
			t = frame.TimeMissing
		}
		ts.Times = append(ts.Times, t)
		m := pick(markets, marketW)
		if opts.unseen && maybe(0.05) {
			m = unseenMarkets[rng.IntN(len(unseenMarkets))]
		}
		str(market, m, 0.02)
		str(assortment, assort[rng.IntN(len(assort))], 0.03)
		dv := devices[rng.IntN(len(devices))]
		if opts.unseen && maybe(0.03) {
			dv = "smart-fridge"
		}
		str(device, dv, 0.1)
		str(payment, payments[rng.IntN(len(payments))], 0.05)
		str(ship, shipping[rng.IntN(len(shipping))], 0.02)
		str(email, emailKinds[rng.IntN(len(emailKinds))], 0.04)
		segment.AppendString(segments[rng.IntN(len(segments))]) // never missing: its spec says missing: error

		b := float64(1 + rng.IntN(12))
		price := math.Exp(rng.NormFloat64()*0.8 + 3.5)
		amt := b * price
		if opts.unseen && maybe(0.02) {
			amt = []float64{-250, 1e7, 1e300, -0.0, 5e-324, math.MaxFloat64}[rng.IntN(6)]
		}
		num(amount, amt, 0.01)
		if maybe(0.01) {
			b = 0 // amount / basket_size divides by zero
		}
		num(basket, b, 0.03)
		num(avgPrice, price, 0.05)
		num(tenure, math.Floor(rng.ExpFloat64()*400), 0.1)
		num(accountAge, math.Floor(rng.ExpFloat64()*700), 0.05)
		prev := math.Floor(rng.ExpFloat64() * 6)
		num(prevOrders, prev, 0.02)
		num(prevReturns, math.Floor(prev*rng.Float64()*0.3), 0.05)
		lp := math.Floor(rng.ExpFloat64() * 0.5)
		if opts.unseen && maybe(0.01) {
			lp = 1000
		}
		num(late, lp, 0.02)
		num(sinceLast, math.Round(rng.ExpFloat64()*60*1000)/1000, 0.15)
		h := float64(time.Unix(0, t).UTC().Hour())
		if opts.unseen && maybe(0.01) {
			h = []float64{25, -3, 24.5}[rng.IntN(3)]
		}
		num(hour, h, 0.05)
		boolean(match, maybe(0.85), 0.03)
		boolean(first, prev == 0, 0.02)
		p := 1 / (1 + math.Exp(-(-3 + 0.3*lp + 0.5*boolToFloat(prev == 0) + 0.0005*amt/1e3)))
		num(label, boolToFloat(maybe(p)), 0.01)
	}
	order := []string{"order_id", "customer_id", "order_ts", "market", "assortment", "device",
		"payment_method", "shipping_method", "email_domain_kind", "customer_segment", "order_amount",
		"basket_size", "avg_item_price", "customer_tenure_days", "account_age_days", "n_prev_orders",
		"n_prev_returns", "n_late_payments", "days_since_last_order", "hour_of_day",
		"billing_shipping_match", "is_first_order", "default"}
	list := make([]*frame.Column, len(order))
	for i, name := range order {
		list[i] = cols[name]
	}
	return frame.MustNew(list...)
}

func boolToFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// orderSpecYAML exercises every type, encoding, missing policy, transform and expression
// function on orderFrame's columns.
const orderSpecYAML = `
id: order_id
label: default
timezone: Europe/Berlin
features:
  - {name: order_amount, type: numeric, missing: median, transform: log1p, monotone: +1}
  - {name: basket_size, type: numeric, missing: zero, transform: "clip(p01,p99)"}
  - {name: avg_item_price, type: numeric, missing: mean, transform: standardize}
  - {name: customer_tenure_days, type: numeric, missing: "constant:-1"}
  - {name: account_age_days, type: numeric}
  - {name: n_prev_orders, type: numeric, transform: "clip(p05,p95)"}
  - {name: n_prev_returns, type: numeric, missing: median}
  - {name: n_late_payments, type: numeric, monotone: +1}
  - {name: days_since_last_order, type: numeric, transform: log1p}
  - {name: hour_of_day, type: numeric, transform: standardize}
  - name: amount_per_item
    type: numeric
    expr: order_amount / basket_size
    missing: median
    transform: log1p
  - {name: return_rate, type: numeric, expr: "n_prev_returns / max(n_prev_orders, 1)"}
  - {name: late_x_first, type: numeric, expr: "log(order_amount + 1) * is_first_order - abs(-n_late_payments) + sqrt(log1p(basket_size)) - min(1, 2, account_age_days)"}
  - {name: market, type: categorical, encoding: native, max_categories: 5}
  - {name: market_freq, source: market, type: categorical, encoding: frequency}
  - {name: market_te, source: market, type: categorical, encoding: target, max_categories: 3}
  - {name: assortment, type: categorical, encoding: onehot, max_categories: 4}
  - {name: device, type: categorical, encoding: target, missing: "constant:__missing__"}
  - {name: payment_method, type: categorical, missing: mode, unknown: other}
  - {name: shipping_method, type: categorical, encoding: target, smoothing: 3}
  - {name: email_domain_kind, type: categorical, pii: true, encoding: onehot, missing: "constant:freemail"}
  - {name: customer_segment, type: categorical, encoding: onehot, missing: error}
  - {name: billing_shipping_match, type: boolean, monotone: -1}
  - {name: is_first_order, type: boolean, missing: mean}
  - {name: order_ts, type: datetime, parts: [hour, minute, dayofweek, day, month, year, dayofyear, unix]}
`

func mustSpec(tb testing.TB, src string) *Spec {
	tb.Helper()
	s, err := ParseSpec([]byte(src))
	if err != nil {
		tb.Fatalf("ParseSpec: %v", err)
	}
	return s
}

func mustFit(tb testing.TB, src string, f *frame.Frame) *Transformer {
	tb.Helper()
	t, err := Fit(mustSpec(tb, src), f)
	if err != nil {
		tb.Fatalf("Fit: %v", err)
	}
	return t
}

// rowJSON writes row i of f as a JSON object the way a client might: keys in random order,
// missing values either null or absent, strings with random \u escapes, times with random UTC
// offsets, and junk fields (nested, escaped) that the decoder must skip.
func rowJSON(dst []byte, f *frame.Frame, i int, rng *rand.Rand) []byte {
	cols := f.Columns()
	perm := rng.Perm(len(cols))
	dst = append(dst, '{')
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		if rng.IntN(4) == 0 {
			dst = append(dst, " \n\t"[rng.IntN(3)])
		}
	}
	for k, j := range perm {
		if k == len(perm)/2 && rng.IntN(3) == 0 {
			sep()
			dst = appendJSONString(dst, "junk\\\"field", rng)
			dst = append(dst, `: {"a": [1, -2.5e+3, "x\"]}", {"b": null}, [[], {}]], "c": true, "d": "\u00e9"}`...)
		}
		c := cols[j]
		if c.IsMissing(i) && rng.IntN(2) == 0 {
			continue // absent means missing
		}
		sep()
		dst = appendJSONString(dst, c.Name, rng)
		dst = append(dst, ':')
		if c.IsMissing(i) {
			dst = append(dst, "null"...)
			continue
		}
		switch c.Kind {
		case frame.Numeric:
			dst = strconv.AppendFloat(dst, c.Num[i], 'g', -1, 64)
		case frame.String:
			s, _ := c.StringAt(i)
			dst = appendJSONString(dst, s, rng)
		case frame.Bool:
			dst = strconv.AppendBool(dst, c.Bools[i] == 1)
		case frame.Time:
			t, _ := c.TimeAt(i)
			if rng.IntN(2) == 0 {
				t = t.In(time.FixedZone("", (rng.IntN(27)-12)*1800))
			}
			dst = appendJSONString(dst, t.Format(time.RFC3339Nano), rng)
		}
	}
	return append(dst, '}')
}

// appendJSONString quotes s as JSON (escaping quotes, backslashes, control characters and, as
// encoding/json does, <, > and &) and, at random, \u-escapes some ASCII letters too.
func appendJSONString(dst []byte, s string, rng *rand.Rand) []byte {
	const hex = "0123456789abcdef"
	escapeLetters := rng.IntN(3) == 0
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c == '<' || c == '>' || c == '&',
			escapeLetters && (c|0x20) >= 'a' && (c|0x20) <= 'z' && rng.IntN(2) == 0:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
