package bundle

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"riskflow/feature"
	"riskflow/frameio"
)

// Benchmarks on a real bundle file and data, e.g. the 300-tree depth-6 model that
// bench/train_vs_xgboost.sh trains:
//
//	RISKFLOW_BUNDLE=bench/out/model.bundle RISKFLOW_DATA=bench/out/test.csv \
//	  go test -run '^$' -bench 'File' -benchmem ./bundle
//
// They are skipped unless both variables are set.
func fileFixture(b *testing.B) (*Bundle, [][]float64, []string) {
	path, data := os.Getenv("RISKFLOW_BUNDLE"), os.Getenv("RISKFLOW_DATA")
	if path == "" || data == "" {
		b.Skip("set RISKFLOW_BUNDLE and RISKFLOW_DATA")
	}
	if path[0] != '/' {
		path = "../" + path
	}
	if data[0] != '/' {
		data = "../" + data
	}
	bd, err := Read(path)
	if err != nil {
		b.Fatal(err)
	}
	r, err := frameio.Open(context.Background(), data, frameio.ReadOptions{ChunkRows: 1000})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	f, err := r.Next(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	m, err := bd.Transformer.Transform(f)
	if err != nil {
		b.Fatal(err)
	}
	rows := make([][]float64, m.Rows)
	for i := range rows {
		rows[i] = m.Row(i)
	}
	var jsonl []string
	var buf bytes.Buffer
	if err := frameio.Encode(context.Background(), &buf, frameio.JSONL, f); err != nil {
		b.Fatal(err)
	}
	jsonl = strings.Split(strings.TrimSpace(buf.String()), "\n")
	return bd, rows, jsonl
}

// BenchmarkFilePredictVector: the model alone, one row (vector in).
func BenchmarkFilePredictVector(b *testing.B) {
	bd, rows, _ := fileFixture(b)
	var s float64
	i := 0
	for b.Loop() {
		s += bd.est.margin(rows[i%len(rows)])
		i++
	}
	_ = s
}

// BenchmarkFileScore: one decoded record through transformer, model and calibrator.
func BenchmarkFileScore(b *testing.B) {
	bd, _, lines := fileFixture(b)
	recs := decodeAll(b, bd, lines)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := bd.Score(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkFileExplain3: Score with 3 reason codes (exact TreeSHAP).
func BenchmarkFileExplain3(b *testing.B) {
	bd, _, lines := fileFixture(b)
	recs := decodeAll(b, bd, lines)
	var rs []Reason
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var err error
		if _, rs, err = bd.Explain(recs[i%len(recs)], 3, rs); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func decodeAll(b *testing.B, bd *Bundle, lines []string) []*feature.Record {
	recs := make([]*feature.Record, len(lines))
	for i, l := range lines {
		recs[i] = bd.NewRecord()
		if err := recs[i].DecodeJSON([]byte(l)); err != nil {
			b.Fatal(err)
		}
	}
	return recs
}
