package loadtest

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// seen is what a test server saw.
type seen struct {
	mu          sync.Mutex
	requests    int
	codes       map[int]int
	bodies      []string
	methods     []string
	headers     []http.Header
	conns       map[string]bool
	inFlight    int
	maxInFlight int
}

// answer decides the response to the nth request (0-based) a test server sees.
type answer func(n int, w http.ResponseWriter, r *http.Request)

// newServer starts an httptest server on 127.0.0.1 that records every request and answers it
// with a.
func newServer(t *testing.T, a answer) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{codes: map[int]int{}, conns: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := s.requests
		s.requests++
		s.bodies = append(s.bodies, string(body))
		s.methods = append(s.methods, r.Method)
		s.headers = append(s.headers, r.Header.Clone())
		s.conns[r.RemoteAddr] = true
		s.inFlight++
		s.maxInFlight = max(s.maxInFlight, s.inFlight)
		s.mu.Unlock()
		rec := &codeRecorder{ResponseWriter: w, code: http.StatusOK}
		a(n, rec, r)
		s.mu.Lock()
		s.inFlight--
		s.codes[rec.code]++
		s.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

// codeRecorder remembers the status code a handler wrote.
type codeRecorder struct {
	http.ResponseWriter
	code int
}

func (c *codeRecorder) WriteHeader(code int) {
	c.code = code
	c.ResponseWriter.WriteHeader(code)
}

func ok(_ int, w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"predictions":[0.1]}`)
}

// every4th429 rejects every 4th request with a JSON error, as serve does when a queue is full.
func every4th429(n int, w http.ResponseWriter, r *http.Request) {
	if n%4 == 3 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error": "queue full"}`)
		return
	}
	ok(n, w, r)
}

func sleepy(d time.Duration) answer {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
			ok(n, w, r)
		case <-r.Context().Done():
		}
	}
}

func target(srv *httptest.Server) Target {
	return Target{URL: srv.URL + "/v1/models/m:predict", Bodies: [][]byte{[]byte(`{"instances":[{"a":1}]}`)}}
}

