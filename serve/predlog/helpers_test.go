package predlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKey is a fixed HMAC key, so tests can recompute hashes.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// memSink keeps what it is given in memory.
type memSink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool
}

func (s *memSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *memSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *memSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// blockingSink blocks every Write until release is closed, and signals entered when the
// first Write starts: a disk that has stopped answering.
type blockingSink struct {
	memSink
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBlockingSink() *blockingSink {
	return &blockingSink{entered: make(chan struct{}), release: make(chan struct{})}
}

func (s *blockingSink) Write(p []byte) (int, error) {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return s.memSink.Write(p)
}

// failingSink fails its first fails writes, writing half of p on each, then succeeds.
type failingSink struct {
	memSink
	fails int
}

var errDiskFull = errors.New("disk full")

func (s *failingSink) Write(p []byte) (int, error) {
	if s.fails > 0 {
		s.fails--
		return len(p) / 2, errDiskFull
	}
	return s.memSink.Write(p)
}

// syncBuffer is a goroutine-safe buffer for a slog handler.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// line is a decoded log line.
type line struct {
	RequestID   string         `json:"request_id"`
	Time        string         `json:"time"`
	Model       string         `json:"model"`
	Version     string         `json:"version"`
	Inputs      map[string]any `json:"inputs"`
	Probability *float64       `json:"probability"`
	Shadow      *struct {
		Version     string   `json:"version"`
		Probability *float64 `json:"probability"`
	} `json:"shadow"`
	Canary    *bool  `json:"canary"`
	LatencyUS *int64 `json:"latency_us"`
}

// parseLines decodes every line of data, failing the test on one that is not a JSON object
// with exactly the documented keys.
func parseLines(t *testing.T, data string) []line {
	t.Helper()
	var out []line
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l line
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %d %q: %v", len(out)+1, sc.Text(), err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testEntry is a small entry with one PII field.
func testEntry(id string) Entry {
	return Entry{
		RequestID: id,
		Time:      time.Date(2026, 11, 25, 10, 15, 0, 123456789, time.UTC),
		Model:     "orders",
		Version:   "7",
		Inputs: []Field{
			{Name: "amount", Value: 129.9},
			{Name: "email", Value: "alice@example.com", PII: true},
		},
		Probability:   0.0213,
		LatencyMicros: 812,
	}
}

// wideEntry is a 25-field entry like a credit-risk request: 18 numbers, 4 strings of which 3
// are PII, a flag, a missing value and a time.
func wideEntry(id string) Entry {
	in := make([]Field, 0, 25)
	for i := range 18 {
		in = append(in, Field{Name: fmt.Sprintf("num_%02d", i), Value: float64(i)*13.37 + 0.001})
	}
	in = append(in,
		Field{Name: "country", Value: "DE"},
		Field{Name: "email", Value: "alice@example.com", PII: true},
		Field{Name: "phone", Value: "+49 30 1234567", PII: true},
		Field{Name: "iban", Value: "DE89370400440532013000", PII: true},
		Field{Name: "returning", Value: true},
		Field{Name: "income", Value: nil},
		Field{Name: "signup", Value: time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)},
	)
	return Entry{
		RequestID:     id,
		Time:          time.Date(2026, 11, 25, 10, 15, 0, 123456789, time.UTC),
		Model:         "orders",
		Version:       "7",
		Inputs:        in,
		Probability:   0.0213,
		Shadow:        &Score{Version: "8", Probability: 0.0187},
		LatencyMicros: 812,
	}
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
