package datagen

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"gonum.org/v1/gonum/integrate/quad"
)

// Time constants. Orders fall in the calendar year 2025 (UTC); "local" means CET (UTC+1,
// without daylight saving), the time zone of the hour_of_day column and of sale days.
const (
	msPerHour    = int64(time.Hour / time.Millisecond)
	msPerDay     = 24 * msPerHour
	slotsPerYear = 365 * 24 // one slot per UTC hour
	msPerYear    = slotsPerYear * msPerHour
	localOffset  = 1 // hours east of UTC
	daysPerYear  = 365.25
)

// yearStart is 2025-01-01T00:00:00Z in Unix nanoseconds (checked by TestYearStart).
const yearStart = 1_735_689_600_000_000_000

// ghNodes is the number of Gauss–Hermite nodes used to integrate the unobserved logit term out of
// the true probability. 32 nodes keep the quadrature error below 1e-10 (TestTruthQuadrature).
const ghNodes = 32

// model is everything derived from a Config that row generation reads. It is immutable once
// built and shared by all workers.
type model struct {
	seed      uint64
	rows      int64
	withTruth bool
	numCols   int // output columns

	markets   []int     // selected indices into marketTable, ascending
	marketCum []float64 // cumulative weights over markets
	poolStart []int64   // first pool customer number of each selected market
	poolSize  []int64   // pool customers of each selected market
	newBase   int64     // customer number of the first order's new customer (row 0)

	slotCum []float64 // cumulative order volume over the year's hourly slots, ending at 1
	saleDay [366]bool // by local day of year (0 = January 1)

	assortmentCum []float64
	deviceCum     []float64
	shippingCum   []float64 // physical methods only
	emailCum      []float64 // returning customers
	emailCumNew   []float64 // new customers (more disposable addresses)
	segmentCum    [2][]float64
	paymentCum    [3][]float64

	// Gauss–Hermite quadrature for E[sigmoid(eta + Z)], Z ~ N(0, latentScale²): the weights
	// (summing to 1) and exp(-z) at the nodes z, so that each row needs a single exp.
	ghW, ghExp []float64

	orderWidth, customerWidth int // digits in order and customer ids
}

// newModel builds the model for a validated Config.
func newModel(cfg Config) *model {
	m := &model{
		seed:      cfg.Seed,
		rows:      int64(cfg.Rows),
		withTruth: cfg.WithTruth,
		numCols:   cfg.numCols(),
		markets:   selectedMarkets(cfg.Markets),
	}

	weights := make([]float64, len(m.markets))
	total := 0.0
	for k, mi := range m.markets {
		weights[k] = marketTable[mi].weight
		total += weights[k]
	}
	m.marketCum = cumulative(weights)

	// The customer pool: one returning customer per customersPerOrders rows, split across the
	// markets by volume. New customers get numbers after the pool, one per row.
	pool := max(int64(minPool), m.rows/customersPerOrders)
	m.poolStart = make([]int64, len(m.markets))
	m.poolSize = make([]int64, len(m.markets))
	var next int64
	for k := range m.markets {
		size := max(1, int64(math.Round(float64(pool)*weights[k]/total)))
		m.poolStart[k], m.poolSize[k] = next, size
		next += size
	}
	m.newBase = next
	m.orderWidth = max(9, digits(m.rows))
	m.customerWidth = max(9, digits(m.newBase+m.rows))

	m.slotCum = m.slotWeights()

	m.assortmentCum = cumulative(fieldOf(assortmentTable[:], func(a assortment) float64 { return a.weight }))
	m.deviceCum = cumulative(levelWeights(deviceTable[:]))
	m.shippingCum = cumulative(levelWeights(shippingTable[:shipDigital]))
	m.emailCum = cumulative(levelWeights(emailTable[:]))
	newEmail := levelWeights(emailTable[:])
	last := len(newEmail) - 1 // disposable
	newEmail[last] = pDisposableNew / (1 - pDisposableNew) * (sum(newEmail) - newEmail[last])
	m.emailCumNew = cumulative(newEmail)
	for b := range m.segmentCum {
		m.segmentCum[b] = cumulative(segmentWeights[b][:])
	}
	for b := range m.paymentCum {
		m.paymentCum[b] = cumulative(paymentWeights[b][:])
	}

	x := make([]float64, ghNodes)
	m.ghW = make([]float64, ghNodes)
	m.ghExp = make([]float64, ghNodes)
	quad.Hermite{}.FixedLocations(x, m.ghW, math.Inf(-1), math.Inf(1))
	for k := range x {
		// ∫ f(z) φ(z) dz = π^(-1/2) Σ w f(√2 x) for the weight function exp(-x²).
		m.ghExp[k] = math.Exp(-math.Sqrt2 * latentScale * x[k])
		m.ghW[k] /= math.SqrtPi
	}
	return m
}

