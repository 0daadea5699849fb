// Command ceiling is the machine's serving ceiling for bench/serve.sh: a minimal net/http
// server that reads each request body and answers a fixed v1 prediction, doing no decoding
// and no scoring. Whatever riskflow serve reaches is compared with what this reaches under the
// same load on the same machine. It listens on 127.0.0.1 only.
//
//	go run ./bench/ceiling --port 18090
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	port := flag.Int("port", 18090, "port on 127.0.0.1")
	flag.Parse()
	answer := []byte(`{"predictions":[0.0421],"model_name":"m","model_version":"000000000000"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	})
	addr := fmt.Sprintf("127.0.0.1:%d", *port)
	fmt.Fprintln(os.Stderr, "ceiling: listening on", addr)
	log.Fatal(http.ListenAndServe(addr, h))
}
