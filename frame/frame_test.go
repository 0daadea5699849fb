package frame

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cols    []*Column
		wantErr bool
	}{
		{"empty", nil, false},
		{"ok", []*Column{NumericColumn("a", []float64{1, 2}), StringColumn("b", []string{"x", "y"})}, false},
		{"duplicate", []*Column{NumericColumn("a", []float64{1}), NumericColumn("a", []float64{2})}, true},
		{"length", []*Column{NumericColumn("a", []float64{1}), NumericColumn("b", []float64{1, 2})}, true},
		{"kind", []*Column{{Name: "a"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cols...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New() error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
	_, err := New(NumericColumn("a", []float64{1}), NumericColumn("b", nil))
	if !errors.Is(err, ErrLength) {
		t.Fatalf("want ErrLength, got %v", err)
	}
}

func TestColumnsAndMissing(t *testing.T) {
	s := NewColumn("s", String, 0)
	s.AppendString("de")
	s.AppendMissing()
	s.AppendString("fr")
	s.AppendString("de")
	if got, want := s.Codes, []int32{0, Missing, 1, 0}; !equal(got, want) {
		t.Fatalf("codes %v, want %v", got, want)
	}
	if v, ok := s.StringAt(2); !ok || v != "fr" {
		t.Fatalf("StringAt(2) = %q %v", v, ok)
	}
	if !s.IsMissing(1) || s.IsMissing(0) {
		t.Fatal("IsMissing wrong")
	}
	b := BoolColumn("b", []bool{true, false})
	b.AppendMissing()
	tm := NewColumn("t", Time, 0)
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	tm.AppendTime(at)
	tm.AppendMissing()
	n := NumericColumn("n", []float64{1.5, math.NaN(), 3})
	if _, err := New(n, s.Slice(0, 3), b, NewColumn("x", Numeric, 0)); !errors.Is(err, ErrLength) {
		t.Fatalf("want ErrLength, got %v", err)
	}
	f, err := New(n, s.Slice(0, 3), b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 3 || f.NumCols() != 3 {
		t.Fatalf("shape %dx%d", f.Len(), f.NumCols())
	}
	for i, want := range []string{"1.5", "", "3"} {
		if got := n.Format(i); got != want {
			t.Errorf("Format(%d) = %q, want %q", i, got, want)
		}
	}
	if got := b.Format(0) + b.Format(1) + b.Format(2); got != "truefalse" {
		t.Errorf("bool format %q", got)
	}
	if got := tm.Format(0); got != "2026-03-01T11:30:00Z" {
		t.Errorf("time format %q", got)
	}
	if !tm.IsMissing(1) {
		t.Error("time missing")
	}
}

func TestSelectSliceTakeConcat(t *testing.T) {
	f := MustNew(
		NumericColumn("a", []float64{1, 2, 3, 4}),
		StringColumn("b", []string{"x", "y", "x", "z"}),
	)
	sel, err := f.Select("b")
	if err != nil || sel.NumCols() != 1 {
		t.Fatalf("Select: %v", err)
	}
	if _, err := f.Select("nope"); err == nil {
		t.Fatal("Select of unknown column should fail")
	}
	sl := f.Slice(1, 3)
	if sl.Len() != 2 || sl.Col(0).Num[0] != 2 {
		t.Fatalf("Slice wrong: %v", sl.Col(0).Num)
	}
	tk := f.Take([]int{3, 0})
	if v, _ := tk.Col(1).StringAt(0); v != "z" {
		t.Fatalf("Take wrong: %q", v)
	}
	other := MustNew(NumericColumn("a", []float64{9}), StringColumn("b", []string{"w"}))
	cat, err := Concat(f, other)
	if err != nil {
		t.Fatal(err)
	}
	if cat.Len() != 5 {
		t.Fatalf("concat len %d", cat.Len())
	}
	var got []string
	c, _ := cat.Column("b")
	for i := 0; i < cat.Len(); i++ {
		got = append(got, c.Format(i))
	}
	if want := []string{"x", "y", "x", "z", "w"}; !equal(got, want) {
		t.Fatalf("concat strings %v, want %v", got, want)
	}
	if _, err := Concat(f, MustNew(NumericColumn("a", []float64{1}))); err == nil {
		t.Fatal("concat of different schemas should fail")
	}
}

func TestParseKindRoundTrip(t *testing.T) {
	for _, k := range []Kind{Numeric, String, Bool, Time} {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Fatalf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("blob"); err == nil {
		t.Fatal("want error")
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestKindText(t *testing.T) {
	for _, k := range []Kind{Numeric, String, Bool, Time} {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Kind
		if err := got.UnmarshalText(b); err != nil || got != k {
			t.Fatalf("%v round trip: %v, %v", k, got, err)
		}
	}
	if _, err := Kind(0).MarshalText(); err == nil {
		t.Fatal("invalid kind marshalled")
	}
}