// slotWeights marks the sale days and returns the cumulative order volume over the hourly slots
// of 2025.
func (m *model) slotWeights() []float64 {
	var volume [365]float64
	for d := range volume {
		volume[d] = 1
	}
	for _, ev := range saleEvents {
		d := time.Date(2025, time.Month(ev.month), ev.day, 0, 0, 0, 0, time.UTC).YearDay() - 1
		m.saleDay[d] = true
		volume[d] = ev.volume
	}
	w := make([]float64, slotsPerYear)
	firstWeekday := int(time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC).Weekday())
	for j := range w {
		local := j + localOffset
		day, hour := min(local/24, 364), local%24
		d := float64(day)
		season := 1 + 0.25*math.Exp(-sq((d-340)/25)) - 0.10*math.Exp(-sq((d-215)/30))
		w[j] = weekdayWeights[(firstWeekday+day)%7] * season * hourWeights[hour] * volume[day]
	}
	return cumulative(w)
}

// row is one generated order before it is written into a chunk's columns. Categorical fields
// are indices into their tables, -1 for missing; history fields are NaN for first orders.
type row struct {
	customer   int64 // customer number (0-based)
	tsMs       int64 // milliseconds since yearStart
	sale       bool  // local day is a sale event
	market     int
	assortment int
	device     int
	payment    int
	shipping   int
	email      int
	segment    int

	amount, basket, avgPrice       float64
	age, tenure, accountAge, hour  float64
	nPrev, nReturns, nLate, dsince float64
	addressMatch, first            bool

	eta   float64 // observed part of the true logit
	label float64 // 0 or 1
	truth float64 // P(label = 1 | observed columns); only computed with WithTruth
}

// customer holds a customer's stable traits.
type customer struct {
	age        float64 // years, at 2025-01-01 for pool customers and at the order for new ones
	segment    int
	email      int
	created    int64   // account opened, days before 2025-01-01 (pool customers)
	firstOrder int64   // first order, days before 2025-01-01 (pool customers)
	rate       float64 // orders per year
	returnRate float64 // share of orders returned
	lateRate   float64 // share of orders paid late
}

// rowGen is one worker's random number state. Every row, and every pool customer, gets its own
// PCG stream seeded from (seed, index), so a row's values depend only on the Config and its
// index, never on which worker generates it or when.
type rowGen struct {
	src  rand.PCG
	r    *rand.Rand
	csrc rand.PCG
	cr   *rand.Rand
}

func newRowGen() *rowGen {
	g := &rowGen{}
	g.r = rand.New(&g.src)
	g.cr = rand.New(&g.csrc)
	return g
}

// Stream salts: rows and customers draw from disjoint families of streams.
const (
	saltRow      = 0x6f72646572730001 // "orders"
	saltCustomer = 0x637573746f6d6572 // "customer"
	golden       = 0x9e3779b97f4a7c15
)

// mix64 is the SplitMix64 finaliser: a bijective hash of a 64-bit word.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// seedStream seeds src with stream k of the family (seed, salt).
func seedStream(src *rand.PCG, seed, salt uint64, k uint64) {
	base := mix64(seed ^ salt)
	src.Seed(mix64(base+(2*k+1)*golden), mix64(base+(2*k+2)*golden))
}

