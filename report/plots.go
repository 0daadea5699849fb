package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"riskflow/eval"
)

// Plot colours: the model, the baseline, defaulters/payers, reference lines.
var (
	colModel    = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	colBaseline = color.RGBA{R: 0xe0, G: 0x7b, B: 0x1a, A: 0xff}
	colBad      = color.RGBA{R: 0xc0, G: 0x2b, B: 0x2b, A: 0xff}
	colGood     = color.RGBA{R: 0x2e, G: 0x8b, B: 0x57, A: 0xff}
	colRef      = color.RGBA{R: 0x90, G: 0x90, B: 0x90, A: 0xff}
	colGrid     = color.RGBA{R: 0xe4, G: 0xe4, B: 0xe4, A: 0xff}
	colPoint    = color.NRGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0x70}
)

// maxPlotPoints caps the points of a drawn line or scatter, so SVGs stay small.
const maxPlotPoints = 600

// figure is one plot of the report with a key for files and anchors.
type figure struct {
	key   string
	title string
	plot  *plot.Plot
}

// figures builds every plot of the report, in report order. Dependence plots follow the
// importance chart; the comparison ROC comes last.
func (r *Report) figures() ([]figure, error) {
	type build struct {
		key, title string
		fn         func() (*plot.Plot, error)
	}
	builds := []build{
		{"roc", "ROC curve", r.rocPlot},
		{"pr", "Precision-recall curve", r.prPlot},
		{"ks", "KS curve", r.ksPlot},
		{"gains", "Cumulative gains", r.gainsPlot},
		{"reliability", "Reliability diagram", r.reliabilityPlot},
		{"distribution", "Score distributions", r.distributionPlot},
		{"importance", "Feature importance", r.importancePlot},
	}
	for i := range r.dependence {
		d := &r.dependence[i]
		builds = append(builds, build{"dependence-" + fmt.Sprint(i+1), "SHAP dependence: " + d.field,
			func() (*plot.Plot, error) { return dependencePlot(d) }})
	}
	if r.Comparison != nil {
		builds = append(builds, build{"compare-roc", "ROC: model vs baseline", r.compareROCPlot})
	}
	figs := make([]figure, 0, len(builds))
	for _, b := range builds {
		p, err := b.fn()
		if err != nil {
			return nil, fmt.Errorf("report: plot %s: %w", b.key, err)
		}
		figs = append(figs, figure{key: b.key, title: b.title, plot: p})
	}
	return figs, nil
}

// newPlot returns a plot with the report's common style.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		st.Font.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(9)
		a.Tick.Label.Font.Size = vg.Points(8)
		a.Padding = vg.Points(2)
	}
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.ThumbnailWidth = vg.Points(14)
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = colGrid, colGrid
	p.Add(g)
	return p
}

// unitAxes fixes both axes to [0, 1].
func unitAxes(p *plot.Plot) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
}

