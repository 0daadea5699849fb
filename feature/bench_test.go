package feature

import (
	"testing"
)

// The benchmarks use the order spec (25 features over the 20 input fields of datagen's 23
// columns) fitted on 20,000 generated orders, and testdata/requests/typical.json.

func benchTransformer(b *testing.B) *Transformer {
	b.Helper()
	return mustFit(b, orderSpecYAML, orderFrame(20_000, 1, genOptions{}))
}

// BenchmarkVector: one online request's features from a decoded record.
func BenchmarkVector(b *testing.B) {
	tr := benchTransformer(b)
	rec := tr.NewRecord()
	if err := rec.DecodeJSON(readFile(b, "testdata/requests/typical.json")); err != nil {
		b.Fatal(err)
	}
	dst := make([]float64, 0, tr.NumOutputs())
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if dst, err = tr.Vector(dst[:0], rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeJSON: one online request's JSON into a record.
func BenchmarkDecodeJSON(b *testing.B) {
	tr := benchTransformer(b)
	rec := tr.NewRecord()
	data := readFile(b, "testdata/requests/typical.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := rec.DecodeJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeJSONVector: the whole per-request feature path.
func BenchmarkDecodeJSONVector(b *testing.B) {
	tr := benchTransformer(b)
	rec := tr.NewRecord()
	data := readFile(b, "testdata/requests/typical.json")
	dst := make([]float64, 0, tr.NumOutputs())
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if err := rec.DecodeJSON(data); err != nil {
			b.Fatal(err)
		}
		if dst, err = tr.Vector(dst[:0], rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransform: a batch of 100,000 orders (with unknown levels and missing values).
func BenchmarkTransform(b *testing.B) {
	tr := benchTransformer(b)
	f := orderFrame(100_000, 2, genOptions{unseen: true})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Transform(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.Len())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkFit: fitting the order spec on 100,000 orders.
func BenchmarkFit(b *testing.B) {
	spec := mustSpec(b, orderSpecYAML)
	f := orderFrame(100_000, 1, genOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(spec, f); err != nil {
			b.Fatal(err)
		}
	}
}
