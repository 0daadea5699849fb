package predlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// sink is where the writer goroutine puts encoded lines. Write receives whole lines and
// reports how many bytes of p reached the file; Close flushes to stable storage and closes.
// fileSink is the real one; tests inject slow or failing sinks through newLog.
type sink interface {
	io.WriteCloser
}

// Permissions of what the log creates: inputs other than the PII fields are still customer
// data, so neither the files nor the directory are readable by others.
const (
	fileMode = 0o640
	dirMode  = 0o750
)

// rotateLayout is the timestamp inserted into rotated file names. It sorts lexically in time
// order and has no characters that need quoting in a shell or a URL.
const rotateLayout = "20060102T150405.000"

// fileSink appends lines to Path, rotating it by size and pruning old rotated files. It
// belongs to the writer goroutine (and to New before that goroutine starts).
type fileSink struct {
	path     string
	maxBytes int64
	maxFiles int
	errs     *errReporter
	now      func() time.Time

	f           *os.File // nil after an error: the next Write reopens
	size        int64    // bytes in f
	needNewline bool     // f ends with a torn line: start the next write on a new line
	lastRotated time.Time
}

var _ sink = (*fileSink)(nil)

func newFileSink(path string, maxBytes int64, maxFiles int, errs *errReporter) *fileSink {
	return &fileSink{path: path, maxBytes: maxBytes, maxFiles: maxFiles, errs: errs, now: time.Now}
}

// open opens (creating it and its directory if missing) the current file for appending.
// A file whose last byte is not a newline, left by a crash or a short write, gets a newline
// before the next line so that only the torn line is unreadable.
func (s *fileSink) open() error {
	if err := os.MkdirAll(filepath.Dir(s.path), dirMode); err != nil {
		return err
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	s.f, s.size, s.needNewline = f, fi.Size(), false
	if s.size > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], s.size-1); err == nil && last[0] != '\n' {
			s.needNewline = true
		}
	}
	return nil
}

// Write appends p, which holds whole lines, to the current file. Before a line that would
// take the file past maxBytes the file is rotated, so rotation happens only between lines; a
// single line longer than maxBytes gets a file of its own. On an error the file is closed, and
// the next Write opens it again.
func (s *fileSink) Write(p []byte) (int, error) {
	if s.f == nil {
		if err := s.open(); err != nil {
			return 0, fmt.Errorf("predlog: %w", err)
		}
	}
	written := 0
	canRotate := s.maxBytes > 0
	for len(p) > 0 {
		chunk := p
		if canRotate && s.size+int64(len(p)) > s.maxBytes {
			room := max(s.maxBytes-s.size, 0)
			cut := bytes.LastIndexByte(p[:min(room, int64(len(p)))], '\n') + 1
			if cut == 0 && s.size > 0 {
				if err := s.rotate(); err != nil {
					if s.f == nil {
						return written, fmt.Errorf("predlog: rotating: %w", err)
					}
					// The current file is still open: keep writing to it, past maxBytes,
					// rather than lose lines. The next Write tries to rotate again.
					s.errs.report("predlog: rotating", err)
					canRotate = false
				}
				continue
			}
			if cut == 0 {
				// An empty file and a first line longer than maxBytes: write it alone.
				if cut = bytes.IndexByte(p, '\n') + 1; cut == 0 {
					cut = len(p)
				}
			}
			chunk = p[:cut]
		}
		n, err := s.write(chunk)
		written += n
		if err != nil {
			s.f.Close()
			s.f = nil
			return written, fmt.Errorf("predlog: %w", err)
		}
		p = p[len(chunk):]
	}
	return written, nil
}

// write writes one chunk to the open file, after the newline that ends a torn line if needed.
func (s *fileSink) write(chunk []byte) (int, error) {
	if s.needNewline {
		if _, err := s.f.Write([]byte{'\n'}); err != nil {
			return 0, err
		}
		s.size++
		s.needNewline = false
	}
	n, err := s.f.Write(chunk)
	s.size += int64(n)
	return n, err
}

// rotate syncs and closes the current file, renames it to its rotated name, opens a fresh
// one and prunes old rotated files. If the rename fails the current file is reopened and the
// error returned; if opening fails s.f is nil.
func (s *fileSink) rotate() error {
	syncErr := s.f.Sync()
	closeErr := s.f.Close()
	s.f = nil
	if err := errors.Join(syncErr, closeErr); err != nil {
		// The lines already written are as safe as they will get; carry on with a fresh file.
		s.errs.report("predlog: closing rotated file", err)
	}
	t := s.now().UTC().Truncate(time.Millisecond)
	if !t.After(s.lastRotated) {
		// Keep rotated names unique and in order even when rotating more than once a
		// millisecond or when the clock steps back.
		t = s.lastRotated.Add(time.Millisecond)
	}
	name := rotatedName(s.path, t)
	for {
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			break
		}
		t = t.Add(time.Millisecond)
		name = rotatedName(s.path, t)
	}
	renameErr := os.Rename(s.path, name)
	if renameErr == nil {
		s.lastRotated = t
	}
	if err := s.open(); err != nil {
		return errors.Join(renameErr, err)
	}
	if renameErr != nil {
		return renameErr
	}
	if err := s.prune(); err != nil {
		s.errs.report("predlog: pruning rotated files", err)
	}
	return nil
}

// Close syncs and closes the current file.
func (s *fileSink) Close() error {
	if s.f == nil {
		return nil
	}
	syncErr := s.f.Sync()
	closeErr := s.f.Close()
	s.f = nil
	if err := errors.Join(syncErr, closeErr); err != nil {
		return fmt.Errorf("predlog: %w", err)
	}
	return nil
}

// rotatedName inserts "-" and t (UTC, rotateLayout) before the extension of path:
// predictions.jsonl → predictions-20261125T101500.123.jsonl. A path without an extension
// gets the suffix at its end.
func rotatedName(path string, t time.Time) string {
	ext := filepath.Ext(path)
	return path[:len(path)-len(ext)] + "-" + t.UTC().Format(rotateLayout) + ext
}

// rotatedFiles lists the rotated files of path, oldest first. Only names that rotatedName
// could have produced are listed, so other files in the directory are never touched.
func rotatedFiles(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ext := filepath.Ext(base)
	prefix := base[:len(base)-len(ext)] + "-"
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range des {
		n := de.Name()
		if !de.Type().IsRegular() || !strings.HasPrefix(n, prefix) || !strings.HasSuffix(n, ext) {
			continue
		}
		stamp := n[len(prefix) : len(n)-len(ext)]
		if len(stamp) != len(rotateLayout) {
			continue
		}
		if _, err := time.Parse(rotateLayout, stamp); err != nil {
			continue
		}
		names = append(names, filepath.Join(dir, n))
	}
	slices.Sort(names) // the fixed-width timestamps sort in time order
	return names, nil
}

// prune removes the oldest rotated files beyond maxFiles (0 keeps all).
func (s *fileSink) prune() error {
	if s.maxFiles <= 0 {
		return nil
	}
	names, err := rotatedFiles(s.path)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names[:max(len(names)-s.maxFiles, 0)] {
		if err := os.Remove(n); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
