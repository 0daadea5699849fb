package boost

import (
	"math"
	"slices"
	"testing"
)

func TestEvaluatorFormulas(t *testing.T) {
	tests := []struct {
		name     string
		ev       evaluator
		g, h     float64
		weight   float64
		nodeGain float64
	}{
		{"plain", evaluator{lambda: 1}, -4, 3, 1, 4},                         // w = 4/4; G²/(H+λ) = 16/4
		{"min child weight", evaluator{lambda: 1, minChild: 5}, -4, 3, 0, 4}, // weight 0; the gain formula has no min-child test
		{"alpha", evaluator{lambda: 1, alpha: 2}, -4, 3, 0.5, 1},             // T = -2: w = 2/4; T²/(H+λ) = 4/4
		{"alpha kills small g", evaluator{lambda: 1, alpha: 5}, -4, 3, 0, 0},
		{"max delta step", evaluator{lambda: 1, maxDelta: 0.5}, -4, 3, 0.5, 3}, // −(2·(−4)·0.5 + 4·0.25) = 3
		{"no hessian", evaluator{lambda: 1}, -4, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w := tc.ev.weight(tc.g, tc.h); w != tc.weight {
				t.Errorf("weight = %v, want %v", w, tc.weight)
			}
			if g := tc.ev.nodeGain(tc.g, tc.h, math.Inf(-1), math.Inf(1)); g != tc.nodeGain {
				t.Errorf("gain = %v, want %v", g, tc.nodeGain)
			}
		})
	}
}

// hist builds a fixed-point histogram with scale 1 from (g, h) pairs.
func histOf(pairs ...[2]int64) []gpair {
	out := make([]gpair, len(pairs))
	for i, p := range pairs {
		out[i] = gpair{p[0], p[1]}
	}
	return out
}

func sumOf(h []gpair) gpair {
	var s gpair
	for _, e := range h {
		s = s.add(e)
	}
	return s
}

func TestNumericSplit(t *testing.T) {
	unit := scales{1, 1}
	tests := []struct {
		name        string
		hb          []gpair
		minChild    float64
		monotone    int8
		wantFeature int
		wantLast    int
		wantDefault bool
	}{
		// bins: missing, then values. The left side wants g < 0, the right g > 0.
		{"clean cut", histOf([2]int64{0, 0}, [2]int64{-10, 5}, [2]int64{-10, 5}, [2]int64{10, 5}, [2]int64{10, 5}), 1, 0, 0, 2, false},
		{"missing like the left", histOf([2]int64{-10, 5}, [2]int64{-10, 5}, [2]int64{10, 5}, [2]int64{10, 5}), 1, 0, 0, 1, true},
		{"missing like the right", histOf([2]int64{10, 5}, [2]int64{-10, 5}, [2]int64{10, 5}, [2]int64{10, 5}), 1, 0, 0, 1, false},
		{"missing alone", histOf([2]int64{-30, 5}, [2]int64{10, 5}, [2]int64{10, 5}), 1, 0, 0, 0, true},
		{"min child weight forbids", histOf([2]int64{0, 0}, [2]int64{-10, 5}, [2]int64{10, 5}), 6, 0, -1, 0, false},
		// Left weight (+) above right weight (−): a +1 constraint rejects it, −1 accepts.
		{"monotone +1 rejects", histOf([2]int64{0, 0}, [2]int64{-10, 5}, [2]int64{10, 5}), 1, 1, -1, 0, false},
		{"monotone -1 accepts", histOf([2]int64{0, 0}, [2]int64{-10, 5}, [2]int64{10, 5}), 1, -1, 0, 1, false},
		{"empty bins skipped", histOf([2]int64{0, 0}, [2]int64{-10, 5}, [2]int64{0, 0}, [2]int64{0, 0}, [2]int64{10, 5}), 1, 0, 0, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := &evaluator{lambda: 1, minChild: tc.minChild, monotone: []int8{tc.monotone}, constrained: tc.monotone != 0}
			sum := sumOf(tc.hb)
			g, h := unit.gh(sum)
			ns := nodeStats{sum: sum, lo: math.Inf(-1), hi: math.Inf(1), gain: ev.nodeGain(g, h, math.Inf(-1), math.Inf(1))}
			best := split{feature: -1}
			ev.numericSplit(&best, &ns, unit, 0, tc.hb)
			if best.feature != tc.wantFeature {
				t.Fatalf("feature %d, want %d (split %+v)", best.feature, tc.wantFeature, best)
			}
			if best.feature < 0 {
				return
			}
			if best.last != tc.wantLast || best.defaultLeft != tc.wantDefault {
				t.Errorf("last %d default left %v, want %d %v", best.last, best.defaultLeft, tc.wantLast, tc.wantDefault)
			}
			// The gain is XGBoost's: GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ).
			gl, hl := unit.gh(best.left)
			gr, hr := unit.gh(sum.sub(best.left))
			want := gl*gl/(hl+1) + gr*gr/(hr+1) - g*g/(h+1)
			if tc.monotone == 0 && math.Abs(best.gain-want) > 1e-12 {
				t.Errorf("gain %v, want %v", best.gain, want)
			}
		})
	}
}

func TestCategoricalSplit(t *testing.T) {
	unit := scales{1, 1}
	// Codes 0..4 in bins 1..5, "other" in bin 6. Codes 1 and 3 are bad (g > 0).
	hb := histOf([2]int64{0, 0}, [2]int64{-8, 10}, [2]int64{9, 10}, [2]int64{-7, 10}, [2]int64{8, 10}, [2]int64{-9, 10}, [2]int64{0, 0})
	ev := &evaluator{lambda: 1, minChild: 1, catSmooth: 10, monotone: []int8{0}}
	sum := sumOf(hb)
	g, h := unit.gh(sum)
	ns := nodeStats{sum: sum, lo: math.Inf(-1), hi: math.Inf(1), gain: ev.nodeGain(g, h, math.Inf(-1), math.Inf(1))}
	best := split{feature: -1}
	ev.categoricalSplit(&best, &ns, unit, 0, hb, nil)
	if !best.categorical {
		t.Fatalf("not a categorical split: %+v", best)
	}
	// Sorted by g/(h+10): codes 4, 0, 2 (negative) first; the prefix of those goes left.
	if want := []uint8{1, 3, 5}; !slices.Equal(best.cats, want) {
		t.Errorf("left bins %v, want %v", best.cats, want)
	}
	if best.left != (gpair{-24, 30}) {
		t.Errorf("left sums %+v", best.left)
	}
}
