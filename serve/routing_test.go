package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"riskflow/bundle"
	"riskflow/serve/predlog"
)

// withCustomer returns record with customer_id set to id.
func withCustomer(t testing.TB, record []byte, id string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(record, &m); err != nil {
		t.Fatal(err)
	}
	m["customer_id"] = id
	js, _ := json.Marshal(m)
	return js
}

func TestCanarySticky(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "m", Path: f.champ, Challenger: f.chall, Route: Route{Mode: ModeCanary, Percent: 30}})
	champV, challV := versionOf(f.champB), versionOf(f.challB)
	const customers = 400
	canary := 0
	for i := range customers {
		id := fmt.Sprintf("C%06d", i*7919)
		rec := withCustomer(t, f.records[i%len(f.records)], id)
		var first string
		for try := range 3 {
			resp := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(rec)))
			b := f.champB
			switch resp.ModelVersion {
			case champV:
			case challV:
				b = f.challB
			default:
				t.Fatalf("version %q", resp.ModelVersion)
			}
			if want := score(t, b, rec); !near(resp.Predictions[0], want) {
				t.Fatalf("customer %s: %v from %s, which says %v", id, resp.Predictions[0], resp.ModelVersion, want)
			}
			if try == 0 {
				first = resp.ModelVersion
			} else if resp.ModelVersion != first {
				t.Fatalf("customer %s met %s, then %s", id, first, resp.ModelVersion)
			}
		}
		if first == challV {
			canary++
		}
		// The same customer through v2 and SageMaker meets the same version.
		if i < 20 {
			row := map[string]any{}
			json.Unmarshal(rec, &row)
			w := do(t, s, "POST", "/v2/models/m/infer", v2Request(t, f.champB, f.champB.Transformer.Inputs(), []map[string]any{row}))
			if !strings.Contains(w.Body.String(), `"model_version":"`+first+`"`) {
				t.Errorf("v2: customer %s met %s, v1 %s", id, w.Body, first)
			}
			w = do(t, s, "POST", "/invocations", string(rec), "Content-Type", "application/json")
			if decodeV1(t, w).ModelVersion != first {
				t.Errorf("invocations: customer %s met another version", id)
			}
		}
	}
	// 30% of 400: the binomial standard deviation is 9 customers.
	if share := float64(canary) / customers; share < 0.22 || share > 0.38 {
		t.Errorf("canary share %.2f, want about 0.30", share)
	}
	// Without the key field, requests are routed by request id (X-Request-Id): sticky too.
	var noKey map[string]any
	json.Unmarshal(f.records[0], &noKey)
	delete(noKey, "customer_id")
	rec, _ := json.Marshal(noKey)
	seen := map[string]bool{}
	for i := range 40 {
		v1 := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(rec), "X-Request-Id", fmt.Sprint("r", i))).ModelVersion
		v2 := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(rec), "X-Request-Id", fmt.Sprint("r", i))).ModelVersion
		if v1 != v2 {
			t.Errorf("request id r%d met %s and %s", i, v1, v2)
		}
		seen[v1] = true
	}
	if len(seen) != 2 {
		t.Errorf("40 request ids met only %v", seen)
	}
}

func TestCanaryBucket(t *testing.T) {
	// The bucket is a pure function of model and key, spread over [0, 100).
	hist := make([]int, 10)
	for i := range 10000 {
		b := canaryBucket("m", []byte(fmt.Sprint("customer-", i)))
		if b < 0 || b >= 100 {
			t.Fatalf("bucket %v", b)
		}
		hist[int(b)/10]++
	}
	for i, n := range hist {
		if n < 850 || n > 1150 {
			t.Errorf("decile %d has %d of 10000", i, n)
		}
	}
	if canaryBucket("m", []byte("x")) != canaryBucket("m", []byte("x")) {
		t.Error("not deterministic")
	}
}

