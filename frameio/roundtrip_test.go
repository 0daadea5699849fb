package frameio

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"riskflow/frame"
)

// assertFramesEqual checks names, kinds and values: float bits (NaN = missing), string values
// (dictionaries may be ordered differently), bools and times.
func assertFramesEqual(t *testing.T, got, want *frame.Frame) {
	t.Helper()
	if got.Len() != want.Len() || got.NumCols() != want.NumCols() {
		t.Fatalf("shape %d×%d, want %d×%d", got.Len(), got.NumCols(), want.Len(), want.NumCols())
	}
	for j, w := range want.Columns() {
		g := got.Col(j)
		if g.Name != w.Name || g.Kind != w.Kind {
			t.Fatalf("column %d is %s %v, want %s %v", j, g.Name, g.Kind, w.Name, w.Kind)
		}
		for i := 0; i < w.Len(); i++ {
			gm, wm := g.IsMissing(i), w.IsMissing(i)
			same := gm == wm
			if same && !wm {
				switch w.Kind {
				case frame.Numeric:
					same = math.Float64bits(g.Num[i]) == math.Float64bits(w.Num[i])
				case frame.String:
					same = g.Dict[g.Codes[i]] == w.Dict[w.Codes[i]]
				case frame.Bool:
					same = g.Bools[i] == w.Bools[i]
				case frame.Time:
					same = g.Times[i] == w.Times[i]
				}
			}
			if !same {
				t.Fatalf("%s row %d: got %q (missing %v), want %q (missing %v)", w.Name, i, g.Format(i), gm, w.Format(i), wm)
			}
		}
	}
}

// trickyFrame holds values that are easy to get wrong in text formats.
func trickyFrame() *frame.Frame {
	nums := []float64{0, math.Copysign(0, -1), math.Nextafter(0.3, 1), 5e-324, math.MaxFloat64, -math.SmallestNonzeroFloat64,
		1e21, 1e-7, 123456789012345678, 1.0 / 3, math.NaN(), 42, -2.5e-300, 9007199254740993}
	strs := []string{"plain", "with, comma", `with "quotes"`, "multi\nline", "crlf\r\nline", "", " leading space",
		"trailing space ", "NA", "null", "ünïcödé ✓", "tab\there", "back\\slash", "\x00ctl\x1f"}
	n := len(nums)
	s := frame.NewColumn("s", frame.String, n)
	for i, v := range strs {
		if i == 5 {
			s.AppendMissing() // a missing value next to the empty-string value at index 12
			continue
		}
		s.AppendString(v)
	}
	s.Codes[12] = s.Code("") // the empty string is a value, distinct from missing
	b := frame.NewColumn("b", frame.Bool, n)
	tm := frame.NewColumn("t", frame.Time, n)
	base := time.Date(2025, 6, 30, 23, 59, 59, 999999999, time.UTC)
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			b.AppendBool(true)
		case 1:
			b.AppendBool(false)
		default:
			b.AppendMissing()
		}
		switch i % 4 {
		case 0:
			tm.AppendMissing()
		case 1:
			tm.AppendTime(time.Date(1969, 7, 20, 20, 17, 40, 123, time.UTC))
		default:
			tm.AppendTime(base.Add(time.Duration(i) * 1001 * time.Millisecond))
		}
	}
	return frame.MustNew(frame.NumericColumn("x", nums), s, b, tm, frame.NumericColumn("all missing", []float64{
		math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(),
		math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}))
}

var roundTripExts = []string{".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".parquet"}

func TestRoundTrip(t *testing.T) {
	frames := map[string]*frame.Frame{"tricky": trickyFrame(), "orders": genOrders(3000, 3)}
	for name, f := range frames {
		for _, ext := range roundTripExts {
			t.Run(name+ext, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "data"+ext)
				ctx := context.Background()
				if err := Write(ctx, path, f); err != nil {
					t.Fatal(err)
				}
				got, err := Read(ctx, path, ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				assertFramesEqual(t, got, f)
			})
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	f := trickyFrame()
	for _, format := range []Format{CSV, JSONL, Parquet} {
		t.Run(format.String(), func(t *testing.T) {
			var buf bytes.Buffer
			ctx := context.Background()
			if err := Encode(ctx, &buf, format, f); err != nil {
				t.Fatal(err)
			}
			// Through a plain io.Reader (Parquet then buffers it).
			got, err := Decode(ctx, struct{ *bytes.Buffer }{&buf}, format, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			assertFramesEqual(t, got, f)
		})
	}
}

// TestRoundTripStringsThatLookLikeOtherKinds: text formats do not carry kinds, so a String column
// of digits reads back as Numeric unless ReadOptions.Kinds says otherwise. Parquet keeps it.
func TestRoundTripStringsThatLookLikeOtherKinds(t *testing.T) {
	f := frame.MustNew(frame.StringColumn("zip", []string{"01234", "80331", "true", "2025-01-01"}))
	for _, ext := range roundTripExts {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "zips"+ext)
			ctx := context.Background()
			if err := Write(ctx, path, f); err != nil {
				t.Fatal(err)
			}
			got, err := Read(ctx, path, ReadOptions{Kinds: map[string]frame.Kind{"zip": frame.String}})
			if err != nil {
				t.Fatal(err)
			}
			assertFramesEqual(t, got, f)
		})
	}
}

