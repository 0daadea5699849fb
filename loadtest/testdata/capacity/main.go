// Command capacity measures how much load package loadtest can generate on this machine against
// a trivial HTTP server on 127.0.0.1 (a fixed small JSON answer): a closed-loop RunMax and a
// constant-rate Run, printed as loadtest's table, with the CPU time this process spent per
// request.
//
// By default the server runs in the same process and shares the CPUs with the generator, so the
// rates are a lower bound of the generator's capacity. To measure the generator alone, run the
// server in a second process and point the generator at it; the CPU time per request is then the
// generator's own cost:
//
//	go run ./loadtest/testdata/capacity [-connections 32] [-rate 5000] [-duration 5s]
//	go run ./loadtest/testdata/capacity -serve 127.0.0.1:18080 &
//	go run ./loadtest/testdata/capacity -url http://127.0.0.1:18080/ -rate 10000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"riskflow/loadtest"
)

func main() {
	conns := flag.Int("connections", 32, "connections of the closed-loop (max) run; 0 skips it")
	rate := flag.Float64("rate", 5000, "rate of the open-model run, requests/s; 0 skips it")
	d := flag.Duration("duration", 5*time.Second, "length of each run")
	target := flag.String("url", "", "load this 127.0.0.1 URL instead of a server in this process")
	serve := flag.String("serve", "", "only serve the trivial handler on this 127.0.0.1:port")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *serve != "" {
		err = serveOnly(ctx, *serve)
	} else {
		err = run(ctx, *target, *conns, *rate, *d)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "capacity:", err)
		os.Exit(1)
	}
}

// handler answers every request with a small fixed JSON body.
func handler() http.Handler {
	answer := []byte(`{"predictions":[0.0123]}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
}

// listen listens on addr, which must be a loopback address: this tool never sends traffic
// elsewhere.
func listen(addr string) (net.Listener, error) {
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		return nil, fmt.Errorf("address %q: want 127.0.0.1:port", addr)
	}
	return net.Listen("tcp", addr)
}

func serveOnly(ctx context.Context, addr string) error {
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler()}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func run(ctx context.Context, url string, conns int, rate float64, d time.Duration) error {
	where := "server in this process"
	if url == "" {
		ln, err := listen("127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: handler()}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		url = "http://" + ln.Addr().String() + "/v1/models/m:predict"
	} else {
		if !strings.HasPrefix(url, "http://127.0.0.1:") {
			return fmt.Errorf("url %q: want http://127.0.0.1:port/...", url)
		}
		where = "server in another process"
	}
	target := loadtest.Target{
		URL:    url,
		Bodies: [][]byte{loadtest.Instances([]byte(`{"order_amount":120.5,"market":"de"}`))},
	}
	fmt.Printf("GOMAXPROCS=%d, NumCPU=%d, %s, %s per run, 1s warmup\n\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), where, d)
	var reports []*loadtest.Report
	var notes []string
	measure := func(name string, f func() (*loadtest.Report, error)) error {
		before := cpuTime()
		rep, err := f()
		if rep != nil {
			reports = append(reports, rep)
			cpu := cpuTime() - before
			notes = append(notes, fmt.Sprintf("%s: process CPU (user+sys) %.2fs incl. warmup; %.1fµs per measured request",
				name, cpu.Seconds(), float64(cpu.Microseconds())/float64(max(rep.Requests, 1))))
		}
		return err
	}
	var err error
	if conns > 0 {
		err = measure(fmt.Sprintf("max %d connections", conns), func() (*loadtest.Report, error) {
			return loadtest.RunMax(ctx, target, conns, d, loadtest.Warmup(time.Second))
		})
	}
	if rate > 0 && err == nil {
		err = measure(fmt.Sprintf("rate %g/s", rate), func() (*loadtest.Report, error) {
			return loadtest.Run(ctx, target, rate, d, loadtest.Warmup(time.Second))
		})
	}
	if werr := loadtest.WriteTable(os.Stdout, reports); werr != nil {
		return werr
	}
	fmt.Println()
	for _, n := range notes {
		fmt.Println(n)
	}
	return err
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