func TestShadowNeverDelays(t *testing.T) {
	f := fixture(t)
	log := &memLog{}
	s, err := New(Options{
		Source:        &FileSource{Files: []FileModel{{Name: "m", Path: f.champ, Challenger: f.chall, Route: Route{Mode: ModeShadow}}}},
		PollInterval:  -1,
		ShadowQueue:   2,
		ShadowWorkers: 1,
		PredictionLog: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The challenger is deliberately slow: 100ms per shadow request.
	s.testHook = func(md *model, shadow bool) {
		if shadow {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	champV, challV := versionOf(f.champB), versionOf(f.challB)
	const n = 20
	start := time.Now()
	var slowest time.Duration
	for i := range n {
		t0 := time.Now()
		resp := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[i]), "X-Request-Id", fmt.Sprint("s", i)))
		slowest = max(slowest, time.Since(t0))
		if resp.ModelVersion != champV {
			t.Fatalf("answered by %s, want the champion", resp.ModelVersion)
		}
	}
	total := time.Since(start)
	// A shadow on the request path would take n × 100ms = 2s.
	if total > 600*time.Millisecond {
		t.Errorf("%d requests took %v with a slow shadow (slowest %v)", n, total, slowest)
	}
	t.Logf("%d requests in %v, slowest %v", n, total, slowest)
	dropped := testutil.ToFloat64(s.metrics.shadowDrops.WithLabelValues("m"))
	if dropped < n/2 {
		t.Errorf("%v shadow drops, want at least %d (queue 2, one slow worker)", dropped, n/2)
	}
	// Shadowed requests are logged by the shadow worker with both scores; dropped ones by
	// the request path with the champion's only.
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries := log.snapshot()
	if len(entries) != n {
		t.Fatalf("%d entries, want %d", len(entries), n)
	}
	shadowed := 0
	for _, e := range entries {
		if e.Version != champV {
			t.Errorf("entry version %s", e.Version)
		}
		if e.Shadow != nil {
			shadowed++
			i := 0
			fmt.Sscanf(e.RequestID, "s%d", &i)
			if e.Shadow.Version != challV || !near(e.Shadow.Probability, score(t, f.challB, f.records[i])) ||
				!near(e.Probability, score(t, f.champB, f.records[i])) {
				t.Errorf("shadowed entry %+v", e)
			}
		}
	}
	if shadowed == 0 || float64(shadowed) != n-dropped {
		t.Errorf("%d entries carry a shadow score, %v dropped of %d", shadowed, dropped, n)
	}
}

func TestShadowAllProtocols(t *testing.T) {
	f := fixture(t)
	log := &memLog{}
	s := newServer(t, Options{PredictionLog: log, ShadowQueue: 64}, FileModel{Name: "m", Path: f.champ, Challenger: f.chall})
	names := []string{}
	for _, in := range f.champB.Transformer.Inputs() {
		names = append(names, in.Name)
	}
	csvBody := strings.Join(names, ",") + "\n" + strings.Repeat(",", len(names)-1) + "\n"
	do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[:2]...), "X-Request-Id", "v1")
	do(t, s, "POST", "/v2/models/m/infer", v2Request(t, f.champB, f.champB.Transformer.Inputs(), f.rows[:3]), "X-Request-Id", "v2")
	do(t, s, "POST", "/invocations", csvBody, "Content-Type", "text/csv", "X-Request-Id", "csv")
	do(t, s, "POST", "/invocations", string(f.records[0]), "X-Request-Id", "rec")
	s.Shutdown(context.Background())
	count := map[string]int{}
	for _, e := range log.snapshot() {
		if e.Shadow == nil {
			t.Errorf("%s: no shadow score", e.RequestID)
		}
		count[e.RequestID]++
	}
	if count["v1"] != 2 || count["v2"] != 3 || count["csv"] != 1 || count["rec"] != 1 {
		t.Errorf("entries per request %v", count)
	}
	if got := testutil.ToFloat64(s.metrics.shadowErrors.WithLabelValues("m")); got != 0 {
		t.Errorf("%v shadow errors", got)
	}
}

func TestRealPredictionLog(t *testing.T) {
	f := fixture(t)
	path := filepath.Join(t.TempDir(), "predictions.jsonl")
	pl, err := predlog.New(predlog.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Options{PredictionLog: pl}, FileModel{Name: "m", Path: f.champ, Challenger: f.chall, Route: Route{Mode: ModeCanary, Percent: 100}})
	resp := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0]), "X-Request-Id", "q-1"))
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := pl.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var line struct {
		RequestID   string         `json:"request_id"`
		Version     string         `json:"version"`
		Canary      bool           `json:"canary"`
		Probability float64        `json:"probability"`
		Inputs      map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal(data, &line); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	if line.RequestID != "q-1" || line.Version != resp.ModelVersion || !line.Canary || line.Probability != resp.Predictions[0] || line.Inputs["order_amount"] != f.rows[0]["order_amount"] {
		t.Errorf("logged %s", data)
	}
	if line.Version != versionOf(f.challB) {
		t.Errorf("canary 100%% answered by %s", line.Version)
	}
}

