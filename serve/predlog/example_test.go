package predlog_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"riskflow/serve/predlog"
)

func Example() {
	dir, err := os.MkdirTemp("", "predlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "predictions.jsonl")

	l, err := predlog.New(predlog.Options{
		Path:     path,
		MaxFiles: 10,
		HashKey:  []byte("a key of at least 16 bytes, kept in a secret store"),
	})
	if err != nil {
		log.Fatal(err)
	}

	// In the server, per request: check Sampled before building the entry.
	if id := "r-42"; l.Sampled(id) {
		l.Write(predlog.Entry{
			RequestID: id,
			Time:      time.Date(2026, 11, 25, 10, 15, 0, 0, time.UTC),
			Model:     "orders",
			Version:   "7",
			Inputs: []predlog.Field{
				{Name: "amount", Value: 129.9},
				{Name: "email", Value: "alice@example.com", PII: true},
				{Name: "age", Value: nil},
			},
			Probability:   0.0213,
			Shadow:        &predlog.Score{Version: "8", Probability: 0.0187},
			LatencyMicros: 812,
		})
	}

	if err := l.Close(); err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	fmt.Println("written:", l.Written(), "dropped:", l.Dropped())
	// Output:
	// {"request_id":"r-42","time":"2026-11-25T10:15:00Z","model":"orders","version":"7","inputs":{"amount":129.9,"email":"hmac-sha256:2a79300872134014","age":null},"probability":0.0213,"shadow":{"version":"8","probability":0.0187},"latency_us":812}
	// written: 1 dropped: 0
}
