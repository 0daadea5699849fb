package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/singleflight"
)

// Server serves models over HTTP. Make one with New, load its models with Reload, and either
// use it as an http.Handler or run it with Serve; Shutdown stops it gracefully, Close at once.
// Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	plog    PredictionLog
	metrics *metrics
	sched   *scheduler
	shadow  *shadowPool
	mux     *http.ServeMux

	set   atomic.Pointer[modelSet] // the served models; never nil after New
	calls sync.Pool                // *call

	reloadMu sync.Mutex
	failed   map[string]string // model "/" role → the Ref key that last failed to load; reloadMu
	loads    singleflight.Group

	idPrefix string
	idSeq    atomic.Uint64

	mu      sync.Mutex
	httpSrv *http.Server // set by Serve
	stop    context.CancelFunc
	bg      sync.WaitGroup // the watcher goroutine
	closed  bool

	// testHook, when set by tests, runs before each scoring job with the version scoring and
	// whether it scores a shadow copy.
	testHook func(md *model, shadow bool)
}

var _ http.Handler = (*Server)(nil)

// New validates o and returns a server with no models loaded yet (not ready): call Reload to
// load them. If o.PollInterval is positive, a goroutine polls the source; Shutdown or Close
// stops it.
func New(o Options) (*Server, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	var idb [4]byte
	rand.Read(idb[:]) //nolint:errcheck // crypto/rand.Read does not fail
	s := &Server{
		opts:     o,
		log:      o.Logger,
		plog:     o.PredictionLog,
		sched:    newScheduler(o.Workers),
		failed:   make(map[string]string),
		idPrefix: hex.EncodeToString(idb[:]) + "-",
	}
	s.set.Store(&modelSet{entries: map[string]*entry{}})
	s.metrics = newMetrics(s)
	s.shadow = newShadowPool(s, o.ShadowQueue, o.ShadowWorkers)
	s.calls.New = func() any { return &call{s: s} }
	s.routes()
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if o.PollInterval > 0 {
		s.bg.Add(1)
		go s.watch(ctx, o.PollInterval)
	}
	return s, nil
}

// routes registers the handlers on the server's mux.
func (s *Server) routes() {
	mux := http.NewServeMux()
	// KServe V1. The ServeMux wildcard must be a whole segment, so "{name}:predict" is split by
	// the handler.
	mux.HandleFunc("POST /v1/models/{nameop}", s.handleV1Predict)
	mux.HandleFunc("GET /v1/models", s.handleV1List)
	mux.HandleFunc("GET /v1/models/{name}", s.handleV1Describe)
	// Open Inference Protocol v2.
	mux.HandleFunc("POST /v2/models/{name}/infer", s.handleV2Infer)
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", s.handleV2Infer)
	mux.HandleFunc("GET /v2/models/{name}", s.handleV2Metadata)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}", s.handleV2Metadata)
	mux.HandleFunc("GET /v2/models/{name}/ready", s.handleV2ModelReady)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}/ready", s.handleV2ModelReady)
	mux.HandleFunc("GET /v2/health/live", s.handleLive)
	mux.HandleFunc("GET /v2/health/ready", s.handleReady)
	mux.HandleFunc("GET /v2", s.handleV2Server)
	// SageMaker container contract.
	mux.HandleFunc("GET /ping", s.handlePing)
	mux.HandleFunc("POST /invocations", s.handleInvocations)
	// Prometheus.
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	}))
	mux.HandleFunc("/", s.handleNoRoute)
	s.mux = mux
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handleNoRoute answers 405 for a known path with another method and 404 otherwise, in JSON.
func (s *Server) handleNoRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := *r
		probe.Method = m
		if _, pat := s.mux.Handler(&probe); pat != "/" && pat != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, &httpError{code: http.StatusMethodNotAllowed, msg: "method " + r.Method + " not allowed on " + r.URL.Path})
		return
	}
	writeError(w, &httpError{code: http.StatusNotFound, msg: "no route for " + r.Method + " " + r.URL.Path})
}

// Ready reports whether the last Reload left every listed model with a loaded version (and at
// least one model).
func (s *Server) Ready() bool { return s.set.Load().ready }

// Models describes the served models, sorted by name.
func (s *Server) Models() []ModelStatus {
	set := s.set.Load()
	out := make([]ModelStatus, 0, len(set.names))
	for _, name := range set.names {
		out = append(out, set.entries[name].status(false))
	}
	return out
}

// Serve accepts connections on ln with an http.Server configured with the Options' timeouts,
// until Shutdown or Close. It returns nil after Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	if s.httpSrv != nil {
		s.mu.Unlock()
		return errors.New("serve: Serve called twice")
	}
	s.httpSrv = srv
	s.mu.Unlock()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops the server gracefully: it stops accepting connections and waits, until ctx
// ends, for the requests in flight to finish (each on the version it started with), then for
// the shadow requests queued, and stops the poller. It returns ctx.Err() if ctx ended first.
// The prediction log is the caller's to close afterwards.
func (s *Server) Shutdown(ctx context.Context) error {
	srv := s.shut()
	var errs []error
	if srv != nil {
		errs = append(errs, srv.Shutdown(ctx))
	}
	errs = append(errs, s.sched.close(ctx), s.shadow.close(ctx))
	s.bg.Wait()
	return errors.Join(errs...)
}

// Close stops the server at once: open connections are closed, queued shadow requests are
// dropped.
func (s *Server) Close() error {
	srv := s.shut()
	var err error
	if srv != nil {
		err = srv.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.sched.close(ctx)  //nolint:errcheck // not waiting
	s.shadow.close(ctx) //nolint:errcheck // not waiting
	s.bg.Wait()
	return err
}

// shut marks the server closed, stops the poller and returns the http.Server, if any.
func (s *Server) shut() *http.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.stop()
	return s.httpSrv
}

// watch polls the source every interval until ctx ends.
func (s *Server) watch(ctx context.Context, every time.Duration) {
	defer s.bg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.reload(ctx, false) //nolint:errcheck // reload logs and counts its errors
		}
	}
}

// requestID returns the client's request id (X-Request-Id) or a new one.
func (s *Server) requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 {
		return id
	}
	return s.newID()
}

func (s *Server) newID() string {
	var b [32]byte
	n := copy(b[:], s.idPrefix)
	v := s.idSeq.Add(1)
	// Decimal digits of v, appended without strconv's allocation of a second string.
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	n += copy(b[n:], d[i:])
	return string(b[:n])
}