// generate fills o with row i.
func (m *model) generate(i int64, g *rowGen, o *row) {
	seedStream(&g.src, m.seed, saltRow, uint64(i))
	r := g.r

	// Time: row i takes the quantile (i+u)/rows of the year's order volume, so rows come out
	// sorted by order_ts and the volume follows the daily, weekly and sale-day pattern.
	q := (float64(i) + r.Float64()) / float64(m.rows)
	o.tsMs = m.timeAt(q)
	localHours := o.tsMs/msPerHour + localOffset
	o.hour = float64(localHours % 24)
	o.sale = m.saleDay[localHours/24]

	k := pick(m.marketCum, r.Float64())
	o.market = m.markets[k]

	pFirst := pFirstOrder
	if o.sale {
		pFirst = pFirstOrderSale
	}
	o.first = r.Float64() < pFirst
	var c customer
	if o.first {
		o.customer = m.newBase + i
		m.newCustomer(r, &c)
	} else {
		o.customer = m.poolStart[k] + r.Int64N(m.poolSize[k])
		m.poolCustomer(o.customer, g, &c)
	}
	o.segment = c.segment

	// The basket: dominant assortment, number of items, lognormal item price.
	o.assortment = pick(m.assortmentCum, r.Float64())
	a := &assortmentTable[o.assortment]
	items, price := a.items, math.Exp(a.price+marketTable[o.market].price+priceSigma*r.NormFloat64())
	if o.sale {
		items *= saleItems
		price *= salePrice
	}
	o.basket = min(1+poisson(r, items), maxBasket)
	o.amount = min(max(cents(o.basket*price), 1), maxAmount)
	o.avgPrice = cents(o.amount / o.basket)

	band := 0
	if o.amount >= 500 {
		band = 2
	} else if o.amount >= 150 {
		band = 1
	}
	o.payment = pick(m.paymentCum[band], r.Float64())
	if a.digital && r.Float64() < pDigitalShipping {
		o.shipping = shipDigital
	} else {
		o.shipping = pick(m.shippingCum, r.Float64())
	}
	o.device = pick(m.deviceCum, r.Float64())
	if r.Float64() < pMissingDevice {
		o.device = -1
	}
	o.email = c.email
	if r.Float64() < pMissingEmail {
		o.email = -1
	}
	pMis := pMismatch
	if o.first {
		pMis += pMismatchFirst
	}
	if o.sale {
		pMis += pMismatchSale
	}
	if a.digital {
		pMis += pMismatchDigital
	}
	o.addressMatch = r.Float64() >= pMis

	// Customer history, as of the order.
	daysInto := o.tsMs / msPerDay
	if o.first {
		o.age = math.Floor(c.age)
		o.accountAge = 0
		if r.Float64() >= pFreshAccount {
			o.accountAge = min(math.Floor(150*r.ExpFloat64()), math.Floor((c.age-18)*daysPerYear))
		}
		o.tenure, o.nPrev, o.nReturns, o.nLate, o.dsince = math.NaN(), 0, math.NaN(), math.NaN(), math.NaN()
	} else {
		o.age = math.Floor(c.age + float64(o.tsMs)/float64(msPerDay)/daysPerYear)
		o.accountAge = float64(c.created + daysInto)
		o.tenure = float64(c.firstOrder + daysInto)
		o.nPrev = min(1+poisson(r, c.rate*o.tenure/daysPerYear), 500)
		o.nReturns = binomial(r, o.nPrev, c.returnRate)
		o.nLate = binomial(r, o.nPrev, c.lateRate)
		o.dsince = o.tenure
		if o.nPrev > 1 {
			o.dsince = min(math.Floor(daysPerYear/c.rate*r.ExpFloat64()), o.tenure)
		}
	}

	// The label: the observed logit plus an unobserved N(0, latentScale²) term.
	o.eta = o.logit()
	z := latentScale * r.NormFloat64()
	o.label = 0
	if r.Float64() < sigmoid(o.eta+z) {
		o.label = 1
	}
	if m.withTruth {
		o.truth = m.truth(o.eta)
	}
}

// newCustomer draws a first-time customer's traits from the row's stream.
func (m *model) newCustomer(r *rand.Rand, c *customer) {
	c.age = drawAge(r)
	c.segment = pick(m.segmentCum[segmentBand(c.age)], r.Float64())
	c.email = pick(m.emailCumNew, r.Float64())
}

// poolCustomer derives returning customer n's traits from n's own stream.
func (m *model) poolCustomer(n int64, g *rowGen, c *customer) {
	seedStream(&g.csrc, m.seed, saltCustomer, uint64(n))
	r := g.cr
	c.age = drawAge(r) + 1 // at least 19 on 2025-01-01, so the account can be a year old
	c.segment = pick(m.segmentCum[segmentBand(c.age)], r.Float64())
	c.email = pick(m.emailCum, r.Float64())
	c.created = min(30+int64(700*r.ExpFloat64()), int64((c.age-18)*daysPerYear), 3650)
	c.firstOrder = 1 + r.Int64N(c.created)
	c.rate = 2.5 * math.Exp(0.8*r.NormFloat64())
	u := r.Float64()
	c.returnRate = 0.02 + 0.25*u*u
	c.lateRate = sigmoid(-3.2 + r.NormFloat64())
}

// drawAge returns an age in years, 18 to 80, skewed young (median 33.5).
func drawAge(r *rand.Rand) float64 {
	u := r.Float64()
	return 18 + 62*u*u
}

func segmentBand(age float64) int {
	if age < youngAge {
		return 0
	}
	return 1
}

// timeAt returns the time, in milliseconds since yearStart, at quantile q ∈ [0, 1) of the
// order volume.
func (m *model) timeAt(q float64) int64 {
	j := sort.SearchFloat64s(m.slotCum, q)
	if j < len(m.slotCum) && m.slotCum[j] == q {
		j++ // q is the end of slot j: it belongs to the next one
	}
	j = min(j, len(m.slotCum)-1)
	lo := 0.0
	if j > 0 {
		lo = m.slotCum[j-1]
	}
	frac := (q - lo) / (m.slotCum[j] - lo)
	ms := int64((float64(j) + frac) * float64(msPerHour))
	return min(max(ms, 0), msPerYear-1)
}

