package feature

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"riskflow/frame"
)

func TestInferOrders(t *testing.T) {
	f := orderFrame(3000, 5, genOptions{})
	s, err := Infer(f, "default", "order_id")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Def{}
	for _, d := range s.Features {
		got[d.Name] = d
	}
	if len(s.Features) != 20 {
		t.Errorf("%d features, want 20 (23 columns minus id, label and customer_id)", len(s.Features))
	}
	for _, name := range []string{"order_id", "default", "customer_id"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s must not be a feature", name)
		}
	}
	checks := map[string]Def{
		"order_amount":           {Name: "order_amount", Type: Numeric},
		"market":                 {Name: "market", Type: Categorical, Encoding: Native},
		"email_domain_kind":      {Name: "email_domain_kind", Type: Categorical, Encoding: Native, PII: true},
		"is_first_order":         {Name: "is_first_order", Type: Boolean},
		"order_ts":               {Name: "order_ts", Type: Datetime, Parts: []string{"hour", "dayofweek", "month"}},
		"billing_shipping_match": {Name: "billing_shipping_match", Type: Boolean},
	}
	for name, want := range checks {
		if d := got[name]; !reflect.DeepEqual(d, want) {
			t.Errorf("%s = %+v, want %+v", name, d, want)
		}
	}
	if !strings.Contains(strings.Join(s.Notes, "\n"), "left out customer_id: an identifier") {
		t.Errorf("notes %q do not explain customer_id", s.Notes)
	}
	out, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "# left out customer_id") {
		t.Errorf("YAML does not start with the notes:\n%s", out)
	}
	back, err := ParseSpec(out)
	if err != nil {
		t.Fatalf("inferred YAML does not parse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(clearLines(back), clearLines(s)) {
		t.Fatalf("inferred spec does not round-trip:\n%s", out)
	}
	if _, err := Fit(back, f); err != nil {
		t.Fatalf("Fit of the inferred spec: %v", err)
	}
}

func TestInferRules(t *testing.T) {
	n := 200
	nan := math.NaN()
	ids, free, wide, empty := make([]string, n), make([]string, n), make([]string, n), make([]float64, n)
	for i := range n {
		ids[i] = fmt.Sprint("row", i)
		free[i] = fmt.Sprint("comment ", i%150)
		wide[i] = fmt.Sprint("L", i%80)
		empty[i] = nan
	}
	status := make([]string, n)
	for i := range status {
		status[i] = []string{"good", "bad"}[i%2]
	}
	f := frame.MustNew(
		frame.StringColumn("status", status),
		frame.StringColumn("ref", ids),
		frame.StringColumn("note", free),
		frame.StringColumn("city", wide[:n]),
		frame.NumericColumn("empty", empty),
		frame.NumericColumn("constant", make([]float64, n)),
		frame.StringColumn("customer_phone", wide),
		frame.TimeColumn("created", make([]time.Time, n)),
	)
	s, err := Infer(f, "status", "")
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(s.Notes, "\n")
	for _, w := range []string{
		"label status is a string column: add positive",
		"left out ref: 200 distinct values in 200 rows",
		"left out note: 150 distinct values in 200 rows",
		"left out empty: no values",
		"left out constant: a single value",
		"left out created: a single value",
	} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes %q lack %q", notes, w)
		}
	}
	if len(s.Features) != 2 || s.Features[0].Name != "city" || s.Features[0].MaxCategories != 50 || !s.Features[1].PII {
		t.Errorf("features %+v", s.Features)
	}
	if _, err := Infer(f, "nope", ""); err == nil {
		t.Error("unknown label: no error")
	}
	if _, err := Infer(f, "status", "status"); err == nil {
		t.Error("label = id: no error")
	}
	if _, err := Infer(frame.MustNew(frame.NumericColumn("y", []float64{1, 0})), "y", ""); err == nil {
		t.Error("no usable column: no error")
	}
}
