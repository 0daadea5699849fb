package frameio

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"riskflow/frame"
)

// genOrders returns a deterministic frame shaped like riskflow's order data: 25 columns (14
// numeric, 6 string, 3 bool, 2 timestamp) with some missing values in every kind, one unique
// string column (order_id) and one of high cardinality (customer_id).
func genOrders(n int, seed uint64) *frame.Frame {
	rng := rand.New(rand.NewPCG(seed, 42))
	countries := []string{"DE", "AT", "CH", "NL", "BE", "FR", "IT", "ES", "PL", "CZ", "SE", "DK", "NO", "FI", "IE", "PT", "GR", "HU", "RO", "BG"}
	channels := []string{"web", "app", "pos", "partner", "phone"}
	devices := []string{"ios", "android", "desktop", "tablet"}
	cats := make([]string, 30)
	for i := range cats {
		cats[i] = fmt.Sprintf("mcc_%04d", 5000+i*37)
	}
	str := func(name string) *frame.Column { return frame.NewColumn(name, frame.String, n) }
	num := func(name string) *frame.Column { return frame.NewColumn(name, frame.Numeric, n) }
	boo := func(name string) *frame.Column { return frame.NewColumn(name, frame.Bool, n) }
	tim := func(name string) *frame.Column { return frame.NewColumn(name, frame.Time, n) }
	orderID, customerID, country, channel, device, mcc := str("order_id"), str("customer_id"), str("country"), str("channel"), str("device"), str("merchant_category")
	amount, basket, age, income, tenure, prior, priorDef, discount := num("order_amount"), num("basket_size"), num("age"), num("income"), num("tenure_days"), num("prior_orders"), num("prior_defaults"), num("discount")
	scores := make([]*frame.Column, 6)
	for i := range scores {
		scores[i] = num(fmt.Sprintf("score_%d", i+1))
	}
	isNew, hasApp, verified := boo("is_new_customer"), boo("has_app"), boo("email_verified")
	created, birth := tim("created_at"), tim("birth_date")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := 0; i < n; i++ {
		orderID.AppendString(fmt.Sprintf("ord-%08d", i))
		customerID.AppendString(fmt.Sprintf("cus-%06d", rng.IntN(n/4+1)))
		country.AppendString(countries[rng.IntN(len(countries))])
		channel.AppendString(channels[rng.IntN(len(channels))])
		if rng.IntN(50) == 0 {
			device.AppendMissing()
		} else {
			device.AppendString(devices[rng.IntN(len(devices))])
		}
		mcc.AppendString(cats[rng.IntN(len(cats))])
		amount.AppendFloat(math.Round(rng.ExpFloat64()*8000) / 100)
		basket.AppendFloat(float64(1 + rng.IntN(12)))
		if rng.IntN(50) == 0 {
			age.AppendMissing()
		} else {
			age.AppendFloat(float64(18 + rng.IntN(60)))
		}
		if rng.IntN(20) == 0 {
			income.AppendMissing()
		} else {
			income.AppendFloat(math.Round(rng.NormFloat64()*1500+3500) * 10)
		}
		tenure.AppendFloat(float64(rng.IntN(3000)))
		prior.AppendFloat(float64(rng.IntN(40)))
		priorDef.AppendFloat(float64(rng.IntN(3)))
		if rng.IntN(3) == 0 {
			discount.AppendMissing()
		} else {
			discount.AppendFloat(math.Round(rng.Float64()*30) / 100)
		}
		for _, s := range scores {
			s.AppendFloat(math.Round(rng.Float64()*1e6) / 1e6)
		}
		isNew.AppendBool(rng.IntN(4) == 0)
		hasApp.AppendBool(rng.IntN(2) == 0)
		if rng.IntN(40) == 0 {
			verified.AppendMissing()
		} else {
			verified.AppendBool(rng.IntN(10) != 0)
		}
		created.Times = append(created.Times, (t0+int64(rng.IntN(365*86400)))*1e9)
		if rng.IntN(30) == 0 {
			birth.AppendMissing()
		} else {
			birth.Times = append(birth.Times, (t0-int64(18*365+rng.IntN(60*365))*86400)*1e9)
		}
	}
	cols := []*frame.Column{orderID, created, customerID, country, channel, device, mcc, amount, basket, age, income, tenure, prior, priorDef, discount}
	cols = append(cols, scores...)
	cols = append(cols, isNew, hasApp, verified, birth)
	return frame.MustNew(cols...)
}