// checkConsistent checks what every report must satisfy, and that the report matches what the
// server saw (unless s is nil).
func checkConsistent(t *testing.T, rep *Report, s *seen) {
	t.Helper()
	if s == nil {
		s = &seen{}
	} else {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	total, ok := 0, 0
	for code, n := range rep.StatusCodes {
		total += n
		if code >= 200 && code < 300 {
			ok += n
		}
		if code != 0 && s.codes != nil && s.codes[code] != n {
			t.Errorf("status %d: report %d, server %d", code, n, s.codes[code])
		}
	}
	if total != rep.Requests {
		t.Errorf("status codes add up to %d, requests %d", total, rep.Requests)
	}
	if rep.Requests > 0 {
		if want := float64(ok) / float64(rep.Requests); rep.Success != want {
			t.Errorf("success %v, want %v", rep.Success, want)
		}
		if want := float64(ok) / rep.Duration.Seconds(); math.Abs(rep.Throughput-want) > 1e-9*want {
			t.Errorf("throughput %v, want %v", rep.Throughput, want)
		}
	}
	failures := 0
	for _, n := range rep.Errors {
		failures += n
	}
	if failures != rep.Requests-ok {
		t.Errorf("errors add up to %d, want %d failures", failures, rep.Requests-ok)
	}
	l := rep.Latencies
	if rep.Requests > 0 && !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("latencies not ordered: %+v", l)
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		answer   answer
		rate     float64
		d        time.Duration
		opts     []Option
		success  float64 // want, exactly; -1: 0.75 ± 1 request
		minP50   time.Duration
		wantErrs map[string]bool
	}{
		{name: "200", answer: ok, rate: 200, d: 500 * time.Millisecond, success: 1},
		{name: "429 every 4th", answer: every4th429, rate: 200, d: 500 * time.Millisecond, success: -1,
			wantErrs: map[string]bool{"429 Too Many Requests: queue full": true}},
		{name: "slow 30ms", answer: sleepy(30 * time.Millisecond), rate: 100, d: 300 * time.Millisecond, success: 1,
			minP50: 30 * time.Millisecond},
		{name: "bounded connections", answer: ok, rate: 200, d: 300 * time.Millisecond, opts: []Option{Connections(2)}, success: 1},
		{name: "max requests", answer: ok, rate: 200, d: 300 * time.Millisecond, opts: []Option{MaxRequests(10)}, success: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, tt.answer)
			rep, err := Run(context.Background(), target(srv), tt.rate, tt.d, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			checkConsistent(t, rep, s)
			want := int(tt.rate * tt.d.Seconds())
			if tt.name == "max requests" {
				want = 10
			}
			// Exactly want unless the machine stalls the generator past the end.
			if rep.Requests > want || rep.Requests < want*9/10 {
				t.Errorf("%d requests, want %d", rep.Requests, want)
			}
			if rep.Mode != ModeRate || rep.Rate != tt.rate || rep.Canceled {
				t.Errorf("mode %q rate %v canceled %v", rep.Mode, rep.Rate, rep.Canceled)
			}
			if rep.RequestRate < 0.8*tt.rate || rep.RequestRate > 1.2*tt.rate {
				t.Errorf("request rate %v, want about %v", rep.RequestRate, tt.rate)
			}
			switch {
			case tt.success >= 0 && rep.Success != tt.success:
				t.Errorf("success %v, want %v", rep.Success, tt.success)
			case tt.success < 0 && rep.StatusCodes[429] != rep.Requests/4:
				t.Errorf("%d 429s in %d requests, want every 4th", rep.StatusCodes[429], rep.Requests)
			}
			for msg := range rep.Errors {
				if !tt.wantErrs[msg] {
					t.Errorf("unexpected error %q (%d)", msg, rep.Errors[msg])
				}
			}
			if rep.Latencies.P50 < tt.minP50 {
				t.Errorf("p50 %v, want ≥ %v", rep.Latencies.P50, tt.minP50)
			}
			if c := rep.Connections; tt.name == "bounded connections" && (c != 2 || len(s.conns) > 2 || s.maxInFlight > 2) {
				t.Errorf("connections %d, server saw %d connections and %d in flight; want ≤ 2", c, len(s.conns), s.maxInFlight)
			}
		})
	}
}

func TestRunMax(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		conns  int
		d      time.Duration
		opts   []Option
		check  func(t *testing.T, rep *Report, s *seen)
	}{
		{
			name: "closed loop", answer: sleepy(5 * time.Millisecond), conns: 4, d: 300 * time.Millisecond,
			check: func(t *testing.T, rep *Report, s *seen) {
				// Each connection waits for its answer (≥ 5ms) before the next request.
				if limit := 4*int(300/5) + 4; rep.Requests > limit || rep.Requests < 20 {
					t.Errorf("%d requests, want 20..%d", rep.Requests, limit)
				}
				if len(s.conns) > 4 || s.maxInFlight > 4 {
					t.Errorf("server saw %d connections, %d in flight; want ≤ 4", len(s.conns), s.maxInFlight)
				}
				if rep.Latencies.P50 < 5*time.Millisecond {
					t.Errorf("p50 %v, want ≥ 5ms", rep.Latencies.P50)
				}
			},
		},
		{
			name: "max requests", answer: every4th429, conns: 3, d: 5 * time.Second, opts: []Option{MaxRequests(200)},
			check: func(t *testing.T, rep *Report, s *seen) {
				if rep.Requests != 200 || rep.StatusCodes[200] != 150 || rep.StatusCodes[429] != 50 || rep.Success != 0.75 {
					t.Errorf("%d requests, codes %v, success %v; want 200, 150×200 + 50×429, 0.75",
						rep.Requests, rep.StatusCodes, rep.Success)
				}
				if got := rep.Errors["429 Too Many Requests: queue full"]; got != 50 || len(rep.Errors) != 1 {
					t.Errorf("errors %v, want 50 queue full", rep.Errors)
				}
				if rep.Duration > 2*time.Second {
					t.Errorf("took %v for 200 requests to a fast server", rep.Duration)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, tt.answer)
			rep, err := RunMax(context.Background(), target(srv), tt.conns, tt.d, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			checkConsistent(t, rep, s)
			if rep.Mode != ModeMax || rep.Rate != 0 || rep.Connections != tt.conns || rep.RequestRate <= 0 {
				t.Errorf("mode %q rate %v connections %d request rate %v", rep.Mode, rep.Rate, rep.Connections, rep.RequestRate)
			}
			tt.check(t, rep, s)
		})
	}
}

