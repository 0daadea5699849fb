package predlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxBytes   = 100 << 20 // 100 MiB
	DefaultBuffer     = 4096
	DefaultFlushEvery = time.Second
)

// MinHashKeyLen is the shortest HashKey accepted: a short key could be guessed, and with it
// every low-entropy PII value (a birth date, a postcode) recovered from its hash.
const MinHashKeyLen = 16

// flushBytes is how much encoded output the writer goroutine gathers before it writes to the
// file, between FlushEvery ticks.
const flushBytes = 64 << 10

// errorLogEvery limits error logging while writes keep failing: the first error is logged at
// once, the next ones at most this often, with the number left unlogged.
const errorLogEvery = 10 * time.Second

// Options configure a Log. The zero value of every field but Path means its default.
type Options struct {
	// Path is the current log file, created with its directory if missing. Rotated files
	// are Path with "-" and the rotation time inserted before the extension (see the package
	// documentation).
	Path string
	// MaxBytes rotates the current file before a line that would take it past this size.
	// 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxFiles is how many rotated files are kept, the oldest removed first. 0 keeps all.
	MaxFiles int
	// SampleRate is the fraction of requests logged, in [0, 1]. A request is kept when a
	// hash of its id is below the rate, so the decision is the same for every entry of one
	// request, in every process. 0 means 1: log everything (to log nothing, make no Log).
	SampleRate float64
	// Buffer is the length of the queue between Write and the writer goroutine; entries
	// that find it full are dropped and counted. 0 means DefaultBuffer.
	Buffer int
	// HashKey is the HMAC-SHA256 key for PII fields, at least MinHashKeyLen bytes. If empty,
	// a random key is made for each Log: hashes then match within one process run only, not
	// across restarts or replicas.
	HashKey []byte
	// FlushEvery bounds how long an entry waits in memory before it is written to the file.
	// 0 means DefaultFlushEvery.
	FlushEvery time.Duration
	// Logger receives write errors. nil discards them.
	Logger *slog.Logger
}

// Validate reports the first invalid field of o, or nil.
func (o Options) Validate() error {
	switch {
	case o.Path == "":
		return errors.New("predlog: Path is empty")
	case o.MaxBytes < 0:
		return fmt.Errorf("predlog: MaxBytes is negative (%d)", o.MaxBytes)
	case o.MaxFiles < 0:
		return fmt.Errorf("predlog: MaxFiles is negative (%d)", o.MaxFiles)
	case math.IsNaN(o.SampleRate) || o.SampleRate < 0 || o.SampleRate > 1:
		return fmt.Errorf("predlog: SampleRate %v is outside [0, 1]", o.SampleRate)
	case o.Buffer < 0:
		return fmt.Errorf("predlog: Buffer is negative (%d)", o.Buffer)
	case len(o.HashKey) > 0 && len(o.HashKey) < MinHashKeyLen:
		return fmt.Errorf("predlog: HashKey has %d bytes, fewer than %d", len(o.HashKey), MinHashKeyLen)
	case o.FlushEvery < 0:
		return fmt.Errorf("predlog: FlushEvery is negative (%v)", o.FlushEvery)
	}
	return nil
}

// withDefaults returns o with its zero values replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SampleRate == 0 {
		o.SampleRate = 1
	}
	if o.Buffer == 0 {
		o.Buffer = DefaultBuffer
	}
	if len(o.HashKey) == 0 {
		o.HashKey = make([]byte, 32)
		rand.Read(o.HashKey) // never fails: it crashes the program instead
	}
	if o.FlushEvery == 0 {
		o.FlushEvery = DefaultFlushEvery
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Log is an asynchronous, sampled, size-rotated JSONL prediction log. Its methods are safe
// for concurrent use. It owns one writer goroutine, which Close stops.
type Log struct {
	all       bool   // SampleRate is 1
	threshold uint64 // keep a request when sampleHash(id)>>11 < threshold

	mu     sync.RWMutex // Write holds it shared, Close exclusively, so no send follows close(ch)
	closed bool
	ch     chan Entry

	dropped, written, failed atomic.Uint64

	closeOnce sync.Once
	closeErr  error         // set by the writer goroutine before it closes done
	done      chan struct{} // closed when the writer goroutine has returned

	w writer // the writer goroutine's own state
}

// writer is the state only the writer goroutine touches.
type writer struct {
	sink       sink
	enc        *encoder
	flushEvery time.Duration
	flushBytes int
	errs       *errReporter

	buf   []byte // encoded lines not yet written
	lines int    // how many lines buf holds

	failing bool   // the last write failed
	lost    uint64 // lines lost since failing began
}

// New opens (creating it if missing) the log file at o.Path and starts the writer goroutine.
// It fails if o is invalid or the file cannot be opened; later write errors are logged and
// counted instead (see Failed).
func New(o Options) (*Log, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	errs := &errReporter{log: o.Logger, every: errorLogEvery}
	fs := newFileSink(o.Path, o.MaxBytes, o.MaxFiles, errs)
	if err := fs.open(); err != nil {
		return nil, fmt.Errorf("predlog: %w", err)
	}
	if err := fs.prune(); err != nil {
		errs.report("predlog: pruning rotated files", err)
	}
	return newLog(o, fs, errs, flushBytes), nil
}

// newLog starts a Log writing to s, which gets a write each time batch bytes of lines have
// gathered. o must be valid; its zero values take the defaults.
func newLog(o Options, s sink, errs *errReporter, batch int) *Log {
	o = o.withDefaults()
	if errs == nil {
		errs = &errReporter{log: o.Logger, every: errorLogEvery}
	}
	l := &Log{
		all:       o.SampleRate >= 1,
		threshold: sampleThreshold(o.SampleRate),
		ch:        make(chan Entry, o.Buffer),
		done:      make(chan struct{}),
		w: writer{
			sink:       s,
			enc:        newEncoder(o.HashKey),
			flushEvery: o.FlushEvery,
			flushBytes: batch,
			errs:       errs,
			buf:        make([]byte, 0, batch+4<<10),
		},
	}
	go l.run()
	return l
}

// Sampled reports whether entries for requestID are logged. It is cheap (a hash of the id, no
// allocation), so the server calls it before building an Entry. The decision depends only on
// the id and SampleRate: it is the same for the champion's and the shadow's score, across
// restarts and across replicas, and an id sampled at some rate is sampled at every higher one.
func (l *Log) Sampled(requestID string) bool {
	return l.all || sampleHash(requestID)>>11 < l.threshold
}

// sampleThreshold maps a rate in [0, 1] to the bound on the top 53 bits of sampleHash.
func sampleThreshold(rate float64) uint64 {
	return uint64(rate * (1 << 53))
}

// sampleHash hashes s eight bytes at a time (three times faster than byte-wise FNV-1a on a
// 36-byte UUID, and Sampled runs on every request), then applies the splitmix64 finalizer so
// that ids differing in one byte ("req-1", "req-2") land far apart. It is fixed: changing it
// changes which requests every replica samples.
func sampleHash(s string) uint64 {
	const k = 0x9e3779b97f4a7c15
	h := uint64(len(s)) * k
	for ; len(s) >= 8; s = s[8:] {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ w) * k
		h ^= h >> 29
	}
	if len(s) > 0 {
		var w uint64
		for i := 0; i < len(s); i++ {
			w |= uint64(s[i]) << (8 * i)
		}
		h = (h ^ w) * k
		h ^= h >> 29
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// Write queues e for the writer goroutine and returns at once: it never blocks on the file.
// It returns false, and e is not logged, when e.RequestID is not sampled, when the queue is
// full (counted by Dropped) or after Close. A zero e.Time is set to time.Now().
//
// Encoding and PII hashing happen on the writer goroutine, keeping the request path to a hash
// of the id and a channel send. So Write keeps e until it is encoded: the caller must not
// modify e.Inputs or *e.Shadow after Write, even when it returns false.
func (l *Log) Write(e Entry) bool {
	if !l.Sampled(e.RequestID) {
		return false
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return false
	}
	select {
	case l.ch <- e:
		l.mu.RUnlock()
		return true
	default:
	}
	l.mu.RUnlock()
	l.dropped.Add(1)
	return false
}

// Dropped returns how many sampled entries Write dropped because the queue was full: the
// writer goroutine, or the disk under it, was slower than the requests.
func (l *Log) Dropped() uint64 { return l.dropped.Load() }

// Written returns how many entries reached the file (the operating system's page cache; Close
// and rotation fsync). It lags Write by up to FlushEvery.
func (l *Log) Written() uint64 { return l.written.Load() }

// Failed returns how many entries Write accepted but a write error lost: the file could not
// be opened, written or rotated. Each error is also logged to Options.Logger.
func (l *Log) Failed() uint64 { return l.failed.Load() }

// Close stops accepting entries, writes every entry accepted before it, fsyncs and closes the
// file, and stops the writer goroutine. It returns the error of that last write, fsync or
// close, if any. Later calls do nothing and return the same result. Close waits for the
// writer goroutine, so a disk that does not answer holds it up.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.ch)
		l.mu.Unlock()
		<-l.done
	})
	return l.closeErr
}

