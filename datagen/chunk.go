package datagen

import (
	"math/bits"
	"sync/atomic"

	"riskflow/frame"
)

// The columns, in output order. colTruth is last so that it can be left off.
const (
	colOrderID = iota
	colCustomerID
	colOrderTS
	colMarket
	colAssortment
	colDevice
	colPayment
	colShipping
	colEmail
	colSegment
	colAmount
	colBasket
	colAvgPrice
	colAge
	colTenure
	colAccountAge
	colPrevOrders
	colPrevReturns
	colLate
	colDaysSince
	colHour
	colAddressMatch
	colFirstOrder
	colDefault
	colTruth
	numCols
)

// Column names: the label and the truth column are exported for callers that train or evaluate.
const (
	LabelColumn = "default"
	TruthColumn = "true_probability"
)

var columns = [numCols]frame.Field{
	colOrderID:      {Name: "order_id", Kind: frame.String},
	colCustomerID:   {Name: "customer_id", Kind: frame.String},
	colOrderTS:      {Name: "order_ts", Kind: frame.Time},
	colMarket:       {Name: "market", Kind: frame.String},
	colAssortment:   {Name: "assortment", Kind: frame.String},
	colDevice:       {Name: "device", Kind: frame.String},
	colPayment:      {Name: "payment_method", Kind: frame.String},
	colShipping:     {Name: "shipping_method", Kind: frame.String},
	colEmail:        {Name: "email_domain_kind", Kind: frame.String},
	colSegment:      {Name: "customer_segment", Kind: frame.String},
	colAmount:       {Name: "order_amount", Kind: frame.Numeric},
	colBasket:       {Name: "basket_size", Kind: frame.Numeric},
	colAvgPrice:     {Name: "avg_item_price", Kind: frame.Numeric},
	colAge:          {Name: "customer_age", Kind: frame.Numeric},
	colTenure:       {Name: "customer_tenure_days", Kind: frame.Numeric},
	colAccountAge:   {Name: "account_age_days", Kind: frame.Numeric},
	colPrevOrders:   {Name: "n_prev_orders", Kind: frame.Numeric},
	colPrevReturns:  {Name: "n_prev_returns", Kind: frame.Numeric},
	colLate:         {Name: "n_late_payments", Kind: frame.Numeric},
	colDaysSince:    {Name: "days_since_last_order", Kind: frame.Numeric},
	colHour:         {Name: "hour_of_day", Kind: frame.Numeric},
	colAddressMatch: {Name: "billing_shipping_match", Kind: frame.Bool},
	colFirstOrder:   {Name: "is_first_order", Kind: frame.Bool},
	colDefault:      {Name: LabelColumn, Kind: frame.Numeric},
	colTruth:        {Name: TruthColumn, Kind: frame.Numeric},
}

// Schema returns the columns that Generate produces for c, in order.
func (c Config) Schema() frame.Schema {
	return append(frame.Schema(nil), columns[:c.numCols()]...)
}

// numCols is the number of output columns: the truth column is last and optional.
func (c Config) numCols() int {
	if c.WithTruth {
		return numCols
	}
	return colTruth
}

// categorical maps the String columns drawn from a table to the table's level names.
var categorical = [...]struct {
	col   int
	names func(int) string
}{
	{colMarket, func(i int) string { return marketTable[i].code }},
	{colAssortment, func(i int) string { return assortmentTable[i].name }},
	{colDevice, func(i int) string { return deviceTable[i].name }},
	{colPayment, func(i int) string { return paymentTable[i].name }},
	{colShipping, func(i int) string { return shippingTable[i].name }},
	{colEmail, func(i int) string { return emailTable[i].name }},
	{colSegment, func(i int) string { return segmentTable[i].name }},
}

// chunk is one emitted frame under construction. Workers fill disjoint row ranges through set;
// the worker that fills the last row calls finish, which dictionary-encodes the String columns
// and builds the frame.
type chunk struct {
	lo, n     int64 // first row (global index) and number of rows
	cols      []*frame.Column
	customers []int64 // customer numbers, turned into customer_id strings by finish
	pending   atomic.Int64
	done      chan struct{} // closed when frame is ready
	frame     *frame.Frame
}

func (m *model) newChunk(lo, n int64) *chunk {
	c := &chunk{lo: lo, n: n, customers: make([]int64, n), done: make(chan struct{})}
	c.pending.Store(n)
	c.cols = make([]*frame.Column, m.numCols)
	for i, f := range columns[:m.numCols] {
		col := &frame.Column{Name: f.Name, Kind: f.Kind}
		switch f.Kind {
		case frame.Numeric:
			col.Num = make([]float64, n)
		case frame.String:
			col.Codes = make([]int32, n)
		case frame.Bool:
			col.Bools = make([]uint8, n)
		case frame.Time:
			col.Times = make([]int64, n)
		}
		c.cols[i] = col
	}
	return c
}