func TestRequests(t *testing.T) {
	records, err := ReadRecords(strings.NewReader("{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n"), "r.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		target      Target
		wantMethod  string
		wantType    string
		wantBodies  []string
		wantHeaders map[string]string
	}{
		{
			name: "records cycle in order", target: Target{Bodies: records}, wantMethod: "POST", wantType: "application/json",
			wantBodies: []string{
				`{"instances":[{"a":1}]}`, `{"instances":[{"a":2}]}`, `{"instances":[{"a":3}]}`,
				`{"instances":[{"a":1}]}`, `{"instances":[{"a":2}]}`, `{"instances":[{"a":3}]}`,
				`{"instances":[{"a":1}]}`,
			},
		},
		{
			name: "fixed body and headers",
			target: Target{
				Method: "PUT",
				Header: http.Header{"Content-Type": {"text/csv"}, "X-Api-Key": {"k1"}, "Host": {"models.test"}},
				Bodies: [][]byte{[]byte("a,b\n1,2\n")},
			},
			wantMethod: "PUT", wantType: "text/csv",
			wantBodies:  []string{"a,b\n1,2\n", "a,b\n1,2\n", "a,b\n1,2\n", "a,b\n1,2\n", "a,b\n1,2\n", "a,b\n1,2\n", "a,b\n1,2\n"},
			wantHeaders: map[string]string{"X-Api-Key": "k1"},
		},
		{
			name: "no body", target: Target{Method: "GET"}, wantMethod: "GET",
			wantBodies: []string{"", "", "", "", "", "", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, ok)
			tt.target.URL = srv.URL + "/v1/models/m:predict"
			// One connection: requests reach the server in the order they were made.
			rep, err := RunMax(context.Background(), tt.target, 1, 5*time.Second, MaxRequests(7))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Requests != 7 || rep.Success != 1 {
				t.Fatalf("%d requests, success %v; want 7, 1", rep.Requests, rep.Success)
			}
			if strings.Join(s.bodies, "|") != strings.Join(tt.wantBodies, "|") {
				t.Errorf("bodies\n%q\nwant\n%q", s.bodies, tt.wantBodies)
			}
			for i := range s.methods {
				h := s.headers[i]
				if s.methods[i] != tt.wantMethod || h.Get("Content-Type") != tt.wantType {
					t.Errorf("request %d: %s with Content-Type %q, want %s with %q", i, s.methods[i], h.Get("Content-Type"), tt.wantMethod, tt.wantType)
				}
				for k, v := range tt.wantHeaders {
					if h.Get(k) != v {
						t.Errorf("request %d: header %s %q, want %q", i, k, h.Get(k), v)
					}
				}
			}
		})
	}
}