// run is the writer goroutine: it encodes queued entries and writes them when flushBytes
// have gathered or every flushEvery, and on Close drains the queue and closes the sink.
func (l *Log) run() {
	defer close(l.done)
	w := &l.w
	tick := time.NewTicker(w.flushEvery)
	defer tick.Stop()
	for {
		select {
		case e, ok := <-l.ch:
			if !ok {
				l.closeErr = errors.Join(l.flush(), w.sink.Close())
				return
			}
			w.buf = w.enc.appendEntry(w.buf, &e)
			w.lines++
			if len(w.buf) >= w.flushBytes {
				if err := l.flush(); err != nil {
					w.errs.report("predlog: writing", err, slog.Uint64("lost", w.lost))
				}
			}
		case <-tick.C:
			if err := l.flush(); err != nil {
				w.errs.report("predlog: writing", err, slog.Uint64("lost", w.lost))
			}
		}
	}
}

// flush writes the gathered lines to the sink and counts them as written or failed.
func (l *Log) flush() error {
	w := &l.w
	if w.lines == 0 {
		return nil
	}
	n, err := w.sink.Write(w.buf)
	ok := uint64(bytes.Count(w.buf[:n], []byte{'\n'})) // whole lines that reached the file
	lost := uint64(w.lines) - ok
	l.written.Add(ok)
	l.failed.Add(lost)
	w.lines = 0
	if cap(w.buf) > 4*w.flushBytes {
		w.buf = make([]byte, 0, w.flushBytes) // an outsized entry passed: give the memory back
	}
	w.buf = w.buf[:0]
	switch {
	case err != nil:
		w.failing = true
		w.lost += lost
		return err
	case w.failing:
		w.errs.log.Info("predlog: writing again", slog.Uint64("lost", w.lost))
		w.failing, w.lost = false, 0
		w.errs.last = time.Time{}
	}
	return nil
}

// errReporter logs errors at most once per interval, counting the ones it holds back. It
// belongs to the writer goroutine.
type errReporter struct {
	log        *slog.Logger
	every      time.Duration
	last       time.Time
	suppressed int
}

func (r *errReporter) report(msg string, err error, attrs ...slog.Attr) {
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.suppressed++
		return
	}
	attrs = append(attrs, slog.Any("err", err))
	if r.suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", r.suppressed))
	}
	r.log.LogAttrs(context.Background(), slog.LevelError, msg, attrs...)
	r.last, r.suppressed = now, 0
}