func TestHotSwapUnderLoad(t *testing.T) {
	f := fixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.bundle")
	copyFile(t, f.champ, path)
	s := newServer(t, Options{QueueSize: 1000}, FileModel{Name: "m", Path: path})
	champV, challV := versionOf(f.champB), versionOf(f.challB)
	var failed, answered atomic.Int64
	var bad sync.Map
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				rec := f.records[(g*300+i)%len(f.records)]
				w := do(t, s, "POST", "/v1/models/m:predict", v1Body(rec))
				if w.Code != 200 {
					failed.Add(1)
					bad.Store(w.Code, w.Body.String())
					continue
				}
				var resp v1Response
				json.Unmarshal(w.Body.Bytes(), &resp)
				switch resp.ModelVersion {
				case champV:
					if !near(resp.Predictions[0], score(t, f.champB, rec)) {
						bad.Store("mismatch", resp)
					}
				case challV:
					if !near(resp.Predictions[0], score(t, f.challB, rec)) {
						bad.Store("mismatch", resp)
					}
				default:
					bad.Store("version", resp.ModelVersion)
				}
				answered.Add(1)
			}
		}()
	}
	swaps := []string{f.chall, f.champ, f.chall, f.champ, f.chall}
	for _, src := range swaps {
		time.Sleep(10 * time.Millisecond)
		copyFile(t, src, path)
		if err := s.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	bad.Range(func(k, v any) bool {
		t.Errorf("%v: %v", k, v)
		return true
	})
	if failed.Load() != 0 || answered.Load() != 1200 {
		t.Errorf("%d failed, %d answered of 1200", failed.Load(), answered.Load())
	}
	if got := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0]))).ModelVersion; got != challV {
		t.Errorf("after the last swap: %s, want %s", got, challV)
	}
}

func TestReloadFailureKeepsServing(t *testing.T) {
	f := fixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.bundle")
	copyFile(t, f.champ, path)
	s := newServer(t, Options{}, FileModel{Name: "m", Path: path})
	champV := versionOf(f.champB)
	data, _ := os.ReadFile(f.chall)
	data[len(data)-10] ^= 1 // a damaged copy of the challenger
	os.WriteFile(path, data, 0o644)
	err := s.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), `model "m"`) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("Reload: %v", err)
	}
	if got := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0]))).ModelVersion; got != champV {
		t.Errorf("after a failed load: %s, want %s still serving", got, champV)
	}
	if got := testutil.ToFloat64(s.metrics.loadFailures.WithLabelValues("m")); got != 1 {
		t.Errorf("load failures %v", got)
	}
	if !s.Ready() {
		t.Error("not ready after a failed reload with the old version serving")
	}
	// The poller does not retry the same broken file; a fixed file loads.
	if err := s.reload(context.Background(), false); err != nil {
		t.Errorf("poll retried a known-bad file: %v", err)
	}
	copyFile(t, f.chall, path)
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0]))).ModelVersion; got != versionOf(f.challB) {
		t.Errorf("after the fix: %s", got)
	}
}

