package report

import (
	"bytes"
	"fmt"
	"html/template"
	"sync"

	"gonum.org/v1/plot/vg"

	"riskflow/internal/atomicfile"
)

// WriteHTML writes the report as one self-contained HTML file (inline CSS and SVG plots, no
// external resources) to path atomically.
func (r *Report) WriteHTML(path string) error {
	b, err := r.HTML()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}

// HTML renders the report as a self-contained HTML page.
func (r *Report) HTML() ([]byte, error) {
	figs, err := r.figures()
	if err != nil {
		return nil, err
	}
	svgs := make(map[string]template.HTML, len(figs))
	for _, f := range figs {
		w, h := 5.2*vg.Inch, 3.9*vg.Inch
		if f.key == "importance" {
			w, h = 9*vg.Inch, 4.6*vg.Inch
		}
		s, err := renderSVG(f.plot, w, h)
		if err != nil {
			return nil, err
		}
		// The SVG comes from gonum's writer, which escapes the text it draws.
		svgs[f.key] = template.HTML(s)
	}
	var dep []string
	for i := range r.dependence {
		dep = append(dep, fmt.Sprintf("dependence-%d", i+1))
	}
	data := struct {
		R                                          *Report
		SVG                                        map[string]template.HTML
		Headline                                   []metricRow
		Info                                       [][2]string
		LiftHeaders, SegmentHeaders                []string
		Lift, Segments, Stability, Compare         [][]string
		Dependence                                 []string
		ImportanceNote, DependenceNote, StabilNote string
		Paired, Decisions                          string
	}{
		R: r, SVG: svgs, Headline: r.headlineRows(), Info: r.infoRows(),
		LiftHeaders: liftHeaders, SegmentHeaders: segmentHeaders,
		Lift: r.liftRows(), Segments: r.segmentRows(), Stability: r.stabilityRows(),
		Dependence:     dep,
		ImportanceNote: importanceExplainer, DependenceNote: dependenceExplainer, StabilNote: stabilityExplainer,
	}
	if r.Comparison != nil {
		data.Compare, data.Paired, data.Decisions = r.comparisonRows(), r.pairedText(), r.decisionText()
	}
	var buf bytes.Buffer
	if err := htmlPage().Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("report: rendering HTML: %w", err)
	}
	return buf.Bytes(), nil
}