// line adds a line through xy with colour c, dashed when dashed, and a legend entry if name
// is not empty.
func line(p *plot.Plot, xy plotter.XYer, c color.Color, width float64, dashed bool, name string) error {
	l, err := plotter.NewLine(thin(xy))
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(width)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// thin keeps at most maxPlotPoints points of a curve, always the first and the last.
func thin(xy plotter.XYer) plotter.XYs {
	n := xy.Len()
	step := 1
	if n > maxPlotPoints {
		step = (n + maxPlotPoints - 1) / maxPlotPoints
	}
	out := make(plotter.XYs, 0, n/step+2)
	for i := 0; i < n; i += step {
		x, y := xy.XY(i)
		out = append(out, plotter.XY{X: x, Y: y})
	}
	if (n-1)%step != 0 {
		x, y := xy.XY(n - 1)
		out = append(out, plotter.XY{X: x, Y: y})
	}
	return out
}

func diagonal(p *plot.Plot, name string) error {
	return line(p, plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, colRef, 0.8, true, name)
}

func (r *Report) rocPlot() (*plot.Plot, error) {
	p := newPlot("ROC curve", "False-positive rate (payers declined)", "True-positive rate (defaulters declined)")
	unitAxes(p)
	if err := diagonal(p, "random"); err != nil {
		return nil, err
	}
	if err := line(p, r.roc, colModel, 1.6, false, fmt.Sprintf("%s (AUC %.3f)", r.ModelName, r.Metrics.AUC)); err != nil {
		return nil, err
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), vg.Points(4)
	return p, nil
}

func (r *Report) compareROCPlot() (*plot.Plot, error) {
	p := newPlot("ROC: model vs baseline", "False-positive rate", "True-positive rate")
	unitAxes(p)
	if err := diagonal(p, "random"); err != nil {
		return nil, err
	}
	c := r.Comparison
	if err := line(p, r.baseROC, colBaseline, 1.6, false, fmt.Sprintf("%s (AUC %.3f)", c.BaselineName, c.BaselineMetrics.AUC)); err != nil {
		return nil, err
	}
	if err := line(p, r.roc, colModel, 1.6, false, fmt.Sprintf("%s (AUC %.3f)", r.ModelName, r.Metrics.AUC)); err != nil {
		return nil, err
	}
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), vg.Points(4)
	return p, nil
}

func (r *Report) prPlot() (*plot.Plot, error) {
	p := newPlot("Precision-recall curve", "Recall (share of defaulters caught)", "Precision (share of declines that default)")
	unitAxes(p)
	rate := r.Metrics.PositiveRate
	if err := line(p, plotter.XYs{{X: 0, Y: rate}, {X: 1, Y: rate}}, colRef, 0.8, true, fmt.Sprintf("random (%.3f)", rate)); err != nil {
		return nil, err
	}
	if err := line(p, r.pr, colModel, 1.6, false, fmt.Sprintf("%s (AP %.3f)", r.ModelName, r.Metrics.AveragePrecision)); err != nil {
		return nil, err
	}
	p.Legend.Top = true
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), -vg.Points(4)
	return p, nil
}

// ksXY is one cumulative distribution of a KS curve as an XYer.
type ksXY struct {
	k   *eval.KSCurve
	pos bool
}

func (c ksXY) Len() int { return len(c.k.Thresholds) }
func (c ksXY) XY(i int) (float64, float64) {
	if c.pos {
		return c.k.Thresholds[i], c.k.CumPos[i]
	}
	return c.k.Thresholds[i], c.k.CumNeg[i]
}

func (r *Report) ksPlot() (*plot.Plot, error) {
	p := newPlot("KS curve", "Score (default probability)", "Cumulative share at or below score")
	p.Y.Min, p.Y.Max = 0, 1
	if err := line(p, ksXY{&r.ks, false}, colGood, 1.4, false, "payers"); err != nil {
		return nil, err
	}
	if err := line(p, ksXY{&r.ks, true}, colBad, 1.4, false, "defaulters"); err != nil {
		return nil, err
	}
	// The KS gap at its threshold.
	at := r.ks.At
	i := sort.SearchFloat64s(r.ks.Thresholds, at)
	if i < len(r.ks.Thresholds) {
		gap := plotter.XYs{{X: at, Y: r.ks.CumPos[i]}, {X: at, Y: r.ks.CumNeg[i]}}
		if err := line(p, gap, color.Black, 1.2, true, fmt.Sprintf("KS %.3f at %.3f", r.ks.KS, at)); err != nil {
			return nil, err
		}
	}
	p.Legend.Top = false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), vg.Points(4)
	return p, nil
}

// gainsXY derives the cumulative gains curve from the ROC curve: at each cut-off, the share
// of all rows declined against the share of defaulters declined (the TPR).
type gainsXY struct {
	roc      *eval.Curve
	pos, neg float64
}