func TestPollPicksUpChanges(t *testing.T) {
	f := fixture(t)
	dir := t.TempDir()
	copyFile(t, f.champ, filepath.Join(dir, "a.bundle"))
	s, err := New(Options{Source: &FileSource{Dir: dir}, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	version := func(name string) string {
		w := do(t, s, "POST", "/v1/models/"+name+":predict", v1Body(f.records[0]))
		if w.Code != 200 {
			return fmt.Sprint(w.Code)
		}
		return decodeV1(t, w).ModelVersion
	}
	if version("a") != versionOf(f.champB) {
		t.Fatal("a not served")
	}
	copyFile(t, f.chall, filepath.Join(dir, "a.bundle"))
	copyFile(t, f.champ, filepath.Join(dir, "b.bundle"))
	waitFor(t, 3*time.Second, "the poller to swap a and add b", func() bool {
		return version("a") == versionOf(f.challB) && version("b") == versionOf(f.champB)
	})
	os.Remove(filepath.Join(dir, "b.bundle"))
	waitFor(t, 3*time.Second, "the poller to drop b", func() bool { return version("b") == "404" })
}

func TestPromotionReusesLoadedVersion(t *testing.T) {
	f := fixture(t)
	src := &switchSource{specs: []ModelSpec{{Name: "m", Champion: FileRef(f.champ), Challenger: ptr(FileRef(f.chall))}}}
	s := newServer(t, Options{Source: src})
	loads := testutil.CollectAndCount(s.metrics.loadSeconds)
	before := s.set.Load().lookup("m").challenger
	src.set([]ModelSpec{{Name: "m", Champion: FileRef(f.chall)}})
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := s.set.Load().lookup("m")
	if e.champion != before || e.challenger != nil {
		t.Errorf("promotion did not reuse the loaded challenger")
	}
	if got := testutil.ToFloat64(s.metrics.loadFailures.WithLabelValues("m")); got != 0 || testutil.CollectAndCount(s.metrics.loadSeconds) != loads {
		t.Errorf("promotion loaded again")
	}
}

// switchSource is a ModelSource whose answer a test changes.
type switchSource struct {
	mu    sync.Mutex
	specs []ModelSpec
}

func (s *switchSource) Models(context.Context) ([]ModelSpec, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.specs, nil
}

func (s *switchSource) set(specs []ModelSpec) {
	s.mu.Lock()
	s.specs = specs
	s.mu.Unlock()
}

func ptr[T any](v T) *T { return &v }

func TestConcurrentLoadsMerge(t *testing.T) {
	f := fixture(t)
	var calls atomic.Int32
	gate := make(chan struct{})
	ref := Ref{Key: "shared", Load: func(ctx context.Context) (*bundle.Bundle, error) {
		calls.Add(1)
		<-gate
		return f.champB, nil
	}}
	src := &switchSource{specs: []ModelSpec{{Name: "a", Champion: ref}, {Name: "b", Champion: ref}, {Name: "c", Champion: ref, Challenger: &ref}}}
	s, err := New(Options{Source: src, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan error)
	go func() { done <- s.Reload(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the shared bundle was loaded %d times", n)
	}
	if !s.Ready() || len(s.Models()) != 3 {
		t.Errorf("models %+v", s.Models())
	}
}

func TestGracefulShutdown(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "m", Path: f.champ})
	inJob := make(chan struct{}, 1)
	s.testHook = func(*model, bool) {
		select {
		case inJob <- struct{}{}:
		default:
		}
		time.Sleep(200 * time.Millisecond)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Post(url+"/v1/models/m:predict", "application/json", strings.NewReader(v1Body(f.records[0])))
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-inJob // the request is being scored
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("Shutdown returned after %v, before the in-flight request finished", d)
	}
	r := <-res
	if r.err != nil || r.code != 200 || !strings.Contains(r.body, "predictions") {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get(url + "/ping"); err == nil {
		t.Error("a new connection was accepted after Shutdown")
	}
	if w := do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0])); w.Code != 503 {
		t.Errorf("after shutdown: %d", w.Code)
	}
	if err := s.Serve(ln); !errors.Is(err, errClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

func TestQueueFullAndTimeoutOverHTTP(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{Workers: 1, QueueSize: 1, QueueTimeout: 50 * time.Millisecond}, FileModel{Name: "m", Path: f.champ})
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	s.testHook = func(*model, bool) {
		entered <- struct{}{}
		<-release
	}
	var wg sync.WaitGroup
	codes := make(chan int, 3)
	send := func() {
		defer wg.Done()
		codes <- do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0])).Code
	}
	wg.Add(1)
	go send()
	<-entered // the slot is busy
	wg.Add(1)
	go send() // waits in the queue, then times out
	waitFor(t, time.Second, "one waiting", func() bool { n, _ := s.set.Load().lookup("m").q.depth(); return n == 1 })
	w := do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0])) // the queue is full
	if w.Code != 429 || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), "queue is full") {
		t.Errorf("full queue: %d %v %s", w.Code, w.Header(), w.Body)
	}
	time.Sleep(80 * time.Millisecond)
	close(release)
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[200] != 1 || got[503] != 1 {
		t.Errorf("codes %v, want one 200 and one 503 (timeout)", got)
	}
	if testutil.ToFloat64(s.metrics.rejected.WithLabelValues("m")) != 1 || testutil.ToFloat64(s.metrics.timeouts.WithLabelValues("m")) != 1 {
		t.Error("rejections or timeouts not counted")
	}
}

func TestScoringPanicReleasesSlot(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{Workers: 1}, FileModel{Name: "m", Path: f.champ})
	var once sync.Once
	s.testHook = func(*model, bool) { once.Do(func() { panic("boom") }) }
	if w := do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0])); w.Code != 500 || !strings.Contains(w.Body.String(), "internal error") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0])))
}

