package loadtest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"riskflow/loadtest"
)

func ExampleRun() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"predictions":[0.02]}`)
	}))
	defer srv.Close()

	bodies, err := loadtest.ReadRecords(strings.NewReader(`{"order_amount":120.5,"market":"de"}`), "orders.jsonl")
	if err != nil {
		panic(err)
	}
	target := loadtest.Target{URL: srv.URL + "/v1/models/risk:predict", Bodies: bodies}
	// 100 requests per second for 0.2s, stopping after 10.
	rep, err := loadtest.Run(context.Background(), target, 100, 200*time.Millisecond, loadtest.MaxRequests(10))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d requests, %.0f%% success, status %s\n", rep.Requests, 100*rep.Success, loadtest.FormatStatusCodes(rep.StatusCodes))
	// Output: 10 requests, 100% success, status 200: 10
}

func ExampleReadRecords() {
	bodies, err := loadtest.ReadRecords(strings.NewReader("{\"a\":1}\n{\"a\":2}\n"), "records.jsonl")
	fmt.Printf("%s %s %v\n", bodies[0], bodies[1], err)

	_, err = loadtest.ReadRecords(strings.NewReader("{\"a\":1}\n[2]\n"), "records.jsonl")
	fmt.Println(err)
	// Output:
	// {"instances":[{"a":1}]} {"instances":[{"a":2}]} <nil>
	// loadtest: records.jsonl:2: not a JSON object
}

func ExampleWriteTable() {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	rep := &loadtest.Report{
		Mode: loadtest.ModeRate, Rate: 200, Requests: 6000, Success: 1, Throughput: 200, RequestRate: 200,
		Latencies:   loadtest.Latencies{P50: ms(0.41), P90: ms(0.62), P99: ms(1.10), P999: ms(2.31), Max: ms(4.02)},
		StatusCodes: map[int]int{200: 6000},
	}
	if err := loadtest.WriteTable(os.Stdout, []*loadtest.Report{rep}); err != nil {
		panic(err)
	}
	// Output:
	// rate/s  requests  success  throughput/s  p50     p90     p99     p99.9   max
	// 200     6000      100.00%  200.0         0.41ms  0.62ms  1.10ms  2.31ms  4.02ms
}