func (g gainsXY) Len() int { return g.roc.Len() }
func (g gainsXY) XY(i int) (float64, float64) {
	fpr, tpr := g.roc.XY(i)
	return (tpr*g.pos + fpr*g.neg) / (g.pos + g.neg), tpr
}

func (r *Report) gainsPlot() (*plot.Plot, error) {
	p := newPlot("Cumulative gains", "Share of orders declined (riskiest first)", "Share of defaulters caught")
	unitAxes(p)
	pos := float64(r.Metrics.Positives)
	neg := float64(r.Metrics.Rows) - pos
	rate := pos / (pos + neg)
	if err := line(p, plotter.XYs{{X: 0, Y: 0}, {X: rate, Y: 1}, {X: 1, Y: 1}}, colGood, 0.8, true, "perfect"); err != nil {
		return nil, err
	}
	if err := diagonal(p, "random"); err != nil {
		return nil, err
	}
	if err := line(p, gainsXY{&r.roc, pos, neg}, colModel, 1.6, false, r.ModelName); err != nil {
		return nil, err
	}
	p.Legend.Top = false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), vg.Points(4)
	return p, nil
}

func (r *Report) reliabilityPlot() (*plot.Plot, error) {
	p := newPlot("Reliability diagram", "Mean predicted default probability", "Observed default rate")
	var pts plotter.XYs
	var counts []string
	hi := 0.0
	for _, b := range r.Calibration {
		if b.Count == 0 {
			continue
		}
		pts = append(pts, plotter.XY{X: b.MeanPredicted, Y: b.Observed})
		counts = append(counts, fmt.Sprintf("n=%d", b.Count))
		hi = max(hi, b.MeanPredicted, b.Observed, b.Hi)
	}
	hi = math.Min(1, hi)
	p.X.Min, p.Y.Min, p.X.Max, p.Y.Max = 0, 0, hi, hi
	if err := line(p, plotter.XYs{{X: 0, Y: 0}, {X: hi, Y: hi}}, colRef, 0.8, true, "perfectly calibrated"); err != nil {
		return nil, err
	}
	if len(pts) > 0 {
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = colModel, vg.Points(1.4)
		s.Color, s.Shape, s.Radius = colModel, draw.CircleGlyph{}, vg.Points(2.5)
		p.Add(l, s)
		p.Legend.Add(fmt.Sprintf("%s (ECE %.4f)", r.ModelName, r.Metrics.ECE), l, s)
		// Bin sizes: a bin of few rows is noisy.
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: counts})
		if err != nil {
			return nil, err
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].Font.Size = vg.Points(6)
			lab.TextStyle[i].Font.Variant = "Sans"
			lab.TextStyle[i].Color = colRef
		}
		lab.Offset = vg.Point{X: vg.Points(4), Y: -vg.Points(2)}
		p.Add(lab)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(4)
	return p, nil
}

// distributionPlot draws the score densities of defaulters and payers as step lines over
// common bins.
func (r *Report) distributionPlot() (*plot.Plot, error) {
	p := newPlot("Score distributions", "Score (default probability)", "Density")
	hi := slices.Max(r.p)
	lo := slices.Min(r.p)
	if hi <= lo {
		hi = lo + 1e-9
	}
	const bins = 40
	width := (hi - lo) / bins
	var counts [2][bins]float64
	var totals [2]float64
	for i, v := range r.p {
		k := min(bins-1, int((v-lo)/width))
		c := int(r.y[i])
		counts[c][k]++
		totals[c]++
	}
	for c, name := range []string{"payers", "defaulters"} {
		if totals[c] == 0 {
			continue
		}
		var pts plotter.XYs
		for k := 0; k < bins; k++ {
			d := counts[c][k] / totals[c] / width
			x0 := lo + float64(k)*width
			pts = append(pts, plotter.XY{X: x0, Y: d}, plotter.XY{X: x0 + width, Y: d})
		}
		col := colGood
		if c == 1 {
			col = colBad
		}
		if err := line(p, pts, col, 1.4, false, fmt.Sprintf("%s (%d)", name, int(totals[c]))); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max, p.Y.Min = lo, hi, 0
	p.Legend.Top = true
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), -vg.Points(4)
	return p, nil
}

