package datagen_test

import (
	"context"
	"fmt"

	"riskflow/datagen"
	"riskflow/frame"
)

// Stream 150,000 orders from two markets in chunks of 65,536 rows, as the riskflow datagen
// command does with a file writer.
func ExampleGenerate() {
	cfg := datagen.Config{Rows: 150_000, Seed: 7, Markets: []string{"de", "at"}}
	rows, defaults := 0, 0.0
	err := datagen.Generate(context.Background(), cfg, func(f *frame.Frame) error {
		label, _ := f.Column(datagen.LabelColumn)
		for _, y := range label.Num {
			defaults += y
		}
		rows += f.Len()
		fmt.Println("chunk of", f.Len(), "rows")
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d rows, default rate between 3%% and 6%%: %v\n", rows, defaults/float64(rows) > 0.03 && defaults/float64(rows) < 0.06)
	// Output:
	// chunk of 65536 rows
	// chunk of 65536 rows
	// chunk of 18928 rows
	// 150000 rows, default rate between 3% and 6%: true
}

func ExampleGenerateFrame() {
	f, err := datagen.GenerateFrame(context.Background(), datagen.Config{Rows: 1000, Seed: 1, WithTruth: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Len(), "rows,", f.NumCols(), "columns")
	ids, _ := f.Column("order_id")
	fmt.Println(ids.Format(0), ids.Format(999))
	// Output:
	// 1000 rows, 25 columns
	// o-000000001 o-000001000
}

func ExampleConfig_Validate() {
	err := datagen.Config{Rows: 10, Markets: []string{"de", "uk"}}.Validate()
	fmt.Println(err)
	// Output:
	// datagen: unknown market "uk"; valid markets: de, at, ch, nl, be, fr, es, it, se, no, dk, fi, pl
}
