package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"riskflow/datagen"
	"riskflow/examples"
	"riskflow/frameio"
	"riskflow/serve"
)

// demoFlags are the flags of `riskflow demo`.
type demoFlags struct {
	home      string
	addr      string
	noServe   bool
	rows      int
	testRows  int
	sets      []string
	serveOpts serveFlags
}

// demoMarkets are the markets of the example pipeline's matrix.
var demoMarkets = []string{"de", "fr", "nl"}

func (a *app) demoCmd() *cobra.Command {
	df := demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo [--home DIR] [--addr 127.0.0.1:8080] [--no-serve]",
		Short: "Run the whole job on generated data: data → pipeline (3 markets) → reports → serving",
		Long: `Run riskflow's main job end to end on embedded defaults:

  1. create a home folder (default ./.riskflow-demo) with the example pipeline
     (examples/deferred-payment: one model per market, de, fr and nl);
  2. generate training and test orders with datagen (the test rows carry the true default
     probability, so each model's AUC is shown next to the best any model can reach);
  3. run the pipeline: preprocess, train, batch predictions, the PDF/HTML report, the quality
     gate against the current champion, and deployment to the registry;
  4. serve the three champions on --addr and print a curl command for each.

A second demo run reuses everything (all stages are cached). --no-serve stops after the
pipeline.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.demo(cmd.Context(), df)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&df.home, "home", ".riskflow-demo", "home folder for the demo's data, registry, artifacts and runs")
	fl.StringVar(&df.addr, "addr", defaultAddr, "address to serve on")
	fl.BoolVar(&df.noServe, "no-serve", false, "stop after the pipeline")
	fl.IntVar(&df.rows, "rows", 300000, "training orders to generate (all three markets)")
	fl.IntVar(&df.testRows, "test-rows", 90000, "test orders to generate")
	fl.StringArrayVar(&df.sets, "set", nil, "override a pipeline value: key.path=value (repeatable)")
	return cmd
}

func (a *app) demo(ctx context.Context, df demoFlags) error {
	start := time.Now()
	if df.rows < 1000 || df.testRows < 500 {
		return usagef("demo: --rows ≥ 1000 and --test-rows ≥ 500, please")
	}
	home, err := ensureHome(df.home)
	if err != nil {
		return err
	}
	dir := filepath.Join(home, "pipeline")
	if err := writeExample(dir); err != nil {
		return err
	}
	if err := a.demoData(ctx, dir, df); err != nil {
		return err
	}
	path := filepath.Join(dir, "pipeline.yaml")
	res, err := a.runPipeline(ctx, path, runFlags{home: home, sets: df.sets, parallel: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\npipeline finished in %.1fs; reports:\n", time.Since(start).Seconds())
	for _, j := range res.Jobs {
		if j.Report != "" {
			fmt.Fprintf(a.stdout, "  %s: %s (and report.html, metrics.json beside it)\n", j.Model, j.Report)
		}
	}
	if df.noServe {
		fmt.Fprintf(a.stdout, "\nserve them with: riskflow serve --home %s\n", home)
		return nil
	}
	return a.demoServe(ctx, home, df)
}

// writeExample writes the embedded example pipeline into dir, keeping files the user edited.
func writeExample(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return err
	}
	return fs.WalkDir(examples.DeferredPayment, "deferred-payment", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dst := filepath.Join(dir, filepath.Base(p))
		if _, err := os.Stat(dst); err == nil {
			return nil
		}
		b, err := examples.DeferredPayment.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}

// demoData generates the train and test files once (datagen is deterministic, so a file that
// exists with the right name holds the right rows).
func (a *app) demoData(ctx context.Context, dir string, df demoFlags) error {
	files := []struct {
		name string
		cfg  datagen.Config
	}{
		{fmt.Sprintf("orders-train-%d.parquet", df.rows), datagen.Config{Rows: df.rows, Seed: 1, Markets: demoMarkets}},
		{fmt.Sprintf("orders-test-%d.parquet", df.testRows), datagen.Config{Rows: df.testRows, Seed: 2, Markets: demoMarkets, WithTruth: true}},
	}
	for i, f := range files {
		p := filepath.Join(dir, "data", f.name)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			t0 := time.Now()
			fr, err := datagen.GenerateFrame(ctx, f.cfg)
			if err != nil {
				return err
			}
			if err := frameio.Write(ctx, p, fr); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "generated %d orders (%s) into %s in %.1fs\n", fr.Len(), strings.Join(demoMarkets, ", "), p, time.Since(t0).Seconds())
		}
		// The example pipeline reads data/orders-train.parquet and data/orders-test.parquet.
		link := filepath.Join(dir, "data", []string{"orders-train.parquet", "orders-test.parquet"}[i])
		_ = os.Remove(link)
		if err := os.Symlink(f.name, link); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// demoServe serves the registry's champions (riskflow serve --home) and prints a curl
// command for each demo model.
func (a *app) demoServe(ctx context.Context, home string, df demoFlags) error {
	env, err := openHome(ctx, home)
	if err != nil {
		return err
	}
	sf := defaultServeFlags()
	sf.addr = df.addr
	sf.home = home // the registry's champions, following alias changes
	reg := env.pipelineRegistry()
	for _, m := range demoMarkets {
		name := "dp-" + m
		digest, ver, err := reg.Current(ctx, name, "champion")
		if err != nil || digest == "" {
			env.Close()
			return fmt.Errorf("demo: %s has no champion: %v", name, err)
		}
		fmt.Fprintf(a.stdout, "\n%s (champion v%d):\n  curl -s -XPOST http://%s/v1/models/%s:predict -d '%s'\n", name, ver, df.addr, name, demoRecord(m))
	}
	env.Close()
	fmt.Fprintln(a.stdout, "\nCtrl-C stops the server.")
	return a.serve(ctx, sf, true)
}

// demoRecord is a ready-to-paste request body for a market's model.
func demoRecord(market string) string {
	return fmt.Sprintf(`{"instances":[{"order_id":"o-1","market":%q,"order_ts":"2026-11-27T20:15:00Z","assortment":"electronics","device":"mobile","payment_method":"invoice","shipping_method":"standard","email_domain_kind":"freemail","customer_segment":"new","order_amount":249.9,"basket_size":2,"avg_item_price":124.95,"customer_age":23,"is_first_order":true,"billing_shipping_match":false,"hour_of_day":20}],"explain":3}`, market)
}

// defaultServeFlags are `riskflow serve`'s flag defaults, for the demo's server.
func defaultServeFlags() serveFlags {
	return serveFlags{
		addr: defaultAddr, canaryKey: serve.DefaultCanaryKey, queueSize: serve.DefaultQueueSize,
		queueTimeout: serve.DefaultQueueTimeout, maxBody: "1MiB", maxInstances: serve.DefaultMaxInstances,
		poll: serve.DefaultPollInterval, shutdownTimeout: 30 * time.Second, logSample: 1,
		logMaxSize: "100MB", logFormat: "text", logLevel: "info",
	}
}
