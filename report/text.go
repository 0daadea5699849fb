package report

import (
	"fmt"
	"math"
)

// Text shared by the PDF and HTML forms, so both say the same thing.

// metricRow is one line of the headline metrics table.
type metricRow struct {
	Name, Value, CI, Method string
}

func (r *Report) headlineRows() []metricRow {
	iv := func(key, name, format, method string) metricRow {
		v := r.Intervals[key]
		return metricRow{name, fmt.Sprintf(format, v.Value), fmt.Sprintf(format+" to "+format, v.Lo, v.Hi), method}
	}
	boot := fmt.Sprintf("bootstrap, %d resamples", r.Resamples)
	return []metricRow{
		{"AUC", fmt.Sprintf("%.4f", r.AUC.AUC), fmt.Sprintf("%.4f to %.4f", r.AUC.Lo, r.AUC.Hi), "DeLong"},
		iv("gini", "Gini", "%.4f", boot),
		iv("ks", "KS", "%.4f", boot),
		iv("average_precision", "PR-AUC (average precision)", "%.4f", boot),
		iv("log_loss", "Log-loss", "%.4f", boot),
		iv("brier", "Brier score", "%.5f", boot),
		iv("ece", "ECE (10 bins)", "%.4f", boot),
	}
}

// infoRows are the model facts of the summary page.
func (r *Report) infoRows() [][2]string {
	m := r.Metrics
	created := "unknown"
	if !r.CreatedAt.IsZero() {
		created = r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	train := r.TrainingPath
	if train == "" {
		train = "not recorded"
	}
	digest := r.TrainingSHA256
	if digest == "" {
		digest = "not recorded"
	}
	rows := [][2]string{
		{"Model", r.ModelName},
		{"Type", r.ModelType},
		{"Version (bundle digest)", r.Version},
		{"Created", created},
		{"Training data", train},
		{"Training data SHA-256", digest},
		{"Training rows", fmt.Sprintf("%d", r.TrainingRows)},
		{"Test rows", fmt.Sprintf("%d (%d defaults)", m.Rows, m.Positives)},
		{"Test default rate", fmt.Sprintf("%.2f%% (mean prediction %.2f%%)", 100*m.PositiveRate, 100*m.MeanPrediction)},
		{"Label", r.Label},
		{"Decision rule", r.ThresholdRule},
		{"Declined at the threshold", fmt.Sprintf("%.1f%% of test rows", 100*r.DeclineRate)},
	}
	if r.Comparison != nil {
		rows = append(rows, [2]string{"Baseline", fmt.Sprintf("%s (%s, %s)", r.Comparison.BaselineName, r.Comparison.BaselineType, r.Comparison.BaselineVersion)})
	}
	return rows
}

// liftRows formats the decile table.
func (r *Report) liftRows() [][]string {
	out := make([][]string, len(r.Lift))
	for i, l := range r.Lift {
		out[i] = []string{
			fmt.Sprint(l.Group), fmt.Sprint(l.Rows),
			fmt.Sprintf("%.4f", l.MinScore), fmt.Sprintf("%.4f", l.MaxScore),
			trimFloat(l.Positives), fmt.Sprintf("%.2f%%", 100*l.Rate), fmt.Sprintf("%.2f", l.Lift),
			fmt.Sprintf("%.1f%%", 100*l.Gains), fmt.Sprintf("%.2f", l.CumLift),
		}
	}
	return out
}

var liftHeaders = []string{"Decile", "Rows", "Min score", "Max score", "Defaults", "Default rate", "Lift", "Cum. gains", "Cum. lift"}

// trimFloat prints a count that may be fractional (tied scores split pro rata).
func trimFloat(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// comparisonRows are the side-by-side metrics of the champion/challenger section.
func (r *Report) comparisonRows() [][]string {
	c := r.Comparison
	a, b := r.Metrics, c.BaselineMetrics
	row := func(name, format string, x, y float64) []string {
		return []string{name, fmt.Sprintf(format, x), fmt.Sprintf(format, y), fmt.Sprintf("%+"+format[1:], x-y)}
	}
	return [][]string{
		row("AUC", "%.4f", a.AUC, b.AUC),
		row("Gini", "%.4f", a.Gini, b.Gini),
		row("KS", "%.4f", a.KS, b.KS),
		row("PR-AUC", "%.4f", a.AveragePrecision, b.AveragePrecision),
		row("Log-loss", "%.4f", a.LogLoss, b.LogLoss),
		row("Brier score", "%.5f", a.Brier, b.Brier),
		row("ECE", "%.4f", a.ECE, b.ECE),
		row("Mean prediction", "%.4f", a.MeanPrediction, b.MeanPrediction),
	}
}

func (r *Report) pairedText() string {
	t := r.Comparison.Paired
	return fmt.Sprintf("DeLong's paired test of equal AUC: AUC %.4f vs %.4f, z = %.3f, two-sided p = %s.",
		t.AUC1, t.AUC2, t.Z, pValue(t.P))
}

func (r *Report) decisionText() string {
	c := r.Comparison
	return fmt.Sprintf("Decline thresholds: %s at %.4g (%d declined), %s at %.4g (%d declined). "+
		"%d of %d decisions change: %d orders newly declined (%d of them defaulted) and %d newly accepted (%d of them defaulted).",
		r.ModelName, r.Threshold, c.ModelDeclines, c.BaselineName, c.BaselineThreshold, c.BaselineDeclines,
		c.DecisionChanges, r.Metrics.Rows, c.NewlyDeclined, c.NewlyDeclinedBads, c.NewlyAccepted, c.NewlyAcceptedBads)
}

func (r *Report) segmentRows() [][]string {
	out := make([][]string, len(r.Segments))
	for i, s := range r.Segments {
		auc := "n/a (one class)"
		if s.AUC != nil {
			auc = fmt.Sprintf("%.4f", *s.AUC)
		}
		out[i] = []string{s.Value, fmt.Sprint(s.Rows), fmt.Sprint(s.Positives), fmt.Sprintf("%.2f%%", 100*s.DefaultRate),
			fmt.Sprintf("%.2f%%", 100*s.MeanScore), auc}
	}
	return out
}

var segmentHeaders = []string{"Segment", "Rows", "Defaults", "Default rate", "Mean prediction", "AUC"}

const stabilityExplainer = "Population stability index (PSI) between the training data (expected) and the test data " +
	"(actual), over deciles of the training values for numbers and times and per level for categories. " +
	"Below 0.10: no significant shift; 0.10 to 0.25: minor shift; 0.25 and above: major shift."

const importanceExplainer = "Mean |SHAP| is the average absolute contribution of a field to the log-odds of default " +
	"(exact TreeSHAP for trees, w*(x - mean) for logistic regression), summed over the model columns the field feeds. " +
	"Gain is the field's share of the total split gain of the trees."

const dependenceExplainer = "Each point is one sampled order: the field's value against its SHAP contribution to the " +
	"log-odds of default (positive raises the risk). Categorical fields show the mean contribution of each of the " +
	"commonest levels, with the number of sampled orders in brackets."

func (r *Report) stabilityRows() [][]string {
	st := r.Stability
	var out [][]string
	if st.Score != nil {
		out = append(out, []string{"score (model output)", fmt.Sprintf("%.4f", st.Score.PSI), st.Score.Flag})
	}
	for _, d := range st.Features {
		out = append(out, []string{d.Field, fmt.Sprintf("%.4f", d.PSI), d.Flag})
	}
	return out
}
