package report

import (
	"bytes"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot/vg"

	"riskflow/internal/atomicfile"
)

// Page geometry of the PDF, in millimetres (A4 portrait).
const (
	pageW   = 210.0
	pageH   = 297.0
	margin  = 15.0
	bodyW   = pageW - 2*margin
	halfW   = (bodyW - 4) / 2
	plotH   = 92.0
	rowH    = 5.6
	bottomM = 16.0
)

// pdfDoc wraps fpdf with the report's styles.
type pdfDoc struct {
	*fpdf.Fpdf
	tr     func(string) string
	figs   map[string]figure
	images int
}

// WritePDF renders the report as a PDF file at path, written atomically.
func (r *Report) WritePDF(path string) error {
	data, _, err := r.PDF()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}

// PDF renders the report as PDF bytes and returns them with the page count.
func (r *Report) PDF() ([]byte, int, error) {
	figs, err := r.figures()
	if err != nil {
		return nil, 0, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	d := &pdfDoc{Fpdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor(""), figs: map[string]figure{}}
	for _, f := range figs {
		d.figs[f.key] = f
	}
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, bottomM)
	pdf.SetTitle(d.tr("Model performance report: "+r.ModelName), false)
	pdf.SetCreator("riskflow report", false)
	pdf.SetCreationDate(time.Unix(0, 0).UTC()) // reproducible output
	pdf.SetModificationDate(time.Unix(0, 0).UTC())
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-11)
		pdf.SetFont("Helvetica", "", 7.5)
		pdf.SetTextColor(120, 120, 120)
		pdf.CellFormat(bodyW/2, 5, d.tr(fmt.Sprintf("%s  |  version %s", r.ModelName, r.Version)), "", 0, "L", false, 0, "")
		pdf.CellFormat(bodyW/2, 5, fmt.Sprintf("page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})

	if err := r.pdfSummary(d); err != nil {
		return nil, 0, err
	}
	if err := r.pdfDiscrimination(d); err != nil {
		return nil, 0, err
	}
	if err := r.pdfCalibration(d); err != nil {
		return nil, 0, err
	}
	if err := r.pdfImportance(d); err != nil {
		return nil, 0, err
	}
	r.pdfStability(d)
	if r.Comparison != nil {
		if err := r.pdfComparison(d); err != nil {
			return nil, 0, err
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, 0, fmt.Errorf("report: writing PDF: %w", err)
	}
	return buf.Bytes(), pdf.PageCount(), nil
}

// page starts a page with a section heading.
func (d *pdfDoc) page(title string) {
	d.AddPage()
	d.heading(title, 15)
}

func (d *pdfDoc) heading(title string, size float64) {
	d.SetFont("Helvetica", "B", size)
	d.SetTextColor(0x1f, 0x3f, 0x6a)
	d.CellFormat(bodyW, size*0.5, d.tr(title), "", 1, "L", false, 0, "")
	d.SetTextColor(0, 0, 0)
	d.SetDrawColor(0x1f, 0x3f, 0x6a)
	d.SetLineWidth(0.4)
	y := d.GetY() + 0.5
	d.Line(margin, y, pageW-margin, y)
	d.SetLineWidth(0.2)
	d.Ln(3)
}

func (d *pdfDoc) subheading(title string) {
	d.ensure(14)
	d.Ln(2)
	d.SetFont("Helvetica", "B", 11)
	d.SetTextColor(0x1f, 0x3f, 0x6a)
	d.CellFormat(bodyW, 6, d.tr(title), "", 1, "L", false, 0, "")
	d.SetTextColor(0, 0, 0)
	d.Ln(0.5)
}

func (d *pdfDoc) paragraph(text string, size float64) {
	d.SetFont("Helvetica", "", size)
	d.MultiCell(bodyW, size*0.45, d.tr(text), "", "L", false)
	d.Ln(1)
}

// ensure starts a new page unless h millimetres fit on this one.
func (d *pdfDoc) ensure(h float64) {
	if d.GetY()+h > pageH-bottomM {
		d.AddPage()
	}
}

// figure draws a registered plot at (x, y) with width w and height h.
func (d *pdfDoc) figure(key string, x, y, w, h float64) error {
	f, ok := d.figs[key]
	if !ok {
		return fmt.Errorf("report: no figure %s", key)
	}
	img, err := renderPNG(f.plot, vg.Length(w)*vg.Millimeter, vg.Length(h)*vg.Millimeter)
	if err != nil {
		return err
	}
	d.images++
	name := fmt.Sprintf("fig%d", d.images)
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	d.RegisterImageOptionsReader(name, opt, bytes.NewReader(img))
	d.ImageOptions(name, x, y, w, h, false, opt, 0, "")
	d.SetDrawColor(0xd0, 0xd0, 0xd0)
	d.Rect(x, y, w, h, "D")
	return d.Error()
}

// grid draws up to four plots two by two from the current position.
func (d *pdfDoc) grid(keys ...string) error { return d.gridH(plotH, keys...) }

// gridH is grid with plots of height plotH.
func (d *pdfDoc) gridH(plotH float64, keys ...string) error {
	y0 := d.GetY()
	for i, k := range keys {
		x := margin + float64(i%2)*(halfW+4)
		y := y0 + float64(i/2)*(plotH+4)
		if err := d.figure(k, x, y, halfW, plotH); err != nil {
			return err
		}
	}
	rows := (len(keys) + 1) / 2
	d.SetY(y0 + float64(rows)*(plotH+4))
	return nil
}

// table draws a table with a shaded header, repeating the header after a page break. fill,
// if not nil, gives a row's background colour.
func (d *pdfDoc) table(headers []string, widths []float64, align string, rows [][]string, fill func(i int) (int, int, int, bool)) {
	header := func() {
		d.SetFont("Helvetica", "B", 8.5)
		d.SetFillColor(0xe8, 0xee, 0xf5)
		d.SetDrawColor(0xc8, 0xd0, 0xdc)
		for j, h := range headers {
			d.CellFormat(widths[j], rowH+0.6, d.tr(h), "B", 0, string(align[j]), true, 0, "")
		}
		d.Ln(-1)
	}
	d.ensure(2 * rowH)
	header()
	d.SetFont("Helvetica", "", 8.5)
	for i, row := range rows {
		if d.GetY()+rowH > pageH-bottomM {
			d.AddPage()
			header()
			d.SetFont("Helvetica", "", 8.5)
		}
		r, g, b, ok := 0, 0, 0, false
		if fill != nil {
			r, g, b, ok = fill(i)
		}
		if !ok && i%2 == 1 {
			r, g, b, ok = 0xf7, 0xf7, 0xf7, true
		}
		d.SetFillColor(r, g, b)
		d.SetDrawColor(0xe0, 0xe0, 0xe0)
		for j, c := range row {
			d.CellFormat(widths[j], rowH, d.tr(fit(c, widths[j])), "B", 0, string(align[j]), ok, 0, "")
		}
		d.Ln(-1)
	}
	d.Ln(2)
}

// fit shortens a cell's text to about what fits in w millimetres at 8.5 pt.
func fit(s string, w float64) string {
	n := int(w / 1.6)
	r := []rune(s)
	if len(r) <= n || n < 4 {
		return s
	}
	return string(r[:n-3]) + "..."
}

func (r *Report) pdfSummary(d *pdfDoc) error {
	d.AddPage()
	d.SetFont("Helvetica", "B", 20)
	d.SetTextColor(0x1f, 0x3f, 0x6a)
	d.CellFormat(bodyW, 10, "Model performance report", "", 1, "L", false, 0, "")
	d.SetFont("Helvetica", "", 12)
	d.SetTextColor(80, 80, 80)
	d.CellFormat(bodyW, 7, d.tr(fmt.Sprintf("%s  -  %s model, version %s", r.ModelName, r.ModelType, r.Version)), "", 1, "L", false, 0, "")
	d.SetTextColor(0, 0, 0)
	d.Ln(3)

	d.subheading("Verdict")
	d.SetFillColor(0xf2, 0xf6, 0xfb)
	d.SetDrawColor(0x1f, 0x3f, 0x6a)
	d.SetFont("Helvetica", "", 10)
	d.MultiCell(bodyW, 5, d.tr(r.Verdict), "L", "L", true)
	d.Ln(3)

	d.subheading("Headline metrics on the test data")
	var rows [][]string
	for _, m := range r.headlineRows() {
		rows = append(rows, []string{m.Name, m.Value, m.CI, m.Method})
	}
	d.table([]string{"Metric", "Value", "95% confidence interval", "Interval method"}, []float64{50, 28, 50, 52}, "LRCL", rows, nil)

	d.subheading("Model and data")
	var info [][]string
	for _, kv := range r.infoRows() {
		info = append(info, []string{kv[0], kv[1]})
	}
	d.table([]string{"Item", "Value"}, []float64{45, 135}, "LL", info, nil)
	return nil
}

func (r *Report) pdfDiscrimination(d *pdfDoc) error {
	d.page("Discrimination: how well the score ranks risk")
	d.paragraph(fmt.Sprintf("AUC %.4f (95%% CI %.4f to %.4f), Gini %.4f, KS %.4f at a score of %.4f, average precision %.4f against %.4f for a random score.",
		r.Metrics.AUC, r.AUC.Lo, r.AUC.Hi, r.Metrics.Gini, r.Metrics.KS, r.Metrics.KSThreshold, r.Metrics.AveragePrecision, r.Metrics.PositiveRate), 9.5)
	return d.grid("roc", "pr", "ks", "gains")
}

func (r *Report) pdfCalibration(d *pdfDoc) error {
	d.page("Calibration, score distribution and lift")
	d.paragraph(fmt.Sprintf("Mean predicted default probability %.2f%% against an observed rate of %.2f%%; log-loss %.4f, Brier score %.5f, expected calibration error %.4f over 10 equal-width bins.",
		100*r.Metrics.MeanPrediction, 100*r.Metrics.PositiveRate, r.Metrics.LogLoss, r.Metrics.Brier, r.Metrics.ECE), 9.5)
	if err := d.gridH(80, "reliability", "distribution"); err != nil {
		return err
	}
	d.subheading("Decile lift table (decile 1 holds the highest scores)")
	d.table(liftHeaders, []float64{15, 17, 22, 22, 19, 23, 16, 23, 23}, "RRRRRRRRR", r.liftRows(), nil)
	return nil
}

func (r *Report) pdfImportance(d *pdfDoc) error {
	d.page("What drives the model")
	d.paragraph(importanceExplainer+fmt.Sprintf(" SHAP values from %d sampled test rows.", r.SHAPRows), 9)
	y := d.GetY()
	if err := d.figure("importance", margin, y, bodyW, 92); err != nil {
		return err
	}
	d.SetY(y + 96)
	var rows [][]string
	for i, imp := range r.Importance[:min(15, len(r.Importance))] {
		gain := "-"
		if r.ModelType != "logistic" {
			gain = fmt.Sprintf("%.1f%%", 100*imp.Gain)
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), imp.Field, fmt.Sprintf("%.4f", imp.MeanAbsSHAP), gain})
	}
	d.table([]string{"Rank", "Field", "Mean |SHAP|", "Gain share"}, []float64{15, 85, 40, 40}, "RLRR", rows, nil)

	if len(r.dependence) > 0 {
		d.page("SHAP dependence of the top fields")
		d.paragraph(dependenceExplainer, 9)
		var keys []string
		for i := range r.dependence {
			keys = append(keys, fmt.Sprintf("dependence-%d", i+1))
		}
		if err := d.grid(keys...); err != nil {
			return err
		}
	}
	return nil
}

