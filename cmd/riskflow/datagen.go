package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"riskflow/datagen"
	"riskflow/frame"
	"riskflow/frameio"
	"riskflow/internal/progress"
)

func (a *app) datagenCmd() *cobra.Command {
	var (
		cfg     datagen.Config
		markets string
		out     string
		quiet   bool
	)
	cmd := &cobra.Command{
		Use:   "datagen --rows N --out FILE",
		Short: "Generate synthetic deferred-payment orders with a known default probability",
		Long: `Generate synthetic deferred-payment orders: about 25 raw columns (market, assortment,
amounts, customer history, device, ...) and the label "default", drawn from a known model.
With --with-truth the column true_probability holds each row's true default probability, so
the best achievable AUC and log-loss of any model (the Bayes limit) can be computed.

The output format follows the file extension: .csv, .parquet or .jsonl. The same --seed
(with the same --rows and --markets) gives the same file byte for byte.`,
		Example: `  riskflow datagen --rows 100000 --out orders.csv
  riskflow datagen --rows 1000000 --seed 7 --markets de,fr,nl --with-truth --out train.parquet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("datagen: --out is required")
			}
			if cfg.Rows <= 0 {
				return usagef("datagen: --rows must be positive, got %d", cfg.Rows)
			}
			if markets != "" {
				cfg.Markets = strings.Split(markets, ",")
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			start := time.Now()
			w, err := frameio.Create(out, cfg.Schema())
			if err != nil {
				return err
			}
			bar := progress.Start(a.stderr, !quiet, progress.Options{Name: "generating", Unit: "rows", Total: int64(cfg.Rows)})
			err = datagen.Generate(cmd.Context(), cfg, func(f *frame.Frame) error {
				bar.Add(int64(f.Len()))
				return w.Write(f)
			})
			bar.Done()
			if err != nil {
				w.Abort()
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(a.stderr, "wrote %d rows to %s in %.1fs\n", cfg.Rows, out, time.Since(start).Seconds())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Rows, "rows", 0, "number of orders to generate (required)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed: the same seed gives the same data")
	f.StringVar(&markets, "markets", "", "comma-separated market codes to generate (default all: "+strings.Join(datagen.Markets(), ",")+")")
	f.BoolVar(&cfg.WithTruth, "with-truth", false, "add the column true_probability")
	f.StringVar(&out, "out", "", "output file: .csv, .parquet or .jsonl (required)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar or summary")
	return cmd
}
