package feature

import (
	"math"
	"strings"
	"testing"
)

// evalExpr parses, compiles and evaluates src with vars as the record's numeric slots.
func evalExpr(t *testing.T, src string, vars map[string]float64) float64 {
	t.Helper()
	n, err := parseExpr(src)
	if err != nil {
		t.Fatalf("parseExpr(%q): %v", src, err)
	}
	var names []string
	var vals []float64
	for _, r := range n.refs() {
		v, ok := vars[r]
		if !ok {
			t.Fatalf("%q reads %q, which the test does not set", src, r)
		}
		names = append(names, r)
		vals = append(vals, v)
	}
	prog, err := n.compile(func(name string) int {
		for i, x := range names {
			if x == name {
				return i
			}
		}
		return -1
	})
	if err != nil {
		t.Fatal(err)
	}
	return prog.eval(vals)
}

func TestExprEval(t *testing.T) {
	nan := math.NaN()
	vars := map[string]float64{"a": 6, "b": 3, "z": 0, "neg": -4, "m": nan, "big": 1e308, "a.b": 10, "with space": 2}
	tests := []struct {
		src  string
		want float64
	}{
		{"a + b", 9},
		{"a - b - 1", 2},             // left-associative
		{"a / b / 2", 1},             // left-associative
		{"a + b * 2", 12},            // precedence
		{"(a + b) * 2", 18},          // parentheses
		{"-a + b", -3},               // unary minus
		{"--a", 6},                   // double negation
		{"+a", 6},                    // unary plus
		{"a * -b", -18},              // unary after an operator
		{"2.5e1 + .5", 25.5},         // number forms
		{"a / z", nan},               // x/0 is missing
		{"z / z", nan},               // 0/0 too
		{"log(a / 6)", 0},            // natural logarithm
		{"log(z)", nan},              // log of 0 is missing
		{"log(neg)", nan},            // log of a negative is missing
		{"log1p(z)", 0},              // log1p
		{"log1p(-1)", nan},           // log1p domain
		{"sqrt(a + b)", 3},           // sqrt
		{"sqrt(neg)", nan},           // sqrt domain
		{"abs(neg)", 4},              // abs
		{"min(a, b, neg)", -4},       // min of many
		{"max(a, b)", 6},             // max
		{"max(a, m)", nan},           // a missing argument makes min/max missing
		{"a + m", nan},               // missing propagates
		{"big * 10", nan},            // overflow is missing
		{"big * 10 - big * 10", nan}, // and stays missing
		{"a.b + `with space`", 12},   // dotted and backquoted names
		{"min(max(a, b), 4) * (1 - -1)", 8},
		{"log(abs(neg)) * 0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got := evalExpr(t, tt.src, vars)
			if math.IsNaN(tt.want) {
				if !math.IsNaN(got) {
					t.Fatalf("= %v, want missing", got)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("= %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExprParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "want a number, a field or ("},
		{"a +", "want a number, a field or ("},
		{"a b", `unexpected name "b"`},
		{"(a", "want ), got end of expression"},
		{"a)", `unexpected ")"`},
		{"foo(a)", `unknown function "foo"`},
		{"log(a, b)", "log takes 1 argument, got 2"},
		{"min(a)", "min takes two or more arguments"},
		{"min(a b)", "want , or ) in the arguments of min"},
		{"a $ b", `unexpected "$"`}, {"$", `bad token "$"`},
		{"`unterminated", "bad token"},
		{"``", "bad token"},
		{"1e999", "bad token"},
		{"a ^ 2", `unexpected "^"`},
		{strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100), "nested more than"},
		{strings.Repeat("-", 100) + "a", "nested more than"},
		{strings.Repeat("a+", 3000) + "a", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.src[:min(len(tt.src), 20)], func(t *testing.T) {
			_, err := parseExpr(tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseExpr(%q) error %v, want %q", tt.src, err, tt.want)
			}
		})
	}
	// A wide expression can need a deep evaluation stack even if it is not nested.
	wide := "max(" + strings.Repeat("a, ", 80) + "a)"
	n, err := parseExpr(wide)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.compile(func(string) int { return 0 }); err == nil || !strings.Contains(err.Error(), "stack deeper") {
		t.Fatalf("compile of a wide expression: %v", err)
	}
}

func TestExprStringRoundTrip(t *testing.T) {
	for _, src := range []string{
		"a + b * c - d / e",
		"-(a + b) * --c",
		"min(a, max(b, 1e-300), log(abs(c)))",
		"`odd name` + `log` + sqrt(log1p(x.y))",
		"1 - (2 - 3) - 4",
	} {
		n, err := parseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		s := n.String()
		n2, err := parseExpr(s)
		if err != nil {
			t.Fatalf("parseExpr(%q) (printed from %q): %v", s, src, err)
		}
		if s2 := n2.String(); s2 != s {
			t.Fatalf("%q printed %q, then %q", src, s, s2)
		}
	}
}

func TestExprRefs(t *testing.T) {
	n, err := parseExpr("b + a * b + log(c) + `a`")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.refs(), ","); got != "b,a,c" {
		t.Fatalf("refs %s, want b,a,c", got)
	}
}