func TestWriteAtomic(t *testing.T) {
	for _, ext := range roundTripExts {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out"+ext)
			f := genOrders(100, 1)
			ctx := context.Background()

			// Nothing appears under the final name before Close; Abort leaves nothing behind.
			w, err := Create(path, f.Schema())
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(f); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("final file exists before Close: %v", err)
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			assertDirHolds(t, dir)

			// An existing file is replaced whole, and only on success.
			if err := Write(ctx, path, f); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			bad := frame.MustNew(frame.NumericColumn("x", []float64{1, math.Inf(1)}))
			err = Write(ctx, path, bad)
			var ve *ValueError
			if !errors.As(err, &ve) || !errors.Is(err, ErrNonFinite) || ve.Row != 1 || ve.Column != "x" {
				t.Fatalf("writing +Inf: %v", err)
			}
			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(before, after) {
				t.Fatalf("a failed write changed the existing file (%v)", err)
			}
			assertDirHolds(t, dir, "out"+ext)
			info, err := os.Stat(path)
			if err != nil || info.Mode().Perm() != 0o644 {
				t.Fatalf("mode %v, %v", info.Mode(), err)
			}
		})
	}
}

// assertDirHolds checks that dir holds exactly the named files (so no temporary file is left).
func assertDirHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("directory holds %q, want %q", got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("directory holds %q, want %q", got, names)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	dir := t.TempDir()
	schema := frame.Schema{{Name: "a", Kind: frame.Numeric}, {Name: "b", Kind: frame.String}}
	if _, err := Create(filepath.Join(dir, "x.txt"), schema); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown extension: %v", err)
	}
	if _, err := Create(filepath.Join(dir, "x.csv"), frame.Schema{{Name: "a", Kind: frame.Numeric}, {Name: "a", Kind: frame.Bool}}); err == nil {
		t.Error("duplicate names accepted")
	}
	if _, err := Create(filepath.Join(dir, "x.csv"), frame.Schema{}); err == nil {
		t.Error("empty schema accepted")
	}
	if _, err := Create(filepath.Join(dir, "no-such-dir", "x.csv"), schema); err == nil {
		t.Error("missing directory accepted")
	}
	w, err := Create(filepath.Join(dir, "x.csv"), schema)
	if err != nil {
		t.Fatal(err)
	}
	wrong := frame.MustNew(frame.NumericColumn("b", []float64{1}), frame.StringColumn("a", []string{"x"}))
	if err := w.Write(wrong); err == nil || err.Error() != "frameio: frame column 0 is b (numeric), writer wants a (numeric)" {
		t.Errorf("schema mismatch: %v", err)
	}
	// A wrong frame does not spoil the writer.
	if err := w.Write(frame.MustNew(frame.NumericColumn("a", []float64{1}), frame.StringColumn("b", []string{"x"}))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(wrong); err == nil {
		t.Error("Write after Close accepted")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	got, err := Read(context.Background(), filepath.Join(dir, "x.csv"), ReadOptions{})
	if err != nil || got.Len() != 1 {
		t.Fatalf("read back: %v", err)
	}
}

func TestWriteNonFiniteAllFormats(t *testing.T) {
	f := frame.MustNew(frame.NumericColumn("ok", []float64{1, 2, 3}), frame.NumericColumn("bad", []float64{1, 2, math.Inf(-1)}))
	for _, format := range []Format{CSV, JSONL, Parquet} {
		t.Run(format.String(), func(t *testing.T) {
			err := Encode(context.Background(), &bytes.Buffer{}, format, f)
			if err == nil || err.Error() != "frameio: row 2: column bad: non-finite number cannot be written" {
				t.Fatalf("got %v", err)
			}
		})
	}
}
