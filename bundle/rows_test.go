package bundle

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"riskflow/feature"
	"riskflow/frame"
)

// withBadRows returns a copy of the first n rows of data with a non-finite order_amount (which
// the transformer rejects) in the given rows.
func withBadRows(t *testing.T, data *frame.Frame, n int, bad []int) *frame.Frame {
	t.Helper()
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	f := data.Take(rows)
	col, ok := f.Column("order_amount")
	if !ok || col.Kind != frame.Numeric {
		t.Fatal("fixture has no numeric order_amount")
	}
	for _, i := range bad {
		col.Num[i] = math.Inf(1)
	}
	return f
}

func TestScoreRowsRejectsOnlyBadRows(t *testing.T) {
	tree, lin, data := trained(t)
	ctx := context.Background()
	all := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	}
	tests := []struct {
		name string
		n    int
		bad  []int
	}{
		{"none", 3000, nil},
		{"first", 3000, []int{0}},
		{"last", 3000, []int{2999}},
		{"several, adjacent and apart", 3000, []int{3, 4, 1024, 2047, 2048, 2999}},
		{"every row", 37, all(37)},
		{"one-row frame", 1, []int{0}},
	}
	for _, b := range []struct {
		name string
		b    *Bundle
	}{{"tree", tree}, {"linear", lin}} {
		for _, tt := range tests {
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				f := withBadRows(t, data, tt.n, tt.bad)
				p := make([]float64, tt.n)
				rerrs, err := b.b.ScoreRows(ctx, f, p)
				if err != nil {
					t.Fatal(err)
				}
				var got []int
				for _, re := range rerrs {
					got = append(got, re.Row)
					var fe *feature.FieldError
					if !errors.As(&re, &fe) || fe.Field != "order_amount" {
						t.Errorf("row %d: error %v does not name order_amount", re.Row, re.Err)
					}
				}
				if !slices.Equal(got, tt.bad) {
					t.Fatalf("rejected rows %v, want %v", got, tt.bad)
				}
				// The good rows score as ScoreFrame scores them alone, bit for bit.
				var good []int
				for i := range tt.n {
					if !slices.Contains(tt.bad, i) {
						good = append(good, i)
					} else if !math.IsNaN(p[i]) {
						t.Errorf("bad row %d has probability %v, want NaN", i, p[i])
					}
				}
				want := make([]float64, len(good))
				if err := b.b.ScoreFrame(ctx, f.Take(good), want); err != nil {
					t.Fatal(err)
				}
				for j, i := range good {
					if math.Float64bits(p[i]) != math.Float64bits(want[j]) {
						t.Fatalf("row %d: %v, ScoreFrame gives %v", i, p[i], want[j])
					}
				}

				// ExplainRows rejects the same rows and agrees on the probabilities.
				const k = 2
				pe := make([]float64, tt.n)
				reasons := make([]Reason, tt.n*k)
				xerrs, err := b.b.ExplainRows(ctx, f, k, pe, reasons)
				if err != nil {
					t.Fatal(err)
				}
				if len(xerrs) != len(rerrs) {
					t.Fatalf("ExplainRows rejected %d rows, ScoreRows %d", len(xerrs), len(rerrs))
				}
				for i := range p {
					if math.Float64bits(p[i]) != math.Float64bits(pe[i]) && !(math.IsNaN(p[i]) && math.IsNaN(pe[i])) {
						t.Fatalf("row %d: ExplainRows %v, ScoreRows %v", i, pe[i], p[i])
					}
				}
				for _, i := range tt.bad {
					if reasons[i*k] != (Reason{}) {
						t.Fatalf("bad row %d has reasons %v", i, reasons[i*k:(i+1)*k])
					}
				}
			})
		}
	}
}

func TestScoreRowsFrameErrors(t *testing.T) {
	tree, _, data := trained(t)
	ctx := context.Background()
	f := withBadRows(t, data, 100, []int{5})
	var cols []string
	for _, c := range f.Schema().Names() {
		if c != "order_amount" {
			cols = append(cols, c)
		}
	}
	noAmount, err := f.Select(cols...)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		f    *frame.Frame
		dst  int
		want string
	}{
		{"missing column", ctx, noAmount, 100, "order_amount"},
		{"wrong dst length", ctx, f, 99, "99 slots"},
		{"cancelled", cancelled, f, 100, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rerrs, err := tree.ScoreRows(tt.ctx, tt.f, make([]float64, tt.dst))
			if err == nil || len(rerrs) != 0 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %d row errors and %v; want an error mentioning %q", len(rerrs), err, tt.want)
			}
		})
	}
}