func TestV2RequestIDLogged(t *testing.T) {
	f := fixture(t)
	log := &memLog{}
	s := newServer(t, Options{PredictionLog: log}, FileModel{Name: "m", Path: f.champ})
	w := do(t, s, "POST", "/v2/models/m/infer", v2Request(t, f.champB, f.champB.Transformer.Inputs(), f.rows[:2]))
	if w.Code != 200 || w.Header().Get("X-Request-Id") != "req-1" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
	got := log.snapshot()
	if len(got) != 2 || got[0].RequestID != "req-1" || got[1].RequestID != "req-1" {
		t.Fatalf("entries %+v", got)
	}
	// v2 inputs are logged with their values (customer_id is neither an input nor the id).
	for _, fl := range got[1].Inputs {
		if fl.Value != f.rows[1][fl.Name] {
			t.Errorf("%s = %v, want %v", fl.Name, fl.Value, f.rows[1][fl.Name])
		}
	}
}

func TestFloodedModelDoesNotStarveOthers(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{Workers: 2}, FileModel{Name: "a", Path: f.champ}, FileModel{Name: "b", Path: f.chall})
	// Model a's scoring is slow (20ms a request) and it is flooded by 6 clients.
	s.testHook = func(md *model, _ bool) {
		if md.name == "a" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var aDone atomic.Int64
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if do(t, s, "POST", "/v1/models/a:predict", v1Body(f.records[0])).Code == 200 {
					aDone.Add(1)
				}
			}
		}()
	}
	waitFor(t, time.Second, "a's queue to fill", func() bool { n, _ := s.set.Load().lookup("a").q.depth(); return n >= 3 })
	var worst time.Duration
	for range 10 {
		t0 := time.Now()
		decodeV1(t, do(t, s, "POST", "/v1/models/b:predict", v1Body(f.records[1])))
		worst = max(worst, time.Since(t0))
	}
	close(stop)
	wg.Wait()
	// b waits for at most one of a's 20ms jobs per request, never behind a's whole queue.
	t.Logf("b's worst latency %v while a (%d requests served) was flooded", worst, aDone.Load())
	if worst > 150*time.Millisecond {
		t.Errorf("b's worst latency %v behind a's flood", worst)
	}
}

// TestAdmissionBeforeBody checks that a request to a model whose queue is full is refused
// before its body is read: its body here never ends.
func TestAdmissionBeforeBody(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{Workers: 1, QueueSize: 1}, FileModel{Name: "m", Path: f.champ})
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	s.testHook = func(*model, bool) {
		entered <- struct{}{}
		<-release
	}
	var wg sync.WaitGroup
	for range 2 { // one scoring, one waiting: QueueSize + MaxConcurrent admitted
		wg.Add(1)
		go func() {
			defer wg.Done()
			decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0])))
		}()
	}
	<-entered
	waitFor(t, time.Second, "one waiting", func() bool { n, _ := s.set.Load().lookup("m").q.depth(); return n == 1 })
	pr, pw := io.Pipe()
	defer pw.Close()
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		r := httptest.NewRequest("POST", "/v1/models/m:predict", pr)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		done <- w
	}()
	select {
	case w := <-done:
		if w.Code != 429 || w.Header().Get("Retry-After") == "" {
			t.Errorf("a request beyond admission: %d %v %s", w.Code, w.Header(), w.Body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request beyond admission waited for its body")
	}
	close(release)
	wg.Wait()
}

// TestLongJobYields checks that a model's long job gives its slot to another model's request
// after a slice, instead of making it wait for the whole job.
func TestLongJobYields(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{Workers: 1}, FileModel{Name: "a", Path: f.champ}, FileModel{Name: "b", Path: f.chall})
	entered := make(chan struct{}, 1)
	aWaiting := make(chan int, 1)
	s.testHook = func(md *model, _ bool) {
		switch md.name {
		case "a":
			entered <- struct{}{}
			time.Sleep(300 * time.Millisecond) // a's first instance takes 300ms of its slot
		case "b":
			// a's job, with instances left, waits for its slot back while b scores.
			n, _ := s.set.Load().lookup("a").q.depth()
			aWaiting <- n
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		w := do(t, s, "POST", "/v1/models/a:predict", v1Body(f.records[0], f.records[1], f.records[2]))
		if len(decodeV1(t, w).Predictions) != 3 {
			t.Errorf("a: %s", w.Body)
		}
	}()
	<-entered
	go func() {
		defer wg.Done()
		decodeV1(t, do(t, s, "POST", "/v1/models/b:predict", v1Body(f.records[0])))
	}()
	wg.Wait()
	if n := <-aWaiting; n != 1 {
		t.Errorf("while b scored, a had %d jobs waiting, want its yielded one", n)
	}
}
