package predlog

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchRate makes Write hash the request id, as it does in production where the rate is below
// 1, while keeping (nearly) every entry: misses/op shows if the benchmark id is not kept.
const benchRate = 0.999999

// BenchmarkWrite measures the request path, Write of a sampled 25-field entry: queued (the
// queue has room), dropped (the writer goroutine is stalled, the queue full) and not sampled.
func BenchmarkWrite(b *testing.B) {
	e := wideEntry("0f8c2d1e-7b3a-4a3b-9c1d-5e6f7a8b9c0d")
	run := func(b *testing.B, l *Log, wantAccepted bool, between func()) {
		b.ReportAllocs()
		var misses int
		for b.Loop() {
			between()
			if l.Write(e) != wantAccepted {
				misses++
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(misses)/float64(b.N), "misses/op")
	}
	b.Run("queued", func(b *testing.B) {
		// No writer goroutine drains this queue (it encodes far slower than Write queues):
		// the benchmark empties it itself, off the clock, whenever it is full.
		l := &Log{threshold: sampleThreshold(benchRate), ch: make(chan Entry, 1<<16), done: make(chan struct{})}
		close(l.done)
		run(b, l, true, func() {
			if len(l.ch) == cap(l.ch) {
				b.StopTimer()
				for len(l.ch) > 0 {
					<-l.ch
				}
				b.StartTimer()
			}
		})
	})
	b.Run("dropped", func(b *testing.B) {
		s := newBlockingSink()
		l := newLog(Options{SampleRate: benchRate}, s, nil, 1)
		l.Write(e)
		<-s.entered
		for l.Write(e) {
		}
		run(b, l, false, func() {})
		close(s.release)
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("unsampled", func(b *testing.B) {
		l := newLog(Options{SampleRate: 1e-9}, &memSink{}, nil, flushBytes)
		run(b, l, false, func() {})
		l.Close()
	})
}

// BenchmarkWriteParallel is Write from GOMAXPROCS goroutines while the writer goroutine
// encodes to a file: most entries are dropped (drops/op), as the writer is slower than Write.
func BenchmarkWriteParallel(b *testing.B) {
	l, err := New(Options{Path: filepath.Join(b.TempDir(), "p.jsonl"), HashKey: testKey, SampleRate: benchRate})
	if err != nil {
		b.Fatal(err)
	}
	e := wideEntry("0f8c2d1e-7b3a-4a3b-9c1d-5e6f7a8b9c0d")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Write(e)
		}
	})
	b.StopTimer()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(l.Dropped())/float64(b.N), "drops/op")
}

// BenchmarkSampled is the cost every request pays, sampled or not.
func BenchmarkSampled(b *testing.B) {
	l := newLog(Options{SampleRate: 0.1}, &memSink{}, nil, flushBytes)
	defer l.Close()
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("0f8c2d1e-%04d-4a3b-9c1d-5e6f7a8b9c0d", i)
	}
	kept, i := 0, 0
	for b.Loop() {
		if l.Sampled(ids[i&1023]) {
			kept++
		}
		i++
	}
	b.ReportMetric(float64(kept)/float64(b.N), "kept/op")
}

// BenchmarkEncode is the writer goroutine's work per 25-field entry with three PII fields:
// it bounds how many entries a second the log can take before it drops.
func BenchmarkEncode(b *testing.B) {
	enc := newEncoder(testKey)
	e := wideEntry("r-1")
	buf := enc.appendEntry(nil, &e)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = enc.appendEntry(buf[:0], &e)
	}
}

// BenchmarkEncodeStdlib encodes the same entry with encoding/json, as the reference the
// hand-written encoder is measured against. (Its inputs come out sorted, not in request
// order, and PII is left unhashed, so it does less.)
func BenchmarkEncodeStdlib(b *testing.B) {
	type score struct {
		Version     string  `json:"version"`
		Probability float64 `json:"probability"`
	}
	type jsonLine struct {
		RequestID   string         `json:"request_id"`
		Time        time.Time      `json:"time"`
		Model       string         `json:"model"`
		Version     string         `json:"version"`
		Inputs      map[string]any `json:"inputs"`
		Probability float64        `json:"probability"`
		Shadow      *score         `json:"shadow,omitempty"`
		Canary      bool           `json:"canary,omitempty"`
		LatencyUS   int64          `json:"latency_us"`
	}
	e := wideEntry("r-1")
	b.ReportAllocs()
	for b.Loop() {
		in := make(map[string]any, len(e.Inputs))
		for _, f := range e.Inputs {
			in[f.Name] = f.Value
		}
		l := jsonLine{e.RequestID, e.Time, e.Model, e.Version, in, e.Probability,
			&score{e.Shadow.Version, e.Shadow.Probability}, e.Canary, e.LatencyMicros}
		if _, err := json.Marshal(&l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteThroughput is the end-to-end capacity of one writer goroutine: b.N entries
// written, encoded and in the file (page cache), Close's fsync excluded.
func BenchmarkWriteThroughput(b *testing.B) {
	e := wideEntry("r-1")
	l, err := New(Options{Path: filepath.Join(b.TempDir(), "p.jsonl"), HashKey: testKey,
		Buffer: 1 << 14, FlushEvery: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var n uint64
	for b.Loop() {
		for !l.Write(e) {
			time.Sleep(10 * time.Microsecond) // queue full: let the writer catch up
		}
		n++
	}
	for l.Written()+l.Failed() < n {
		time.Sleep(50 * time.Microsecond)
	}
	b.StopTimer()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}
