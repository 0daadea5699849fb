package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// DefaultTimeout is the default time a request may take, from sending it to reading the whole
// response.
const DefaultTimeout = 5 * time.Second

// defaultProgressEvery is the progress interval when OnProgress is given a non-positive one.
const defaultProgressEvery = 250 * time.Millisecond

// keptBody is the number of response body bytes kept per request: enough for an error message.
// The rest is read and discarded.
const keptBody = 512

// Option configures Run and RunMax.
type Option func(*config)

type config struct {
	timeout     time.Duration
	connections int
	warmup      time.Duration
	maxRequests int
	every       time.Duration
	progress    func(Progress)
}

func newConfig(opts []Option) (config, error) {
	c := config{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case c.timeout <= 0:
		return c, fmt.Errorf("loadtest: timeout must be positive, got %v", c.timeout)
	case c.connections < 0:
		return c, fmt.Errorf("loadtest: connections must be ≥ 0, got %d", c.connections)
	case c.warmup < 0:
		return c, fmt.Errorf("loadtest: warmup must be ≥ 0, got %v", c.warmup)
	case c.maxRequests < 0:
		return c, fmt.Errorf("loadtest: max requests must be ≥ 0, got %d", c.maxRequests)
	}
	if c.every <= 0 {
		c.every = defaultProgressEvery
	}
	return c, nil
}

// Timeout sets the time a request may take, from sending it to reading the whole response
// (default DefaultTimeout). A request that takes longer fails with "timeout after D".
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// Connections bounds Run's concurrency: at most n requests in flight, on at most n connections
// (vegeta's MaxWorkers and MaxConnections). 0, the default, means no bound: Run then opens as
// many connections as the rate and the server's latency need, which is what an open-model test
// should do. With a bound, a server slower than rate/n per request makes requests start late,
// and Report.RequestRate falls below the target rate. RunMax ignores this option: its
// connections argument sets the number.
func Connections(n int) Option { return func(c *config) { c.connections = n } }

// Warmup runs the same load for d before the measurement and discards its results (default 0).
// The warmed-up connections are kept for the measurement.
func Warmup(d time.Duration) Option { return func(c *config) { c.warmup = d } }

// MaxRequests stops the measurement after n requests, even if the duration has not passed
// (default 0: no bound besides the duration; Run sends at most rate × duration requests).
func MaxRequests(n int) Option { return func(c *config) { c.maxRequests = n } }

// OnProgress makes Run and RunMax call fn about every interval with the progress of the running
// phase (warmup or measurement). fn is called on the goroutine that called Run and must return
// quickly. A non-positive every means 250ms.
func OnProgress(every time.Duration, fn func(Progress)) Option {
	return func(c *config) { c.every, c.progress = every, fn }
}

// Progress is a snapshot of a running phase, passed to the OnProgress function.
type Progress struct {
	Mode        Mode
	Warmup      bool    // the warmup phase, whose results are discarded
	Rate        float64 // target rate, requests/s (0 in ModeMax)
	Connections int
	Elapsed     time.Duration // since the phase started
	Duration    time.Duration // planned length of the phase
	Requests    int           // answered so far
	Success     float64       // fraction of 2xx so far
}

// String formats p as one short line, e.g.
// "rate 400/s  12.3s/30s  4920 requests  100.00% success".
func (p Progress) String() string {
	var s string
	if p.Warmup {
		s = "warmup  "
	}
	if p.Mode == ModeMax {
		s += fmt.Sprintf("max %d connections", p.Connections)
	} else {
		s += "rate " + formatRate(p.Rate) + "/s"
	}
	s += fmt.Sprintf("  %.1fs/%s  %d requests", p.Elapsed.Seconds(), p.Duration, p.Requests)
	if p.Mode == ModeMax && p.Elapsed > 0 {
		s += fmt.Sprintf(" (%.0f/s)", float64(p.Requests)/p.Elapsed.Seconds())
	}
	return s + fmt.Sprintf("  %.2f%% success", 100*p.Success)
}