func TestFailures(t *testing.T) {
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String() + "/"
		ln.Close()
		return url
	}
	tests := []struct {
		name    string
		answer  answer // nil: nothing listens
		opts    []Option
		code    int
		wantErr string // a prefix of the one error message
	}{
		{name: "timeout", answer: sleepy(10 * time.Second), opts: []Option{Timeout(50 * time.Millisecond)}, code: 0, wantErr: "timeout after 50ms"},
		{name: "connection refused", code: 0, wantErr: "dial tcp"},
		{name: "redirect not followed", code: http.StatusFound, wantErr: "302 Found",
			answer: func(_ int, w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			}},
		{name: "text error", code: http.StatusServiceUnavailable, wantErr: "503 Service Unavailable: not ready",
			answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "not ready", http.StatusServiceUnavailable)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := Target{}
			s := &seen{codes: map[int]int{}}
			if tt.answer != nil {
				var srv *httptest.Server
				srv, s = newServer(t, tt.answer)
				tgt.URL = srv.URL + "/"
			} else {
				tgt.URL = refused(t)
			}
			rep, err := RunMax(context.Background(), tgt, 1, 5*time.Second, append(tt.opts, MaxRequests(3))...)
			if err != nil {
				t.Fatal(err)
			}
			checkConsistent(t, rep, s)
			if rep.Requests != 3 || rep.StatusCodes[tt.code] != 3 || rep.Success != 0 {
				t.Errorf("%d requests, codes %v, success %v; want 3 × %d", rep.Requests, rep.StatusCodes, rep.Success, tt.code)
			}
			if len(rep.Errors) != 1 {
				t.Fatalf("errors %v, want one kind", rep.Errors)
			}
			for msg, n := range rep.Errors {
				if !strings.HasPrefix(msg, tt.wantErr) || n != 3 || strings.Contains(msg, tgt.URL) {
					t.Errorf("error %q × %d, want %q… × 3 without the URL", msg, n, tt.wantErr)
				}
			}
		})
	}
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name         string
		answer       answer
		opts         []Option
		wantReport   bool
		wantRequests bool // some requests counted
	}{
		{name: "fast server", answer: ok, wantReport: true, wantRequests: true},
		{name: "hanging server", answer: sleepy(time.Minute), wantReport: true},
		{name: "during warmup", answer: ok, opts: []Option{Warmup(time.Minute)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newServer(t, tt.answer)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			start := time.Now()
			rep, err := Run(ctx, target(srv), 100, time.Minute, tt.opts...)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want context.Canceled", err)
			}
			if el := time.Since(start); el > 1500*time.Millisecond {
				t.Errorf("returned after %v, want soon after the cancel at 200ms", el)
			}
			if (rep != nil) != tt.wantReport {
				t.Fatalf("report %v, want one: %v", rep, tt.wantReport)
			}
			if rep == nil {
				return
			}
			if !rep.Canceled || (rep.Requests > 0) != tt.wantRequests || rep.Requests > 25 {
				t.Errorf("canceled %v, %d requests", rep.Canceled, rep.Requests)
			}
			if len(rep.Errors) != 0 {
				t.Errorf("errors %v: aborted requests must not count", rep.Errors)
			}
			// The server may have answered a request the cancellation aborted: no comparison.
			checkConsistent(t, rep, nil)
		})
	}
}

