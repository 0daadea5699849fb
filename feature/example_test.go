package feature_test

import (
	"fmt"
	"log"
	"math"
	"time"

	"riskflow/feature"
	"riskflow/frame"
)

// The main flow: a spec, Fit on training data, Transform a frame (batch) and Vector one JSON
// request (online) with the same code.
func ExampleFit() {
	spec, err := feature.ParseSpec([]byte(`
id: order_id
label: default
features:
  - {name: order_amount, type: numeric, missing: median, transform: log1p, monotone: +1}
  - {name: market, type: categorical, encoding: native}
  - {name: is_first_order, type: boolean}
  - {name: order_ts, type: datetime, parts: [hour, dayofweek]}
  - {name: amount_per_item, type: numeric, expr: order_amount / basket_size}
`))
	if err != nil {
		log.Fatal(err)
	}
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	train := frame.MustNew(
		frame.StringColumn("order_id", []string{"o1", "o2", "o3"}),
		frame.NumericColumn("order_amount", []float64{20, math.NaN(), 300}),
		frame.NumericColumn("basket_size", []float64{1, 2, 3}),
		frame.StringColumn("market", []string{"DE", "SE", "DE"}),
		frame.BoolColumn("is_first_order", []bool{true, false, false}),
		frame.TimeColumn("order_ts", []time.Time{at("2025-06-02T09:00:00Z"), at("2025-06-03T18:30:00Z"), at("2025-06-08T23:59:00Z")}),
		frame.NumericColumn("default", []float64{0, 1, 0}),
	)
	tr, err := feature.Fit(spec, train)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range tr.Outputs() {
		fmt.Printf("%-20s source=%-14s categorical=%v monotone=%d\n", o.Name, o.Source, o.Categorical, o.Monotone)
	}

	m, err := tr.Transform(train)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("batch row 1: %.4g\n", m.Row(1))

	rec := tr.NewRecord() // reuse one per goroutine
	req := []byte(`{"order_id": "o2", "order_amount": null, "basket_size": 2, "market": "SE",
		"is_first_order": false, "order_ts": "2025-06-03T20:30:00+02:00"}`)
	if err := rec.DecodeJSON(req); err != nil {
		log.Fatal(err)
	}
	x, err := tr.Vector(nil, rec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("online:      %.4g\n", x)
	// order_amount was missing: imputed with the training median (160), then log1p. The
	// expression reads the raw value, so amount_per_item is missing (it has no missing policy).

	err = rec.DecodeJSON([]byte(`{"order_amount": "12"}`))
	fmt.Println(err)
	// Output:
	// order_amount         source=order_amount   categorical=false monotone=1
	// market               source=market         categorical=true monotone=0
	// is_first_order       source=is_first_order categorical=false monotone=0
	// order_ts_hour        source=order_ts       categorical=false monotone=0
	// order_ts_dayofweek   source=order_ts       categorical=false monotone=0
	// amount_per_item      source=amount_per_item categorical=false monotone=0
	// batch row 1: [5.081 1 0 18 1 NaN]
	// online:      [5.081 1 0 18 1 NaN]
	// feature: field "order_amount": got a string, want a number
}
