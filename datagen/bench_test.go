package datagen

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"riskflow/frame"
)

func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"rows=1M", Config{Rows: 1 << 20, Seed: 1}},
		{"rows=1M/truth", Config{Rows: 1 << 20, Seed: 1, WithTruth: true}},
		{"rows=1M/workers=1", Config{Rows: 1 << 20, Seed: 1, Workers: 1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rows := 0
			for b.Loop() {
				err := Generate(context.Background(), bc.cfg, func(f *frame.Frame) error {
					rows += f.Len()
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkFinish measures the serial part of a chunk: dictionary-encoding the String columns.
func BenchmarkFinish(b *testing.B) {
	m := newModel(Config{Rows: 1 << 20, Seed: 1})
	g := newRowGen()
	c := m.newChunk(0, DefaultChunkRows)
	var o row
	for j := range c.n {
		m.generate(j, g, &o)
		c.set(int(j), &o)
	}
	codes := make([][]int32, len(c.cols))
	for k, col := range c.cols {
		codes[k] = slices.Clone(col.Codes)
	}
	customers := slices.Clone(c.customers)
	for b.Loop() {
		for k, col := range c.cols {
			copy(col.Codes, codes[k])
			col.Dict = nil
		}
		c.customers = slices.Clone(customers)
		c.finish(m)
	}
	b.ReportMetric(float64(b.N)*float64(c.n)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRow measures generating one row, without the chunk machinery.
func BenchmarkRow(b *testing.B) {
	for _, truth := range []bool{false, true} {
		b.Run(fmt.Sprintf("truth=%v", truth), func(b *testing.B) {
			m := newModel(Config{Rows: 1 << 20, Seed: 1, WithTruth: truth})
			g := newRowGen()
			var o row
			i := int64(0)
			for b.Loop() {
				m.generate(i&(1<<20-1), g, &o)
				i++
			}
		})
	}
}
