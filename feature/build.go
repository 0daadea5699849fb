package feature

import (
	"fmt"
	"math"
	"slices"

	"riskflow/frame"
)

// state is one feature's fitted state, as Fit learns it and the transformer document stores it.
// Only the fields the feature's type and policies need are set; derived values (frequencies,
// target encodings) are recomputed from it by build, so a loaded transformer is bit-identical to
// the fitted one.
type state struct {
	Name string `json:"name"`

	// Numeric and boolean.
	Impute *float64 `json:"impute,omitempty"`  // replacement for missing values (median, mean, zero, constant)
	Mean   *float64 `json:"mean,omitempty"`    // standardize
	Std    *float64 `json:"std,omitempty"`     // standardize (a zero or non-finite std is stored as 1)
	ClipLo *float64 `json:"clip_lo,omitempty"` // clip: the low percentile
	ClipHi *float64 `json:"clip_hi,omitempty"` // clip: the high percentile

	// Categorical.
	Levels      []string  `json:"levels,omitempty"`       // kept levels; a level's code is its index
	Counts      []int64   `json:"counts,omitempty"`       // training rows per kept level, then __other__
	ImputeLevel *string   `json:"impute_level,omitempty"` // level missing values take (mode, constant)
	LabelCounts []int64   `json:"label_counts,omitempty"` // target: labelled rows per kept level, then __other__
	LabelSums   []float64 `json:"label_sums,omitempty"`   // target: label sums likewise
	Prior       *float64  `json:"prior,omitempty"`        // target: mean label of all labelled rows
}

// build makes a Transformer from a compiled spec, the training vocabulary of each String input
// (nil for other inputs) and each feature's fitted state. Fit and ParseTransformer both end
// here. It checks that the state fits the spec.
func build(spec *Spec, lay *layout, levels [][]string, states []state, rows int) (*Transformer, error) {
	// The transformer keeps its own deep copy: a caller editing its spec afterwards must not
	// change a fitted transformer.
	t := &Transformer{spec: spec.clone(), lay: lay, states: states, rows: rows}
	t.spec.Notes = nil
	var err error
	if t.inputs, err = makeInputs(lay, levels); err != nil {
		return nil, err
	}
	if len(states) != len(lay.feats) {
		return nil, fmt.Errorf("feature: %d fitted states for %d features", len(states), len(lay.feats))
	}
	t.plans = make([]plan, len(lay.feats))
	seen := make(map[string]string)
	for i := range lay.feats {
		fd := &lay.feats[i]
		st := &states[i]
		if st.Name != fd.def.Name {
			return nil, fmt.Errorf("feature: fitted state %d is for %q, the spec's feature %d is %q", i, st.Name, i, fd.def.Name)
		}
		p := &t.plans[i]
		p.out = len(t.names)
		switch fd.def.Type {
		case Numeric, Boolean:
			err = t.buildNumeric(fd, st, p)
		case Categorical:
			err = t.buildCategorical(fd, st, p)
		case Datetime:
			err = t.buildDatetime(fd, st, p)
		}
		if err != nil {
			return nil, fmt.Errorf("feature: feature %q: %w", fd.def.Name, err)
		}
		p.width = len(t.names) - p.out
		for _, o := range t.outputs[p.out:] {
			if other, dup := seen[o.Name]; dup {
				return nil, fmt.Errorf("feature: output %q of feature %q is also an output of feature %q", o.Name, fd.def.Name, other)
			}
			seen[o.Name] = fd.def.Name
		}
	}
	return t, nil
}

// makeInputs builds the inputs of a layout with their training vocabularies.
func makeInputs(lay *layout, levels [][]string) ([]input, error) {
	if len(levels) != len(lay.inputs) {
		return nil, fmt.Errorf("feature: %d input vocabularies for %d inputs", len(levels), len(lay.inputs))
	}
	inputs := make([]input, len(lay.inputs))
	for i, def := range lay.inputs {
		in := &inputs[i]
		in.inputDef = def
		if def.kind != frame.String {
			if levels[i] != nil {
				return nil, fmt.Errorf("feature: input %q is %s but has levels", def.name, def.kind)
			}
			continue
		}
		in.levels = levels[i]
		in.lookup = make(map[string]int32, len(in.levels))
		for j, l := range in.levels {
			if _, dup := in.lookup[l]; dup {
				return nil, fmt.Errorf("feature: input %q: level %q listed twice", def.name, l)
			}
			in.lookup[l] = int32(j)
		}
	}
	return inputs, nil
}

