package frameio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"riskflow/frame"
	"riskflow/frameio"
)

func ExampleDecode() {
	body := "order_id,amount,country,is_new,created_at\n" +
		"o1,12.5,DE,true,2025-03-01T12:30:00Z\n" +
		"o2,NA,\"AT\",false,2025-03-02\n"
	f, err := frameio.Decode(context.Background(), strings.NewReader(body), frameio.CSV, frameio.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range f.Columns() {
		fmt.Printf("%-10s %-9v %q %q\n", c.Name, c.Kind, c.Format(0), c.Format(1))
	}
	// Output:
	// order_id   string    "o1" "o2"
	// amount     numeric   "12.5" ""
	// country    string    "DE" "AT"
	// is_new     boolean   "true" "false"
	// created_at timestamp "2025-03-01T12:30:00Z" "2025-03-02T00:00:00Z"
}

func ExampleDecode_error() {
	body := "order_id,order_amount\no1,12.5\no2,\"12,5\"\n"
	_, err := frameio.Decode(context.Background(), strings.NewReader(body), frameio.CSV, frameio.ReadOptions{SampleRows: 1})
	fmt.Println(err)
	var pe *frameio.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Line, pe.Column)
	}
	// Output:
	// frameio: line 3: column order_amount: cannot parse "12,5" as a number
	// 3 order_amount
}

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "frameio-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "scores.parquet")
	ids := make([]float64, 10)
	for i := range ids {
		ids[i] = float64(i)
	}
	ctx := context.Background()
	if err := frameio.Write(ctx, path, frame.MustNew(frame.NumericColumn("id", ids))); err != nil {
		fmt.Println(err)
		return
	}

	r, err := frameio.Open(ctx, path, frameio.ReadOptions{ChunkRows: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for {
		chunk, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(chunk.Len(), chunk.Col(0).Num)
	}
	// Output:
	// 4 [0 1 2 3]
	// 4 [4 5 6 7]
	// 2 [8 9]
}

func ExampleCreate() {
	dir, err := os.MkdirTemp("", "frameio-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "predictions.csv")
	schema := frame.Schema{{Name: "id", Kind: frame.String}, {Name: "p", Kind: frame.Numeric}}
	w, err := frameio.Create(path, schema)
	if err != nil {
		fmt.Println(err)
		return
	}
	for batch := 0; batch < 2; batch++ {
		f := frame.MustNew(frame.StringColumn("id", []string{fmt.Sprint("o", batch)}), frame.NumericColumn("p", []float64{0.125 * float64(batch+1)}))
		if err := w.Write(f); err != nil {
			w.Abort()
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil { // nothing is under path until here
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// id,p
	// o0,0.125
	// o1,0.25
}
