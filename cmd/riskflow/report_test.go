package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pdfPages renders a PDF with pdftoppm and returns the number of pages it rendered.
func pdfPages(t *testing.T, path string) int {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Fatal("pdftoppm not found: install poppler-utils (the CI script does)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("pdftoppm", "-png", "-r", "15", path, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm %s: %v\n%s", path, err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	return len(pngs)
}

func TestReportGenerated(t *testing.T) {
	dir := t.TempDir()
	train, test := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	mustRun(t, "datagen", "--rows", "3000", "--seed", "1", "--out", train, "-q")
	mustRun(t, "datagen", "--rows", "1500", "--seed", "2", "--out", test, "-q")
	model, base := filepath.Join(dir, "new.bundle"), filepath.Join(dir, "old.bundle")
	mustRun(t, "train", "--data", train, "--label", "default", "--id", "order_id", "--trees", "30", "--max-depth", "3", "--out", model, "-q")
	mustRun(t, "train", "--data", train, "--label", "default", "--id", "order_id", "--model", "logistic", "--out", base, "-q")

	pdf, html, js := filepath.Join(dir, "r.pdf"), filepath.Join(dir, "r.html"), filepath.Join(dir, "m.json")
	code, _, errOut := runCLI(t, "report", "--bundle", model, "--baseline", base, "--data", test, "--segment", "market",
		"--threshold", "0.1", "--resamples", "50", "--out", pdf, "--html", html, "--json", js)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"AUC", "baseline old", "decisions change", "wrote " + pdf} {
		if !strings.Contains(errOut, want) {
			t.Errorf("summary lacks %q:\n%s", want, errOut)
		}
	}
	// The bundle's training file still exists, so stability is computed without --train.
	var m struct {
		Threshold  float64 `json:"threshold"`
		Stability  struct{ Available bool }
		Comparison *struct {
			DecisionChanges int `json:"decision_changes"`
		}
		Segments []json.RawMessage
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Threshold != 0.1 || !m.Stability.Available || m.Comparison == nil || len(m.Segments) == 0 {
		t.Fatalf("JSON %s", data[:min(len(data), 400)])
	}
	if n := pdfPages(t, pdf); n != 7 {
		t.Fatalf("PDF has %d pages, want 7", n)
	}
	if h, err := os.ReadFile(html); err != nil || strings.Count(string(h), "<svg") != 12 {
		t.Fatalf("HTML: %v, %d SVGs, want 12", err, strings.Count(string(h), "<svg"))
	}
}

func TestReportCreditData(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "credit.bundle")
	mustRun(t, "train", "--data", "testdata/credit_data.csv", "--label", "Status", "--positive", "bad",
		"--trees", "40", "--max-depth", "3", "--out", model, "-q")
	pdf, js := filepath.Join(dir, "credit.pdf"), filepath.Join(dir, "credit.json")
	// The label and its positive value come from the bundle; --label/--positive restate them.
	code, _, errOut := runCLI(t, "report", "--bundle", model, "--data", "testdata/credit_data.csv",
		"--label", "Status", "--positive", "bad", "--segment", "Home", "--resamples", "50", "--out", pdf, "--json", js, "-q")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m struct {
		Metrics struct {
			Rows int     `json:"rows"`
			AUC  float64 `json:"auc"`
		} `json:"metrics"`
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Metrics.Rows != 4454 || m.Metrics.AUC < 0.75 {
		t.Fatalf("credit report: %d rows, AUC %v", m.Metrics.Rows, m.Metrics.AUC)
	}
	// Without a segment or baseline the report still has its six sections' pages.
	if n := pdfPages(t, pdf); n != 6 {
		t.Fatalf("PDF has %d pages, want 6", n)
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no bundle", []string{"report", "--data", "x.csv", "--out", "r.pdf"}, exitUsage, "--bundle, --data and --out are required"},
		{"bad threshold", []string{"report", "--bundle", "m", "--data", "x", "--out", "r.pdf", "--threshold", "1.5"}, exitUsage, "--threshold 1.5"},
		{"bad resamples", []string{"report", "--bundle", "m", "--data", "x", "--out", "r.pdf", "--resamples", "0"}, exitUsage, "--resamples 0"},
		{"missing bundle", []string{"report", "--bundle", filepath.Join(dir, "none.bundle"), "--data", "x", "--out", "r.pdf"}, exitError, "none.bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