// htmlPage is parsed on first use, not at every start of the binary.
var htmlPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"pct":  func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
		"f4":   func(v float64) string { return fmt.Sprintf("%.4f", v) },
		"inc":  func(i int) int { return i + 1 },
		"flag": func(row []string) string { return row[len(row)-1] },
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Model performance report: {{.R.ModelName}}</title>
<style>
body { font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; color: #1d232b; margin: 0; background: #f4f6f9; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { color: #1f3f6a; margin-bottom: 2px; }
h2 { color: #1f3f6a; border-bottom: 2px solid #1f3f6a; padding-bottom: 4px; margin-top: 36px; }
h3 { color: #1f3f6a; margin-top: 22px; }
.sub { color: #555; margin-top: 0; }
.verdict { background: #f2f6fb; border-left: 4px solid #1f3f6a; padding: 10px 14px; line-height: 1.5; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 14px; }
th { background: #e8eef5; text-align: left; padding: 5px 10px; border-bottom: 1px solid #c8d0dc; }
td { padding: 4px 10px; border-bottom: 1px solid #e6e6e6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.minor td { background: #fdefcf; } tr.major td { background: #f8d7d7; }
.figs { display: flex; flex-wrap: wrap; gap: 14px; }
figure { margin: 0; border: 1px solid #ddd; padding: 4px; }
figure svg { display: block; max-width: 100%; height: auto; }
/* Liberation Sans, which the plots are laid out with, is metric-compatible with Arial. */
figure svg text { font-family: "Liberation Sans", Arial, Helvetica, sans-serif !important; }
.note { color: #444; font-size: 14px; line-height: 1.45; }
nav a { margin-right: 14px; color: #1f5fa8; }
</style>
</head>
<body>
<main>
<h1>Model performance report</h1>
<p class="sub">{{.R.ModelName}} &mdash; {{.R.ModelType}} model, version {{.R.Version}}</p>
<nav><a href="#summary">Summary</a><a href="#discrimination">Discrimination</a><a href="#calibration">Calibration and lift</a><a href="#importance">Drivers</a><a href="#stability">Stability</a>{{if .R.Segments}}<a href="#segments">Segments</a>{{end}}{{if .R.Comparison}}<a href="#comparison">Champion / challenger</a>{{end}}</nav>

<h2 id="summary">Summary</h2>
<div class="verdict">{{.R.Verdict}}</div>
<h3>Headline metrics on the test data</h3>
<table>
<tr><th>Metric</th><th class="num">Value</th><th>95% confidence interval</th><th>Interval method</th></tr>
{{range .Headline}}<tr><td>{{.Name}}</td><td class="num">{{.Value}}</td><td>{{.CI}}</td><td>{{.Method}}</td></tr>
{{end}}</table>
<h3>Model and data</h3>
<table>
{{range .Info}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>

<h2 id="discrimination">Discrimination</h2>
<p class="note">AUC {{f4 .R.Metrics.AUC}} (95% CI {{f4 .R.AUC.Lo}} to {{f4 .R.AUC.Hi}}), Gini {{f4 .R.Metrics.Gini}}, KS {{f4 .R.Metrics.KS}} at a score of {{f4 .R.Metrics.KSThreshold}}, average precision {{f4 .R.Metrics.AveragePrecision}} against {{f4 .R.Metrics.PositiveRate}} for a random score.</p>
<div class="figs">
<figure id="fig-roc">{{index .SVG "roc"}}</figure>
<figure id="fig-pr">{{index .SVG "pr"}}</figure>
<figure id="fig-ks">{{index .SVG "ks"}}</figure>
<figure id="fig-gains">{{index .SVG "gains"}}</figure>
</div>

<h2 id="calibration">Calibration, score distribution and lift</h2>
<p class="note">Mean predicted default probability {{pct .R.Metrics.MeanPrediction}} against an observed rate of {{pct .R.Metrics.PositiveRate}}; log-loss {{f4 .R.Metrics.LogLoss}}, Brier score {{f4 .R.Metrics.Brier}}, expected calibration error {{f4 .R.Metrics.ECE}}.</p>
<div class="figs">
<figure id="fig-reliability">{{index .SVG "reliability"}}</figure>
<figure id="fig-distribution">{{index .SVG "distribution"}}</figure>
</div>
<h3>Decile lift table (decile 1 holds the highest scores)</h3>
<table>
<tr>{{range .LiftHeaders}}<th class="num">{{.}}</th>{{end}}</tr>
{{range .Lift}}<tr>{{range .}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</table>

<h2 id="importance">What drives the model</h2>
<p class="note">{{.ImportanceNote}} SHAP values from {{.R.SHAPRows}} sampled test rows.</p>
<figure id="fig-importance">{{index .SVG "importance"}}</figure>
<table>
<tr><th class="num">Rank</th><th>Field</th><th class="num">Mean |SHAP|</th><th class="num">Gain share</th></tr>
{{range $i, $imp := .R.Importance}}<tr><td class="num">{{inc $i}}</td><td>{{$imp.Field}}</td><td class="num">{{f4 $imp.MeanAbsSHAP}}</td><td class="num">{{if eq $.R.ModelType "logistic"}}-{{else}}{{pct $imp.Gain}}{{end}}</td></tr>
{{end}}</table>
<h3>SHAP dependence of the top fields</h3>
<p class="note">{{.DependenceNote}}</p>
<div class="figs">
{{range .Dependence}}<figure>{{index $.SVG .}}</figure>
{{end}}</div>

<h2 id="stability">Stability: training vs test data</h2>
{{if .R.Stability.Available}}<p class="note">{{.StabilNote}} Training rows: {{.R.Stability.TrainRows}}; test rows: {{.R.Metrics.Rows}}.</p>
{{if .R.Stability.Note}}<p class="note">Note: {{.R.Stability.Note}}.</p>{{end}}
<table>
<tr><th>Quantity</th><th class="num">PSI</th><th>Shift</th></tr>
{{range .Stability}}<tr class="{{flag .}}"><td>{{index . 0}}</td><td class="num">{{index . 1}}</td><td>{{index . 2}}</td></tr>
{{end}}</table>
{{else}}<p class="note">Training data unavailable: {{.R.Stability.Note}}. Pass --train with the training file to compare the populations.</p>
{{end}}
{{if .R.Segments}}
<h2 id="segments">Performance by segment ({{.R.Segment}})</h2>
<table>
<tr>{{range $i, $h := .SegmentHeaders}}<th{{if $i}} class="num"{{end}}>{{$h}}</th>{{end}}</tr>
{{range .Segments}}<tr>{{range $i, $c := .}}<td{{if $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
{{end}}
{{with .R.Comparison}}
<h2 id="comparison">Champion / challenger</h2>
<p class="note">Challenger {{$.R.ModelName}} ({{$.R.ModelType}}, version {{$.R.Version}}) against champion {{.BaselineName}} ({{.BaselineType}}, version {{.BaselineVersion}}), scored on the same {{$.R.Metrics.Rows}} test rows.</p>
<table>
<tr><th>Metric</th><th class="num">{{$.R.ModelName}}</th><th class="num">{{.BaselineName}}</th><th class="num">Difference</th></tr>
{{range $.Compare}}<tr>{{range $i, $c := .}}<td{{if $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
<figure id="fig-compare-roc">{{index $.SVG "compare-roc"}}</figure>
<p class="note">{{$.Paired}}</p>
<p class="note">{{$.Decisions}}</p>
<div class="verdict">{{$.R.Verdict}}</div>
{{end}}
</main>
</body>
</html>
`))
})
