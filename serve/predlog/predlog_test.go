package predlog

import (
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string // "" for valid
	}{
		{"minimal", Options{Path: "p.jsonl"}, ""},
		{"full", Options{Path: "p.jsonl", MaxBytes: 1, MaxFiles: 3, SampleRate: 0.25, Buffer: 1, HashKey: testKey, FlushEvery: time.Millisecond}, ""},
		{"rate 1", Options{Path: "p", SampleRate: 1}, ""},
		{"no path", Options{}, "predlog: Path is empty"},
		{"negative max bytes", Options{Path: "p", MaxBytes: -1}, "predlog: MaxBytes is negative (-1)"},
		{"negative max files", Options{Path: "p", MaxFiles: -2}, "predlog: MaxFiles is negative (-2)"},
		{"rate above 1", Options{Path: "p", SampleRate: 1.5}, "predlog: SampleRate 1.5 is outside [0, 1]"},
		{"negative rate", Options{Path: "p", SampleRate: -0.1}, "predlog: SampleRate -0.1 is outside [0, 1]"},
		{"nan rate", Options{Path: "p", SampleRate: math.NaN()}, "predlog: SampleRate NaN is outside [0, 1]"},
		{"negative buffer", Options{Path: "p", Buffer: -1}, "predlog: Buffer is negative (-1)"},
		{"short key", Options{Path: "p", HashKey: []byte("secret")}, "predlog: HashKey has 6 bytes, fewer than 16"},
		{"negative flush", Options{Path: "p", FlushEvery: -time.Second}, "predlog: FlushEvery is negative (-1s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
			if tt.wantErr != "" {
				if _, err := New(tt.o); err == nil {
					t.Fatal("New accepted invalid options")
				}
			}
		})
	}
}

func TestNewFailsOnUnopenablePath(t *testing.T) {
	dir := t.TempDir()
	// The path is a directory: it cannot be opened as a file.
	if _, err := New(Options{Path: dir}); err == nil || !strings.HasPrefix(err.Error(), "predlog: ") {
		t.Fatalf("New(directory) = %v, want a predlog error", err)
	}
}

// TestWriteToFile covers the whole path: a missing directory is created, lines parse as JSON
// with the right fields, PII is hashed and never appears in clear, and Close flushes.
func TestWriteToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "nested", "predictions.jsonl")
	l, err := New(Options{Path: path, HashKey: testKey, FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	plain := testEntry("r-1")
	shadowed := testEntry("r-2")
	shadowed.Shadow = &Score{Version: "8", Probability: 0.0187}
	canary := testEntry("r-3")
	canary.Version, canary.Canary = "9", true
	noTime := testEntry("r-4")
	noTime.Time = time.Time{}
	before := time.Now()
	for _, e := range []Entry{plain, shadowed, canary, noTime} {
		if !l.Write(e) {
			t.Fatalf("Write(%s) = false", e.RequestID)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data := readFile(t, path)
	if strings.Contains(data, "alice@example.com") {
		t.Fatal("a PII value reached the file in clear")
	}
	lines := parseLines(t, data)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), data)
	}
	wantHash := hmacHex(testKey, "alice@example.com")
	for i, l := range lines {
		if l.Model != "orders" || l.Inputs["amount"] != 129.9 || l.Inputs["email"] != wantHash ||
			l.Probability == nil || *l.Probability != 0.0213 || l.LatencyUS == nil || *l.LatencyUS != 812 {
			t.Errorf("line %d: %+v", i, l)
		}
		if i < 3 && l.Time != "2026-11-25T10:15:00.123456789Z" {
			t.Errorf("line %d: time %s", i, l.Time)
		}
	}
	if l := lines[0]; l.RequestID != "r-1" || l.Version != "7" || l.Shadow != nil || l.Canary != nil {
		t.Errorf("plain entry: %+v", l)
	}
	if l := lines[1]; l.Shadow == nil || l.Shadow.Version != "8" || *l.Shadow.Probability != 0.0187 {
		t.Errorf("shadowed entry: %+v", l)
	}
	if l := lines[2]; l.Canary == nil || !*l.Canary || l.Version != "9" {
		t.Errorf("canary entry: %+v", l)
	}
	stamped, err := time.Parse(time.RFC3339Nano, lines[3].Time)
	if err != nil || stamped.Before(before.Add(-time.Second)) || !strings.HasSuffix(lines[3].Time, "Z") {
		t.Errorf("zero Time stamped as %s (%v)", lines[3].Time, err)
	}
	if l.Written() != 4 || l.Dropped() != 0 || l.Failed() != 0 {
		t.Errorf("Written, Dropped, Failed = %d, %d, %d; want 4, 0, 0", l.Written(), l.Dropped(), l.Failed())
	}
}