func TestWarmupAndProgress(t *testing.T) {
	srv, s := newServer(t, ok)
	var (
		mu    sync.Mutex
		calls []Progress
	)
	rep, err := Run(context.Background(), target(srv), 100, 300*time.Millisecond,
		Warmup(200*time.Millisecond),
		OnProgress(50*time.Millisecond, func(p Progress) {
			mu.Lock()
			calls = append(calls, p)
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	warm := s.requests - rep.Requests
	s.mu.Unlock()
	if rep.Requests > 30 || warm < 10 || warm > 20 {
		t.Errorf("%d measured and %d warmup requests, want ≤ 30 and 10..20", rep.Requests, warm)
	}
	var warmups, measures int
	for _, p := range calls {
		if p.Warmup {
			warmups++
			if p.Duration != 200*time.Millisecond {
				t.Errorf("warmup progress %+v", p)
			}
			continue
		}
		measures++
		if p.Requests > rep.Requests || p.Duration != 300*time.Millisecond || p.Rate != 100 || p.Mode != ModeRate {
			t.Errorf("progress %+v, report %d requests", p, rep.Requests)
		}
	}
	if warmups < 1 || measures < 2 {
		t.Errorf("%d warmup and %d measurement progress calls, want ≥ 1 and ≥ 2", warmups, measures)
	}
}

func TestProgressString(t *testing.T) {
	tests := []struct {
		p    Progress
		want string
	}{
		{Progress{Mode: ModeRate, Rate: 400, Elapsed: 12340 * time.Millisecond, Duration: 30 * time.Second, Requests: 4920, Success: 1},
			"rate 400/s  12.3s/30s  4920 requests  100.00% success"},
		{Progress{Mode: ModeRate, Warmup: true, Rate: 0.5, Elapsed: time.Second, Duration: 5 * time.Second, Requests: 1, Success: 0},
			"warmup  rate 0.5/s  1.0s/5s  1 requests  0.00% success"},
		{Progress{Mode: ModeMax, Connections: 64, Elapsed: 2 * time.Second, Duration: 10 * time.Second, Requests: 20000, Success: 0.995},
			"max 64 connections  2.0s/10s  20000 requests (10000/s)  99.50% success"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

func TestInvalid(t *testing.T) {
	good := Target{URL: "http://127.0.0.1:1/"}
	tests := []struct {
		name string
		run  func() (*Report, error)
		want string
	}{
		{"zero rate", func() (*Report, error) { return Run(context.Background(), good, 0, time.Second) }, "rate must be a positive"},
		{"negative rate", func() (*Report, error) { return Run(context.Background(), good, -5, time.Second) }, "rate must be a positive"},
		{"NaN rate", func() (*Report, error) { return Run(context.Background(), good, math.NaN(), time.Second) }, "rate must be a positive"},
		{"infinite rate", func() (*Report, error) { return Run(context.Background(), good, math.Inf(1), time.Second) }, "rate must be a positive"},
		{"zero duration", func() (*Report, error) { return Run(context.Background(), good, 10, 0) }, "duration must be positive"},
		{"no url", func() (*Report, error) { return Run(context.Background(), Target{}, 10, time.Second) }, "want an absolute http"},
		{"relative url", func() (*Report, error) { return Run(context.Background(), Target{URL: "/v1/models"}, 10, time.Second) }, "want an absolute http"},
		{"ftp url", func() (*Report, error) {
			return Run(context.Background(), Target{URL: "ftp://127.0.0.1/"}, 10, time.Second)
		}, "want an absolute http"},
		{"bad method", func() (*Report, error) {
			return Run(context.Background(), Target{URL: good.URL, Method: "GE T"}, 10, time.Second)
		}, "invalid method"},
		{"zero timeout", func() (*Report, error) { return Run(context.Background(), good, 10, time.Second, Timeout(0)) }, "timeout must be positive"},
		{"negative connections", func() (*Report, error) { return Run(context.Background(), good, 10, time.Second, Connections(-1)) }, "connections must be"},
		{"negative warmup", func() (*Report, error) { return Run(context.Background(), good, 10, time.Second, Warmup(-1)) }, "warmup must be"},
		{"negative max requests", func() (*Report, error) { return Run(context.Background(), good, 10, time.Second, MaxRequests(-1)) }, "max requests must be"},
		{"max without connections", func() (*Report, error) { return RunMax(context.Background(), good, 0, time.Second) }, "connections must be ≥ 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := tt.run()
			if err == nil || !strings.HasPrefix(err.Error(), "loadtest: ") || !strings.Contains(err.Error(), tt.want) || rep != nil {
				t.Errorf("report %v, error %v; want none and %q", rep, err, tt.want)
			}
		})
	}
}

func TestCanceledBeforeStart(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Run(ctx, Target{URL: srv.URL}, 100, time.Second)
	if !errors.Is(err, context.Canceled) || rep != nil || hits.Load() != 0 {
		t.Errorf("report %v, error %v, %d requests; want none, context.Canceled, 0", rep, err, hits.Load())
	}
}