func (t *Transformer) addOutput(fd *featDef, name string, o Output) {
	o.Name, o.Feature = name, fd.def.Name
	if fd.def.Expr != "" {
		o.Source, o.Sources = fd.def.Name, slices.Clone(fd.refs)
	} else {
		o.Source, o.Sources = fd.def.source(), []string{fd.def.source()}
	}
	t.outputs = append(t.outputs, o)
	t.names = append(t.names, name)
}

func finite(p *float64) bool {
	return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0)
}

func (t *Transformer) buildNumeric(fd *featDef, st *state, p *plan) error {
	if st.Levels != nil || st.Counts != nil || st.ImputeLevel != nil || st.LabelCounts != nil || st.LabelSums != nil || st.Prior != nil {
		return fmt.Errorf("has categorical state")
	}
	p.kind, p.in, p.prog, p.field = planNumeric, fd.in, fd.prog, fd.def.source()
	if fd.def.Expr != "" {
		p.field = fd.def.Name
	}
	p.miss = fd.miss.mode
	switch {
	case fd.miss.imputes() != (st.Impute != nil):
		return fmt.Errorf("missing %q and the fitted impute value disagree", fd.def.Missing)
	case st.Impute != nil && !finite(st.Impute):
		return fmt.Errorf("impute value is not finite")
	case fd.miss.mode == missZero && *st.Impute != 0, fd.miss.mode == missConstant && *st.Impute != fd.miss.value:
		return fmt.Errorf("impute value %v contradicts missing %q", *st.Impute, fd.def.Missing)
	case fd.def.Type == Boolean && st.Impute != nil && (*st.Impute < 0 || *st.Impute > 1):
		return fmt.Errorf("impute value %v of a boolean is outside [0, 1]", *st.Impute)
	}
	if st.Impute != nil {
		p.impute = *st.Impute
	}
	p.tr = fd.tr.kind
	std, clip := fd.tr.kind == trStandardize, fd.tr.kind == trClip
	if (st.Mean != nil || st.Std != nil) != std || (st.ClipLo != nil || st.ClipHi != nil) != clip {
		return fmt.Errorf("transform %q and the fitted transform state disagree", fd.def.Transform)
	}
	switch {
	case std:
		if !finite(st.Mean) || !finite(st.Std) || *st.Std <= 0 {
			return fmt.Errorf("standardize needs a finite mean and a positive std")
		}
		p.a, p.b = *st.Mean, *st.Std
	case clip:
		if !finite(st.ClipLo) || !finite(st.ClipHi) || *st.ClipLo > *st.ClipHi {
			return fmt.Errorf("clip needs finite bounds, low <= high")
		}
		p.a, p.b = *st.ClipLo, *st.ClipHi
	}
	t.addOutput(fd, fd.def.Name, Output{Monotone: fd.monotone})
	return nil
}

func (t *Transformer) buildDatetime(fd *featDef, st *state, p *plan) error {
	if st.Impute != nil || st.Mean != nil || st.Std != nil || st.ClipLo != nil || st.ClipHi != nil ||
		st.Levels != nil || st.Counts != nil || st.ImputeLevel != nil || st.LabelCounts != nil || st.LabelSums != nil || st.Prior != nil {
		return fmt.Errorf("a datetime feature has no fitted state")
	}
	p.kind, p.in, p.field, p.miss, p.parts, p.loc = planDatetime, fd.in, fd.def.source(), fd.miss.mode, fd.parts, t.lay.loc
	for _, n := range fd.outputNames() {
		t.addOutput(fd, n, Output{})
	}
	return nil
}

