package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"riskflow/bundle"
	"riskflow/frame"
	"riskflow/serve"
)

// TestPredictParity scores 10,000 generated records three ways and requires the same float64
// bits from each: through `riskflow predict` (CSV in, CSV out), through the HTTP server (V1
// JSON requests of 500 records built from the CSV text by hand, not by frameio), and one by one
// with bundle.Score on records filled by Record.SetText from the CSV cells.
func TestPredictParity(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model and scores 10,000 records three ways")
	}
	const n = 10000
	dir := t.TempDir()
	train, test := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	model, pred := filepath.Join(dir, "m.bundle"), filepath.Join(dir, "pred.csv")
	mustRun(t, "datagen", "--rows", "5000", "--seed", "21", "--out", train, "-q")
	mustRun(t, "datagen", "--rows", strconv.Itoa(n), "--seed", "22", "--out", test, "-q")
	mustRun(t, "train", "--data", train, "--label", "default", "--id", "order_id", "--exclude", "customer_id",
		"--trees", "40", "--max-depth", "5", "--threads", "2", "--calibrate", "platt", "--out", model, "-q")
	mustRun(t, "predict", "--bundle", model, "--in", test, "--out", pred, "-q")

	// (a) riskflow predict.
	out := readCSV(t, pred)
	if len(out) != n+1 || out[0][0] != "order_id" || out[0][1] != "probability" {
		t.Fatalf("predictions: %d lines, header %v", len(out), out[0])
	}
	batch := make([]float64, n)
	for i, r := range out[1:] {
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Fatalf("line %d: %v", i+2, err)
		}
		batch[i] = v
	}

	rows := readCSV(t, test)
	header, rows := rows[0], rows[1:]
	if len(rows) != n {
		t.Fatalf("%d test rows", len(rows))
	}
	for i, r := range rows {
		if r[0] != out[i+1][0] {
			t.Fatalf("row %d: id %s in the input, %s in the output: order not kept", i+1, r[0], out[i+1][0])
		}
	}
	b, err := bundle.Read(model)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]frame.Kind{}
	for _, in := range b.Transformer.Inputs() {
		kinds[in.Name] = in.Kind
	}

	// (b) bundle.Score, one record at a time, filled from the CSV text.
	rec := b.NewRecord()
	for i, r := range rows {
		rec.Reset()
		for j, name := range header {
			if k, ok := b.Transformer.InputIndex(name); ok {
				if err := rec.SetText(k, []byte(r[j])); err != nil {
					t.Fatalf("row %d: %v", i+1, err)
				}
			}
		}
		p, err := b.Score(rec)
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		if math.Float64bits(p) != math.Float64bits(batch[i]) {
			t.Fatalf("row %d: bundle.Score %v, riskflow predict %v", i+1, p, batch[i])
		}
	}

	// (c) the HTTP server, V1 JSON.
	srv, err := serve.New(serve.Options{Source: &serve.FileSource{Files: []serve.FileModel{{Name: "m", Path: model}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	const per = 500
	for lo := 0; lo < n; lo += per {
		var body bytes.Buffer
		body.WriteString(`{"instances": [`)
		for i := lo; i < lo+per; i++ {
			if i > lo {
				body.WriteByte(',')
			}
			writeRecordJSON(&body, header, rows[i], kinds)
		}
		body.WriteString("]}")
		resp, err := http.Post(ts.URL+"/v1/models/m:predict", "application/json", &body)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Predictions []float64 `json:"predictions"`
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("rows %d-%d: status %d, %v", lo+1, lo+per, resp.StatusCode, err)
		}
		if len(got.Predictions) != per {
			t.Fatalf("rows %d-%d: %d predictions", lo+1, lo+per, len(got.Predictions))
		}
		for j, p := range got.Predictions {
			if math.Float64bits(p) != math.Float64bits(batch[lo+j]) {
				t.Fatalf("row %d: server %v, riskflow predict %v", lo+j+1, p, batch[lo+j])
			}
		}
	}
}

// writeRecordJSON writes one CSV row as a JSON object: model inputs typed by their kind (numbers
// and booleans as the CSV text, strings and times quoted), empty cells left out (missing), other
// columns as strings.
func writeRecordJSON(w *bytes.Buffer, header, row []string, kinds map[string]frame.Kind) {
	w.WriteByte('{')
	first := true
	for j, name := range header {
		v := row[j]
		if v == "" {
			continue
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		fmt.Fprintf(w, "%q:", name)
		if k := kinds[name]; k == frame.Numeric || k == frame.Bool {
			w.WriteString(v)
		} else {
			s, _ := json.Marshal(v)
			w.Write(s)
		}
	}
	w.WriteByte('}')
}