// Run sends requests for t at a constant rate (requests per second) for duration d, whatever
// the responses (an open model: a slow server does not slow the load down), and reports the
// outcome. The rate is exact: request i starts at i/rate seconds, and the measurement sends
// round(rate × d) requests unless it falls behind or MaxRequests is smaller. Run returns when
// the last response has arrived or timed out.
//
// When ctx is canceled, in-flight requests are aborted and not counted, and Run returns what it
// measured until then (with Report.Canceled set) together with ctx's error; canceled during the
// warmup, it returns a nil Report.
func Run(ctx context.Context, t Target, rate float64, d time.Duration, opts ...Option) (*Report, error) {
	if !(rate > 0) || math.IsInf(rate, 1) {
		return nil, fmt.Errorf("loadtest: rate must be a positive number of requests per second, got %v", rate)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return run(ctx, t, load{mode: ModeRate, rate: rate, conns: cfg.connections}, d, cfg)
}

// RunMax measures the highest throughput n connections reach: a closed loop in which each of n
// workers sends the next request as soon as the previous one is answered, for duration d (or
// until MaxRequests). Report.RequestRate is the achieved rate. Cancellation is as for Run.
func RunMax(ctx context.Context, t Target, connections int, d time.Duration, opts ...Option) (*Report, error) {
	if connections < 1 {
		return nil, fmt.Errorf("loadtest: connections must be ≥ 1, got %d", connections)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return run(ctx, t, load{mode: ModeMax, conns: connections}, d, cfg)
}

// load is the shape of the traffic: an open model at rate with at most conns connections
// (0: unbounded), or a closed loop of conns connections.
type load struct {
	mode  Mode
	rate  float64
	conns int
}

func run(ctx context.Context, t Target, l load, d time.Duration, cfg config) (*Report, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if d <= 0 {
		return nil, fmt.Errorf("loadtest: duration must be positive, got %v", d)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, transport := newClient(ctx, cfg.timeout, l.conns)
	defer transport.CloseIdleConnections()
	tr := t.targeter() // shared by both phases: the measurement continues the body cycle
	ph := phase{load: l, client: client, targeter: tr, url: t.URL, cfg: cfg}
	if cfg.warmup > 0 {
		ph.warmup, ph.d = true, cfg.warmup
		ph.run(ctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	ph.warmup, ph.d, ph.limit = false, d, cfg.maxRequests
	rep := ph.run(ctx)
	if err := ctx.Err(); err != nil {
		rep.Canceled = true
		return rep, err
	}
	return rep, nil
}

// phase is one attack: the warmup or the measurement.
type phase struct {
	load
	client   *http.Client
	targeter vegeta.Targeter
	url      string
	cfg      config
	warmup   bool
	d        time.Duration
	limit    int // 0: none besides the rate and d
}

// run runs the attack until d has passed, the request limit is reached or ctx is canceled, and
// returns its report once every response has arrived.
func (ph *phase) run(ctx context.Context) *Report {
	opts := []func(*vegeta.Attacker){
		vegeta.Client(ph.client),
		vegeta.MaxBody(keptBody),
	}
	switch {
	case ph.mode == ModeMax:
		opts = append(opts, vegeta.Workers(uint64(ph.conns)), vegeta.MaxWorkers(uint64(ph.conns)))
	case ph.conns > 0:
		opts = append(opts, vegeta.Workers(min(vegeta.DefaultWorkers, uint64(ph.conns))), vegeta.MaxWorkers(uint64(ph.conns)))
	}
	atk := vegeta.NewAttacker(opts...)

	limit := uint64(ph.limit)
	if n := math.Round(ph.rate * ph.d.Seconds()); ph.rate > 0 && n < 1<<62 {
		if n := uint64(max(n, 1)); limit == 0 || n < limit {
			limit = n
		}
	}
	start := time.Now()
	var interval time.Duration
	if ph.rate > 0 {
		interval = time.Duration(float64(time.Second) / ph.rate)
	}
	col := newCollector(ph.url, ph.cfg.timeout, interval)
	results := atk.Attack(ph.targeter, pacer{rate: ph.rate, limit: limit}, ph.d, "")
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	var tick <-chan time.Time
	if ph.cfg.progress != nil {
		t := time.NewTicker(ph.cfg.every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case r, ok := <-results:
			if !ok {
				rep := col.report()
				rep.Mode, rep.Rate, rep.Connections = ph.mode, ph.rate, ph.conns
				return rep
			}
			if r.Code == 0 && ctx.Err() != nil {
				continue // aborted by the cancellation: not the server's failure
			}
			col.add(r)
		case <-tick:
			p := Progress{
				Mode: ph.mode, Warmup: ph.warmup, Rate: ph.rate, Connections: ph.conns,
				Elapsed: time.Since(start), Duration: ph.d, Requests: col.requests,
			}
			if col.requests > 0 {
				p.Success = float64(col.ok) / float64(col.requests)
			}
			ph.cfg.progress(p)
		}
	}
}

// pacer is a vegeta.Pacer: request i is due at i/rate seconds (rate 0: at once, which with a
// fixed number of workers makes a closed loop), and there are at most limit requests (0: no
// limit).
type pacer struct {
	rate  float64
	limit uint64
}

var _ vegeta.Pacer = pacer{}

func (p pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.limit > 0 && hits >= p.limit {
		return 0, true
	}
	if p.rate <= 0 {
		return 0, false
	}
	return time.Duration(float64(hits)*1e9/p.rate) - elapsed, false
}

func (p pacer) Rate(time.Duration) float64 { return p.rate }

// newClient returns the HTTP client of one run and its transport (to close the idle
// connections at the end). Every request gets a context derived from ctx with the timeout, so
// canceling ctx aborts the requests in flight at once. Redirects are not followed: a 3xx is a
// response like any other, and not a success.
func newClient(ctx context.Context, timeout time.Duration, conns int) (*http.Client, *http.Transport) {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	idle := vegeta.DefaultConnections
	if conns > 0 {
		idle = conns
	}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: idle,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: timeout,
	}
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := transport.RoundTrip(req.WithContext(rctx))
		if err != nil {
			cancel()
			return nil, err
		}
		resp.Body = cancelBody{resp.Body, cancel}
		return resp, nil
	})
	return &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, transport
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// cancelBody releases the request's context when the response body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
