package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"riskflow/loadtest"
)

// runLoadtest runs "riskflow loadtest args..." in-process and returns its output and error.
func runLoadtest(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb}
	root := a.rootCmd()
	root.SetArgs(append([]string{"loadtest"}, args...))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// loadtestServer records the requests' method, bodies and an X-Key header.
type loadtestServer struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  []string
	methods []string
	types   []string
	keys    []string
}

func newLoadtestServer(t *testing.T) *loadtestServer {
	s := &loadtestServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.methods = append(s.methods, r.Method)
		s.types = append(s.types, r.Header.Get("Content-Type"))
		s.keys = append(s.keys, r.Header.Get("X-Key"))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"predictions":[0.1]}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func writeLoadtestFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadtestUsage(t *testing.T) {
	body := writeLoadtestFile(t, "body.json", `{"instances":[{"a":1}]}`)
	records := writeLoadtestFile(t, "r.jsonl", "{\"a\":1}\n")
	url := "http://127.0.0.1:1/v1/models/m:predict" // never reached: every case fails before sending
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing url", []string{"--rate", "10", "--body", body}, "--url is required"},
		{"url without scheme", []string{"--url", "127.0.0.1:8080/x", "--rate", "10", "--body", body}, `url "127.0.0.1:8080/x"`},
		{"relative url", []string{"--url", "/v1/models/m:predict", "--rate", "10", "--body", body}, "want an absolute http"},
		{"missing rate", []string{"--url", url, "--body", body}, "--rate is required"},
		{"bad rate", []string{"--url", url, "--rate", "abc", "--body", body}, `--rate "abc"`},
		{"zero rate", []string{"--url", url, "--rate", "200,0", "--body", body}, `--rate "200,0"`},
		{"negative rate", []string{"--url", url, "--rate", "-5", "--body", body}, `--rate "-5"`},
		{"empty rate in list", []string{"--url", url, "--rate", "200,,400", "--body", body}, `--rate "200,,400"`},
		{"body and records", []string{"--url", url, "--rate", "10", "--body", body, "--records", records}, "--body and --records exclude each other"},
		{"no body for POST", []string{"--url", url, "--rate", "10"}, "--body or --records is required"},
		{"max without connections", []string{"--url", url, "--max", "--body", body}, "--max needs --connections"},
		{"max and rate", []string{"--url", url, "--max", "--connections", "4", "--rate", "10", "--body", body}, "--rate and --max exclude each other"},
		{"zero duration", []string{"--url", url, "--rate", "10", "--body", body, "--duration", "0s"}, "--duration must be positive"},
		{"zero timeout", []string{"--url", url, "--rate", "10", "--body", body, "--timeout", "0s"}, "--timeout must be positive"},
		{"negative warmup", []string{"--url", url, "--rate", "10", "--body", body, "--warmup", "-1s"}, "--warmup must be"},
		{"negative connections", []string{"--url", url, "--rate", "10", "--body", body, "--connections", "-1"}, "--connections must be"},
		{"bad header", []string{"--url", url, "--rate", "10", "--body", body, "--header", "NoColon"}, `--header "NoColon"`},
		{"bad method", []string{"--url", url, "--rate", "10", "--body", body, "--method", "GE T"}, "invalid method"},
		{"bad duration flag", []string{"--url", url, "--rate", "10", "--body", body, "--duration", "soon"}, "invalid argument"},
		{"argument", []string{"--url", url, "--rate", "10", "--body", body, "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runLoadtest(t, tt.args...)
			var ue usageError
			if !errors.As(err, &ue) && !strings.HasPrefix(loadtestErrString(err), "unknown command") {
				t.Errorf("error %v, want a usage error", err)
			}
			if !strings.Contains(loadtestErrString(err), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func loadtestErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestLoadtestInputErrors(t *testing.T) {
	bad := writeLoadtestFile(t, "bad.jsonl", "{\"a\":1}\n[1,2]\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"records not objects", []string{"--records", bad}, "bad.jsonl:2: not a JSON object"},
		{"missing records", []string{"--records", filepath.Join(t.TempDir(), "none.jsonl")}, "no such file"},
		{"missing body", []string{"--body", filepath.Join(t.TempDir(), "none.json")}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--url", "http://127.0.0.1:1/", "--rate", "10"}, tt.args...)
			_, _, err := runLoadtest(t, args...)
			var ue usageError
			if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a non-usage error with %q", err, tt.want)
			}
		})
	}
}

func TestLoadtestRun(t *testing.T) {
	records := writeLoadtestFile(t, "r.jsonl", "{\"a\":1}\n\n{\"a\":2}\n")
	body := writeLoadtestFile(t, "body.csv", "a,b\n1,2\n")
	tests := []struct {
		name       string
		args       []string
		check      func(t *testing.T, out string, s *loadtestServer)
		wantBodies []string // the first requests' bodies
		wantMethod string
		wantType   string
		wantKey    string
	}{
		{
			name: "records table", args: []string{"--records", records, "--rate", "50,100", "--duration", "200ms"},
			wantBodies: []string{`{"instances":[{"a":1}]}`, `{"instances":[{"a":2}]}`, `{"instances":[{"a":1}]}`},
			wantMethod: "POST", wantType: "application/json",
			check: func(t *testing.T, out string, _ *loadtestServer) {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if len(lines) != 3 || !strings.HasPrefix(lines[0], "rate/s  requests  success  throughput/s  p50") ||
					!strings.HasPrefix(lines[1], "50 ") || !strings.HasPrefix(lines[2], "100 ") ||
					!strings.Contains(lines[1], "100.00%") {
					t.Errorf("table:\n%s", out)
				}
			},
		},
		{
			name: "json with body and headers",
			args: []string{"--body", body, "--rate", "40,80", "--duration", "100ms", "--json", "--method", "put",
				"--header", "Content-Type: text/csv", "--header", "X-Key:k1"},
			wantBodies: []string{"a,b\n1,2\n"}, wantMethod: "PUT", wantType: "text/csv", wantKey: "k1",
			check: func(t *testing.T, out string, _ *loadtestServer) {
				sc := bufio.NewScanner(strings.NewReader(out))
				var rates []float64
				for sc.Scan() {
					var r loadtest.Report
					if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
						t.Fatalf("line %q: %v", sc.Text(), err)
					}
					if r.Requests < 1 || r.Success != 1 || r.Latencies.P999 <= 0 {
						t.Errorf("report %+v", r)
					}
					rates = append(rates, r.Rate)
				}
				if len(rates) != 2 || rates[0] != 40 || rates[1] != 80 {
					t.Errorf("rates %v, want [40 80]", rates)
				}
			},
		},
		{
			name:       "max",
			args:       []string{"--records", records, "--max", "--connections", "2", "--duration", "2s", "--max-requests", "30"},
			wantMethod: "POST", wantType: "application/json",
			check: func(t *testing.T, out string, s *loadtestServer) {
				if !strings.Contains(out, "max: closed loop with 2 connections") || !strings.Contains(out, "  30  ") {
					t.Errorf("table:\n%s", out)
				}
				if len(s.bodies) != 30 {
					t.Errorf("server saw %d requests, want 30", len(s.bodies))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newLoadtestServer(t)
			out, errOut, err := runLoadtest(t, append([]string{"--url", s.URL + "/v1/models/m:predict"}, tt.args...)...)
			if err != nil {
				t.Fatalf("%v (stderr %q)", err, errOut)
			}
			if errOut != "" {
				t.Errorf("stderr %q, want nothing off a terminal", errOut)
			}
			tt.check(t, out, s)
			s.mu.Lock()
			defer s.mu.Unlock()
			for i, want := range tt.wantBodies {
				if i >= len(s.bodies) || s.bodies[i] != want {
					t.Errorf("body %d: want %q, server saw %q", i, want, s.bodies)
					break
				}
			}
			for i := range s.methods {
				if s.methods[i] != tt.wantMethod || s.types[i] != tt.wantType || s.keys[i] != tt.wantKey {
					t.Fatalf("request %d: %s, Content-Type %q, X-Key %q; want %s, %q, %q",
						i, s.methods[i], s.types[i], s.keys[i], tt.wantMethod, tt.wantType, tt.wantKey)
				}
			}
		})
	}
}

func TestLoadtestCanceled(t *testing.T) {
	s := newLoadtestServer(t)
	body := writeLoadtestFile(t, "body.json", `{"instances":[{"a":1}]}`)
	var out, errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := &app{stdout: &out, stderr: &errb}
	cmd := a.loadtestCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs([]string{"--url", s.URL, "--body", body, "--rate", "100,200", "--duration", "1m"})
	go func() {
		// Cancel once some requests were answered.
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			s.mu.Lock()
			n := len(s.bodies)
			s.mu.Unlock()
			if n >= 5 {
				cancel()
				return
			}
		}
	}()
	err := cmd.ExecuteContext(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "100* ") || !strings.Contains(out.String(), "*: interrupted") {
		t.Errorf("table:\n%s", out.String())
	}
}
