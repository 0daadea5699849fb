package loadtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestLatencies(t *testing.T) {
	us := time.Microsecond
	tests := []struct {
		name      string
		latencies func() []time.Duration
		want      Latencies // percentiles within 0.1%, mean and max exact
	}{
		{
			name: "uniform 1µs..100ms",
			latencies: func() []time.Duration {
				var l []time.Duration
				for i := 1; i <= 100_000; i++ {
					l = append(l, time.Duration(i)*us)
				}
				return l
			},
			want: Latencies{Mean: 50000500 * time.Nanosecond, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond,
				P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, P999: 99900 * us, Max: 100 * time.Millisecond},
		},
		{
			name: "1 in 1000 slow",
			latencies: func() []time.Duration {
				l := make([]time.Duration, 1000)
				for i := range l {
					l[i] = time.Millisecond
				}
				l[500] = 2 * time.Second
				return l
			},
			want: Latencies{Mean: 2999 * us, P50: time.Millisecond, P90: time.Millisecond, P95: time.Millisecond,
				P99: time.Millisecond, P999: time.Millisecond, Max: 2 * time.Second},
		},
		{
			name: "2 in 1000 slow",
			latencies: func() []time.Duration {
				l := make([]time.Duration, 1000)
				for i := range l {
					l[i] = time.Millisecond
				}
				l[10], l[20] = 2*time.Second, 3*time.Second
				return l
			},
			want: Latencies{Mean: 5998 * us, P50: time.Millisecond, P90: time.Millisecond, P95: time.Millisecond,
				P99: time.Millisecond, P999: 2 * time.Second, Max: 3 * time.Second},
		},
		{
			name:      "one request",
			latencies: func() []time.Duration { return []time.Duration{412 * us} },
			want:      Latencies{Mean: 412 * us, P50: 412 * us, P90: 412 * us, P95: 412 * us, P99: 412 * us, P999: 412 * us, Max: 412 * us},
		},
		{
			name:      "below 1µs and beyond 60s",
			latencies: func() []time.Duration { return []time.Duration{100, 90 * time.Second} },
			want:      Latencies{Mean: 45*time.Second + 50, P50: 1 * us, P90: 60 * time.Second, P95: 60 * time.Second, P99: 60 * time.Second, P999: 60 * time.Second, Max: 90 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector("http://127.0.0.1:1/", time.Second, 0)
			start := time.Now()
			for i, l := range tt.latencies() {
				c.add(&vegeta.Result{Code: 200, Timestamp: start.Add(time.Duration(i) * time.Millisecond), Latency: l})
			}
			got := c.report().Latencies
			if got.Mean != tt.want.Mean || got.Max != tt.want.Max {
				t.Errorf("mean %v max %v, want %v %v", got.Mean, got.Max, tt.want.Mean, tt.want.Max)
			}
			for _, q := range []struct {
				name      string
				got, want time.Duration
			}{{"p50", got.P50, tt.want.P50}, {"p90", got.P90, tt.want.P90}, {"p95", got.P95, tt.want.P95},
				{"p99", got.P99, tt.want.P99}, {"p99.9", got.P999, tt.want.P999}} {
				if math.Abs(float64(q.got-q.want)) > 0.001*float64(q.want) {
					t.Errorf("%s %v, want %v ± 0.1%%", q.name, q.got, q.want)
				}
			}
		})
	}
}

func TestCollectorCounts(t *testing.T) {
	c := newCollector("http://127.0.0.1:8080/x", 5*time.Second, 0)
	start := time.Now()
	add := func(code uint16, msg string, sent, took time.Duration) {
		c.add(&vegeta.Result{Code: code, Error: msg, Timestamp: start.Add(sent), Latency: took})
	}
	for i := range 8 {
		add(200, "", time.Duration(i)*100*time.Millisecond, 10*time.Millisecond)
	}
	add(429, "429 Too Many Requests", 800*time.Millisecond, time.Millisecond)
	add(0, `Post "http://127.0.0.1:8080/x": context deadline exceeded`, 900*time.Millisecond, 300*time.Millisecond)
	rep := c.report()
	if rep.Requests != 10 || rep.Success != 0.8 {
		t.Errorf("%d requests, success %v; want 10, 0.8", rep.Requests, rep.Success)
	}
	if rep.Duration != 1200*time.Millisecond || math.Abs(rep.Throughput-8/1.2) > 1e-9 || math.Abs(rep.RequestRate-10) > 1e-9 {
		t.Errorf("duration %v, throughput %v, request rate %v; want 1.2s, 6.67, 10", rep.Duration, rep.Throughput, rep.RequestRate)
	}
	if fmt.Sprint(rep.StatusCodes) != "map[0:1 200:8 429:1]" || fmt.Sprint(rep.Errors) != "map[429 Too Many Requests:1 timeout after 5s:1]" {
		t.Errorf("codes %v, errors %v", rep.StatusCodes, rep.Errors)
	}
	// On a schedule of 10/s, the 10 requests take 1s even though the last answer came at 0.95s.
	sched := newCollector("http://127.0.0.1:1/", time.Second, 100*time.Millisecond)
	for i := range 10 {
		sched.add(&vegeta.Result{Code: 200, Timestamp: start.Add(time.Duration(i) * 100 * time.Millisecond), Latency: 50 * time.Millisecond})
	}
	if r := sched.report(); r.Duration != time.Second || math.Abs(r.Throughput-10) > 1e-9 {
		t.Errorf("scheduled: duration %v, throughput %v; want 1s, 10", r.Duration, r.Throughput)
	}
	if empty := newCollector("", time.Second, 0).report(); empty.Requests != 0 || empty.Success != 0 || empty.StatusCodes == nil {
		t.Errorf("empty report %+v", empty)
	}
}

