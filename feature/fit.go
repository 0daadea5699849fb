package feature

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"riskflow/frame"
)

// FitOptions configures FitTransform. The zero value means the defaults.
type FitOptions struct {
	Folds int    // out-of-fold folds of target encoding; 0 means 5, otherwise at least 2
	Seed  uint64 // seed of the random fold assignment (0 is a seed like any other)
}

// Fit validates the spec and learns its state from the training frame: input vocabularies,
// imputation values, standardization and clipping statistics, kept category levels, frequency
// and (full-data) target encodings. The frame must hold every input field with the kind the
// spec reads it as; other columns are ignored. Fit learns from the values present and does not
// enforce missing: error; Transform (and so FitTransform) does.
func Fit(spec *Spec, f *frame.Frame) (*Transformer, error) {
	ft, err := fit(spec, f)
	if err != nil {
		return nil, err
	}
	return ft.t, nil
}

// FitTransform is Fit followed by Transform of the same frame, except that target-encoded
// columns hold out-of-fold values: the rows are split into Folds random folds (seeded, so
// deterministic) and each row is encoded with the statistics of the other folds, so the training
// matrix does not leak its own labels. The returned Transformer, used on any other data, encodes
// with the full-data statistics.
func FitTransform(spec *Spec, f *frame.Frame, opts FitOptions) (*Transformer, *Matrix, error) {
	ft, err := fit(spec, f)
	if err != nil {
		return nil, nil, err
	}
	m, err := ft.t.Transform(f)
	if err != nil {
		return nil, nil, err
	}
	if err := ft.outOfFold(m, opts); err != nil {
		return nil, nil, err
	}
	return ft.t, m, nil
}

// fitted is a fit's result with what FitTransform needs besides the transformer.
type fitted struct {
	t     *Transformer
	y     []float64 // the label, when some feature is target-encoded
	codes [][]int32 // target-encoded features: each row's input code
}

func fit(spec *Spec, f *frame.Frame) (*fitted, error) {
	if spec == nil {
		return nil, errors.New("feature: fit: nil spec")
	}
	lay, err := spec.compile()
	if err != nil {
		return nil, err
	}
	n := f.Len()
	if n == 0 {
		return nil, errors.New("feature: fit: the training frame has no rows")
	}

	// Input vocabularies, and a transformer skeleton (inputs only) to fill records with.
	sk := &Transformer{spec: *spec, lay: lay}
	levels := make([][]string, len(lay.inputs))
	for i, in := range lay.inputs {
		if in.kind != frame.String {
			continue
		}
		col, ok := f.Column(in.name)
		if !ok {
			return nil, &FieldError{Field: in.name, Reason: "not in the data"}
		}
		if col.Kind == frame.String {
			levels[i] = vocabulary(col)
		}
	}
	if sk.inputs, err = makeInputs(lay, levels); err != nil {
		return nil, err
	}
	ft := &fitted{codes: make([][]int32, len(lay.feats))}
	for _, fd := range lay.feats {
		if fd.def.Type == Categorical && fd.enc == Target {
			if ft.y, err = labelValues(spec, f); err != nil {
				return nil, err
			}
			break
		}
	}

	states := make([]state, len(lay.feats))
	rec := sk.NewRecord()
	for i := range lay.feats {
		fd := &lay.feats[i]
		st := &states[i]
		st.Name = fd.def.Name
		slots := []int{fd.in}
		if fd.in < 0 {
			slots = slots[:0]
			for _, r := range fd.refs {
				slots = append(slots, lay.index[r])
			}
		}
		bs, err := sk.bind(f, slots)
		if err != nil {
			return nil, err
		}
		switch fd.def.Type {
		case Numeric, Boolean:
			raw := make([]float64, n)
			for row := range n {
				if err := rec.fillRow(bs, row); err != nil {
					return nil, fmt.Errorf("%w (row %d)", err, row)
				}
				raw[row] = rawValue(rec, fd.prog, fd.in)
			}
			err = fitNumeric(fd, st, raw)
		case Categorical:
			codes := make([]int32, n)
			for row := range n {
				if err := rec.fillRow(bs, row); err != nil {
					return nil, fmt.Errorf("%w (row %d)", err, row)
				}
				codes[row] = rec.code[fd.in]
			}
			err = fitCategorical(fd, st, &sk.inputs[fd.in], codes, ft.y)
			if fd.enc == Target {
				ft.codes[i] = codes
			}
		}
		if err != nil {
			return nil, fmt.Errorf("feature: fit %q: %w", fd.def.Name, err)
		}
	}
	if ft.t, err = build(spec, lay, levels, states, n); err != nil {
		return nil, err
	}
	return ft, nil
}

