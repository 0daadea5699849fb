package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"riskflow/internal/progress"
	"riskflow/loadtest"
)

type loadtestFlags struct {
	url, rates, body, records, method string
	headers                           []string
	duration, timeout, warmup         time.Duration
	connections, maxRequests          int
	max, json                         bool
}

func (a *app) loadtestCmd() *cobra.Command {
	var lf loadtestFlags
	cmd := &cobra.Command{
		Use:   "loadtest --url URL --rate R[,R...] --duration D (--body F | --records F.jsonl)",
		Short: "Measure an HTTP endpoint's latency and throughput under constant-rate load",
		Long: `Send requests to an HTTP endpoint (typically 'riskflow serve') at each constant rate for
--duration, and print per rate the requests, the share of 2xx responses, their throughput and
the latency percentiles p50, p90, p99, p99.9 and max (from an HDR histogram, within 0.1%).

The load is an open model: requests start on schedule whatever the server does, so a slow
server meets the full rate and its queueing shows in the latencies. With --max --connections N
it is a closed loop instead: N connections each send the next request as soon as the previous
one is answered, and the rate/s column is the throughput they reach.

With --records, each line of the JSONL file (one JSON object per line) is sent in turn, cycling,
wrapped in the v1 predict body {"instances":[<record>]}; with --body the file is sent as is.
A success is a 2xx response; failures are listed below the table by status and message.

With --json, one JSON object per rate is printed on its own line instead of the table: the
fields of loadtest.Report, durations in integer nanoseconds (keys ending in _ns), success as a
ratio. A progress line is drawn on stderr when it is a terminal. Ctrl-C stops the test and
prints what was measured.`,
		Example: `  riskflow loadtest --url http://127.0.0.1:8080/v1/models/risk:predict --records orders.jsonl \
      --rate 200,400,1000 --duration 30s
  riskflow loadtest --url http://127.0.0.1:8080/v1/models/risk:predict --body request.json \
      --max --connections 64 --duration 20s --warmup 5s --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.loadtest(cmd.Context(), lf)
		},
	}
	f := cmd.Flags()
	f.StringVar(&lf.url, "url", "", "URL to send the requests to (required)")
	f.StringVar(&lf.rates, "rate", "", "comma-separated rates in requests per second, each run for --duration (required unless --max)")
	f.DurationVar(&lf.duration, "duration", 10*time.Second, "how long each rate (or the --max run) lasts")
	f.StringVar(&lf.body, "body", "", "file whose content is every request's body")
	f.StringVar(&lf.records, "records", "", `JSONL file of records, sent in turn as {"instances":[<record>]}`)
	f.StringVar(&lf.method, "method", http.MethodPost, "HTTP method")
	f.StringArrayVar(&lf.headers, "header", nil, `request header "Key: Value" (repeatable; default Content-Type: application/json)`)
	f.DurationVar(&lf.timeout, "timeout", loadtest.DefaultTimeout, "time a request may take before it counts as failed")
	f.DurationVar(&lf.warmup, "warmup", 0, "load each rate for this long first, and discard the results")
	f.IntVar(&lf.connections, "connections", 0, "maximum connections (and requests in flight); 0: as many as the rate needs. With --max: the number of connections (required)")
	f.BoolVar(&lf.max, "max", false, "measure the highest throughput of --connections connections in a closed loop")
	f.IntVar(&lf.maxRequests, "max-requests", 0, "stop each run after this many requests (0: no limit besides --duration)")
	f.BoolVar(&lf.json, "json", false, "print one JSON object per rate instead of the table")
	return cmd
}

func (a *app) loadtest(ctx context.Context, lf loadtestFlags) error {
	target, rates, opts, err := lf.parse()
	if err != nil {
		return err
	}
	if lf.body != "" {
		b, err := os.ReadFile(lf.body)
		if err != nil {
			return fmt.Errorf("loadtest: %w", err)
		}
		target.Bodies = [][]byte{b}
	} else if lf.records != "" {
		if target.Bodies, err = loadtest.LoadRecords(lf.records); err != nil {
			return err
		}
	}

	live := progress.IsTerminal(a.stderr)
	if live {
		opts = append(opts, loadtest.OnProgress(200*time.Millisecond, func(p loadtest.Progress) {
			fmt.Fprintf(a.stderr, "\r\033[K%s", p)
		}))
	}
	var reports []*loadtest.Report
	runs := len(rates)
	if lf.max {
		runs = 1
	}
	for i := range runs {
		var rep *loadtest.Report
		if lf.max {
			rep, err = loadtest.RunMax(ctx, target, lf.connections, lf.duration, opts...)
		} else {
			rep, err = loadtest.Run(ctx, target, rates[i], lf.duration, opts...)
		}
		if live {
			fmt.Fprint(a.stderr, "\r\033[K")
			if rep != nil {
				fmt.Fprintln(a.stderr, loadtestSummary(rep))
			}
		}
		if rep != nil {
			reports = append(reports, rep)
			if lf.json {
				if jerr := json.NewEncoder(a.stdout).Encode(rep); jerr != nil {
					return jerr
				}
			}
		}
		if err != nil {
			break
		}
	}
	if !lf.json && len(reports) > 0 {
		if werr := loadtest.WriteTable(a.stdout, reports); werr != nil {
			return werr
		}
	}
	return err
}

// parse checks the flags and turns them into a target (without bodies), the rates and the
// options.
func (lf loadtestFlags) parse() (loadtest.Target, []float64, []loadtest.Option, error) {
	var t loadtest.Target
	if lf.url == "" {
		return t, nil, nil, usagef("loadtest: --url is required")
	}
	t.URL, t.Method = lf.url, strings.ToUpper(lf.method)
	if err := t.Validate(); err != nil {
		return t, nil, nil, usageError{err}
	}
	var rates []float64
	switch {
	case lf.max && lf.rates != "":
		return t, nil, nil, usagef("loadtest: --rate and --max exclude each other")
	case lf.max && lf.connections < 1:
		return t, nil, nil, usagef("loadtest: --max needs --connections N (N ≥ 1)")
	case !lf.max:
		var err error
		if rates, err = parseLoadtestRates(lf.rates); err != nil {
			return t, nil, nil, err
		}
	}
	switch {
	case lf.body != "" && lf.records != "":
		return t, nil, nil, usagef("loadtest: --body and --records exclude each other")
	case lf.body == "" && lf.records == "" && t.Method != http.MethodGet && t.Method != http.MethodHead:
		return t, nil, nil, usagef("loadtest: --body or --records is required (unless --method is GET or HEAD)")
	case lf.duration <= 0:
		return t, nil, nil, usagef("loadtest: --duration must be positive, got %v", lf.duration)
	case lf.timeout <= 0:
		return t, nil, nil, usagef("loadtest: --timeout must be positive, got %v", lf.timeout)
	case lf.warmup < 0:
		return t, nil, nil, usagef("loadtest: --warmup must be ≥ 0, got %v", lf.warmup)
	case lf.connections < 0:
		return t, nil, nil, usagef("loadtest: --connections must be ≥ 0, got %d", lf.connections)
	case lf.maxRequests < 0:
		return t, nil, nil, usagef("loadtest: --max-requests must be ≥ 0, got %d", lf.maxRequests)
	}
	t.Header = http.Header{}
	for _, h := range lf.headers {
		k, v, ok := strings.Cut(h, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return t, nil, nil, usagef(`loadtest: --header %q: want "Key: Value"`, h)
		}
		t.Header.Add(k, strings.TrimSpace(v))
	}
	if t.Header.Get("Content-Type") == "" {
		t.Header.Set("Content-Type", "application/json")
	}
	opts := []loadtest.Option{
		loadtest.Timeout(lf.timeout),
		loadtest.Warmup(lf.warmup),
		loadtest.MaxRequests(lf.maxRequests),
	}
	if !lf.max {
		opts = append(opts, loadtest.Connections(lf.connections))
	}
	return t, rates, opts, nil
}

// parseLoadtestRates parses "200,400,1000": positive, finite rates in requests per second.
func parseLoadtestRates(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, usagef("loadtest: --rate is required (or --max --connections N)")
	}
	var rates []float64
	for _, f := range strings.Split(s, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(r > 0) || math.IsInf(r, 0) {
			return nil, usagef("loadtest: --rate %q: want positive numbers of requests per second, like 200,400,1000", s)
		}
		rates = append(rates, r)
	}
	return rates, nil
}

// loadtestSummary is the line left on the terminal when a run ends.
func loadtestSummary(r *loadtest.Report) string {
	what := strconv.FormatFloat(r.Rate, 'f', -1, 64) + "/s"
	if r.Mode == loadtest.ModeMax {
		what = fmt.Sprintf("max %d connections: %.0f/s", r.Connections, r.RequestRate)
	}
	s := fmt.Sprintf("%s: %d requests, %.2f%% success, p99 %.2fms", what, r.Requests, 100*r.Success,
		float64(r.Latencies.P99)/float64(time.Millisecond))
	if r.Canceled {
		s += " (interrupted)"
	}
	return s
}