func (r *Report) pdfStability(d *pdfDoc) {
	d.page("Stability and segments")
	d.subheading("Population stability: training vs test data")
	st := r.Stability
	if !st.Available {
		d.paragraph("Training data unavailable: "+st.Note+". Pass --train with the training file to compare the populations.", 9.5)
	} else {
		d.paragraph(stabilityExplainer+fmt.Sprintf(" Training rows: %d; test rows: %d.", st.TrainRows, r.Metrics.Rows), 9)
		if st.Note != "" {
			d.paragraph("Note: "+st.Note+".", 8.5)
		}
		rows := r.stabilityRows()
		d.table([]string{"Quantity", "PSI", "Shift"}, []float64{90, 40, 50}, "LRL", rows, func(i int) (int, int, int, bool) {
			switch rows[i][2] {
			case "major":
				return 0xf8, 0xd7, 0xd7, true
			case "minor":
				return 0xfd, 0xef, 0xcf, true
			}
			return 0, 0, 0, false
		})
	}
	d.subheading("Performance by segment")
	if r.Segment == "" {
		d.paragraph("No segment column was given (use --segment COL to break the metrics down by a column).", 9.5)
		return
	}
	d.paragraph(fmt.Sprintf("Segments by %s, largest first.", r.Segment), 9)
	d.table(segmentHeaders, []float64{50, 22, 22, 28, 30, 28}, "LRRRRR", r.segmentRows(), nil)
}

func (r *Report) pdfComparison(d *pdfDoc) error {
	c := r.Comparison
	d.page("Champion / challenger")
	d.paragraph(fmt.Sprintf("Challenger %s (%s, version %s) against champion %s (%s, version %s), scored on the same %d test rows.",
		r.ModelName, r.ModelType, r.Version, c.BaselineName, c.BaselineType, c.BaselineVersion, r.Metrics.Rows), 9.5)
	d.table([]string{"Metric", r.ModelName, c.BaselineName, "Difference"}, []float64{50, 42, 42, 46}, "LRRR", r.comparisonRows(), nil)
	y := d.GetY()
	w, h := 120.0, 86.0
	if err := d.figure("compare-roc", margin+(bodyW-w)/2, y, w, h); err != nil {
		return err
	}
	d.SetY(y + h + 4)
	d.paragraph(r.pairedText(), 9.5)
	d.paragraph(r.decisionText(), 9.5)
	d.subheading("Verdict")
	d.SetFillColor(0xf2, 0xf6, 0xfb)
	d.SetDrawColor(0x1f, 0x3f, 0x6a)
	d.SetFont("Helvetica", "", 10)
	d.MultiCell(bodyW, 5, d.tr(r.Verdict), "L", "L", true)
	return nil
}