// vocabulary returns the distinct present values of a String column, most frequent first, ties
// by name.
func vocabulary(col *frame.Column) []string {
	counts := make([]int64, len(col.Dict))
	for _, c := range col.Codes {
		if c >= 0 && int(c) < len(counts) {
			counts[c]++
		}
	}
	merged := make(map[string]int64, len(col.Dict))
	for k, s := range col.Dict {
		if counts[k] > 0 {
			merged[s] += counts[k]
		}
	}
	out := make([]string, 0, len(merged))
	for s := range merged {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(merged[b], merged[a]), cmp.Compare(a, b))
	})
	return out
}

func fitNumeric(fd *featDef, st *state, raw []float64) error {
	present := make([]float64, 0, len(raw))
	for _, x := range raw {
		if x == x {
			present = append(present, x)
		}
	}
	if fd.miss.imputes() {
		var v float64
		switch fd.miss.mode {
		case missMedian, missMean:
			if len(present) == 0 {
				return fmt.Errorf("missing %q: no values in the training data", fd.def.Missing)
			}
			if fd.miss.mode == missMean {
				v = mean(present)
			} else {
				sorted := slices.Clone(present)
				slices.Sort(sorted)
				v = percentile(sorted, 50)
			}
		case missConstant:
			v = fd.miss.value
		}
		st.Impute = &v
	}
	if fd.tr.kind != trStandardize && fd.tr.kind != trClip {
		return nil
	}
	vals := present
	if st.Impute != nil {
		for range len(raw) - len(present) {
			vals = append(vals, *st.Impute)
		}
	}
	if len(vals) == 0 {
		return fmt.Errorf("transform %q: no values in the training data", fd.def.Transform)
	}
	if fd.tr.kind == trStandardize {
		m := mean(vals)
		var ss float64
		for _, x := range vals {
			ss += (x - m) * (x - m)
		}
		sd := math.Sqrt(ss / float64(len(vals)))
		if sd == 0 || math.IsNaN(sd) || math.IsInf(sd, 0) {
			sd = 1
		}
		if math.IsInf(m, 0) {
			return fmt.Errorf("transform %q: the mean overflows", fd.def.Transform)
		}
		st.Mean, st.Std = &m, &sd
		return nil
	}
	slices.Sort(vals)
	lo, hi := percentile(vals, fd.tr.plo), percentile(vals, fd.tr.phi)
	st.ClipLo, st.ClipHi = &lo, &hi
	return nil
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// percentile returns the p-th percentile (0..100) of sorted values, interpolating linearly
// between closest ranks (numpy's default, "type 7").
func percentile(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p / 100
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	a, b := sorted[lo], sorted[lo+1]
	if a == b {
		return a
	}
	return a + (h-float64(lo))*(b-a)
}

// fitCategorical learns the kept levels, their counts and (target encoding) label statistics
// from each row's input code.
func fitCategorical(fd *featDef, st *state, in *input, codes []int32, y []float64) error {
	target := fd.enc == Target
	nl := len(in.levels)
	cnt := make([]int64, nl)
	var nMiss int64
	var sum []float64
	var lab []int64
	var sumMiss, priorSum float64
	var labMiss, priorN int64
	if target {
		sum, lab = make([]float64, nl), make([]int64, nl)
	}
	for row, c := range codes {
		label := math.NaN()
		if target {
			label = y[row]
			if label == label {
				priorSum += label
				priorN++
			}
		}
		if c >= 0 {
			cnt[c]++
			if label == label {
				sum[c] += label
				lab[c]++
			}
			continue
		}
		nMiss++
		if label == label {
			sumMiss += label
			labMiss++
		}
	}
	if nl == 0 {
		return errors.New("no values in the training data")
	}

	var impute *string
	switch fd.miss.mode {
	case missConstant:
		impute = &fd.miss.level
	case missFrequent:
		best := 0
		for j := range cnt {
			if cnt[j] > cnt[best] || cnt[j] == cnt[best] && in.levels[j] < in.levels[best] {
				best = j
			}
		}
		impute = &in.levels[best]
	}
	type cand struct {
		level string
		n     int64
	}
	cands := make([]cand, nl, nl+1)
	for j, l := range in.levels {
		cands[j] = cand{l, cnt[j]}
	}
	imputeIdx := -1 // input index of the imputed level; nl if it is not an input level
	if impute != nil {
		j, ok := in.lookup[*impute]
		imputeIdx = int(j)
		if !ok {
			imputeIdx = nl
			if nMiss > 0 {
				cands = append(cands, cand{*impute, 0})
			}
		}
		if imputeIdx < len(cands) {
			cands[imputeIdx].n += nMiss
		}
	}
	order := make([]int, len(cands))
	for j := range order {
		order[j] = j
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(cands[b].n, cands[a].n), cmp.Compare(cands[a].level, cands[b].level))
	})
	k := min(len(cands), fd.maxCats)
	code := make([]int, len(cands)) // candidate → feature code
	for j := range code {
		code[j] = k
	}
	st.Levels = make([]string, k)
	st.Counts = make([]int64, k+1)
	for c, j := range order {
		if c < k {
			st.Levels[c] = cands[j].level
			code[j] = c
		}
		st.Counts[code[j]] += cands[j].n
	}
	if impute != nil {
		s := *impute
		st.ImputeLevel = &s
	}
	if !target {
		return nil
	}
	if priorN == 0 {
		return errors.New("target encoding: no labelled rows")
	}
	prior := priorSum / float64(priorN)
	st.Prior = &prior
	st.LabelSums = make([]float64, k+1)
	st.LabelCounts = make([]int64, k+1)
	for j := range nl {
		st.LabelSums[code[j]] += sum[j]
		st.LabelCounts[code[j]] += lab[j]
	}
	if impute != nil && imputeIdx < len(cands) {
		st.LabelSums[code[imputeIdx]] += sumMiss
		st.LabelCounts[code[imputeIdx]] += labMiss
	}
	return nil
}

