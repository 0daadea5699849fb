package loadtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// trivialServer answers every request with a small fixed JSON body.
func trivialServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	answer := []byte(`{"predictions":[0.0123]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// BenchmarkRunMax measures the generator's closed-loop capacity against a trivial server in the
// same process (which shares the CPUs): b.N requests on 32 connections; the req/s metric is the
// achieved request rate.
func BenchmarkRunMax(b *testing.B) {
	srv := trivialServer(b)
	target := Target{URL: srv.URL + "/v1/models/m:predict", Bodies: [][]byte{Instances([]byte(`{"order_amount":120.5}`))}}
	b.ReportAllocs()
	b.ResetTimer()
	rep, err := RunMax(context.Background(), target, 32, time.Minute, MaxRequests(b.N))
	if err != nil {
		b.Fatal(err)
	}
	if rep.Requests != b.N || rep.Success != 1 {
		b.Fatalf("%d requests, success %v; want %d, 1", rep.Requests, rep.Success, b.N)
	}
	b.ReportMetric(rep.RequestRate, "req/s")
}