func TestPIIHashesAcrossLogs(t *testing.T) {
	otherKey := []byte("fedcba9876543210fedcba9876543210")
	hashOf := func(t *testing.T, key []byte) string {
		t.Helper()
		s := &memSink{}
		l := newLog(Options{HashKey: key}, s, nil, flushBytes)
		l.Write(testEntry("r-1"))
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(s.String(), "alice@example.com") {
			t.Fatal("a PII value reached the log in clear")
		}
		return parseLines(t, s.String())[0].Inputs["email"].(string)
	}
	tests := []struct {
		name       string
		keyA, keyB []byte
		same       bool
	}{
		{"same key", testKey, testKey, true},
		{"different keys", testKey, otherKey, false},
		{"random keys", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := hashOf(t, tt.keyA), hashOf(t, tt.keyB)
			if (a == b) != tt.same {
				t.Errorf("hashes %s and %s: equal = %v, want %v", a, b, a == b, tt.same)
			}
			if !strings.HasPrefix(a, hashPrefix) || len(a) != len(hashPrefix)+hashHexLen {
				t.Errorf("hash %q is not %s and %d hex digits", a, hashPrefix, hashHexLen)
			}
		})
	}
}

func TestSampling(t *testing.T) {
	const n = 100_000
	idFormats := []struct {
		name string
		id   func(i int) string
	}{
		{"sequential", func(i int) string { return fmt.Sprintf("req-%d", i) }},
		{"numeric", func(i int) string { return fmt.Sprint(i) }},
		{"uuid-like", func(i int) string { return fmt.Sprintf("0f8c2d1e-7b3a-4a3b-9c1d-%012x", i) }},
		{"long", func(i int) string { return fmt.Sprintf("%0100d", i) }},
	}
	rates := []float64{0.001, 0.01, 0.1, 0.5, 0.9, 1}
	for _, f := range idFormats {
		t.Run(f.name, func(t *testing.T) {
			lower := map[string]bool{} // ids kept at the previous, lower rate
			for _, rate := range rates {
				a := newLog(Options{SampleRate: rate}, &memSink{}, nil, flushBytes)
				b := newLog(Options{SampleRate: rate, HashKey: testKey}, &memSink{}, nil, flushBytes)
				kept := 0
				for i := range n {
					id := f.id(i)
					s := a.Sampled(id)
					if s != b.Sampled(id) || s != a.Sampled(id) {
						t.Fatalf("rate %v: Sampled(%s) differs between calls or logs", rate, id)
					}
					if lower[id] && !s {
						t.Fatalf("%s kept at a lower rate but not at %v", id, rate)
					}
					if s {
						kept++
						lower[id] = true
					}
				}
				a.Close()
				b.Close()
				got := float64(kept) / n
				// The binomial standard deviation is at most 0.0016 at n = 100000; allow 5.
				if sd := math.Sqrt(rate * (1 - rate) / n); math.Abs(got-rate) > 5*sd+1e-9 {
					t.Errorf("rate %v: kept %.4f of ids, want ± %.4f", rate, got, 5*sd)
				}
			}
		})
	}
	t.Run("zero means all", func(t *testing.T) {
		l := newLog(Options{}, &memSink{}, nil, flushBytes)
		defer l.Close()
		for i := range 1000 {
			if !l.Sampled(fmt.Sprint(i)) {
				t.Fatalf("SampleRate 0 dropped id %d", i)
			}
		}
	})
}