// labelValues returns the spec's label column as numbers: numeric as is, boolean 1/0, a string
// label 1 for the positive level and 0 otherwise; NaN where the label is missing.
func labelValues(spec *Spec, f *frame.Frame) ([]float64, error) {
	if spec.Label == "" {
		return nil, errors.New("feature: the spec has no label")
	}
	col, ok := f.Column(spec.Label)
	if !ok {
		return nil, &FieldError{Field: spec.Label, Reason: "label not in the data"}
	}
	if spec.Positive != "" && col.Kind != frame.String {
		return nil, &FieldError{Field: spec.Label, Reason: fmt.Sprintf("positive applies to string labels; this one is %s", col.Kind)}
	}
	y := make([]float64, col.Len())
	switch col.Kind {
	case frame.Numeric:
		for i, v := range col.Num {
			if math.IsInf(v, 0) {
				return nil, &FieldError{Field: spec.Label, Reason: fmt.Sprintf("non-finite label (row %d)", i)}
			}
			y[i] = v
		}
	case frame.Bool:
		for i, b := range col.Bools {
			switch b {
			case 0, 1:
				y[i] = float64(b)
			default:
				y[i] = math.NaN()
			}
		}
	case frame.String:
		if spec.Positive == "" {
			return nil, &FieldError{Field: spec.Label, Reason: "a string label needs the spec's positive: level"}
		}
		pos := make([]float64, len(col.Dict))
		found := false
		for k, s := range col.Dict {
			if s == spec.Positive {
				pos[k], found = 1, true
			}
		}
		if !found {
			return nil, &FieldError{Field: spec.Label, Reason: fmt.Sprintf("positive level %q does not occur", spec.Positive)}
		}
		for i, c := range col.Codes {
			if c < 0 || int(c) >= len(pos) {
				y[i] = math.NaN()
			} else {
				y[i] = pos[c]
			}
		}
	default:
		return nil, &FieldError{Field: spec.Label, Reason: fmt.Sprintf("a %s column cannot be a label", col.Kind)}
	}
	return y, nil
}