func (t *Transformer) buildCategorical(fd *featDef, st *state, p *plan) error {
	if st.Impute != nil || st.Mean != nil || st.Std != nil || st.ClipLo != nil || st.ClipHi != nil {
		return fmt.Errorf("has numeric state")
	}
	in := &t.inputs[fd.in]
	k := len(st.Levels)
	switch {
	case k == 0:
		return fmt.Errorf("no levels")
	case k > fd.maxCats:
		return fmt.Errorf("%d levels, more than max_categories %d", k, fd.maxCats)
	case len(st.Counts) != k+1:
		return fmt.Errorf("%d counts for %d levels (want one per level and one for %s)", len(st.Counts), k, OtherLevel)
	case fd.miss.imputes() != (st.ImputeLevel != nil):
		return fmt.Errorf("missing %q and the fitted impute level disagree", fd.def.Missing)
	case fd.miss.mode == missConstant && *st.ImputeLevel != fd.miss.level:
		return fmt.Errorf("impute level %q contradicts missing %q", *st.ImputeLevel, fd.def.Missing)
	}
	if st.ImputeLevel != nil {
		if _, ok := in.lookup[*st.ImputeLevel]; !ok && fd.miss.mode == missFrequent {
			return fmt.Errorf("impute level %q was not seen in training", *st.ImputeLevel)
		}
	}
	kept := make(map[string]int32, k)
	for j, l := range st.Levels {
		if _, dup := kept[l]; dup {
			return fmt.Errorf("level %q listed twice", l)
		}
		_, known := in.lookup[l]
		if !known && (st.ImputeLevel == nil || l != *st.ImputeLevel) {
			return fmt.Errorf("level %q is not in the input's vocabulary", l)
		}
		if st.Counts[j] <= 0 {
			return fmt.Errorf("level %q has count %d", l, st.Counts[j])
		}
		kept[l] = int32(j)
	}
	if st.Counts[k] < 0 {
		return fmt.Errorf("%s has count %d", OtherLevel, st.Counts[k])
	}
	p.in, p.field, p.miss, p.k = fd.in, fd.def.source(), fd.miss.mode, int32(k)
	p.remap = make([]int32, len(in.levels))
	for j, l := range in.levels {
		c, ok := kept[l]
		if !ok {
			c = int32(k)
		}
		p.remap[j] = c
	}
	p.imputeCode = int32(k)
	if st.ImputeLevel != nil {
		if c, ok := kept[*st.ImputeLevel]; ok {
			p.imputeCode = c
		}
	}
	p.unknownCode = int32(k + 1)
	switch fd.unknown {
	case unknownOther:
		p.unknownCode = int32(k)
	case unknownError:
		p.unknownErr = true
	}
	target := fd.enc == Target
	if (st.LabelCounts != nil || st.LabelSums != nil || st.Prior != nil) != target {
		return fmt.Errorf("encoding %q and the fitted target state disagree", fd.enc)
	}
	switch fd.enc {
	case Native:
		p.kind = planNative
		t.addOutput(fd, fd.def.Name, Output{Categorical: true, NumCategories: k + 2})
	case OneHot:
		p.kind = planOneHot
		p.otherCol = st.Counts[k] > 0
		for _, l := range st.Levels {
			t.addOutput(fd, fd.def.Name+"="+l, Output{})
		}
		if p.otherCol {
			t.addOutput(fd, fd.def.Name+"="+OtherLevel, Output{})
		}
	case Frequency:
		p.kind = planTable
		var total int64
		for _, c := range st.Counts {
			total += c
		}
		p.table = make([]float64, k+2)
		for c, n := range st.Counts {
			p.table[c] = float64(n) / float64(total)
		}
		t.addOutput(fd, fd.def.Name, Output{})
	case Target:
		p.kind = planTable
		if len(st.LabelCounts) != k+1 || len(st.LabelSums) != k+1 || !finite(st.Prior) {
			return fmt.Errorf("target state needs %d label counts, %d label sums and a finite prior", k+1, k+1)
		}
		for c := range st.LabelCounts {
			if st.LabelCounts[c] < 0 || st.LabelCounts[c] > st.Counts[c] || !finite(&st.LabelSums[c]) {
				return fmt.Errorf("target state for code %d is inconsistent", c)
			}
		}
		p.table = make([]float64, k+2)
		for c := range st.LabelCounts {
			p.table[c] = smoothedMean(st.LabelSums[c], st.LabelCounts[c], *st.Prior, fd.smooth)
		}
		p.table[k+1] = *st.Prior
		t.addOutput(fd, fd.def.Name, Output{})
	}
	return nil
}

// smoothedMean is the target encoding of a level with n labelled rows summing to sum:
// (n·mean + m·prior)/(n + m).
func smoothedMean(sum float64, n int64, prior, m float64) float64 {
	return (sum + m*prior) / (float64(n) + m)
}
