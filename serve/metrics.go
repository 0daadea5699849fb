package serve

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"riskflow/internal/version"
)

// Metric names start with riskflow_serve_. Labels: model (the model's name), version (the
// version that answered) and code (the HTTP status). Series of unknown model names are never
// made: requests for them count under model="" and version="".

// latencyBuckets resolve sub-millisecond latencies: 50 µs to 1 s.
var latencyBuckets = []float64{
	50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1,
}

// scoreBuckets split probabilities into 20 bins of 0.05, for drift monitoring.
var scoreBuckets = prometheus.LinearBuckets(0.05, 0.05, 19)

// loadBuckets cover bundle load times from 1 ms to 30 s.
var loadBuckets = prometheus.ExponentialBuckets(0.001, 2.5, 12)

type metrics struct {
	reg *prometheus.Registry

	requests     *prometheus.CounterVec   // model, version, code
	latency      *prometheus.HistogramVec // model, version
	inFlight     *prometheus.GaugeVec     // model, version
	scores       *prometheus.HistogramVec // model, version, role
	rejected     *prometheus.CounterVec   // model: 429, queue full
	timeouts     *prometheus.CounterVec   // model: waited longer than the queue timeout
	loadSeconds  *prometheus.HistogramVec // model
	loadFailures *prometheus.CounterVec   // model
	sourceErrors prometheus.Counter
	shadowDrops  *prometheus.CounterVec // model
	shadowErrors *prometheus.CounterVec // model
	modelInfo    *prometheus.GaugeVec   // model, version, role
}

func newMetrics(s *Server) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskflow_serve_requests_total",
			Help: "Prediction requests by model, answering version and HTTP status code.",
		}, []string{"model", "version", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "riskflow_serve_request_duration_seconds",
			Help:    "Prediction request latency in the server, from routing to the response written.",
			Buckets: latencyBuckets,
		}, []string{"model", "version"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "riskflow_serve_in_flight_requests",
			Help: "Prediction requests being handled, by model and version.",
		}, []string{"model", "version"}),
		scores: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "riskflow_serve_score",
			Help:    "Distribution of the predicted probabilities (for drift monitoring); role is champion, canary or shadow.",
			Buckets: scoreBuckets,
		}, []string{"model", "version", "role"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskflow_serve_rejected_total",
			Help: "Requests refused with 429 because the model's queue was full.",
		}, []string{"model"}),
		timeouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskflow_serve_queue_timeouts_total",
			Help: "Requests that waited longer than the model's queue timeout (503).",
		}, []string{"model"}),
		loadSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "riskflow_serve_model_load_duration_seconds",
			Help:    "Time to load and verify a model bundle.",
			Buckets: loadBuckets,
		}, []string{"model"}),
		loadFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskflow_serve_model_load_failures_total",
			Help: "Bundles that failed to load; the version already serving, if any, stays.",
		}, []string{"model"}),
		sourceErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "riskflow_serve_source_errors_total",
			Help: "Failed attempts to list the models from the model source.",
		}),
		shadowDrops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskflow_serve_shadow_dropped_total",
			Help: "Shadow requests dropped because the shadow queue was full.",
		}, []string{"model"}),
		shadowErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskflow_serve_shadow_errors_total",
			Help: "Shadow requests the challenger could not score (for example a field its spec requires).",
		}, []string{"model"}),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "riskflow_serve_model_info",
			Help: "The versions being served: 1 per model, version and role (champion or challenger).",
		}, []string{"model", "version", "role"}),
	}
	info := version.Get()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "riskflow_build_info",
		Help:        "The running riskflow build.",
		ConstLabels: prometheus.Labels{"version": info.Version, "commit": info.Commit, "goversion": info.GoVersion},
	})
	build.Set(1)
	reg.MustRegister(
		m.requests, m.latency, m.inFlight, m.scores, m.rejected, m.timeouts,
		m.loadSeconds, m.loadFailures, m.sourceErrors, m.shadowDrops, m.shadowErrors, m.modelInfo,
		build, queueCollector{s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if s.plog != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "riskflow_serve_prediction_log_dropped_total",
			Help: "Prediction log entries dropped because the log could not keep up.",
		}, func() float64 { return float64(s.plog.Dropped()) }))
	}
	return m
}

var (
	queueDepthDesc = prometheus.NewDesc("riskflow_serve_queue_depth",
		"Requests waiting in the model's queue for a scoring slot.", []string{"model"}, nil)
	queueRunningDesc = prometheus.NewDesc("riskflow_serve_queue_running",
		"The model's requests holding a scoring slot.", []string{"model"}, nil)
)

// queueCollector reports each served model's queue at scrape time, so the request path pays
// nothing for it. It is an unchecked collector (models come and go).
type queueCollector struct{ s *Server }

func (queueCollector) Describe(chan<- *prometheus.Desc) {}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	set := c.s.set.Load()
	if set == nil {
		return
	}
	for _, name := range set.names {
		waiting, running := set.entries[name].q.depth()
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(waiting), name)
		ch <- prometheus.MustNewConstMetric(queueRunningDesc, prometheus.GaugeValue, float64(running), name)
	}
}

// statusCodes are the codes whose counters a model version caches.
var statusCodes = [...]int{200, 400, 404, 413, 415, 429, 500, 503}

// versionMetrics are a model version's metric series, looked up once at load so that the
// request path does no label hashing.
type versionMetrics struct {
	m        *metrics
	model    string
	version  string
	codes    [len(statusCodes)]prometheus.Counter
	latency  prometheus.Observer
	inFlight prometheus.Gauge
	scores   [3]prometheus.Observer // by role
}

// Roles of a scoring version in the score histogram.
const (
	roleChampion = iota
	roleCanary
	roleShadow
)

var roleNames = [3]string{"champion", "canary", "shadow"}

func (m *metrics) forVersion(model, ver string) *versionMetrics {
	vm := &versionMetrics{m: m, model: model, version: ver}
	for i, c := range statusCodes {
		vm.codes[i] = m.requests.WithLabelValues(model, ver, strconv.Itoa(c))
	}
	vm.latency = m.latency.WithLabelValues(model, ver)
	vm.inFlight = m.inFlight.WithLabelValues(model, ver)
	for r, name := range roleNames {
		vm.scores[r] = m.scores.WithLabelValues(model, ver, name)
	}
	return vm
}

// count counts a request with status code.
func (vm *versionMetrics) count(code int) {
	for i, c := range statusCodes {
		if c == code {
			vm.codes[i].Inc()
			return
		}
	}
	vm.m.requests.WithLabelValues(vm.model, vm.version, strconv.Itoa(code)).Inc()
}
