package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"riskflow/bundle"
	"riskflow/frame"
	"riskflow/frameio"
	"riskflow/internal/progress"
)

type predictFlags struct {
	bundlePath, in, out, keep string
	explain                   int
	quiet                     bool
}

func (a *app) predictCmd() *cobra.Command {
	var pf predictFlags
	cmd := &cobra.Command{
		Use:   "predict --bundle model.bundle --in FILE --out FILE",
		Short: "Score a data file with a model bundle (batch predictions)",
		Long: `Score every row of a data file with a model bundle and write the predictions: the id
column (if the bundle's feature spec names one), any --keep columns, "probability", and with
--explain K the top K reason codes per row (reason_1, reason_1_contribution, ...): the raw
input fields that raised the default risk most, with their contributions in log-odds.

Input and output formats follow the file extensions (.csv, .parquet, .jsonl). The file is
streamed in chunks, so memory stays bounded whatever its size, and rows keep their order.
Scoring runs the same code as 'riskflow serve'.`,
		Example: `  riskflow predict --bundle model.bundle --in test.csv --out predictions.csv
  riskflow predict --bundle model.bundle --in orders.parquet --out scored.parquet --explain 3 --keep market`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.predict(cmd.Context(), pf)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&pf.bundlePath, "bundle", "", "model bundle file (required)")
	fl.StringVar(&pf.in, "in", "", "input data: .csv, .parquet or .jsonl (required)")
	fl.StringVar(&pf.out, "out", "", "output file: .csv, .parquet or .jsonl (required)")
	fl.StringVar(&pf.keep, "keep", "", "comma-separated input columns to copy to the output")
	fl.IntVar(&pf.explain, "explain", 0, "add the top K reason codes per row")
	fl.BoolVarP(&pf.quiet, "quiet", "q", false, "no progress bar or summary")
	return cmd
}

func (a *app) predict(ctx context.Context, pf predictFlags) error {
	start := time.Now()
	if pf.bundlePath == "" || pf.in == "" || pf.out == "" {
		return usagef("predict: --bundle, --in and --out are required")
	}
	if pf.explain < 0 {
		return usagef("predict: --explain %d: want ≥ 0", pf.explain)
	}
	b, err := bundle.Read(pf.bundlePath)
	if err != nil {
		return err
	}
	kinds := transformerKinds(b.Transformer)
	r, err := frameio.Open(ctx, pf.in, frameio.ReadOptions{Kinds: kinds})
	if err != nil {
		return err
	}
	defer r.Close()

	var pass []string
	if id := b.Transformer.Spec().ID; id != "" && r.Schema().Index(id) >= 0 {
		pass = append(pass, id)
	}
	if pf.keep != "" {
		for _, c := range strings.Split(pf.keep, ",") {
			if r.Schema().Index(c) < 0 {
				return usagef("predict: --keep %s: no such column in %s", c, pf.in)
			}
			if len(pass) == 0 || pass[0] != c {
				pass = append(pass, c)
			}
		}
	}
	schema := frame.Schema{}
	for _, c := range pass {
		schema = append(schema, r.Schema()[r.Schema().Index(c)])
	}
	schema = append(schema, frame.Field{Name: "probability", Kind: frame.Numeric})
	for k := 1; k <= pf.explain; k++ {
		schema = append(schema,
			frame.Field{Name: fmt.Sprintf("reason_%d", k), Kind: frame.String},
			frame.Field{Name: fmt.Sprintf("reason_%d_contribution", k), Kind: frame.Numeric})
	}
	w, err := frameio.Create(pf.out, schema)
	if err != nil {
		return err
	}
	bar := progress.Start(a.stderr, !pf.quiet, progress.Options{Name: "scoring", Unit: "rows"})
	rows, err := scoreStream(ctx, b, r, w, pass, pf.explain, bar)
	bar.Done()
	if err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if !pf.quiet {
		took := time.Since(start).Seconds()
		fmt.Fprintf(a.stderr, "scored %d rows in %.1fs (%.0f rows/s); wrote %s\n", rows, took, float64(rows)/took, pf.out)
	}
	return nil
}

// scoreStream scores r chunk by chunk into w.
func scoreStream(ctx context.Context, b *bundle.Bundle, r *frameio.Reader, w *frameio.Writer, pass []string, k int, bar *progress.Bar) (int, error) {
	rows := 0
	var p []float64
	var reasons []bundle.Reason
	for {
		chunk, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		n := chunk.Len()
		p = resize(p, n)
		if k > 0 {
			reasons = resize(reasons, n*k)
			err = b.ExplainFrame(ctx, chunk, k, p, reasons)
		} else {
			err = b.ScoreFrame(ctx, chunk, p)
		}
		if err != nil {
			return rows, fmt.Errorf("rows %d-%d: %w", rows+1, rows+n, err)
		}
		cols := make([]*frame.Column, 0, len(pass)+1+2*k)
		for _, c := range pass {
			col, _ := chunk.Column(c)
			cols = append(cols, col)
		}
		cols = append(cols, frame.NumericColumn("probability", p))
		for j := 0; j < k; j++ {
			names := frame.NewColumn(fmt.Sprintf("reason_%d", j+1), frame.String, n)
			contrib := make([]float64, n)
			for i := 0; i < n; i++ {
				rs := reasons[i*k+j]
				if rs.Feature == "" {
					names.AppendMissing()
					contrib[i] = nan
					continue
				}
				names.AppendString(rs.Feature)
				contrib[i] = rs.Contribution
			}
			cols = append(cols, names, frame.NumericColumn(fmt.Sprintf("reason_%d_contribution", j+1), contrib))
		}
		out, err := frame.New(cols...)
		if err != nil {
			return rows, err
		}
		if err := w.Write(out); err != nil {
			return rows, err
		}
		rows += n
		bar.Add(int64(n))
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
