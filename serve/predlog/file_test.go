package predlog

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRotatedName(t *testing.T) {
	at := time.Date(2026, 11, 25, 11, 15, 0, 123999999, time.FixedZone("CET", 3600))
	tests := []struct {
		path, want string
	}{
		{"predictions.jsonl", "predictions-20261125T101500.123.jsonl"},
		{"/var/log/rf/predictions.jsonl", "/var/log/rf/predictions-20261125T101500.123.jsonl"},
		{"logs/a.b.jsonl", "logs/a.b-20261125T101500.123.jsonl"},
		{"logs/predictions", "logs/predictions-20261125T101500.123"},
		{"logs/p.log", "logs/p-20261125T101500.123.log"},
	}
	for _, tt := range tests {
		if got := rotatedName(tt.path, at); got != tt.want {
			t.Errorf("rotatedName(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// listLog returns the rotated files of path oldest first, then path itself.
func listLog(t *testing.T, path string) []string {
	t.Helper()
	names, err := rotatedFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	return append(names, path)
}

func TestRotation(t *testing.T) {
	e := testEntry("r-000")
	lineLen := int64(len(newEncoder(testKey).appendEntry(nil, &e)))
	tests := []struct {
		name       string
		maxBytes   int64
		flushBytes int // 1: one sink write per line; large: many lines per write, split by the sink
		entries    int
	}{
		{"line per write, 3 lines a file", 3*lineLen + 5, 1, 20},
		{"batched, 3 lines a file", 3*lineLen + 5, flushBytes, 20},
		{"exact fit", 2 * lineLen, flushBytes, 9},
		{"lines longer than MaxBytes", lineLen / 2, flushBytes, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "predictions.jsonl")
			fs := newFileSink(path, tt.maxBytes, 0, &errReporter{log: slog.New(slog.DiscardHandler)})
			l := newLog(Options{HashKey: testKey, Buffer: tt.entries, FlushEvery: time.Hour}, fs, nil, tt.flushBytes)
			for i := range tt.entries {
				if !l.Write(testEntry(fmt.Sprintf("r-%03d", i))) {
					t.Fatalf("Write %d dropped", i)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			perFile := max(tt.maxBytes/lineLen, 1)
			wantFiles := (int64(tt.entries) + perFile - 1) / perFile
			files := listLog(t, path)
			if int64(len(files)) != wantFiles {
				t.Fatalf("%d files, want %d: %v", len(files), wantFiles, files)
			}
			next := 0
			for i, f := range files {
				data := readFile(t, f)
				if int64(len(data)) > max(tt.maxBytes, lineLen) {
					t.Errorf("%s has %d bytes, more than MaxBytes %d", f, len(data), tt.maxBytes)
				}
				lines := parseLines(t, data)
				if i < len(files)-1 && int64(len(lines)) != perFile {
					t.Errorf("%s has %d lines, want %d", f, len(lines), perFile)
				}
				for _, ln := range lines { // order is kept across files
					if want := fmt.Sprintf("r-%03d", next); ln.RequestID != want {
						t.Fatalf("%s: %s where %s was due", f, ln.RequestID, want)
					}
					next++
				}
			}
			if next != tt.entries {
				t.Errorf("%d lines in all files, want %d", next, tt.entries)
			}
		})
	}
}

func TestMaxFilesPrunes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "predictions.jsonl")
	// Files that look similar but are not rotated files of this log must survive.
	others := []string{"predictions-old.jsonl", "predictions-20261125T101500.jsonl", "other-20261125T101500.123.jsonl", "predictions.jsonl.bak"}
	for _, n := range others {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("keep\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := testEntry("r-000")
	lineLen := int64(len(newEncoder(testKey).appendEntry(nil, &e)))
	l, err := New(Options{Path: path, MaxBytes: lineLen, MaxFiles: 2, HashKey: testKey, FlushEvery: time.Hour, Buffer: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		l.Write(testEntry(fmt.Sprintf("r-%03d", i)))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files := listLog(t, path)
	var ids []string
	for _, f := range files {
		for _, ln := range parseLines(t, readFile(t, f)) {
			ids = append(ids, ln.RequestID)
		}
	}
	// One line per file: the two newest rotated files and the current one remain.
	if want := []string{"r-007", "r-008", "r-009"}; !slices.Equal(ids, want) {
		t.Errorf("kept %v (files %v), want %v", ids, files, want)
	}
	for _, n := range others {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("pruning removed an unrelated file: %v", err)
		}
	}
}

func TestPruneAtNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.jsonl")
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := os.WriteFile(rotatedName(path, at.Add(time.Duration(i)*time.Minute)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := New(Options{Path: path, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	names, err := rotatedFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{rotatedName(path, at.Add(2*time.Minute)), rotatedName(path, at.Add(3*time.Minute)), rotatedName(path, at.Add(4*time.Minute))}
	if !slices.Equal(names, want) {
		t.Errorf("after New: %v, want %v", names, want)
	}
}

func TestRotationNamesStayOrdered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.jsonl")
	fs := newFileSink(path, 1, 0, &errReporter{log: slog.New(slog.DiscardHandler)})
	// A frozen clock that then steps back: names must still be unique and increasing.
	now := time.Date(2026, 11, 25, 10, 15, 0, 0, time.UTC)
	fs.now = func() time.Time { return now }
	for i := range 6 {
		if i == 3 {
			now = now.Add(-time.Hour)
		}
		if _, err := fs.Write([]byte(fmt.Sprintf("{\"n\":%d}\n", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	files := listLog(t, path)
	if len(files) != 6 {
		t.Fatalf("%d files, want 6: %v", len(files), files)
	}
	for i, f := range files {
		if got, want := readFile(t, f), fmt.Sprintf("{\"n\":%d}\n", i); got != want {
			t.Errorf("%s holds %q, want %q", f, got, want)
		}
	}
	if want := rotatedName(path, now.Add(time.Hour)); files[0] != want {
		t.Errorf("first rotated file %s, want %s", files[0], want)
	}
}

func TestReopenAfterWriteError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.jsonl")
	fs := newFileSink(path, 0, 0, &errReporter{log: slog.New(slog.DiscardHandler)})
	if _, err := fs.Write([]byte("{\"n\":1}\n")); err != nil {
		t.Fatal(err)
	}
	fs.f.Close() // the file goes bad underneath the sink
	if _, err := fs.Write([]byte("{\"n\":2}\n")); err == nil || !strings.HasPrefix(err.Error(), "predlog: ") {
		t.Fatalf("Write on a closed file = %v, want a predlog error", err)
	}
	if fs.f != nil {
		t.Fatal("the failed file is still in use")
	}
	if _, err := fs.Write([]byte("{\"n\":3}\n")); err != nil {
		t.Fatalf("Write after reopening: %v", err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "{\"n\":1}\n{\"n\":3}\n" {
		t.Errorf("file holds %q", got)
	}
}

func TestTornLineIsTerminated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.jsonl")
	if err := os.WriteFile(path, []byte("{\"request_id\":\"old\"}\n{\"request_id\":\"tor"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := New(Options{Path: path, HashKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	l.Write(testEntry("new"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	if len(lines) != 3 || lines[1] != "{\"request_id\":\"tor" {
		t.Fatalf("file lines %q", lines)
	}
	if got := parseLines(t, lines[2]); len(got) != 1 || got[0].RequestID != "new" {
		t.Errorf("new line %q", lines[2])
	}
}

func TestAppendsToExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.jsonl")
	for _, id := range []string{"first-run", "second-run"} {
		l, err := New(Options{Path: path, HashKey: testKey})
		if err != nil {
			t.Fatal(err)
		}
		l.Write(testEntry(id))
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	lines := parseLines(t, readFile(t, path))
	if len(lines) != 2 || lines[0].RequestID != "first-run" || lines[1].RequestID != "second-run" {
		t.Errorf("lines %+v", lines)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&^fileMode != 0 { // the umask may take away more
		t.Errorf("file mode %v, want at most %v", perm, os.FileMode(fileMode))
	}
}
