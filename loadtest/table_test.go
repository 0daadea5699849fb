package loadtest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func TestWriteTable(t *testing.T) {
	tests := []struct {
		name    string
		reports []*Report
	}{
		{name: "rates", reports: []*Report{
			{Mode: ModeRate, Rate: 200, Requests: 6000, Success: 1, Throughput: 200.03, RequestRate: 200,
				Latencies:   Latencies{P50: ms(0.41), P90: ms(0.62), P99: ms(1.1), P999: ms(2.31), Max: ms(4.02)},
				StatusCodes: map[int]int{200: 6000}, Errors: map[string]int{}},
			{Mode: ModeRate, Rate: 1000, Requests: 30000, Success: 0.9899, Throughput: 989.9, RequestRate: 1000,
				Latencies:   Latencies{P50: ms(0.52), P90: ms(3.3), P99: ms(41.23), P999: ms(1250), Max: 5 * time.Second},
				StatusCodes: map[int]int{0: 3, 200: 29697, 429: 280, 503: 20},
				Errors: map[string]int{"429 Too Many Requests: model m: queue full": 280, "503 Service Unavailable": 20,
					"timeout after 5s": 3}},
			{Mode: ModeRate, Rate: 5000, Requests: 120000, Success: 1, Throughput: 3999.9, RequestRate: 4000.1,
				Latencies:   Latencies{P50: ms(8.1), P90: ms(9.3), P99: ms(11.2), P999: ms(14), Max: ms(20)},
				StatusCodes: map[int]int{200: 120000}, Errors: map[string]int{}},
			{Mode: ModeRate, Rate: 0.5, Requests: 0, StatusCodes: map[int]int{}, Errors: map[string]int{}},
		}},
		{name: "max and canceled", reports: []*Report{
			{Mode: ModeMax, Connections: 64, Requests: 356190, Success: 1, Throughput: 11872.94, RequestRate: 11873.02,
				Latencies:   Latencies{P50: ms(5.12), P90: ms(7.9), P99: ms(12.5), P999: ms(30.1), Max: ms(61.0)},
				StatusCodes: map[int]int{200: 356190}, Errors: map[string]int{}},
			{Mode: ModeRate, Rate: 400, Requests: 4920, Success: 0.5, Throughput: 200, RequestRate: 400, Canceled: true,
				Latencies:   Latencies{P50: ms(0.4), P90: ms(0.6), P99: ms(0.9), P999: ms(1), Max: ms(1.2)},
				StatusCodes: map[int]int{200: 2460, 500: 2460},
				Errors: map[string]int{"500 Internal Server Error: a": 1000, "500 Internal Server Error: b": 1000,
					"500 Internal Server Error: c": 200, "500 Internal Server Error: d": 200, "500 Internal Server Error: e": 50,
					"500 Internal Server Error: f": 5, "500 Internal Server Error: g": 5}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bytes.Buffer
			if err := WriteTable(&got, tt.reports); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "table_"+strings.ReplaceAll(tt.name, " ", "_")+".golden")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got.String(), want)
			}
		})
	}
}

func TestFormatStatusCodes(t *testing.T) {
	tests := []struct {
		codes map[int]int
		want  string
	}{
		{map[int]int{}, ""},
		{map[int]int{200: 5880, 429: 120}, "200: 5880, 429: 120"},
		{map[int]int{503: 3, 0: 2, 200: 1}, "no response: 2, 200: 1, 503: 3"},
	}
	for _, tt := range tests {
		if got := FormatStatusCodes(tt.codes); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.codes, got, tt.want)
		}
	}
}

func TestFormatLatency(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0.00ms"},
		{410 * time.Microsecond, "0.41ms"},
		{1234567 * time.Microsecond / 1000, "1.23ms"},
		{999 * time.Millisecond, "999.00ms"},
		{time.Second, "1.00s"},
		{61500 * time.Millisecond, "61.50s"},
	}
	for _, tt := range tests {
		if got := formatLatency(tt.d); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.d, got, tt.want)
		}
	}
}
