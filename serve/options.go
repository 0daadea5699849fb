package serve

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"riskflow/serve/predlog"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxBodyBytes      = 1 << 20 // 1 MiB
	DefaultMaxInstances      = 1000
	DefaultQueueSize         = 64
	DefaultQueueTimeout      = time.Second
	DefaultPollInterval      = 2 * time.Second
	DefaultShadowQueue       = 256
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxExplain        = 20
)

// PredictionLog receives the server's predictions. *predlog.Log implements it.
type PredictionLog interface {
	// Sampled reports whether the request's entries are wanted; it is called before building
	// them.
	Sampled(requestID string) bool
	// Write queues an entry without blocking; it returns false if the entry was dropped.
	Write(e predlog.Entry) bool
	// Dropped counts entries dropped because the log could not keep up.
	Dropped() uint64
}

var _ PredictionLog = (*predlog.Log)(nil)

// Options configure a Server. The zero value of every field but Source means its default.
type Options struct {
	// Source lists the models to serve (required).
	Source ModelSource
	// Logger receives load, reload and error events. nil discards them.
	Logger *slog.Logger
	// PredictionLog, if not nil, receives an entry per scored instance of the requests it
	// samples (shadowed requests carry both scores). The caller owns it and closes it after
	// Shutdown.
	PredictionLog PredictionLog

	// MaxBodyBytes is the largest request body; larger ones get 413. Default 1 MiB.
	MaxBodyBytes int64
	// MaxInstances is the most instances (records, rows) per request; more get 413.
	// Default 1,000.
	MaxInstances int
	// MaxExplain is the largest explain K (reason codes per instance) a request may ask for.
	// Default 20.
	MaxExplain int

	// Workers is the number of scoring slots shared by all models (see the package
	// documentation). Default runtime.GOMAXPROCS(0).
	Workers int
	// QueueSize, QueueTimeout and MaxConcurrent are each model's Limits unless its ModelSpec
	// says otherwise. Defaults 64 requests, 1 s and Workers − 1 (at least 1): one model's
	// flood then leaves a worker's worth of CPU to the others' requests, which on a small
	// machine need it for their HTTP and decoding more than for scoring (bench/noisy.sh: the
	// other model's p99 3.8–3.9 ms against 16–17 ms with Workers, on 2 cores).
	QueueSize     int
	QueueTimeout  time.Duration
	MaxConcurrent int

	// ShadowQueue bounds the shadow requests waiting for a shadow worker; more are dropped
	// (and counted). Default 256.
	ShadowQueue int
	// ShadowWorkers is the number of goroutines scoring shadow requests. Default
	// max(1, Workers/2).
	ShadowWorkers int

	// PollInterval is how often the source is polled for changed models. 0 means 2 s; a
	// negative interval turns polling off (Reload still works).
	PollInterval time.Duration

	// Timeouts of the http.Server that Serve runs. Defaults 5 s, 30 s, 30 s and 120 s.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
}

// Validate reports the first invalid field of o, or nil.
func (o Options) Validate() error {
	switch {
	case o.Source == nil:
		return errors.New("serve: Options.Source is nil")
	case o.MaxBodyBytes < 0:
		return fmt.Errorf("serve: MaxBodyBytes is negative (%d)", o.MaxBodyBytes)
	case o.MaxInstances < 0:
		return fmt.Errorf("serve: MaxInstances is negative (%d)", o.MaxInstances)
	case o.MaxExplain < 0:
		return fmt.Errorf("serve: MaxExplain is negative (%d)", o.MaxExplain)
	case o.Workers < 0:
		return fmt.Errorf("serve: Workers is negative (%d)", o.Workers)
	case o.QueueSize < 0:
		return fmt.Errorf("serve: QueueSize is negative (%d)", o.QueueSize)
	case o.QueueTimeout < 0:
		return fmt.Errorf("serve: QueueTimeout is negative (%v)", o.QueueTimeout)
	case o.MaxConcurrent < 0:
		return fmt.Errorf("serve: MaxConcurrent is negative (%d)", o.MaxConcurrent)
	case o.ShadowQueue < 0:
		return fmt.Errorf("serve: ShadowQueue is negative (%d)", o.ShadowQueue)
	case o.ShadowWorkers < 0:
		return fmt.Errorf("serve: ShadowWorkers is negative (%d)", o.ShadowWorkers)
	case o.ReadHeaderTimeout < 0 || o.ReadTimeout < 0 || o.WriteTimeout < 0 || o.IdleTimeout < 0:
		return errors.New("serve: negative HTTP timeout")
	}
	return nil
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	def(&o.MaxInstances, DefaultMaxInstances)
	def(&o.MaxExplain, DefaultMaxExplain)
	def(&o.Workers, runtime.GOMAXPROCS(0))
	def(&o.QueueSize, DefaultQueueSize)
	defDur(&o.QueueTimeout, DefaultQueueTimeout)
	def(&o.MaxConcurrent, max(1, o.Workers-1))
	def(&o.ShadowQueue, DefaultShadowQueue)
	def(&o.ShadowWorkers, max(1, o.Workers/2))
	defDur(&o.PollInterval, DefaultPollInterval)
	defDur(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	defDur(&o.ReadTimeout, DefaultReadTimeout)
	defDur(&o.WriteTimeout, DefaultWriteTimeout)
	defDur(&o.IdleTimeout, DefaultIdleTimeout)
	return o
}

// limits resolves a model's limits against the server's defaults.
func (o Options) limits(l Limits) Limits {
	if l.QueueSize == 0 {
		l.QueueSize = o.QueueSize
	}
	if l.QueueTimeout == 0 {
		l.QueueTimeout = o.QueueTimeout
	}
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = o.MaxConcurrent
	}
	return l
}
