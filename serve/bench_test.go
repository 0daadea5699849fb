package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"riskflow/feature"
)

// Benchmarks of the request path. Run with
//
//	go test ./serve -run '^$' -bench . -benchmem
//
// BenchmarkV1PredictHandler is the measure: one record through ServeHTTP with an
// httptest.ResponseRecorder (whose own allocations, a header map and a body buffer, are
// included); BenchmarkV1PredictServer uses a reusable ResponseWriter to show the server's own.

// reqLoop reuses one request with a rewindable body.
type reqLoop struct {
	body []byte
	rd   *bytes.Reader
	req  *http.Request
}

func newReqLoop(method, path, body string, hdr ...string) *reqLoop {
	l := &reqLoop{body: []byte(body), rd: bytes.NewReader([]byte(body))}
	l.req = httptest.NewRequest(method, path, nil)
	l.req.Body = io.NopCloser(l.rd)
	l.req.ContentLength = int64(len(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		l.req.Header.Set(hdr[i], hdr[i+1])
	}
	return l
}

func (l *reqLoop) next() *http.Request {
	l.rd.Reset(l.body)
	return l.req
}

// sink is a reusable ResponseWriter that keeps only the status.
type sink struct {
	h    http.Header
	code int
	n    int
}

func (s *sink) Header() http.Header { return s.h }
func (s *sink) WriteHeader(c int)   { s.code = c }
func (s *sink) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = 200
	}
	s.n += len(b)
	return len(b), nil
}

func benchHandler(b *testing.B, s *Server, l *reqLoop) {
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, l.next())
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

func BenchmarkV1PredictHandler(b *testing.B) {
	f := fixture(b)
	s := newServer(b, Options{}, FileModel{Name: "m", Path: f.champ})
	benchHandler(b, s, newReqLoop("POST", "/v1/models/m:predict", v1Body(f.records[0])))
}

func BenchmarkV1PredictServer(b *testing.B) {
	f := fixture(b)
	s := newServer(b, Options{}, FileModel{Name: "m", Path: f.champ})
	l := newReqLoop("POST", "/v1/models/m:predict", v1Body(f.records[0]))
	w := &sink{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.code = 0
		clear(w.h)
		s.ServeHTTP(w, l.next())
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

func BenchmarkV1PredictCanary(b *testing.B) {
	f := fixture(b)
	s := newServer(b, Options{}, FileModel{Name: "m", Path: f.champ, Challenger: f.chall, Route: Route{Mode: ModeCanary, Percent: 10}})
	benchHandler(b, s, newReqLoop("POST", "/v1/models/m:predict", v1Body(f.records[0])))
}

func BenchmarkV1PredictBatch100(b *testing.B) {
	f := fixture(b)
	s := newServer(b, Options{}, FileModel{Name: "m", Path: f.champ})
	benchHandler(b, s, newReqLoop("POST", "/v1/models/m:predict", v1Body(f.records[:100]...)))
}

func BenchmarkV1Explain3(b *testing.B) {
	f := fixture(b)
	s := newServer(b, Options{}, FileModel{Name: "m", Path: f.champ})
	benchHandler(b, s, newReqLoop("POST", "/v1/models/m:predict?explain=3", v1Body(f.records[0])))
}

func BenchmarkV2InferHandler(b *testing.B) {
	f := fixture(b)
	s := newServer(b, Options{}, FileModel{Name: "m", Path: f.champ})
	body := v2Request(b, f.champB, f.champB.Transformer.Inputs(), f.rows[:1])
	benchHandler(b, s, newReqLoop("POST", "/v2/models/m/infer", body))
}

func BenchmarkInvocationsCSV(b *testing.B) {
	f := fixture(b)
	s := newServer(b, Options{}, FileModel{Name: "m", Path: f.champ})
	var cells []string
	for _, in := range f.champB.Transformer.Inputs() {
		v := f.rows[0][in.Name]
		if v == nil {
			v = ""
		}
		cells = append(cells, fmt.Sprint(v))
	}
	benchHandler(b, s, newReqLoop("POST", "/invocations", strings.Join(cells, ",")+"\n", "Content-Type", "text/csv"))
}

// BenchmarkScore is bundle.Score of one decoded record: the in-process floor under the HTTP
// path.
func BenchmarkScore(b *testing.B) {
	f := fixture(b)
	rec := f.champB.NewRecord()
	if err := rec.DecodeJSON(f.records[0]); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.champB.Score(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// TestScoreMedian reports the median time of bundle.Score over many records (the issue asks
// for < 10 µs); it fails only at a generous bound, the machine being shared.
func TestScoreMedian(t *testing.T) {
	f := fixture(t)
	b := f.champB
	recs := make([]*feature.Record, 0, len(f.records))
	for _, js := range f.records {
		r := b.NewRecord()
		if err := r.DecodeJSON(js); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	times := make([]time.Duration, 0, 4000)
	for i := range 4000 {
		rec := recs[i%len(recs)]
		t0 := time.Now()
		if _, err := b.Score(rec); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	med := times[len(times)/2]
	t.Logf("bundle.Score median %v, p99 %v (%d trees)", med, times[len(times)*99/100], len(b.GBT.Trees))
	if med > 200*time.Microsecond {
		t.Errorf("median %v", med)
	}
}

// coldStart loads n bundles from dir and answers a first prediction; it returns the time taken.
func coldStart(tb testing.TB, dir string, record []byte) time.Duration {
	start := time.Now()
	s, err := New(Options{Source: &FileSource{Dir: dir}, PollInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	if err := s.Reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("POST", "/v1/models/m9:predict", strings.NewReader(v1Body(record))))
	if w.Code != 200 {
		tb.Fatalf("%d %s", w.Code, w.Body)
	}
	return time.Since(start)
}

func tenBundles(tb testing.TB) string {
	f := fixture(tb)
	dir := tb.TempDir()
	for i := range 10 {
		src := f.champ
		if i%2 == 1 {
			src = f.chall
		}
		copyFile(tb, src, filepath.Join(dir, fmt.Sprintf("m%d.bundle", i)))
	}
	return dir
}

// TestColdStart measures the time from New to the first successful prediction with 10
// bundles (the target is < 200 ms); it fails only at a generous bound.
func TestColdStart(t *testing.T) {
	f := fixture(t)
	dir := tenBundles(t)
	d := coldStart(t, dir, f.records[0])
	t.Logf("cold start with 10 bundles: %v", d)
	if d > 2*time.Second {
		t.Errorf("cold start took %v", d)
	}
}

func BenchmarkColdStart10(b *testing.B) {
	f := fixture(b)
	dir := tenBundles(b)
	for b.Loop() {
		coldStart(b, dir, f.records[0])
	}
}
