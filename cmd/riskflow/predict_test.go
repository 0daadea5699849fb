package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"riskflow/frameio"
)

// strictSpec is a feature spec under which rows can be bad: a missing customer_age and an
// unseen market are errors.
const strictSpec = `id: order_id
label: default
features:
  - name: order_amount
    type: numeric
  - name: customer_age
    type: numeric
    missing: error
  - name: market
    type: categorical
    unknown: error
  - name: order_ts
    type: datetime
    parts: [hour, dayofweek]
  - name: is_first_order
    type: boolean
  - name: device
    type: categorical
`

// strictModel trains a small model with strictSpec and returns the directory, the bundle and
// a clean test file of rows rows.
func strictModel(t *testing.T, rows int) (dir, model, test string) {
	t.Helper()
	dir = t.TempDir()
	train, test := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	spec, model := filepath.Join(dir, "spec.yaml"), filepath.Join(dir, "m.bundle")
	if err := os.WriteFile(spec, []byte(strictSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "datagen", "--rows", "3000", "--seed", "3", "--out", train, "-q")
	mustRun(t, "datagen", "--rows", strconv.Itoa(rows), "--seed", "4", "--out", test, "-q")
	mustRun(t, "train", "--data", train, "--label", "default", "--features", spec, "--trees", "15",
		"--max-depth", "4", "--threads", "2", "--out", model, "-q")
	return dir, model, test
}

// edit is one cell to change in a test file: data row (1-based), column, new text.
type edit struct {
	row         int
	col, value  string
	wantReasons string // what the rejects file's reason must mention
}

// writeEdited writes src (a CSV file) with the edits applied, as CSV or, for a .jsonl dst, as
// JSON lines (numbers, booleans and strings typed as the clean file has them; an edited cell
// is a JSON string unless it is empty, which is null).
func writeEdited(t *testing.T, src, dst string, edits []edit) {
	t.Helper()
	rows := readCSV(t, src)
	header := rows[0]
	edited := map[[2]int]bool{}
	for _, e := range edits {
		j := slices.Index(header, e.col)
		if j < 0 {
			t.Fatalf("no column %s", e.col)
		}
		rows[e.row][j] = e.value
		edited[[2]int{e.row, j}] = true
	}
	var buf bytes.Buffer
	if strings.HasSuffix(dst, ".jsonl") {
		for i, r := range rows[1:] {
			buf.WriteByte('{')
			for j, v := range r {
				if j > 0 {
					buf.WriteByte(',')
				}
				k, _ := json.Marshal(header[j])
				buf.Write(k)
				buf.WriteByte(':')
				_, numErr := strconv.ParseFloat(v, 64)
				switch {
				case v == "":
					buf.WriteString("null")
				case !edited[[2]int{i + 1, j}] && header[j] != "order_id" && (numErr == nil || v == "true" || v == "false"):
					buf.WriteString(v)
				default:
					s, _ := json.Marshal(v)
					buf.Write(s)
				}
			}
			buf.WriteString("}\n")
		}
	} else {
		w := csv.NewWriter(&buf)
		if err := w.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// predictions reads a predict output CSV into order_id → probability text.
func predictions(t *testing.T, path string) map[string]string {
	t.Helper()
	rows := readCSV(t, path)
	j := slices.Index(rows[0], "probability")
	if rows[0][0] != "order_id" || j < 0 {
		t.Fatalf("%s: header %v", path, rows[0])
	}
	m := make(map[string]string, len(rows)-1)
	for _, r := range rows[1:] {
		m[r[0]] = r[j]
	}
	return m
}

func TestPredictBadRows(t *testing.T) {
	const n = 2000
	dir, model, test := strictModel(t, n)
	cleanOut := filepath.Join(dir, "clean.csv")
	mustRun(t, "predict", "--bundle", model, "--in", test, "--out", cleanOut, "-q")
	clean := predictions(t, cleanOut)
	if len(clean) != n {
		t.Fatalf("clean run: %d predictions, want %d", len(clean), n)
	}
	badMix := []edit{
		{1, "customer_age", "", `customer_age`},
		{2, "order_amount", "twelve", `cannot parse "twelve"`},
		{3, "customer_age", "NA", `customer_age`},
		{700, "market", "zz", `unknown category "zz"`},
		{1500, "order_ts", "yesterday", `order_ts`},
		{1999, "is_first_order", "maybe", `is_first_order`},
		{2000, "customer_age", "", `missing value`},
	}
	tests := []struct {
		name    string
		in      string // input file name (.csv or .jsonl)
		edits   []edit
		args    []string
		wantErr string // fail: the error must mention it
		rejects string // skip: the rejects file ("" for the default)
	}{
		{name: "fail on a missing value", in: "a.csv", edits: []edit{{1200, "customer_age", "", ""}},
			wantErr: `row 1200: feature: field "customer_age": missing value`},
		{name: "fail on an unseen level", in: "b.csv", edits: []edit{{1000, "market", "zz", ""}},
			wantErr: `row 1000: feature: field "market": unknown category "zz"`},
		{name: "fail on a wrong type names the line", in: "c.csv", edits: []edit{{10, "order_amount", "twelve", ""}},
			wantErr: `c.csv:11: column order_amount`},
		{name: "fail with explain", in: "d.csv", edits: []edit{{5, "customer_age", "", ""}}, args: []string{"--explain", "2"},
			wantErr: `row 5: `},
		{name: "fail jsonl", in: "e.jsonl", edits: []edit{{1999, "customer_age", "", ""}}, wantErr: `row 1999: `},
		{name: "skip csv", in: "f.csv", edits: badMix, args: []string{"--on-error", "skip"}},
		{name: "skip csv with explain and keep", in: "g.csv", edits: badMix,
			args: []string{"--on-error", "skip", "--explain", "3", "--keep", "customer_age,market"}},
		{name: "skip jsonl", in: "h.jsonl", edits: badMix, args: []string{"--on-error", "skip"}},
		{name: "skip into a named jsonl rejects file", in: "i.csv", edits: badMix,
			args: []string{"--on-error", "skip"}, rejects: "bad.jsonl"},
		{name: "skip with nothing bad", in: "j.csv", args: []string{"--on-error", "skip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := filepath.Join(dir, tt.in)
			writeEdited(t, test, in, tt.edits)
			out := filepath.Join(dir, "out-"+strings.TrimSuffix(tt.in, filepath.Ext(tt.in))+".csv")
			args := append([]string{"predict", "--bundle", model, "--in", in, "--out", out}, tt.args...)
			rejects := strings.TrimSuffix(out, ".csv") + ".rejects" + filepath.Ext(tt.in)
			if tt.rejects != "" {
				rejects = filepath.Join(dir, tt.rejects)
				args = append(args, "--rejects", rejects)
			}
			code, _, errOut := runCLI(t, args...)
			if tt.wantErr != "" {
				if code != exitError || !strings.Contains(errOut, tt.wantErr) {
					t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, exitError, tt.wantErr)
				}
				if _, err := os.Stat(out); err == nil {
					t.Fatal("a failed run left an output file")
				}
				return
			}
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if want := "rejected " + strconv.Itoa(len(tt.edits)) + " of 2000 rows"; !strings.Contains(errOut, want) {
				t.Errorf("summary %q does not say %q", errOut, want)
			}
			// Every good row is scored exactly as in the clean run; the bad ones are not.
			got := predictions(t, out)
			if len(got) != n-len(tt.edits) {
				t.Fatalf("%d predictions, want %d", len(got), n-len(tt.edits))
			}
			for id, p := range got {
				if clean[id] != p {
					t.Fatalf("%s: probability %s, clean run %s", id, p, clean[id])
				}
			}
			// The rejects file has every bad row, in order, with its columns, row and reason.
			rows, reasons, ids := readRejects(t, rejects)
			var wantRows []int
			for _, e := range tt.edits {
				wantRows = append(wantRows, e.row)
			}
			if !slices.Equal(rows, wantRows) {
				t.Fatalf("rejected rows %v, want %v", rows, wantRows)
			}
			for i, e := range tt.edits {
				if !strings.Contains(reasons[i], e.wantReasons) {
					t.Errorf("row %d: reason %q does not mention %q", e.row, reasons[i], e.wantReasons)
				}
				if _, scored := got[ids[i]]; scored {
					t.Errorf("row %d (%s) is both rejected and scored", e.row, ids[i])
				}
			}
		})
	}
}

// readRejects reads a rejects file (CSV or JSONL): the row numbers, reasons and order ids.
func readRejects(t *testing.T, path string) (rows []int, reasons, ids []string) {
	t.Helper()
	if strings.HasSuffix(path, ".jsonl") {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			var r struct {
				ID     string  `json:"order_id"`
				Row    float64 `json:"row"`
				Reason string  `json:"reason"`
			}
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			rows, reasons, ids = append(rows, int(r.Row)), append(reasons, r.Reason), append(ids, r.ID)
		}
		return rows, reasons, ids
	}
	recs := readCSV(t, path)
	h := recs[0]
	if h[len(h)-2] != "row" || h[len(h)-1] != "reason" || h[0] != "order_id" || len(h) < 20 {
		t.Fatalf("rejects header %v: want the input's columns, then row and reason", h)
	}
	for _, r := range recs[1:] {
		n, err := strconv.Atoi(r[len(r)-2])
		if err != nil {
			t.Fatal(err)
		}
		rows, reasons, ids = append(rows, n), append(reasons, r[len(r)-1]), append(ids, r[0])
	}
	return rows, reasons, ids
}

func TestPredictOnErrorUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown policy", []string{"--on-error", "ignore"}, `--on-error "ignore"`},
		{"rejects without skip", []string{"--rejects", "r.csv"}, "--rejects needs --on-error skip"},
		{"rejects over the output", []string{"--on-error", "skip", "--rejects", "out.csv"}, "the same file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"predict", "--bundle", "m.bundle", "--in", "in.csv", "--out", "out.csv"}, tt.args...)
			code, _, errOut := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, exitUsage, tt.want)
			}
		})
	}
}

func TestDefaultRejectsPath(t *testing.T) {
	tests := []struct{ out, in, want string }{
		{"p.csv", "a.csv", "p.rejects.csv"},
		{"dir/p.parquet", "a.jsonl", "dir/p.rejects.jsonl"},
		{"p.csv.gz", "a.parquet", "p.rejects.parquet"},
		{"p.jsonl", "a.csv.gz", "p.rejects.csv"},
	}
	for _, tt := range tests {
		if got := defaultRejectsPath(tt.out, formatOf(t, tt.in)); got != tt.want {
			t.Errorf("defaultRejectsPath(%s, %s) = %s, want %s", tt.out, tt.in, got, tt.want)
		}
	}
}

func formatOf(t *testing.T, path string) frameio.Format {
	t.Helper()
	f, _, err := frameio.FormatOf(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPredictManyChunks runs predict over three chunks of the reader (65,536 rows each), so
// that reading, scoring and writing overlap: rows come out in order, bad rows in any chunk are
// rejected with their row numbers, and a failure in a late chunk leaves no output file.
func TestPredictManyChunks(t *testing.T) {
	const n = 140_000
	dir, model, test := strictModel(t, n)
	clean := filepath.Join(dir, "clean.csv")
	mustRun(t, "predict", "--bundle", model, "--in", test, "--out", clean, "-q")
	in, out := readCSV(t, test), readCSV(t, clean)
	if len(out) != n+1 {
		t.Fatalf("%d output rows, want %d", len(out)-1, n)
	}
	for i := 1; i <= n; i++ {
		if out[i][0] != in[i][0] {
			t.Fatalf("output row %d is order %s, input row %d is %s", i, out[i][0], i, in[i][0])
		}
	}

	edits := []edit{{100, "customer_age", "", "customer_age"}, {70_000, "market", "zz", "zz"}, {139_999, "customer_age", "", "customer_age"}}
	bad := filepath.Join(dir, "bad.csv")
	writeEdited(t, test, bad, edits)
	skipped := filepath.Join(dir, "skipped.csv")
	mustRun(t, "predict", "--bundle", model, "--in", bad, "--out", skipped, "--on-error", "skip", "-q")
	rows, _, _ := readRejects(t, filepath.Join(dir, "skipped.rejects.csv"))
	if !slices.Equal(rows, []int{100, 70_000, 139_999}) {
		t.Errorf("rejected rows %v", rows)
	}
	if got := readCSV(t, skipped); len(got) != n-len(edits)+1 {
		t.Errorf("%d scored rows, want %d", len(got)-1, n-len(edits))
	}

	failed := filepath.Join(dir, "failed.csv")
	late := filepath.Join(dir, "late.csv")
	writeEdited(t, test, late, []edit{{131_073, "customer_age", "", ""}})
	code, _, errOut := runCLI(t, "predict", "--bundle", model, "--in", late, "--out", failed, "-q")
	if code != exitError || !strings.Contains(errOut, "row 131073: ") {
		t.Fatalf("exit %d, stderr %q; want a failure at row 131073", code, errOut)
	}
	if _, err := os.Stat(failed); err == nil {
		t.Fatal("a failed run left an output file")
	}
}