// logit returns the observed part of the true logit (documented in doc.go).
func (o *row) logit() float64 {
	e := logitIntercept +
		marketTable[o.market].risk +
		assortmentTable[o.assortment].risk +
		paymentTable[o.payment].risk +
		shippingTable[o.shipping].risk +
		segmentTable[o.segment].risk
	if o.device < 0 {
		e += riskMissingDevice
	} else {
		e += deviceTable[o.device].risk
	}
	if o.email < 0 {
		e += riskMissingEmail
	} else {
		e += emailTable[o.email].risk
	}

	la := math.Log(o.amount / 100)
	e += coefAmount * la
	d := math.Abs(o.hour - 15)
	if d > 12 {
		d = 24 - d
	}
	e += coefHour * sq(d/12)
	e += coefAgeYoung*math.Exp(-(o.age-18)/7) + coefAgeOld*max(o.age-68, 0)

	if o.first {
		e += riskFirstOrder
		if o.accountAge == 0 {
			e += riskFreshAccount
		}
	} else {
		e += coefTenure*math.Log1p(o.tenure/30) + coefPrevOrders*math.Log1p(o.nPrev)
		e += math.Log1p(o.nLate) * (coefLate + coefLateAmount*max(la, -1))
		e += coefReturnRate*o.nReturns/o.nPrev + coefDormancy*math.Log1p(o.dsince/30)
	}
	if !o.addressMatch {
		e += riskAddressMismatch
		if o.first {
			e += riskMismatchFirst
		}
	}
	if o.sale {
		e += riskSaleDay
	}
	return e
}

// truth returns P(default | observed columns) = E[sigmoid(eta + Z)], Z ~ N(0, latentScale²),
// by Gauss–Hermite quadrature. sigmoid(eta+z) = 1/(1 + exp(-eta)·exp(-z)), and exp(-z) is
// precomputed per node: one exp per row instead of one per node.
func (m *model) truth(eta float64) float64 {
	e := math.Exp(-eta)
	p := 0.0
	for k, w := range m.ghW {
		p += w / (1 + e*m.ghExp[k])
	}
	return p
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func sq(x float64) float64 { return x * x }

// cents rounds to whole cents.
func cents(x float64) float64 { return math.Round(x*100) / 100 }

// poisson draws a Poisson(lam) count: by inversion for small means, from the normal
// approximation above 30.
func poisson(r *rand.Rand, lam float64) float64 {
	if lam <= 0 {
		return 0
	}
	if lam > 30 {
		return max(math.Round(lam+math.Sqrt(lam)*r.NormFloat64()), 0)
	}
	u := r.Float64()
	p := math.Exp(-lam)
	f, k := p, 0.0
	for u > f && k < 200 {
		k++
		p *= lam / k
		f += p
	}
	return k
}

// binomial draws a Binomial(n, p) count: by inversion when the expected count is small, from
// the normal approximation otherwise.
func binomial(r *rand.Rand, n, p float64) float64 {
	if p > 0.5 {
		return n - binomial(r, n, 1-p)
	}
	if n <= 0 || p <= 0 {
		return 0
	}
	if n*p > 30 {
		return min(max(math.Round(n*p+math.Sqrt(n*p*(1-p))*r.NormFloat64()), 0), n)
	}
	u := r.Float64()
	q := 1 - p
	f := math.Exp(n * math.Log1p(-p)) // q^n; cheaper than math.Pow
	acc, k := f, 0.0
	for u > acc && k < n {
		f *= (n - k) / (k + 1) * p / q
		k++
		acc += f
	}
	return k
}

// cumulative returns the normalised cumulative sums of w. The entry of the last positive weight
// and all after it are exactly 1, so pick never returns a zero-weight index.
func cumulative(w []float64) []float64 {
	cum := make([]float64, len(w))
	total := sum(w)
	acc, last := 0.0, 0
	for i, v := range w {
		acc += v
		cum[i] = acc / total
		if v > 0 {
			last = i
		}
	}
	for i := last; i < len(cum); i++ {
		cum[i] = 1
	}
	return cum
}

// pick returns the index whose cumulative interval holds u ∈ [0, 1). The tables are short, so a
// linear scan beats a binary search.
func pick(cum []float64, u float64) int {
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}

func sum(w []float64) float64 {
	s := 0.0
	for _, v := range w {
		s += v
	}
	return s
}

func levelWeights(ls []level) []float64 {
	return fieldOf(ls, func(l level) float64 { return l.weight })
}

func fieldOf[T any](xs []T, f func(T) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// digits returns the number of decimal digits of n ≥ 0.
func digits(n int64) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
