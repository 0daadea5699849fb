package bundle

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"riskflow/boost"
	"riskflow/calibrate"
	"riskflow/datagen"
	"riskflow/feature"
	"riskflow/frame"
	"riskflow/frameio"
	"riskflow/linear"
)

// fixture is a small trained bundle and the frame it was trained on, built once per test binary.
var fixture struct {
	once sync.Once
	tree *Bundle
	lin  *Bundle
	data *frame.Frame
	err  error
}

func trained(t testing.TB) (tree, lin *Bundle, data *frame.Frame) {
	t.Helper()
	fixture.once.Do(func() {
		fixture.tree, fixture.lin, fixture.data, fixture.err = build()
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.tree, fixture.lin, fixture.data
}

func build() (*Bundle, *Bundle, *frame.Frame, error) {
	ctx := context.Background()
	f, err := datagen.GenerateFrame(ctx, datagen.Config{Rows: 4000, Seed: 11})
	if err != nil {
		return nil, nil, nil, err
	}
	spec, err := feature.Infer(f, "default", "order_id")
	if err != nil {
		return nil, nil, nil, err
	}
	tr, x, err := feature.FitTransform(spec, f, feature.FitOptions{})
	if err != nil {
		return nil, nil, nil, err
	}
	y, err := tr.Label(f)
	if err != nil {
		return nil, nil, nil, err
	}
	feats := make([]boost.Feature, x.Cols)
	for j, o := range tr.Outputs() {
		feats[j] = boost.Feature{Name: o.Name, Categorical: o.Categorical}
	}
	p := boost.DefaultParams()
	p.Trees, p.MaxDepth, p.LearningRate = 30, 4, 0.2
	res, err := boost.Train(ctx, &boost.Dataset{X: x.Data, Rows: x.Rows, Features: feats, Y: y}, nil, p, boost.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	cal, err := calibrate.Fit(calibrate.Platt, sigmoidAll(res.Model.BaseScore, 0.3, y), y)
	if err != nil {
		return nil, nil, nil, err
	}
	tree, err := New(Metadata{ModelType: TypeGBDT, Label: "default"}, tr, res.Model, nil, cal)
	if err != nil {
		return nil, nil, nil, err
	}

	// A logistic regression on an imputed, one-hot spec.
	spec = tr.Spec()
	for i := range spec.Features {
		d := &spec.Features[i]
		switch d.Type {
		case feature.Numeric:
			d.Missing = "median"
		case feature.Boolean:
			d.Missing = "mean"
		case feature.Categorical:
			d.Encoding = feature.OneHot
		}
	}
	ltr, lx, err := feature.FitTransform(spec, f, feature.FitOptions{})
	if err != nil {
		return nil, nil, nil, err
	}
	lm, err := linear.Train(ctx, lx.Data, lx.Rows, lx.Cols, y, linear.Params{Standardize: true})
	if err != nil {
		return nil, nil, nil, err
	}
	lin, err := New(Metadata{ModelType: TypeLogistic, Label: "default"}, ltr, nil, lm, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	return tree, lin, f, nil
}

// sigmoidAll makes a deterministic, label-correlated score vector to fit a calibrator on.
func sigmoidAll(base, w float64, y []float64) []float64 {
	s := make([]float64, len(y))
	for i, v := range y {
		s[i] = 1 / (1 + math.Exp(-(base + w*v + 0.1*float64(i%7))))
	}
	return s
}

func encode(t testing.TB, b *Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteReadRoundTrip(t *testing.T) {
	tree, lin, data := trained(t)
	for _, b := range []*Bundle{tree, lin} {
		t.Run(b.Meta.ModelType, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.bundle")
			if err := Write(path, b); err != nil {
				t.Fatal(err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Digest()) != 64 {
				t.Fatalf("digest %q", got.Digest())
			}
			want := make([]float64, data.Len())
			have := make([]float64, data.Len())
			if err := b.ScoreFrame(context.Background(), data, want); err != nil {
				t.Fatal(err)
			}
			if err := got.ScoreFrame(context.Background(), data, have); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Float64bits(want[i]) != math.Float64bits(have[i]) {
					t.Fatalf("row %d: %v after round trip, %v before", i, have[i], want[i])
				}
			}
			if again := encode(t, got); !bytes.Equal(again, encode(t, b)) {
				t.Fatal("re-encoding a decoded bundle changed its bytes")
			}
			if got.Meta.InputSchema == nil {
				t.Fatal("input schema not recorded")
			}
		})
	}
}

// TestOnlineEqualsBatch proves the promise: every row scored online (JSON record → Score) gets
// the bit-identical probability that batch scoring (ScoreFrame) gives it.
func TestOnlineEqualsBatch(t *testing.T) {
	tree, lin, data := trained(t)
	var jsonl bytes.Buffer
	if err := frameio.Encode(context.Background(), &jsonl, frameio.JSONL, data); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*Bundle{tree, lin} {
		t.Run(b.Meta.ModelType, func(t *testing.T) {
			batch := make([]float64, data.Len())
			if err := b.ScoreFrame(context.Background(), data, batch); err != nil {
				t.Fatal(err)
			}
			rec := b.NewRecord()
			sc := bufio.NewScanner(bytes.NewReader(jsonl.Bytes()))
			sc.Buffer(nil, 1<<20)
			i := 0
			for ; sc.Scan(); i++ {
				rec.Reset()
				if err := rec.DecodeJSON(sc.Bytes()); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				p, err := b.Score(rec)
				if err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				if math.Float64bits(p) != math.Float64bits(batch[i]) {
					t.Fatalf("row %d: online %v, batch %v", i, p, batch[i])
				}
			}
			if i != data.Len() {
				t.Fatalf("scored %d rows online, %d in batch", i, data.Len())
			}
		})
	}
}

func TestExplain(t *testing.T) {
	tree, lin, data := trained(t)
	for _, b := range []*Bundle{tree, lin} {
		t.Run(b.Meta.ModelType, func(t *testing.T) {
			n := 200
			sub := data.Slice(0, n)
			k := 3
			p := make([]float64, n)
			reasons := make([]Reason, n*k)
			if err := b.ExplainFrame(context.Background(), sub, k, p, reasons); err != nil {
				t.Fatal(err)
			}
			var jsonl bytes.Buffer
			if err := frameio.Encode(context.Background(), &jsonl, frameio.JSONL, sub); err != nil {
				t.Fatal(err)
			}
			rec := b.NewRecord()
			lines := strings.Split(strings.TrimSpace(jsonl.String()), "\n")
			fields := len(b.fields)
			for i, line := range lines {
				rec.Reset()
				if err := rec.DecodeJSON([]byte(line)); err != nil {
					t.Fatal(err)
				}
				got, rs, err := b.Explain(rec, k, nil)
				if err != nil {
					t.Fatal(err)
				}
				if math.Float64bits(got) != math.Float64bits(p[i]) {
					t.Fatalf("row %d: Explain %v, ExplainFrame %v", i, got, p[i])
				}
				for j := range rs {
					if rs[j] != reasons[i*k+j] {
						t.Fatalf("row %d reason %d: %+v online, %+v batch", i, j, rs[j], reasons[i*k+j])
					}
					if j > 0 && rs[j].Contribution > rs[j-1].Contribution {
						t.Fatalf("row %d: reasons not in descending order: %+v", i, rs)
					}
				}
				// With every field, contributions add up to the margin minus the expected value.
				_, all, _ := b.Explain(rec, fields, nil)
				var sum float64
				for _, r := range all {
					sum += r.Contribution
				}
				s := b.scratch.get()
				x, _ := b.Transformer.Vector(s.x[:0], rec)
				margin := b.est.margin(x)
				expected := b.est.newExplainer().explain(x, make([]float64, len(x)))
				b.scratch.put(s)
				if math.Abs(sum+expected-margin) > 1e-9 {
					t.Fatalf("row %d: Σ reasons %v + expected %v != margin %v", i, sum, expected, margin)
				}
			}
		})
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	tree, _, _ := trained(t)
	good := encode(t, tree)
	nl := bytes.IndexByte(good, '\n')
	header, payload := good[:nl+1], good[nl+1:]
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x20
		return c
	}
	tests := []struct {
		name    string
		data    []byte
		corrupt bool // wraps ErrCorrupt
		want    string
	}{
		{"empty", nil, true, "header"},
		{"not a bundle", []byte("hello world\n{}"), true, "bad header"},
		{"no newline", bytes.Repeat([]byte("x"), 1000), true, "header"},
		{"truncated", good[:len(good)-10], true, "truncated"},
		{"header only", header, true, "truncated"},
		{"trailing bytes", append(bytes.Clone(good), '\n'), true, "trailing"},
		{"flipped payload byte", append(bytes.Clone(header), flip(payload, len(payload)/2)...), true, "checksum mismatch"},
		{"flipped checksum", flip(good, len("riskflow-bundle 1 sha256=")+3), true, "checksum mismatch"},
		{"future container", bytes.Replace(good, []byte("riskflow-bundle 1 "), []byte("riskflow-bundle 9 "), 1), true, "container version"},
		{"bad length", bytes.Replace(good, []byte(" bytes="), []byte(" bytes=-"), 1), true, "length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(tt.data))
			if err == nil {
				t.Fatal("decoded a damaged bundle")
			}
			if tt.corrupt && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestDecodeRejectsInconsistentPayload(t *testing.T) {
	tree, lin, _ := trained(t)
	rewrap := func(payload string) []byte {
		var buf bytes.Buffer
		if err := writeContainer(&buf, []byte(payload)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	good := encode(t, tree)
	payload := string(good[bytes.IndexByte(good, '\n')+1:])
	linPayload := string(encode(t, lin))
	linPayload = linPayload[strings.IndexByte(linPayload, '\n')+1:]
	tests := []struct{ name, payload, want string }{
		{"not json", "{", "payload"},
		{"wrong format", strings.Replace(payload, `"format":"riskflow.bundle"`, `"format":"other"`, 1), "format"},
		{"future version", strings.Replace(payload, `"version":1,"metadata"`, `"version":2,"metadata"`, 1), "version 2"},
		{"unknown field", strings.Replace(payload, `"format":"riskflow.bundle"`, `"format":"riskflow.bundle","extra":1`, 1), "unknown field"},
		{"no estimator", strings.Replace(payload, `"gbt":`, `"nothing":`, 1), "unknown field"},
		// A linear model whose width does not match the tree bundle's transformer.
		{"mismatched parts", mix(payload, linPayload), "features"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(rewrap(tt.payload)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// mix returns the tree payload with its estimator replaced by the linear payload's.
func mix(tree, lin string) string {
	i := strings.Index(tree, `,"gbt":`)
	j := strings.Index(lin, `,"linear":`)
	if i < 0 || j < 0 {
		return tree
	}
	k := strings.Index(lin[j:], `,"calibrator"`)
	linPart := lin[j:]
	if k >= 0 {
		linPart = lin[j : j+k]
	}
	linPart = strings.TrimSuffix(linPart, "}")
	return tree[:i] + linPart + "}"
}

func TestNewRejects(t *testing.T) {
	tree, lin, _ := trained(t)
	if _, err := New(Metadata{}, nil, tree.GBT, nil, nil); err == nil {
		t.Error("no transformer accepted")
	}
	if _, err := New(Metadata{}, tree.Transformer, nil, nil, nil); err == nil {
		t.Error("no estimator accepted")
	}
	if _, err := New(Metadata{}, tree.Transformer, tree.GBT, lin.Linear, nil); err == nil {
		t.Error("two estimators accepted")
	}
	if _, err := New(Metadata{}, tree.Transformer, nil, lin.Linear, nil); err == nil || !strings.Contains(err.Error(), "features") {
		t.Errorf("mismatched widths: %v", err)
	}
}

func TestReadMissingFile(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "nope.bundle"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want ErrNotExist, got %v", err)
	}
}

func TestScoreRecordErrors(t *testing.T) {
	tree, _, _ := trained(t)
	rec := tree.NewRecord()
	err := rec.DecodeJSON([]byte(`{"order_amount": "twelve"}`))
	var fe *feature.FieldError
	if !errors.As(err, &fe) || fe.Field != "order_amount" {
		t.Fatalf("want a FieldError naming order_amount, got %v", err)
	}
	// An empty record is valid: every field missing, trees route missing values.
	rec.Reset()
	p, err := tree.Score(rec)
	if err != nil || !(p > 0 && p < 1) {
		t.Fatalf("Score(empty) = %v, %v", p, err)
	}
	if err := tree.ScoreFrame(context.Background(), frame.MustNew(), make([]float64, 1)); err == nil {
		t.Fatal("ScoreFrame with a wrong-length dst accepted")
	}
}

func TestConcurrentScore(t *testing.T) {
	tree, _, data := trained(t)
	want := make([]float64, data.Len())
	if err := tree.ScoreFrame(context.Background(), data, want); err != nil {
		t.Fatal(err)
	}
	var jsonl bytes.Buffer
	if err := frameio.Encode(context.Background(), &jsonl, frameio.JSONL, data.Slice(0, 400)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(jsonl.String()), "\n")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := tree.NewRecord()
			var rs []Reason
			for i, line := range lines {
				rec.Reset()
				if err := rec.DecodeJSON([]byte(line)); err != nil {
					errs <- err
					return
				}
				p, r, err := tree.Explain(rec, 2, rs)
				rs = r
				if err != nil || p != want[i] {
					errs <- errors.New("concurrent score differs")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func FuzzDecode(f *testing.F) {
	tree, _, _ := trained(f)
	var buf bytes.Buffer
	if err := Encode(&buf, tree); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes()[:200])
	f.Add([]byte("riskflow-bundle 1 sha256=" + strings.Repeat("0", 64) + " bytes=2\n{}"))
	f.Add([]byte("riskflow-bundle 1 sha256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a bytes=2\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(bytes.NewReader(data))
		if err == nil {
			// Anything that decodes must score.
			if _, err := b.Score(b.NewRecord()); err != nil {
				t.Fatalf("decoded bundle cannot score: %v", err)
			}
		}
	})
}

func BenchmarkScore(b *testing.B) {
	tree, _, data := trained(b)
	var jsonl bytes.Buffer
	frameio.Encode(context.Background(), &jsonl, frameio.JSONL, data.Slice(0, 1))
	rec := tree.NewRecord()
	if err := rec.DecodeJSON(bytes.TrimSpace(jsonl.Bytes())); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tree.Score(rec); err != nil {
			b.Fatal(err)
		}
	}
}