// set writes row o at position j. String columns get table indices, re-coded by finish.
func (c *chunk) set(j int, o *row) {
	cols := c.cols
	c.customers[j] = o.customer
	cols[colOrderTS].Times[j] = yearStart + o.tsMs*1e6
	cols[colMarket].Codes[j] = int32(o.market)
	cols[colAssortment].Codes[j] = int32(o.assortment)
	cols[colDevice].Codes[j] = int32(o.device)
	cols[colPayment].Codes[j] = int32(o.payment)
	cols[colShipping].Codes[j] = int32(o.shipping)
	cols[colEmail].Codes[j] = int32(o.email)
	cols[colSegment].Codes[j] = int32(o.segment)
	cols[colAmount].Num[j] = o.amount
	cols[colBasket].Num[j] = o.basket
	cols[colAvgPrice].Num[j] = o.avgPrice
	cols[colAge].Num[j] = o.age
	cols[colTenure].Num[j] = o.tenure
	cols[colAccountAge].Num[j] = o.accountAge
	cols[colPrevOrders].Num[j] = o.nPrev
	cols[colPrevReturns].Num[j] = o.nReturns
	cols[colLate].Num[j] = o.nLate
	cols[colDaysSince].Num[j] = o.dsince
	cols[colHour].Num[j] = o.hour
	cols[colAddressMatch].Bools[j] = b2u(o.addressMatch)
	cols[colFirstOrder].Bools[j] = b2u(o.first)
	cols[colDefault].Num[j] = o.label
	if len(cols) > colTruth {
		cols[colTruth].Num[j] = o.truth
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// finish dictionary-encodes the String columns (dictionaries in order of first appearance, as
// frame documents) and builds the frame.
func (c *chunk) finish(m *model) {
	for _, cat := range categorical {
		col := c.cols[cat.col]
		var remap [maxLevels]int32
		for i := range remap {
			remap[i] = frame.Missing
		}
		for j, code := range col.Codes {
			if code == frame.Missing {
				continue
			}
			nc := remap[code]
			if nc == frame.Missing {
				nc = int32(len(col.Dict))
				remap[code] = nc
				col.Dict = append(col.Dict, cat.names(int(code)))
			}
			col.Codes[j] = nc
		}
	}

	// order_id: one per row, numbered from 1.
	ids := c.cols[colOrderID]
	w := m.orderWidth + 2
	buf := make([]byte, 0, int(c.n)*w)
	if c.n > 0 {
		buf = appendID(buf, 'o', c.lo+1, m.orderWidth)
	}
	for range c.n - 1 {
		// The next id is the previous one plus one: copy it and carry. orderWidth holds every
		// row number, so the carry never reaches the "o-".
		buf = append(buf, buf[len(buf)-w:]...)
		i := len(buf) - 1
		for buf[i] == '9' {
			buf[i] = '0'
			i--
		}
		buf[i]++
	}
	s := string(buf)
	ids.Dict = make([]string, c.n)
	for j := range ids.Codes {
		ids.Codes[j] = int32(j)
		ids.Dict[j] = s[j*w : (j+1)*w]
	}

	// customer_id: pool customers recur, so the dictionary must list each once.
	c.encodeCustomers(m)
	c.customers = nil

	f, err := frame.New(c.cols...)
	if err != nil {
		panic("datagen: " + err.Error()) // the columns are built above: a bug, not an input error
	}
	c.frame = f
}

// maxLevels bounds the size of the level tables; the constant below fails to compile otherwise.
const maxLevels = 64

const _ = uint(maxLevels - max(len(marketTable), len(assortmentTable)))

// encodeCustomers fills the customer_id column from c.customers: each customer once in the
// dictionary, in order of first appearance.
//
// The lookup is a hand-written open-addressing table (linear probing, Fibonacci hashing) sized
// for the chunk: measured (BenchmarkFinish) several times faster than a Go map or a sort here,
// where a chunk holds tens of thousands of distinct customers.
func (c *chunk) encodeCustomers(m *model) {
	col := c.cols[colCustomerID]
	size := 1
	for size < 2*len(c.customers) {
		size <<= 1
	}
	shift := 64 - bits.Len(uint(size-1))
	keys := make([]int64, size) // customer number + 1; 0 marks an empty slot
	vals := make([]int32, size)
	w := m.customerWidth + 2
	buf := make([]byte, 0, len(c.customers)*w)
	for j, cust := range c.customers {
		key := cust + 1
		h := int((uint64(key) * golden) >> shift)
		for keys[h] != 0 && keys[h] != key {
			h = (h + 1) & (size - 1)
		}
		if keys[h] == 0 {
			keys[h] = key
			vals[h] = int32(len(buf) / w)
			buf = appendID(buf, 'c', key, m.customerWidth)
		}
		col.Codes[j] = vals[h]
	}
	s := string(buf)
	col.Dict = make([]string, len(buf)/w)
	for k := range col.Dict {
		col.Dict[k] = s[k*w : (k+1)*w]
	}
}

// appendID appends prefix, '-' and n zero-padded to width digits.
func appendID(buf []byte, prefix byte, n int64, width int) []byte {
	buf = append(buf, prefix, '-')
	start := len(buf)
	for range width {
		buf = append(buf, '0')
	}
	for i := len(buf) - 1; i >= start && n > 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return buf
}
