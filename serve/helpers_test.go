package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"riskflow/boost"
	"riskflow/bundle"
	"riskflow/datagen"
	"riskflow/feature"
	"riskflow/frame"
	"riskflow/serve/predlog"
)

// fixtures are two small trained bundles (a champion and a challenger with different trees),
// written to files, and JSON records from the data they were trained on. They are built once
// per test binary.
type fixtures struct {
	dir            string
	champ, chall   string // bundle files
	champB, challB *bundle.Bundle
	records        [][]byte         // JSON objects, one per data row (no label)
	rows           []map[string]any // the same records as values
	data           *frame.Frame
}

var fx struct {
	once sync.Once
	f    *fixtures
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fx.f != nil {
		os.RemoveAll(fx.f.dir)
	}
	os.Exit(code)
}

func fixture(t testing.TB) *fixtures {
	t.Helper()
	fx.once.Do(func() { fx.f, fx.err = buildFixtures() })
	if fx.err != nil {
		t.Fatal(fx.err)
	}
	return fx.f
}

func buildFixtures() (*fixtures, error) {
	ctx := context.Background()
	f, err := datagen.GenerateFrame(ctx, datagen.Config{Rows: 2000, Seed: 7})
	if err != nil {
		return nil, err
	}
	spec, err := feature.Infer(f, datagen.LabelColumn, "order_id")
	if err != nil {
		return nil, err
	}
	tr, x, err := feature.FitTransform(spec, f, feature.FitOptions{})
	if err != nil {
		return nil, err
	}
	y, err := tr.Label(f)
	if err != nil {
		return nil, err
	}
	feats := make([]boost.Feature, x.Cols)
	for j, o := range tr.Outputs() {
		feats[j] = boost.Feature{Name: o.Name, Categorical: o.Categorical}
	}
	dir, err := os.MkdirTemp("", "serve-test")
	if err != nil {
		return nil, err
	}
	fxs := &fixtures{dir: dir, data: f}
	for i, lr := range []float64{0.3, 0.1} {
		p := boost.DefaultParams()
		p.Trees, p.MaxDepth, p.LearningRate, p.Threads = 20, 4, lr, 2
		res, err := boost.Train(ctx, &boost.Dataset{X: x.Data, Rows: x.Rows, Features: feats, Y: y}, nil, p, boost.Options{})
		if err != nil {
			return nil, err
		}
		b, err := bundle.New(bundle.Metadata{ModelType: bundle.TypeGBDT, Label: datagen.LabelColumn, CreatedAt: time.Now().UTC()}, tr, res.Model, nil, nil)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, fmt.Sprintf("m%d.bundle", i))
		if err := bundle.Write(path, b); err != nil {
			return nil, err
		}
		if b, err = bundle.Read(path); err != nil {
			return nil, err
		}
		if i == 0 {
			fxs.champ, fxs.champB = path, b
		} else {
			fxs.chall, fxs.challB = path, b
		}
	}
	for i := range min(f.Len(), 400) {
		row := map[string]any{}
		for _, col := range f.Columns() {
			if col.Name == datagen.LabelColumn {
				continue
			}
			switch col.Kind {
			case frame.Numeric:
				if v := col.Num[i]; !math.IsNaN(v) {
					row[col.Name] = v
				} else {
					row[col.Name] = nil
				}
			case frame.String:
				s, ok := col.StringAt(i)
				if ok {
					row[col.Name] = s
				} else {
					row[col.Name] = nil
				}
			case frame.Bool:
				switch col.Bools[i] {
				case 0:
					row[col.Name] = false
				case 1:
					row[col.Name] = true
				default:
					row[col.Name] = nil
				}
			case frame.Time:
				if tm, ok := col.TimeAt(i); ok {
					row[col.Name] = tm.Format(time.RFC3339Nano)
				} else {
					row[col.Name] = nil
				}
			}
		}
		js, err := json.Marshal(row)
		if err != nil {
			return nil, err
		}
		fxs.rows = append(fxs.rows, row)
		fxs.records = append(fxs.records, js)
	}
	return fxs, nil
}

// score is the reference: the bundle scoring one JSON record in process.
func score(t testing.TB, b *bundle.Bundle, record []byte) float64 {
	t.Helper()
	rec := b.NewRecord()
	if err := rec.DecodeJSON(record); err != nil {
		t.Fatal(err)
	}
	p, err := b.Score(rec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// copyFile copies a bundle to dst atomically (write + rename), as a deployment would.
func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// newServer returns a loaded server over the file models, closed at cleanup.
func newServer(t testing.TB, o Options, files ...FileModel) *Server {
	t.Helper()
	if o.Source == nil {
		o.Source = &FileSource{Files: files}
	}
	if o.PollInterval == 0 {
		o.PollInterval = -1
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request through the server's handler.
func do(t testing.TB, h http.Handler, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// v1Body wraps records in {"instances": [...]}.
func v1Body(records ...[]byte) string {
	return `{"instances":[` + string(bytes.Join(records, []byte(","))) + `]}`
}

type v1Response struct {
	Predictions  []float64 `json:"predictions"`
	ModelName    string    `json:"model_name"`
	ModelVersion string    `json:"model_version"`
	Explanations [][]struct {
		Feature      string          `json:"feature"`
		Value        json.RawMessage `json:"value"`
		Contribution float64         `json:"contribution"`
	} `json:"explanations"`
}

func decodeV1(t testing.TB, w *httptest.ResponseRecorder) v1Response {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp v1Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	return resp
}

// memLog is an in-memory PredictionLog that samples everything.
type memLog struct {
	mu      sync.Mutex
	entries []predlog.Entry
}

func (l *memLog) Sampled(string) bool { return true }
func (l *memLog) Dropped() uint64     { return 0 }
func (l *memLog) Write(e predlog.Entry) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
	return true
}

func (l *memLog) snapshot() []predlog.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]predlog.Entry(nil), l.entries...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }
