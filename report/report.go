package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"riskflow/bundle"
	"riskflow/eval"
	"riskflow/frame"
	"riskflow/gbt"
)

// Defaults of the optional Input fields.
const (
	DefaultResamples   = 200  // bootstrap resamples per interval
	DefaultSHAPRows    = 2000 // rows sampled for SHAP importance and dependence
	DefaultDeclineRate = 0.10 // share of rows declined when no threshold is given
	maxSegments        = 20   // segment values listed; the rest are pooled as "(other)"
	topDependence      = 4    // fields with a SHAP dependence plot
)

// Input says what to report on.
type Input struct {
	// Model is the bundle under test (the challenger when Baseline is set). Required.
	Model *bundle.Bundle
	// ModelName names it in the report (default: Model.Meta.Name, else "model").
	ModelName string
	// Baseline, if set, is the champion the model is compared with on the same rows.
	Baseline     *bundle.Bundle
	BaselineName string
	// Data holds the labelled test rows. Required.
	Data *frame.Frame
	// Train holds the training rows for the stability section; nil: stability unavailable.
	Train *frame.Frame
	// TrainNote says why Train is nil (shown in the stability section), or where it came from.
	TrainNote string
	// Label is the label column (default: Model.Meta.Label).
	Label string
	// Positive is the label value meaning default for a text label (default: Model.Meta.Positive).
	Positive string
	// Segment, if set, is a column of Data to break the metrics down by.
	Segment string
	// Threshold is the default probability at or above which an order is declined; 0 means
	// each model declines its riskiest 10% of rows.
	Threshold float64
	// Seed seeds the bootstrap and the SHAP sample.
	Seed uint64
	// Resamples is the number of bootstrap resamples (default DefaultResamples).
	Resamples int
	// SHAPRows caps the rows explained (default DefaultSHAPRows).
	SHAPRows int
}