func TestWriteSkipsUnsampled(t *testing.T) {
	s := &memSink{}
	l := newLog(Options{SampleRate: 0.3}, s, nil, flushBytes)
	want := 0
	for i := range 1000 {
		e := testEntry(fmt.Sprintf("req-%d", i))
		if l.Write(e) != l.Sampled(e.RequestID) {
			t.Fatalf("Write(%s) disagrees with Sampled", e.RequestID)
		}
		if l.Sampled(e.RequestID) {
			want++
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(parseLines(t, s.String())); got != want || l.Written() != uint64(want) || l.Dropped() != 0 {
		t.Errorf("%d lines, Written %d, Dropped %d; want %d, %d, 0", got, l.Written(), l.Dropped(), want, want)
	}
}

// TestFullBufferDrops stalls the writer goroutine on a blocked sink and checks that Write
// keeps returning at once, dropping and counting what does not fit in the queue.
func TestFullBufferDrops(t *testing.T) {
	const buffer, extra = 4, 1000
	s := newBlockingSink()
	// flushBytes 1: the writer goroutine writes after every entry, so it stalls on the first.
	l := newLog(Options{Buffer: buffer}, s, nil, 1)
	if !l.Write(testEntry("first")) {
		t.Fatal("first Write dropped")
	}
	<-s.entered // the writer goroutine holds "first" and is stuck in the sink
	accepted := 0
	for i := range extra {
		if l.Write(testEntry(fmt.Sprintf("r-%d", i))) {
			accepted++
		}
	}
	if accepted != buffer || l.Dropped() != extra-buffer {
		t.Fatalf("accepted %d, Dropped %d; want %d, %d", accepted, l.Dropped(), buffer, extra-buffer)
	}
	close(s.release)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := parseLines(t, s.String())
	if len(lines) != 1+buffer || l.Written() != 1+buffer {
		t.Fatalf("%d lines, Written %d; want %d", len(lines), l.Written(), 1+buffer)
	}
	for i, ln := range lines[1:] {
		if want := fmt.Sprintf("r-%d", i); ln.RequestID != want {
			t.Errorf("line %d is %s, want %s", i+1, ln.RequestID, want)
		}
	}
}

func TestClose(t *testing.T) {
	s := &memSink{}
	l := newLog(Options{Buffer: 1000, FlushEvery: time.Hour}, s, nil, flushBytes)
	for i := range 1000 {
		if !l.Write(testEntry(fmt.Sprint(i))) {
			t.Fatalf("Write %d dropped", i)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(parseLines(t, s.String())); got != 1000 || !s.closed {
		t.Fatalf("after Close: %d lines, sink closed %v; want 1000, true", got, s.closed)
	}
	if l.Write(testEntry("late")) {
		t.Error("Write after Close = true")
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if l.Dropped() != 0 || l.Written() != 1000 {
		t.Errorf("Dropped, Written = %d, %d; want 0, 1000", l.Dropped(), l.Written())
	}
}

func TestCloseReportsFinalWriteError(t *testing.T) {
	s := &failingSink{fails: 1}
	l := newLog(Options{FlushEvery: time.Hour}, s, nil, flushBytes)
	l.Write(testEntry("a"))
	l.Write(testEntry("b"))
	err := l.Close()
	if err == nil || !strings.Contains(err.Error(), errDiskFull.Error()) {
		t.Fatalf("Close() = %v, want the write error", err)
	}
	if again := l.Close(); again != err {
		t.Errorf("second Close() = %v, want %v", again, err)
	}
	// Half of two lines was written: one whole line reached the sink, one was lost.
	if l.Written() != 1 || l.Failed() != 1 {
		t.Errorf("Written, Failed = %d, %d; want 1, 1", l.Written(), l.Failed())
	}
}

func TestWriteErrorsAreLoggedAndCounted(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s := &failingSink{fails: 3}
	l := newLog(Options{Logger: logger}, s, nil, 1) // one write per entry
	for i := range 5 {
		if !l.Write(testEntry(fmt.Sprint(i))) {
			t.Fatalf("Write %d dropped", i)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close() = %v after the sink recovered", err)
	}
	if l.Failed() != 3 || l.Written() != 2 {
		t.Errorf("Failed, Written = %d, %d; want 3, 2", l.Failed(), l.Written())
	}
	out := logs.String()
	// The first error is logged, the next two are held back, the recovery is logged.
	if n := strings.Count(out, `msg="predlog: writing" `); n != 1 {
		t.Errorf("want one logged write error, got:\n%s", out)
	}
	if !strings.Contains(out, errDiskFull.Error()) || !strings.Contains(out, "predlog: writing again") || !strings.Contains(out, "lost=3") {
		t.Errorf("log lacks the error or the recovery:\n%s", out)
	}
	if got := parseLines(t, s.String()); len(got) != 2 || got[0].RequestID != "3" || got[1].RequestID != "4" {
		t.Errorf("sink holds %+v, want entries 3 and 4", got)
	}
}

func TestFlushEvery(t *testing.T) {
	s := &memSink{}
	l := newLog(Options{FlushEvery: 5 * time.Millisecond}, s, nil, flushBytes)
	defer l.Close()
	l.Write(testEntry("r-1"))
	waitFor(t, "the entry to be flushed without Close", func() bool { return l.Written() == 1 })
	if got := parseLines(t, s.String()); len(got) != 1 {
		t.Fatalf("%d lines, want 1", len(got))
	}
}

func TestConcurrentWriters(t *testing.T) {
	const writers, each = 8, 500
	path := filepath.Join(t.TempDir(), "p.jsonl")
	l, err := New(Options{Path: path, Buffer: 64, MaxBytes: 64 << 10, FlushEvery: time.Millisecond, HashKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := testEntry(fmt.Sprintf("w%d-%d", w, i))
				e.Shadow = &Score{Version: "8", Probability: float64(i) / each}
				l.Write(e)
				_ = l.Sampled(e.RequestID)
				_ = l.Dropped() + l.Written()
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, f := range files {
		lines += len(parseLines(t, readFile(t, f)))
	}
	if total := l.Written() + l.Dropped(); total != writers*each || uint64(lines) != l.Written() || l.Failed() != 0 {
		t.Errorf("Written %d + Dropped %d = %d, want %d; %d lines in files; Failed %d",
			l.Written(), l.Dropped(), total, writers*each, lines, l.Failed())
	}
}

func TestCloseRacesWrite(t *testing.T) {
	for range 20 {
		s := &memSink{}
		l := newLog(Options{Buffer: 8}, s, nil, flushBytes)
		var wg sync.WaitGroup
		var accepted [4]int
		for w := range 4 {
			wg.Go(func() {
				for i := range 200 {
					if l.Write(testEntry(fmt.Sprint(w, "-", i))) {
						accepted[w]++
					}
				}
			})
		}
		wg.Go(func() { l.Close() })
		wg.Wait()
		l.Close()
		// Every accepted entry was written, even those accepted just before Close.
		sum := accepted[0] + accepted[1] + accepted[2] + accepted[3]
		if got := len(parseLines(t, s.String())); got != sum {
			t.Fatalf("%d lines, %d accepted", got, sum)
		}
	}
}

func TestWriteAllocs(t *testing.T) {
	l := newLog(Options{Buffer: 1 << 16, FlushEvery: time.Hour}, &memSink{}, nil, flushBytes)
	defer l.Close()
	e := wideEntry("r-1")
	if n := testing.AllocsPerRun(1000, func() { l.Write(e) }); n != 0 {
		t.Errorf("Write allocates %v times, want 0", n)
	}
}
