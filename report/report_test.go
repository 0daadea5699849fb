package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"riskflow/eval"
	"riskflow/frame"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// shared is the report the tests share, built once; tests must not modify it.
var shared struct {
	once sync.Once
	r    *Report
	err  error
}

// build returns the shared report: the tree model against the logistic baseline, with
// training data and a segment.
func build(t *testing.T) *Report {
	t.Helper()
	tree, lin, trainF, testF := trained(t)
	shared.once.Do(func() {
		shared.r, shared.err = Build(context.Background(), Input{
			Model: tree, Baseline: lin, Data: testF, Train: trainF, Segment: "market", Seed: 1, Resamples: 100, SHAPRows: 500,
		})
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.r
}

func TestGoldenJSON(t *testing.T) {
	r := *build(t)
	c := *r.Comparison
	// The digests depend on the riskflow build recorded in the bundles, not on the metrics.
	r.Version, c.BaselineVersion = "test", "test"
	r.Comparison = &c
	got, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("JSON differs from %s (rerun with -update if the change is intended):\n%s", golden, firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < min(len(la), len(lb)); i++ {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + la[i] + "\n want " + lb[i]
		}
	}
	return "lengths differ"
}

// TestMetricsAgreeWithEval checks the report's numbers against package eval called directly.
func TestMetricsAgreeWithEval(t *testing.T) {
	r := build(t)
	tree, lin, _, testF := trained(t)
	y, err := Labels(testF, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, len(y))
	if err := tree.ScoreFrame(context.Background(), testF, p); err != nil {
		t.Fatal(err)
	}
	m, err := eval.Compute(y, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Metrics != m {
		t.Fatalf("metrics %+v, want %+v", r.Metrics, m)
	}
	if r.Metrics.AUC < 0.65 || r.Metrics.AUC > 0.9 {
		t.Fatalf("AUC %v: the fixture model should rank", r.Metrics.AUC)
	}
	for key, iv := range r.Intervals {
		if !(iv.Lo <= iv.Value && iv.Value <= iv.Hi) || iv.Lo == iv.Hi {
			t.Errorf("%s interval %+v does not bracket its value", key, iv)
		}
	}
	if !(r.AUC.Lo < r.AUC.AUC && r.AUC.AUC < r.AUC.Hi) {
		t.Errorf("AUC interval %+v", r.AUC)
	}
	bp := make([]float64, len(y))
	if err := lin.ScoreFrame(context.Background(), testF, bp); err != nil {
		t.Fatal(err)
	}
	pt, err := eval.DeLongPaired(y, p, bp)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Comparison
	if c == nil || c.Paired != pt {
		t.Fatalf("paired test %+v, want %+v", c, pt)
	}
	// Decision changes, counted independently.
	changes := 0
	for i := range p {
		if (p[i] >= r.Threshold) != (bp[i] >= c.BaselineThreshold) {
			changes++
		}
	}
	if c.DecisionChanges != changes || changes == 0 {
		t.Fatalf("decision changes %d, want %d (> 0)", c.DecisionChanges, changes)
	}
	// The default threshold declines the riskiest 10%.
	if math.Abs(r.DeclineRate-0.1) > 0.01 {
		t.Fatalf("decline rate %v, want about 0.10", r.DeclineRate)
	}
	// Segments partition the rows.
	rows := 0
	for _, s := range r.Segments {
		rows += s.Rows
	}
	if rows != len(y) || len(r.Segments) < 5 {
		t.Fatalf("segments cover %d of %d rows in %d segments", rows, len(y), len(r.Segments))
	}
	// Stability covers the score and every input.
	if !r.Stability.Available || r.Stability.Score == nil || len(r.Stability.Features) != len(tree.Transformer.Inputs()) {
		t.Fatalf("stability %+v", r.Stability)
	}
	// Importance: shares of gain sum to 1; the top field by SHAP matters.
	sum := 0.0
	for _, imp := range r.Importance {
		sum += imp.Gain
	}
	if math.Abs(sum-1) > 1e-9 || r.Importance[0].MeanAbsSHAP <= 0 {
		t.Fatalf("importance: gain shares sum to %v, top %+v", sum, r.Importance[0])
	}
	if !strings.Contains(r.Verdict, "DeLong p =") {
		t.Fatalf("verdict %q", r.Verdict)
	}
}

func TestLogisticModelWithoutTrainData(t *testing.T) {
	_, lin, _, testF := trained(t)
	r, err := Build(context.Background(), Input{Model: lin, Data: testF, Seed: 2, Resamples: 20, SHAPRows: 200, Threshold: 0.08})
	if err != nil {
		t.Fatal(err)
	}
	if r.Stability.Available || !strings.Contains(r.Stability.Note, "unavailable") {
		t.Fatalf("stability %+v without training data", r.Stability)
	}
	if r.Threshold != 0.08 || r.Comparison != nil {
		t.Fatalf("threshold %v comparison %v", r.Threshold, r.Comparison)
	}
	if r.Importance[0].MeanAbsSHAP <= 0 || r.Importance[0].Gain != 0 {
		t.Fatalf("logistic importance %+v", r.Importance[0])
	}
	if !strings.Contains(r.Verdict, "not assessed") {
		t.Fatalf("verdict %q", r.Verdict)
	}
	html, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("Training data unavailable")) || bytes.Contains(html, []byte(`id="comparison"`)) {
		t.Fatal("HTML should say training data is unavailable and have no comparison")
	}
}

func TestBuildErrors(t *testing.T) {
	tree, _, _, testF := trained(t)
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		in   Input
		want string
	}{
		{"no model", ctx, Input{Data: testF}, "no model"},
		{"no data", ctx, Input{Model: tree}, "no test rows"},
		{"bad threshold", ctx, Input{Model: tree, Data: testF, Threshold: 1.5}, "threshold"},
		{"bad label", ctx, Input{Model: tree, Data: testF, Label: "nope"}, `no label column "nope"`},
		{"text label", ctx, Input{Model: tree, Data: testF, Label: "market"}, "no positive value"},
		{"bad segment", ctx, Input{Model: tree, Data: testF, Segment: "nope", Resamples: 5}, `no segment column "nope"`},
		{"missing input", ctx, Input{Model: tree, Data: mustSelect(t, testF, "default")}, "scoring the test data"},
		{"canceled", canceled, Input{Model: tree, Data: testF}, "canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.ctx, tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func mustSelect(t *testing.T, f *frame.Frame, cols ...string) *frame.Frame {
	t.Helper()
	s, err := f.Select(cols...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPDFPages(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Fatal("pdftoppm not found: install poppler-utils (the CI script does)")
	}
	r := build(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.pdf")
	if err := r.WritePDF(path); err != nil {
		t.Fatal(err)
	}
	_, pages, err := r.PDF()
	if err != nil {
		t.Fatal(err)
	}
	// Summary, discrimination, calibration and lift, importance, dependence, stability and
	// segments, comparison.
	const want = 7
	if pages != want {
		t.Fatalf("fpdf made %d pages, want %d", pages, want)
	}
	out, err := exec.Command("pdftoppm", "-png", "-r", "20", path, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if len(pngs) != want {
		t.Fatalf("pdftoppm rendered %d pages, want %d", len(pngs), want)
	}
}

func TestHTMLHasPlots(t *testing.T) {
	r := build(t)
	path := filepath.Join(t.TempDir(), "report.html")
	if err := r.WriteHTML(path); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// ROC, PR, KS, gains, reliability, distribution, importance, 4 dependence, comparison ROC.
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAll(html, -1)
	if len(svgs) != 12 {
		t.Fatalf("%d inline SVGs, want 12", len(svgs))
	}
	for i, s := range svgs {
		// A plot with data draws paths and text; an empty canvas has neither.
		if n := bytes.Count(s, []byte("<path")); n < 5 {
			t.Errorf("SVG %d has %d paths: empty plot?", i, n)
		}
		if !bytes.Contains(s, []byte("<text")) {
			t.Errorf("SVG %d has no text", i)
		}
	}
	for _, want := range []string{"Champion / challenger", "Performance by segment (market)", "Decile lift table", r.Verdict[:40]} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if bytes.Contains(html, []byte("<?xml")) || bytes.Contains(html, []byte(`src="http`)) {
		t.Error("HTML is not self-contained inline markup")
	}
}

func TestPlotsNotEmpty(t *testing.T) {
	r := build(t)
	figs, err := r.figures()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		png, err := renderPNG(f.plot, 200, 150)
		if err != nil {
			t.Fatal(err)
		}
		// A blank 200x150 pt canvas compresses to a few hundred bytes.
		if len(png) < 5000 {
			t.Errorf("%s: PNG of %d bytes: empty plot?", f.key, len(png))
		}
	}
}

func TestJSONValid(t *testing.T) {
	r := build(t)
	path := filepath.Join(t.TempDir(), "metrics.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Metrics    eval.Metrics `json:"metrics"`
		Comparison *Comparison  `json:"comparison"`
		Verdict    string       `json:"verdict"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Metrics != r.Metrics || back.Comparison == nil || back.Comparison.DecisionChanges != r.Comparison.DecisionChanges || back.Verdict != r.Verdict {
		t.Fatal("JSON does not round-trip the metrics")
	}
}

// TestSmallSample: a handful of rows still gives a complete report (intervals may be wide or
// undefined, but nothing panics and every output renders).
func TestSmallSample(t *testing.T) {
	tree, lin, trainF, testF := trained(t)
	y, err := Labels(testF, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	// Rows 0..29 plus the first two defaulters.
	rows := []int{}
	for i := 0; i < 30; i++ {
		rows = append(rows, i)
	}
	for i, n := 30, 0; i < len(y) && n < 2; i++ {
		if y[i] == 1 {
			rows = append(rows, i)
			n++
		}
	}
	r, err := Build(context.Background(), Input{Model: tree, Baseline: lin, Data: testF.Take(rows), Train: trainF.Slice(0, 50),
		Segment: "device", Seed: 3, Resamples: 20})
	if err != nil {
		t.Fatal(err)
	}
	if r.Metrics.Rows != len(rows) || len(r.Lift) != 10 {
		t.Fatalf("rows %d lift groups %d", r.Metrics.Rows, len(r.Lift))
	}
	if _, _, err := r.PDF(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.HTML(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.JSON(); err != nil {
		t.Fatal(err)
	}
}