func TestErrorMessage(t *testing.T) {
	long := "a" + strings.Repeat("é", 100) // cut at 120 bytes: in the middle of an é
	tests := []struct {
		name string
		res  vegeta.Result
		want string
	}{
		{"refused", vegeta.Result{Error: `Post "http://127.0.0.1:8080/v1/models/m:predict": dial tcp 127.0.0.1:8080: connect: connection refused`},
			"dial tcp 127.0.0.1:8080: connect: connection refused"},
		{"timeout", vegeta.Result{Error: `Post "http://127.0.0.1:8080/v1/models/m:predict": context deadline exceeded`}, "timeout after 5s"},
		{"timeout in body", vegeta.Result{Error: `context deadline exceeded`}, "timeout after 5s"},
		{"other url", vegeta.Result{Error: `Get "http://127.0.0.1:9/": EOF`}, `Get "http://127.0.0.1:9/": EOF`},
		{"custom method", vegeta.Result{Error: `PURGE "http://127.0.0.1:8080/v1/models/m:predict": EOF`}, `EOF`},
		{"json error", vegeta.Result{Code: 429, Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"error":"queue full"}`)},
			"429 Too Many Requests: queue full"},
		{"nested json error", vegeta.Result{Code: 400, Headers: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Body: []byte(`{"error":{"message":"bad field x"}}`)},
			"400 Bad Request: bad field x"},
		{"problem detail", vegeta.Result{Code: 404, Headers: http.Header{"Content-Type": {"application/problem+json"}}, Body: []byte(`{"detail":"no model m"}`)},
			"404 Not Found: no model m"},
		{"broken json", vegeta.Result{Code: 500, Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"error":`)},
			"500 Internal Server Error"},
		{"text", vegeta.Result{Code: 503, Headers: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte("not ready\nretry later\n")},
			"503 Service Unavailable: not ready"},
		{"html", vegeta.Result{Code: 502, Headers: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>bad gateway</html>")},
			"502 Bad Gateway"},
		{"unknown code", vegeta.Result{Code: 599}, "599"},
		{"long text", vegeta.Result{Code: 500, Headers: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(long)},
			"500 Internal Server Error: a" + strings.Repeat("é", 59) + "…"},
	}
	c := newCollector("http://127.0.0.1:8080/v1/models/m:predict", 5*time.Second, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.message(&tt.res); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestErrorKindsBounded(t *testing.T) {
	c := newCollector("http://127.0.0.1:1/", time.Second, 0)
	for i := range maxErrorKinds + 50 {
		c.add(&vegeta.Result{Error: fmt.Sprintf("error %d", i)})
	}
	c.add(&vegeta.Result{Error: "error 3"})
	rep := c.report()
	if len(rep.Errors) != maxErrorKinds+1 || rep.Errors[otherErrors] != 50 || rep.Errors["error 3"] != 2 {
		t.Errorf("%d kinds, %d other, %d of error 3; want %d, 50, 2", len(rep.Errors), rep.Errors[otherErrors], rep.Errors["error 3"], maxErrorKinds+1)
	}
}

func TestReportJSON(t *testing.T) {
	rep := &Report{Mode: ModeRate, Rate: 200, Requests: 2, Success: 1, Duration: 1500 * time.Millisecond,
		Latencies:   Latencies{P50: 410 * time.Microsecond, P999: 2310 * time.Microsecond},
		StatusCodes: map[int]int{200: 2}, Errors: map[string]int{}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mode":"rate","rate":200,"connections":0,"requests":2,"success":1,"throughput":0,"request_rate":0,` +
		`"duration_ns":1500000000,"latencies":{"mean_ns":0,"p50_ns":410000,"p90_ns":0,"p95_ns":0,"p99_ns":0,"p999_ns":2310000,"max_ns":0},` +
		`"status_codes":{"200":2},"errors":{}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Latencies.P999 != rep.Latencies.P999 || back.StatusCodes[200] != 2 {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}