// importancePlot draws mean |SHAP| per field, horizontal bars, the most important on top.
func (r *Report) importancePlot() (*plot.Plot, error) {
	p := newPlot("Feature importance (mean |SHAP|, log-odds)", "Mean absolute SHAP value", "")
	top := r.Importance[:min(15, len(r.Importance))]
	vals := make(plotter.Values, len(top))
	names := make([]string, len(top))
	for i, imp := range top {
		k := len(top) - 1 - i
		vals[k] = imp.MeanAbsSHAP
		names[k] = imp.Field
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(9))
	if err != nil {
		return nil, err
	}
	bars.Horizontal = true
	bars.Color = colModel
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalY(names...)
	p.X.Min = 0
	return p, nil
}

// dependencePlot draws a field's SHAP values against its values: a scatter for numeric fields,
// mean SHAP per level (the 12 commonest) for categorical ones.
func dependencePlot(d *dependence) (*plot.Plot, error) {
	if d.numeric {
		p := newPlot("SHAP dependence: "+d.field, d.field, "SHAP value (log-odds)")
		if d.time {
			p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02"}
		}
		var pts plotter.XYs
		step := max(1, len(d.x)/(2*maxPlotPoints))
		for i := 0; i < len(d.x); i += step {
			if !math.IsNaN(d.x[i]) && !math.IsInf(d.x[i], 0) {
				pts = append(pts, plotter.XY{X: d.x[i], Y: d.phi[i]})
			}
		}
		if len(pts) == 0 {
			pts = plotter.XYs{{X: 0, Y: 0}}
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		s.Color, s.Shape, s.Radius = colPoint, draw.CircleGlyph{}, vg.Points(1.6)
		p.Add(s)
		return p, nil
	}
	p := newPlot("SHAP dependence: "+d.field, "Mean SHAP value (log-odds)", "")
	type level struct {
		name string
		n    int
		sum  float64
	}
	byName := map[string]*level{}
	var lv []*level
	for i, c := range d.categories {
		l, ok := byName[c]
		if !ok {
			l = &level{name: c}
			byName[c] = l
			lv = append(lv, l)
		}
		l.n++
		l.sum += d.phi[i]
	}
	sort.SliceStable(lv, func(a, b int) bool {
		if lv[a].n != lv[b].n {
			return lv[a].n > lv[b].n
		}
		return lv[a].name < lv[b].name
	})
	lv = lv[:min(12, len(lv))]
	sort.SliceStable(lv, func(a, b int) bool { return lv[a].sum/float64(lv[a].n) < lv[b].sum/float64(lv[b].n) })
	vals := make(plotter.Values, len(lv))
	names := make([]string, len(lv))
	for i, l := range lv {
		vals[i] = l.sum / float64(l.n)
		names[i] = fmt.Sprintf("%s (%d)", l.name, l.n)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(7))
	if err != nil {
		return nil, err
	}
	bars.Horizontal = true
	bars.Color = colModel
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalY(names...)
	return p, nil
}

// inset leaves a margin around a plot so that the outermost tick labels and the title are not
// clipped at the canvas edge.
func inset(c draw.Canvas) draw.Canvas {
	m := vg.Points(6)
	return draw.Crop(c, m, -m-vg.Points(4), m, -m)
}

// renderPNG draws p at w×h into a PNG at 200 dpi.
func renderPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(200))
	p.Draw(inset(draw.New(c)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: rendering PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// renderSVG draws p at w×h into an SVG element (without an XML prolog, for inlining).
func renderSVG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	p.Draw(inset(draw.New(c)))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: rendering SVG: %w", err)
	}
	b := buf.Bytes()
	if i := bytes.Index(b, []byte("<svg")); i > 0 {
		b = b[i:]
	}
	return b, nil
}
