package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"riskflow/serve"
	"riskflow/serve/predlog"
)

// serveFlags are the flags of `riskflow serve`.
type serveFlags struct {
	addr            string
	models          []string // NAME=PATH
	challengers     []string // NAME=PATH
	modes           []string // [NAME=]shadow|canary:P
	canaryKey       string
	modelDir        string
	home            string // serve the registry's champions (and challengers) instead of files
	workers         int
	queueSize       int
	queueTimeout    time.Duration
	maxConcurrent   int
	maxBody         string
	maxInstances    int
	poll            time.Duration
	shutdownTimeout time.Duration
	logPredictions  string
	logSample       float64
	logMaxSize      string
	logMaxFiles     int
	logFormat       string
	logLevel        string
}

// Environment variables read by serve.
const (
	envBindPort = "SAGEMAKER_BIND_TO_PORT" // SageMaker: the port to listen on (on all interfaces)
	envHashKey  = "RISKFLOW_LOG_HASH_KEY"  // the prediction log's PII hashing key
)

const defaultAddr = "127.0.0.1:8080"

func (a *app) serveCmd() *cobra.Command {
	sf := serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--model NAME=F.bundle]...",
		Short: "Serve model bundles over HTTP (V1, Open Inference Protocol v2, SageMaker)",
		Long: `Serve model bundles over HTTP on one port:

  POST /v1/models/{name}:predict                 {"instances": [{record}, ...]}, "explain": K
  POST /v2/models/{name}[/versions/{v}]/infer    Open Inference Protocol v2
  GET  /v1/models[/{name}], /v2/models/{name}[/ready], /v2/health/live|ready
  GET  /ping, POST /invocations                  SageMaker container contract
  GET  /metrics                                  Prometheus

Each --model NAME=PATH serves a bundle file under NAME. A model may carry a challenger
(--challenger NAME=PATH) that either shadows it (--mode NAME=shadow, the default: a copy of
every request is scored off the request path and both scores are logged) or takes a share of
its traffic (--mode NAME=canary:10: 10% of requests, sticky per --canary-key value). A --mode
without NAME= applies to every challenger.

/invocations takes application/json (a V1 body or one bare record) or text/csv: one row per
instance with the model's inputs in the bundle's order (listed as "inputs" by
GET /v1/models/{name}), or a header row naming the columns.

Without --model, every *.bundle file in --model-dir (default /opt/ml/model, the SageMaker
layout) is served, named after its file; the address is then 0.0.0.0:$SAGEMAKER_BIND_TO_PORT
when that variable is set and --addr is not given.

With --home DIR, every model in the riskflow registry there is served: its champion alias,
and its challenger alias in the mode the registry records (riskflow models promote NAME V
--alias challenger --mode canary:10). Alias changes are picked up at the next poll or SIGHUP,
without a restart.

Bundle files are polled (--poll) and reloaded when they change, as on SIGHUP: the new version
is loaded beside the old one and swapped in atomically; a version that fails to load leaves
the old one serving. SIGTERM or SIGINT stops accepting connections and lets requests in flight
finish (--shutdown-timeout).

--log-predictions FILE writes a sampled JSON-lines prediction log (rotated at --log-max-size);
fields marked pii in the feature spec are hashed with the key in $RISKFLOW_LOG_HASH_KEY (a
random key per run if unset).`,
		Example: `  riskflow serve --model orders=model.bundle
  riskflow serve --addr 127.0.0.1:9000 --model orders=v7.bundle --challenger orders=v8.bundle --mode orders=canary:10
  riskflow serve --model orders=v7.bundle --challenger orders=v8.bundle --log-predictions logs/predictions.jsonl --log-sample 0.1
  riskflow serve --model-dir /opt/ml/model`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), sf, cmd.Flags().Changed("addr"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&sf.addr, "addr", defaultAddr, "address to listen on")
	fl.StringArrayVar(&sf.models, "model", nil, "serve the bundle at PATH as NAME (NAME=PATH, repeatable)")
	fl.StringArrayVar(&sf.challengers, "challenger", nil, "the challenger of model NAME (NAME=PATH, repeatable)")
	fl.StringArrayVar(&sf.modes, "mode", nil, "how challengers take traffic: shadow or canary:PERCENT, for all or for one (NAME=MODE, repeatable)")
	fl.StringVar(&sf.canaryKey, "canary-key", serve.DefaultCanaryKey, "request field whose value keeps canary routing sticky (else the request id)")
	fl.StringVar(&sf.home, "home", "", "serve each registered model's champion (and challenger) from this riskflow home folder")
	fl.StringVar(&sf.modelDir, "model-dir", "/opt/ml/model", "without --model: serve every *.bundle file in this directory")
	fl.IntVar(&sf.workers, "workers", 0, "scoring slots shared by all models (0: the number of CPUs)")
	fl.IntVar(&sf.queueSize, "queue-size", serve.DefaultQueueSize, "requests that may wait per model; more get 429")
	fl.DurationVar(&sf.queueTimeout, "queue-timeout", serve.DefaultQueueTimeout, "longest wait for a scoring slot; then 503")
	fl.IntVar(&sf.maxConcurrent, "max-concurrent", 0, "requests of one model scored at once (0: --workers - 1, at least 1, so that a flooded model leaves a worker to the others)")
	fl.StringVar(&sf.maxBody, "max-body", "1MiB", "largest request body; larger ones get 413")
	fl.IntVar(&sf.maxInstances, "max-instances", serve.DefaultMaxInstances, "most instances per request; more get 413")
	fl.DurationVar(&sf.poll, "poll", serve.DefaultPollInterval, "how often bundle files are checked for changes (0: never; SIGHUP still reloads)")
	fl.DurationVar(&sf.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM/SIGINT, how long requests in flight may take to finish")
	fl.StringVar(&sf.logPredictions, "log-predictions", "", "write a JSON-lines prediction log to this file")
	fl.Float64Var(&sf.logSample, "log-sample", 1, "share of requests the prediction log keeps, in (0, 1]")
	fl.StringVar(&sf.logMaxSize, "log-max-size", "100MB", "rotate the prediction log at this size (KB, MB, GB are 1024-based)")
	fl.IntVar(&sf.logMaxFiles, "log-max-files", 0, "rotated prediction log files to keep (0: all)")
	fl.StringVar(&sf.logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.StringVar(&sf.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

func (a *app) serve(ctx context.Context, sf serveFlags, addrGiven bool) error {
	logger, err := newLogger(a.stderr, sf.logFormat, sf.logLevel)
	if err != nil {
		return err
	}
	var src serve.ModelSource
	if sf.home != "" {
		if len(sf.models) > 0 || len(sf.challengers) > 0 || len(sf.modes) > 0 {
			return usagef("serve: --home serves the registry's aliases; it does not take --model, --challenger or --mode")
		}
		rs, err := openRegistrySource(ctx, sf.home, sf.canaryKey)
		if err != nil {
			return err
		}
		defer rs.Close()
		src = rs
	} else {
		fs, err := fileSource(sf)
		if err != nil {
			return err
		}
		src = fs
	}
	maxBody, err := parseSize(sf.maxBody)
	if err != nil {
		return usagef("serve: --max-body: %v", err)
	}
	addr, err := listenAddr(sf.addr, addrGiven, len(sf.models) == 0 && sf.home == "", os.Getenv(envBindPort))
	if err != nil {
		return err
	}
	opts := serve.Options{
		Source:        src,
		Logger:        logger,
		MaxBodyBytes:  maxBody,
		MaxInstances:  sf.maxInstances,
		Workers:       sf.workers,
		QueueSize:     sf.queueSize,
		QueueTimeout:  sf.queueTimeout,
		MaxConcurrent: sf.maxConcurrent,
		PollInterval:  sf.poll,
	}
	if sf.poll == 0 {
		opts.PollInterval = -1
	}
	if err := opts.Validate(); err != nil || sf.poll < 0 || sf.shutdownTimeout <= 0 {
		if err == nil {
			err = errors.New("serve: --poll must not be negative and --shutdown-timeout must be positive")
		}
		return usageError{err}
	}

	var plog *predlog.Log
	if sf.logPredictions != "" {
		if plog, err = openPredictionLog(sf, logger); err != nil {
			return err
		}
		opts.PredictionLog = plog
	}
	closeLog := func() error {
		if plog == nil {
			return nil
		}
		return plog.Close()
	}
	srv, err := serve.New(opts)
	if err != nil {
		return errors.Join(usageError{err}, closeLog())
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		srv.Close()
		return errors.Join(fmt.Errorf("serve: %w", err), closeLog())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(a.stdout, "listening on http://%s\n", ln.Addr())
	logger.Info("listening", "addr", ln.Addr().String())

	// SIGHUP reloads; registered before the models load so that an early one is not fatal.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	t0 := time.Now()
	if err := firstLoad(ctx, srv); err != nil {
		srv.Close()
		return errors.Join(err, closeLog())
	}
	for _, m := range srv.Models() {
		fmt.Fprintf(a.stdout, "model %s version %s\n", m.Name, m.Version)
		if c := m.Challenger; c != nil {
			mode := c.Mode
			if c.Mode == "canary" {
				mode = fmt.Sprintf("canary %g%% by %s", c.Percent, c.Key)
			}
			fmt.Fprintf(a.stdout, "model %s challenger %s (%s)\n", m.Name, c.Version, mode)
		}
	}
	logger.Info("ready", "models", len(srv.Models()), "load_ms", time.Since(t0).Milliseconds())

	for {
		select {
		case <-hup:
			logger.Info("SIGHUP: reloading models")
			srv.Reload(ctx) //nolint:errcheck // Reload logs and counts each failure; the old versions keep serving
		case err := <-served:
			srv.Close()
			return errors.Join(fmt.Errorf("serve: %w", err), closeLog())
		case <-ctx.Done():
			logger.Info("shutting down", "timeout", sf.shutdownTimeout)
			sctx, cancel := context.WithTimeout(context.Background(), sf.shutdownTimeout)
			err := srv.Shutdown(sctx)
			cancel()
			<-served
			if err != nil {
				srv.Close()
				err = fmt.Errorf("serve: shutdown: requests still running after %v were cut off: %w", sf.shutdownTimeout, err)
			}
			if err = errors.Join(err, closeLog()); err == nil {
				logger.Info("stopped")
			}
			return err
		}
	}
}

// listenAddr picks the address: --addr if given; in the SageMaker container mode (no --model)
// all interfaces on $SAGEMAKER_BIND_TO_PORT when it is set; else the --addr default.
func listenAddr(addr string, addrGiven, containerMode bool, bindPort string) (string, error) {
	if addrGiven || !containerMode || bindPort == "" {
		return addr, nil
	}
	if p, err := strconv.ParseUint(bindPort, 10, 16); err != nil || p == 0 {
		return "", usagef("serve: %s=%q is not a port", envBindPort, bindPort)
	}
	return "0.0.0.0:" + bindPort, nil
}

// fileSource builds the model source from --model, --challenger and --mode, or --model-dir.
func fileSource(sf serveFlags) (*serve.FileSource, error) {
	if len(sf.models) == 0 {
		if len(sf.challengers) > 0 || len(sf.modes) > 0 {
			return nil, usagef("serve: --challenger and --mode need --model")
		}
		return &serve.FileSource{Dir: sf.modelDir}, nil
	}
	src := &serve.FileSource{}
	index := map[string]int{}
	for _, m := range sf.models {
		name, path, ok := strings.Cut(m, "=")
		if !ok || name == "" || path == "" {
			return nil, usagef("serve: --model %q: want NAME=PATH", m)
		}
		if !serve.ValidName(name) {
			return nil, usagef("serve: --model %q: %q is not a valid model name (letters, digits, _ - and .)", m, name)
		}
		if _, dup := index[name]; dup {
			return nil, usagef("serve: --model %s given twice", name)
		}
		index[name] = len(src.Files)
		src.Files = append(src.Files, serve.FileModel{Name: name, Path: path, Route: serve.Route{Key: sf.canaryKey}})
	}
	for _, c := range sf.challengers {
		name, path, ok := strings.Cut(c, "=")
		if !ok || name == "" || path == "" {
			return nil, usagef("serve: --challenger %q: want NAME=PATH", c)
		}
		i, known := index[name]
		switch {
		case !known:
			return nil, usagef("serve: --challenger %s: no --model %s", c, name)
		case src.Files[i].Challenger != "":
			return nil, usagef("serve: --challenger %s given twice", name)
		}
		src.Files[i].Challenger = path
	}
	// A plain --mode applies to all challengers; NAME=MODE to one, and wins.
	var all *serve.Route
	perModel := map[string]serve.Route{}
	for _, m := range sf.modes {
		name, spec, named := strings.Cut(m, "=")
		if !named {
			spec = m
		}
		r, err := serve.ParseRoute(spec)
		if err != nil {
			return nil, usagef("serve: --mode %q: want shadow or canary:PERCENT, optionally as NAME=MODE", m)
		}
		r.Key = sf.canaryKey
		if !named {
			all = &r
			continue
		}
		i, known := index[name]
		if !known || src.Files[i].Challenger == "" {
			return nil, usagef("serve: --mode %s: model %s has no --challenger", m, name)
		}
		perModel[name] = r
	}
	for i := range src.Files {
		f := &src.Files[i]
		if r, ok := perModel[f.Name]; ok {
			f.Route = r
		} else if all != nil {
			f.Route = *all
		}
	}
	if err := src.Validate(); err != nil {
		return nil, usageError{err}
	}
	return src, nil
}

// openPredictionLog opens the --log-predictions file.
func openPredictionLog(sf serveFlags, logger *slog.Logger) (*predlog.Log, error) {
	if sf.logSample <= 0 || sf.logSample > 1 {
		return nil, usagef("serve: --log-sample %v: want a share in (0, 1]", sf.logSample)
	}
	maxSize, err := parseSize(sf.logMaxSize)
	if err != nil || maxSize <= 0 {
		return nil, usagef("serve: --log-max-size %q: want a size such as 100MB", sf.logMaxSize)
	}
	key := []byte(os.Getenv(envHashKey))
	if len(key) > 0 && len(key) < predlog.MinHashKeyLen {
		return nil, usagef("serve: $%s has %d bytes; use at least %d", envHashKey, len(key), predlog.MinHashKeyLen)
	}
	return predlog.New(predlog.Options{
		Path:       sf.logPredictions,
		MaxBytes:   maxSize,
		MaxFiles:   sf.logMaxFiles,
		SampleRate: sf.logSample,
		HashKey:    key,
		Logger:     logger.With("component", "predlog"),
	})
}

// newLogger makes the slog logger on stderr.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("serve: --log-level %q: want debug, info, warn or error", level)
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, usagef("serve: --log-format %q: want text or json", format)
}

// parseSize parses a byte size: a whole number with an optional unit B, K/KB/KiB, M/MB/MiB or
// G/GB/GiB (all 1024-based, so 100MB is 100 MiB), case-insensitive.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size such as 1MiB or 100MB", s)
	}
	shift := 0
	switch strings.ToLower(strings.TrimSpace(t[i:])) {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	default:
		return 0, fmt.Errorf("%q: unknown unit (want B, KB, MB or GB)", s)
	}
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n << shift, nil
}

// loadGCPercent is the garbage collector's target during the first load of the models: the
// heap then grows from nothing to the models' size, almost all of it live, and each of the
// collections GOGC=100 makes on the way scans it again. Measured on a start with 10 bundles
// of 300 trees (GODEBUG=gctrace=1): 1 collection instead of 3, each costing 30-50 ms of CPU;
// bench/coldstart.sh's wall-time medians moved by less than the machine's noise (202-242 ms
// against 203-219 ms).
const loadGCPercent = 400

// firstLoad loads the models for the first time into huge pages (see adviseHeapHuge) with the
// collector's target raised to loadGCPercent (unless GOGC already asks for more or turns it
// off), then restores the target.
func firstLoad(ctx context.Context, srv *serve.Server) error {
	adviseHeapHuge(hugeHeap)
	if prev := debug.SetGCPercent(loadGCPercent); prev < 0 || prev > loadGCPercent {
		debug.SetGCPercent(prev)
	} else {
		defer debug.SetGCPercent(prev)
	}
	return srv.Reload(ctx)
}