// Label returns the label column of f as numbers, as Fit uses it for target encoding: a numeric
// label as is, a boolean 1/0, a string label 1 for the spec's positive level and 0 otherwise;
// NaN where the label is missing.
func (t *Transformer) Label(f *frame.Frame) ([]float64, error) {
	return labelValues(&t.spec, f)
}

// outOfFold overwrites the target-encoded columns of the training matrix with out-of-fold
// encodings.
func (ft *fitted) outOfFold(m *Matrix, opts FitOptions) error {
	folds := opts.Folds
	if folds == 0 {
		folds = DefaultFolds
	}
	t := ft.t
	for i := range t.plans {
		if ft.codes[i] == nil {
			continue
		}
		if folds < 2 {
			return fmt.Errorf("feature: fit: %d folds; want at least 2", folds)
		}
		if m.Rows < folds {
			return fmt.Errorf("feature: fit: %d rows are too few for %d-fold target encoding", m.Rows, folds)
		}
		p := &t.plans[i]
		fd := &t.lay.feats[i]
		fold := assignFolds(m.Rows, folds, opts.Seed)
		nc := int(p.k) + 1 // kept levels and __other__; unknown levels do not occur in training
		sums := make([]float64, folds*nc)
		ns := make([]int64, folds*nc)
		psum := make([]float64, folds)
		pn := make([]int64, folds)
		fc := make([]int32, m.Rows)
		for row, ic := range ft.codes[i] {
			c, err := p.code(ic)
			if err != nil {
				return fmt.Errorf("%w (row %d)", err, row)
			}
			fc[row] = c
			y := ft.y[row]
			if y != y {
				continue
			}
			k := fold[row]
			psum[k] += y
			pn[k]++
			if c >= 0 && int(c) < nc {
				sums[k*nc+int(c)] += y
				ns[k*nc+int(c)]++
			}
		}
		enc := make([]float64, folds*nc)
		for k := range folds {
			var ps float64
			var pc int64
			for j := range folds {
				if j != k {
					ps += psum[j]
					pc += pn[j]
				}
			}
			if pc == 0 {
				return fmt.Errorf("feature: fit %q: fold %d has no labelled rows outside it", fd.def.Name, k)
			}
			prior := ps / float64(pc)
			for c := range nc {
				var s float64
				var n int64
				for j := range folds {
					if j != k {
						s += sums[j*nc+c]
						n += ns[j*nc+c]
					}
				}
				enc[k*nc+c] = smoothedMean(s, n, prior, fd.smooth)
			}
		}
		for row, c := range fc {
			if c >= 0 && int(c) < nc {
				m.Data[row*m.Cols+p.out] = enc[fold[row]*nc+int(c)]
			}
		}
	}
	return nil
}

// assignFolds assigns each of n rows to one of k folds of (almost) equal size: a Fisher–Yates
// shuffle driven by SplitMix64, so the assignment depends only on n, k and seed.
func assignFolds(n, k int, seed uint64) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	state := seed
	for i := n - 1; i > 0; i-- {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		j := int(z % uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	fold := make([]int, n)
	for pos, row := range perm {
		fold[row] = pos % k
	}
	return fold
}