// Interval is a metric with its 95% confidence interval.
type Interval struct {
	Value  float64 `json:"value"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Method string  `json:"method"` // "delong" or "bootstrap"
}

// Importance is one raw input field's importance.
type Importance struct {
	Field string `json:"field"`
	// Gain is the field's share of the model's total split gain (trees only; 0 for logistic).
	Gain float64 `json:"gain"`
	// MeanAbsSHAP is the mean absolute SHAP value of the field, in log-odds.
	MeanAbsSHAP float64 `json:"mean_abs_shap"`
}

// Drift is the population stability index of one quantity between training and test data.
type Drift struct {
	Field string  `json:"field"`
	PSI   float64 `json:"psi"`
	Flag  string  `json:"flag"` // "ok", "minor" or "major"
}

// Stability is the stability section.
type Stability struct {
	Available bool    `json:"available"`
	Note      string  `json:"note,omitempty"`
	TrainRows int     `json:"train_rows,omitempty"`
	Score     *Drift  `json:"score,omitempty"`
	Features  []Drift `json:"features,omitempty"`
}

// SegmentRow is one value of the segment column.
type SegmentRow struct {
	Value       string   `json:"value"`
	Rows        int      `json:"rows"`
	Positives   int      `json:"positives"`
	DefaultRate float64  `json:"default_rate"`
	MeanScore   float64  `json:"mean_score"`
	AUC         *float64 `json:"auc"` // null when the segment lacks a class
}

// Comparison is the champion/challenger section: the baseline against the model on the same rows.
type Comparison struct {
	BaselineName    string           `json:"baseline_name"`
	BaselineType    string           `json:"baseline_type"`
	BaselineVersion string           `json:"baseline_version"`
	BaselineMetrics eval.Metrics     `json:"baseline_metrics"`
	BaselineAUC     eval.AUCInterval `json:"baseline_auc"`
	// Paired is DeLong's test of equal AUC; AUC1 is the model's, AUC2 the baseline's.
	Paired eval.PairedTest `json:"paired"`
	// BaselineThreshold is the baseline's decline threshold (equal to Report.Threshold when
	// one was given).
	BaselineThreshold float64 `json:"baseline_threshold"`
	ModelDeclines     int     `json:"model_declines"`
	BaselineDeclines  int     `json:"baseline_declines"`
	// DecisionChanges counts rows accepted by one model and declined by the other.
	DecisionChanges int `json:"decision_changes"`
	NewlyDeclined   int `json:"newly_declined"` // declined by the model, accepted by the baseline
	NewlyAccepted   int `json:"newly_accepted"` // accepted by the model, declined by the baseline
	// Bads among the newly declined and newly accepted rows.
	NewlyDeclinedBads int `json:"newly_declined_bads"`
	NewlyAcceptedBads int `json:"newly_accepted_bads"`
}

// Report is a built performance report. Its exported fields are what WriteJSON writes.
type Report struct {
	ModelName      string    `json:"model_name"`
	ModelType      string    `json:"model_type"`
	Version        string    `json:"version"` // first 12 hex digits of the bundle digest
	TrainingPath   string    `json:"training_path,omitempty"`
	TrainingSHA256 string    `json:"training_sha256,omitempty"`
	TrainingRows   int       `json:"training_rows"`
	CreatedAt      time.Time `json:"created_at"`
	Label          string    `json:"label"`
	Segment        string    `json:"segment,omitempty"`
	Seed           uint64    `json:"seed"`
	Resamples      int       `json:"resamples"`

	// Metrics are the model's headline metrics on the test rows.
	Metrics eval.Metrics `json:"metrics"`
	// AUC is the AUC with DeLong's 95% interval.
	AUC eval.AUCInterval `json:"auc"`
	// Intervals holds 95% bootstrap intervals, keyed gini, ks, log_loss, brier,
	// average_precision and ece.
	Intervals map[string]Interval `json:"intervals"`

	Calibration []eval.Bin     `json:"calibration"`
	Lift        []eval.LiftRow `json:"lift"`
	// Threshold is the model's decline threshold and DeclineRate the share of rows it declines.
	Threshold   float64 `json:"threshold"`
	DeclineRate float64 `json:"decline_rate"`
	// ThresholdRule says how Threshold was chosen.
	ThresholdRule string `json:"threshold_rule"`

	Importance []Importance `json:"importance"`
	SHAPRows   int          `json:"shap_rows"`
	Stability  Stability    `json:"stability"`
	Segments   []SegmentRow `json:"segments,omitempty"`
	Comparison *Comparison  `json:"comparison,omitempty"`
	Verdict    string       `json:"verdict"`

	// Kept for the plots.
	y, p, baseP []float64
	roc, pr     eval.Curve
	baseROC     eval.Curve
	ks          eval.KSCurve
	dependence  []dependence
}

// dependence holds one field's SHAP values against its values, for a dependence plot.
type dependence struct {
	field      string
	numeric    bool
	time       bool      // x holds Unix seconds
	x          []float64 // numeric values (NaN: missing, not plotted)
	categories []string  // categorical: category per row
	phi        []float64
}

// Build scores the test data with the model (and the baseline) and computes every section.
func Build(ctx context.Context, in Input) (*Report, error) {
	b := in.Model
	if b == nil {
		return nil, errors.New("report: no model")
	}
	if in.Data == nil || in.Data.Len() == 0 {
		return nil, errors.New("report: no test rows")
	}
	if in.Threshold < 0 || in.Threshold >= 1 || math.IsNaN(in.Threshold) {
		return nil, fmt.Errorf("report: threshold %v: want a probability in (0, 1), or 0 for the riskiest 10%%", in.Threshold)
	}
	if in.Resamples == 0 {
		in.Resamples = DefaultResamples
	}
	if in.SHAPRows == 0 {
		in.SHAPRows = DefaultSHAPRows
	}
	if in.Resamples < 1 || in.SHAPRows < 1 {
		return nil, fmt.Errorf("report: resamples %d and SHAP rows %d must be positive", in.Resamples, in.SHAPRows)
	}
	label := in.Label
	if label == "" {
		label = b.Meta.Label
	}
	if label == "" {
		label = b.Transformer.Spec().Label
	}
	if label == "" {
		return nil, errors.New("report: no label column: the bundle names none, so give one")
	}
	positive := in.Positive
	if positive == "" {
		positive = b.Meta.Positive
	}
	if positive == "" {
		positive = b.Transformer.Spec().Positive
	}
	y, err := Labels(in.Data, label, positive)
	if err != nil {
		return nil, err
	}
	p := make([]float64, in.Data.Len())
	if err := b.ScoreFrame(ctx, in.Data, p); err != nil {
		return nil, fmt.Errorf("report: scoring the test data: %w", err)
	}

	r := &Report{
		ModelName:      name(in.ModelName, b, "model"),
		ModelType:      b.Meta.ModelType,
		Version:        version(b),
		TrainingPath:   b.Meta.Training.Path,
		TrainingSHA256: b.Meta.Training.SHA256,
		TrainingRows:   b.Meta.Training.Rows,
		CreatedAt:      b.Meta.CreatedAt,
		Label:          label,
		Segment:        in.Segment,
		Seed:           in.Seed,
		Resamples:      in.Resamples,
		y:              y,
		p:              p,
	}
	if r.Metrics, err = eval.Compute(y, p); err != nil {
		return nil, fmt.Errorf("report: metrics of %s: %w", r.ModelName, err)
	}
	if r.AUC, err = eval.DeLongCI(y, p, 0.95); err != nil {
		// One positive or one negative: the variance is undefined; say so with [0, 1].
		r.AUC = eval.AUCInterval{AUC: r.Metrics.AUC, Lo: 0, Hi: 1, Level: 0.95}
	}
	r.Intervals = bootstrapIntervals(y, p, in.Resamples, in.Seed)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.roc, err = eval.ROCCurve(y, p); err != nil {
		return nil, fmt.Errorf("report: ROC curve: %w", err)
	}
	r.roc = r.roc.Simplify()
	if r.pr, err = eval.PRCurve(y, p); err != nil {
		return nil, fmt.Errorf("report: PR curve: %w", err)
	}
	if r.ks, err = eval.KSStat(y, p); err != nil {
		return nil, fmt.Errorf("report: KS: %w", err)
	}
	if r.Calibration, err = eval.CalibrationBins(y, p, 10); err != nil {
		return nil, fmt.Errorf("report: calibration: %w", err)
	}
	groups := min(10, len(y))
	if r.Lift, err = eval.Lift(y, p, groups); err != nil {
		return nil, fmt.Errorf("report: lift: %w", err)
	}
	if in.Threshold > 0 {
		r.Threshold = in.Threshold
		r.ThresholdRule = fmt.Sprintf("decline at probability %.4g or more (given)", in.Threshold)
	} else {
		r.Threshold = declineThreshold(p, DefaultDeclineRate)
		r.ThresholdRule = fmt.Sprintf("decline the riskiest %.0f%%: probability %.4g or more", 100*DefaultDeclineRate, r.Threshold)
	}
	r.DeclineRate = float64(countAtLeast(p, r.Threshold)) / float64(len(p))

	if err := r.importance(ctx, in, b); err != nil {
		return nil, err
	}
	if err := r.stability(ctx, in, b); err != nil {
		return nil, err
	}
	if in.Segment != "" {
		if err := r.segments(in.Data, in.Segment); err != nil {
			return nil, err
		}
	}
	if in.Baseline != nil {
		if err := r.compare(ctx, in); err != nil {
			return nil, err
		}
	}
	r.Verdict = r.verdict()
	return r, nil
}

func name(given string, b *bundle.Bundle, fallback string) string {
	switch {
	case given != "":
		return given
	case b.Meta.Name != "":
		return b.Meta.Name
	}
	return fallback
}

// version is the first 12 hex digits of the bundle's digest.
func version(b *bundle.Bundle) string {
	d := b.Digest()
	if len(d) > 12 {
		d = d[:12]
	}
	if d == "" {
		return "unsaved"
	}
	return d
}

// bootstrapIntervals runs the bootstraps concurrently, each with its own seed.
func bootstrapIntervals(y, p []float64, n int, seed uint64) map[string]Interval {
	metrics := []struct {
		key string
		m   eval.Metric
	}{
		{"gini", eval.Gini},
		{"ks", eval.KS},
		{"log_loss", eval.LogLoss},
		{"brier", eval.Brier},
		{"average_precision", eval.AveragePrecision},
		{"ece", func(y, p []float64) float64 { return eval.ECE(y, p, 10) }},
	}
	out := make(map[string]Interval, len(metrics))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, m := range metrics {
		wg.Go(func() {
			lo, hi := eval.Bootstrap(y, p, m.m, n, seed+uint64(i)*0x9e3779b97f4a7c15)
			iv := Interval{Value: m.m(y, p), Lo: finite(lo), Hi: finite(hi), Method: "bootstrap"}
			mu.Lock()
			out[m.key] = iv
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// finite maps NaN (an undefined bound) to 0 so the JSON stays valid.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// declineThreshold returns the lowest score among the riskiest share of rows.
func declineThreshold(p []float64, share float64) float64 {
	s := slices.Clone(p)
	slices.Sort(s)
	k := int(math.Ceil(share * float64(len(s))))
	k = max(1, min(k, len(s)))
	return s[len(s)-k]
}

func countAtLeast(p []float64, t float64) int {
	n := 0
	for _, v := range p {
		if v >= t {
			n++
		}
	}
	return n
}

// importance computes gain and mean |SHAP| per raw field, and the dependence data of the top fields.
func (r *Report) importance(ctx context.Context, in Input, b *bundle.Bundle) error {
	n := in.Data.Len()
	rows := sampleRows(n, in.SHAPRows, in.Seed)
	sample := in.Data.Take(rows)
	x, err := b.Transformer.Transform(sample)
	if err != nil {
		return fmt.Errorf("report: transforming the SHAP sample: %w", err)
	}
	outs := b.Transformer.Outputs()
	var fields []string
	index := map[string]int{}
	group := make([]int, len(outs))
	for j, o := range outs {
		g, ok := index[o.Source]
		if !ok {
			g = len(fields)
			index[o.Source] = g
			fields = append(fields, o.Source)
		}
		group[j] = g
	}
	gain := make([]float64, len(fields))
	if b.GBT != nil {
		imp := b.GBT.Importance(gbt.TotalGain)
		total := 0.0
		for j, v := range imp {
			gain[group[j]] += v
			total += v
		}
		if total > 0 {
			for g := range gain {
				gain[g] /= total
			}
		}
	}
	phi := make([]float64, len(outs))
	grouped := make([]float64, len(fields))
	perField := make([][]float64, len(fields)) // SHAP per sampled row
	for g := range perField {
		perField[g] = make([]float64, x.Rows)
	}
	var ex *gbt.Explainer
	if b.GBT != nil {
		ex = b.GBT.NewExplainer()
	}
	for i := 0; i < x.Rows; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row := x.Row(i)
		clear(phi)
		switch {
		case ex != nil:
			ex.SHAP(row, phi)
		case b.Linear != nil:
			b.Linear.Contributions(row, phi)
		}
		grouped = gbt.GroupContributions(phi, group, grouped)
		for g, v := range grouped {
			perField[g][i] = v
		}
	}
	r.SHAPRows = x.Rows
	r.Importance = make([]Importance, len(fields))
	for g, f := range fields {
		s := 0.0
		for _, v := range perField[g] {
			s += math.Abs(v)
		}
		r.Importance[g] = Importance{Field: f, Gain: gain[g], MeanAbsSHAP: s / float64(max(1, x.Rows))}
	}
	order := make([]int, len(fields))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, c int) bool {
		ia, ic := r.Importance[order[a]], r.Importance[order[c]]
		if ia.MeanAbsSHAP != ic.MeanAbsSHAP {
			return ia.MeanAbsSHAP > ic.MeanAbsSHAP
		}
		return ia.Field < ic.Field
	})
	sorted := make([]Importance, len(order))
	for i, g := range order {
		sorted[i] = r.Importance[g]
	}
	r.Importance = sorted

	// Dependence data for the top fields: the raw column if the sample has it, else the first
	// model column the field feeds.
	for _, g := range order[:min(topDependence, len(order))] {
		d := dependence{field: fields[g], phi: perField[g]}
		if col, ok := sample.Column(fields[g]); ok {
			switch col.Kind {
			case frame.Numeric:
				d.numeric, d.x = true, col.Num
			case frame.String, frame.Bool:
				d.categories = make([]string, col.Len())
				for i := range d.categories {
					d.categories[i] = levelAt(col, i)
				}
			case frame.Time:
				d.numeric, d.time = true, true
				d.x = make([]float64, col.Len())
				for i, t := range col.Times {
					d.x[i] = timeValue(t)
				}
			}
		} else {
			j := slices.Index(group, g)
			d.numeric = true
			d.x = make([]float64, x.Rows)
			for i := range d.x {
				d.x[i] = x.At(i, j)
			}
		}
		r.dependence = append(r.dependence, d)
	}
	return nil
}

// sampleRows returns up to k distinct row indexes of n, seeded, in ascending order.
func sampleRows(n, k int, seed uint64) []int {
	if k >= n {
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		return rows
	}
	rng := rand.New(rand.NewPCG(seed, 0x73686170))
	rows := rng.Perm(n)[:k]
	slices.Sort(rows)
	return rows
}

// levelAt is a categorical or boolean value as text, "(missing)" when missing.
func levelAt(c *frame.Column, i int) string {
	if c.IsMissing(i) {
		return "(missing)"
	}
	if c.Kind == frame.String {
		s, _ := c.StringAt(i)
		return s
	}
	return c.Format(i)
}

// timeValue is a time as Unix seconds, NaN when missing.
func timeValue(t int64) float64 {
	if t == frame.TimeMissing {
		return math.NaN()
	}
	return float64(t) / float64(time.Second)
}

// stability computes PSI of the score and of every raw input between Train and Data.
func (r *Report) stability(ctx context.Context, in Input, b *bundle.Bundle) error {
	st := &r.Stability
	st.Note = in.TrainNote
	if in.Train == nil || in.Train.Len() == 0 {
		if st.Note == "" {
			st.Note = "training data unavailable"
		}
		return nil
	}
	st.Available = true
	st.TrainRows = in.Train.Len()
	tp := make([]float64, in.Train.Len())
	if err := b.ScoreFrame(ctx, in.Train, tp); err != nil {
		return fmt.Errorf("report: scoring the training data: %w", err)
	}
	res, err := eval.PSI(tp, r.p, 10)
	if err != nil {
		return fmt.Errorf("report: score PSI: %w", err)
	}
	st.Score = &Drift{Field: "score", PSI: res.Value, Flag: psiFlag(res.Value)}
	var missing []string
	for _, input := range b.Transformer.Inputs() {
		tc, ok1 := in.Train.Column(input.Name)
		dc, ok2 := in.Data.Column(input.Name)
		if !ok1 || !ok2 || tc.Kind != dc.Kind {
			missing = append(missing, input.Name)
			continue
		}
		var res eval.PSIResult
		switch tc.Kind {
		case frame.Numeric:
			res, err = eval.PSI(tc.Num, dc.Num, 10)
		case frame.Time:
			res, err = eval.PSI(timeValues(tc), timeValues(dc), 10)
		default:
			res, err = eval.CategoricalPSI(levels(tc), levels(dc))
		}
		if err != nil {
			return fmt.Errorf("report: PSI of %s: %w", input.Name, err)
		}
		st.Features = append(st.Features, Drift{Field: input.Name, PSI: res.Value, Flag: psiFlag(res.Value)})
	}
	if len(missing) > 0 {
		note := "not compared (column absent or of another kind in one of the data sets): " + strings.Join(missing, ", ")
		if st.Note != "" {
			note = st.Note + "; " + note
		}
		st.Note = note
	}
	return nil
}

func timeValues(c *frame.Column) []float64 {
	v := make([]float64, len(c.Times))
	for i, t := range c.Times {
		v[i] = timeValue(t)
	}
	return v
}

func levels(c *frame.Column) []string {
	v := make([]string, c.Len())
	for i := range v {
		v[i] = levelAt(c, i)
	}
	return v
}

// psiFlag classifies a PSI value by the conventional thresholds.
func psiFlag(psi float64) string {
	switch {
	case psi >= eval.PSIMajor:
		return "major"
	case psi >= eval.PSIMinor:
		return "minor"
	}
	return "ok"
}

// segments breaks the metrics down by the values of column seg.
func (r *Report) segments(f *frame.Frame, seg string) error {
	col, ok := f.Column(seg)
	if !ok {
		return fmt.Errorf("report: no segment column %q (columns: %s)", seg, strings.Join(f.Schema().Names(), ", "))
	}
	byValue := map[string][]int{}
	for i := 0; i < f.Len(); i++ {
		v := "(missing)"
		if !col.IsMissing(i) {
			v = col.Format(i)
		}
		byValue[v] = append(byValue[v], i)
	}
	values := make([]string, 0, len(byValue))
	for v := range byValue {
		values = append(values, v)
	}
	sort.Slice(values, func(a, b int) bool {
		na, nb := len(byValue[values[a]]), len(byValue[values[b]])
		if na != nb {
			return na > nb
		}
		return values[a] < values[b]
	})
	if len(values) > maxSegments {
		var other []int
		for _, v := range values[maxSegments-1:] {
			other = append(other, byValue[v]...)
		}
		slices.Sort(other)
		values = append(values[:maxSegments-1:maxSegments-1], "(other)")
		byValue["(other)"] = other
	}
	for _, v := range values {
		rows := byValue[v]
		ys := make([]float64, len(rows))
		ps := make([]float64, len(rows))
		pos, sum := 0, 0.0
		for k, i := range rows {
			ys[k], ps[k] = r.y[i], r.p[i]
			if r.y[i] == 1 {
				pos++
			}
			sum += r.p[i]
		}
		row := SegmentRow{Value: v, Rows: len(rows), Positives: pos,
			DefaultRate: float64(pos) / float64(len(rows)), MeanScore: sum / float64(len(rows))}
		if auc := eval.AUC(ys, ps); !math.IsNaN(auc) {
			row.AUC = &auc
		}
		r.Segments = append(r.Segments, row)
	}
	return nil
}

// compare scores the baseline on the same rows and fills the champion/challenger section.
func (r *Report) compare(ctx context.Context, in Input) error {
	base := in.Baseline
	bp := make([]float64, len(r.p))
	if err := base.ScoreFrame(ctx, in.Data, bp); err != nil {
		return fmt.Errorf("report: scoring the test data with the baseline: %w", err)
	}
	c := &Comparison{
		BaselineName:    name(in.BaselineName, base, "baseline"),
		BaselineType:    base.Meta.ModelType,
		BaselineVersion: version(base),
	}
	var err error
	if c.BaselineMetrics, err = eval.Compute(r.y, bp); err != nil {
		return fmt.Errorf("report: metrics of the baseline: %w", err)
	}
	if c.BaselineAUC, err = eval.DeLongCI(r.y, bp, 0.95); err != nil {
		c.BaselineAUC = eval.AUCInterval{AUC: c.BaselineMetrics.AUC, Lo: 0, Hi: 1, Level: 0.95}
	}
	if c.Paired, err = eval.DeLongPaired(r.y, r.p, bp); err != nil {
		return fmt.Errorf("report: paired DeLong test: %w", err)
	}
	if r.baseROC, err = eval.ROCCurve(r.y, bp); err != nil {
		return fmt.Errorf("report: baseline ROC curve: %w", err)
	}
	r.baseROC = r.baseROC.Simplify()
	if in.Threshold > 0 {
		c.BaselineThreshold = in.Threshold
	} else {
		c.BaselineThreshold = declineThreshold(bp, DefaultDeclineRate)
	}
	for i := range bp {
		dm, db := r.p[i] >= r.Threshold, bp[i] >= c.BaselineThreshold
		if dm {
			c.ModelDeclines++
		}
		if db {
			c.BaselineDeclines++
		}
		switch {
		case dm && !db:
			c.NewlyDeclined++
			if r.y[i] == 1 {
				c.NewlyDeclinedBads++
			}
		case db && !dm:
			c.NewlyAccepted++
			if r.y[i] == 1 {
				c.NewlyAcceptedBads++
			}
		}
	}
	c.DecisionChanges = c.NewlyDeclined + c.NewlyAccepted
	r.baseP = bp
	r.Comparison = c
	return nil
}

// verdict is the plain-language conclusion of the report.
func (r *Report) verdict() string {
	m := r.Metrics
	var s strings.Builder
	if c := r.Comparison; c != nil {
		t := c.Paired
		diff := t.AUC1 - t.AUC2
		fmt.Fprintf(&s, "%s against %s on the same %d rows: AUC %.3f vs %.3f (difference %+.3f, DeLong p = %s). ",
			r.ModelName, c.BaselineName, m.Rows, t.AUC1, t.AUC2, diff, pValue(t.P))
		switch {
		case t.P < 0.05 && diff > 0:
			fmt.Fprintf(&s, "%s ranks risk significantly better; replacing %s is supported by the data. ", r.ModelName, c.BaselineName)
		case t.P < 0.05 && diff < 0:
			fmt.Fprintf(&s, "%s ranks risk significantly worse; keep %s. ", r.ModelName, c.BaselineName)
		default:
			s.WriteString("The difference in ranking is not statistically significant at the 5% level; decide on calibration, stability and cost, not on AUC. ")
		}
		better := "lower (better)"
		if m.LogLoss > c.BaselineMetrics.LogLoss {
			better = "higher (worse)"
		}
		fmt.Fprintf(&s, "Its log-loss is %s: %.4f vs %.4f. ", better, m.LogLoss, c.BaselineMetrics.LogLoss)
		fmt.Fprintf(&s, "At the decline thresholds, %d of %d decisions change (%d newly declined, of which %d bad; %d newly accepted, of which %d bad).",
			c.DecisionChanges, m.Rows, c.NewlyDeclined, c.NewlyDeclinedBads, c.NewlyAccepted, c.NewlyAcceptedBads)
		return s.String()
	}
	quality := "weak"
	switch {
	case m.AUC >= 0.8:
		quality = "strong"
	case m.AUC >= 0.7:
		quality = "good"
	case m.AUC >= 0.6:
		quality = "modest"
	}
	fmt.Fprintf(&s, "%s ranks risk with %s discrimination: AUC %.3f (95%% CI %.3f to %.3f), Gini %.3f, KS %.3f. ",
		r.ModelName, quality, m.AUC, r.AUC.Lo, r.AUC.Hi, m.Gini, m.KS)
	fmt.Fprintf(&s, "It predicts a mean default probability of %.2f%% against an observed rate of %.2f%% (ECE %.4f). ",
		100*m.MeanPrediction, 100*m.PositiveRate, m.ECE)
	if r.Stability.Available {
		var minor, major []string
		for _, d := range r.Stability.Features {
			switch d.Flag {
			case "minor":
				minor = append(minor, d.Field)
			case "major":
				major = append(major, d.Field)
			}
		}
		fmt.Fprintf(&s, "Score PSI against the training data is %.3f (%s)", r.Stability.Score.PSI, r.Stability.Score.Flag)
		if len(major)+len(minor) == 0 {
			s.WriteString("; no input field drifted.")
		} else {
			fmt.Fprintf(&s, "; %d input fields drifted significantly and %d slightly.", len(major), len(minor))
		}
	} else {
		s.WriteString("Stability against the training data was not assessed (training data unavailable).")
	}
	return s.String()
}

// pValue formats a p-value.
func pValue(p float64) string {
	if p < 0.0001 {
		return "< 0.0001"
	}
	return fmt.Sprintf("%.4f", p)
}
