package artifact_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "gocloud.dev/blob/fileblob"

	"riskflow/artifact"
)

func openStore(t *testing.T) (*artifact.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "artifacts")
	s, err := artifact.Open(context.Background(), artifact.FileURL(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, dir
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func readAll(t *testing.T, s *artifact.Store, digest string) ([]byte, error) {
	t.Helper()
	r, err := s.Open(context.Background(), digest)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestPutOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, dir := openStore(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"small", []byte("hello, artifacts")},
		{"large", bytes.Repeat([]byte("0123456789abcdef"), 1<<16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.Put(ctx, bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if d != sum(tt.data) {
				t.Fatalf("digest %s, want %s", d, sum(tt.data))
			}
			if _, err := os.Stat(filepath.Join(dir, "sha256", d[:2], d)); err != nil {
				t.Fatalf("key layout: %v", err)
			}
			got, err := readAll(t, s, d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Fatalf("read %d bytes, want %d", len(got), len(tt.data))
			}
			ok, err := s.Exists(ctx, d)
			if err != nil || !ok {
				t.Fatalf("Exists = %v, %v", ok, err)
			}
		})
	}
}

func TestPutFileIdempotentAndGetFile(t *testing.T) {
	ctx := context.Background()
	s, dir := openStore(t)
	src := filepath.Join(t.TempDir(), "model.bundle")
	data := []byte("bundle bytes\n")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d1, err := s.PutFile(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	blobPath := filepath.Join(dir, "sha256", d1[:2], d1)
	fi1, err := os.Stat(blobPath)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := s.PutFile(ctx, src)
	if err != nil || d2 != d1 {
		t.Fatalf("second PutFile = %s, %v; want %s", d2, err, d1)
	}
	fi2, _ := os.Stat(blobPath)
	if !fi2.ModTime().Equal(fi1.ModTime()) {
		t.Fatal("storing the same content again rewrote the blob")
	}
	// Only the blob itself: no temporary files, no metadata sidecars.
	entries, _ := os.ReadDir(filepath.Dir(blobPath))
	if len(entries) != 1 {
		t.Fatalf("%d files next to the blob, want 1", len(entries))
	}
	dst := filepath.Join(t.TempDir(), "sub", "out.bundle")
	if err := s.GetFile(ctx, d1, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatalf("GetFile wrote %q", got)
	}
}

func TestCorruptBlobDetected(t *testing.T) {
	ctx := context.Background()
	s, dir := openStore(t)
	data := bytes.Repeat([]byte("x"), 100000)
	d, err := s.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	blobPath := filepath.Join(dir, "sha256", d[:2], d)
	bad := bytes.Clone(data)
	bad[5000] = 'y'
	if err := os.WriteFile(blobPath, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, s, d); !errors.Is(err, artifact.ErrCorrupt) {
		t.Fatalf("reading a corrupted blob: %v, want ErrCorrupt", err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	if err := s.GetFile(ctx, d, dst); !errors.Is(err, artifact.ErrCorrupt) {
		t.Fatalf("GetFile of a corrupted blob: %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Fatalf("GetFile left a file after a corrupt read: %v", err)
	}
	// A truncated blob is corrupt too.
	if err := os.WriteFile(blobPath, data[:10], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, s, d); !errors.Is(err, artifact.ErrCorrupt) {
		t.Fatalf("reading a truncated blob: %v, want ErrCorrupt", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	missing := sum([]byte("never stored"))
	if _, err := s.Open(ctx, missing); !errors.Is(err, artifact.ErrNotFound) {
		t.Fatalf("Open(missing) = %v, want ErrNotFound", err)
	}
	if err := s.GetFile(ctx, missing, filepath.Join(t.TempDir(), "x")); !errors.Is(err, artifact.ErrNotFound) {
		t.Fatalf("GetFile(missing) = %v, want ErrNotFound", err)
	}
	if ok, err := s.Exists(ctx, missing); ok || err != nil {
		t.Fatalf("Exists(missing) = %v, %v", ok, err)
	}
	for _, d := range []string{"", "abc", strings.ToUpper(missing), missing[:63] + "g", "../" + missing[3:]} {
		if _, err := s.Open(ctx, d); err == nil || !strings.Contains(err.Error(), "invalid digest") {
			t.Errorf("Open(%q) = %v, want an invalid digest error", d, err)
		}
	}
	if _, err := s.PutFile(ctx, filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("PutFile of a missing file succeeded")
	}
	if _, err := artifact.Open(ctx, "nosuchscheme:///x"); err == nil {
		t.Error("Open of an unknown scheme succeeded")
	}
}

func TestConcurrentPutsOfSameContent(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	data := bytes.Repeat([]byte("concurrent"), 50000)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := s.Put(ctx, bytes.NewReader(data))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := readAll(t, s, sum(data))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after concurrent puts: %d bytes, %v", len(got), err)
	}
}

func TestCanceledPutStoresNothing(t *testing.T) {
	s, _ := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := []byte("canceled")
	if _, err := s.Put(ctx, bytes.NewReader(data)); err == nil {
		t.Fatal("Put with a canceled context succeeded")
	}
	if ok, _ := s.Exists(context.Background(), sum(data)); ok {
		t.Fatal("a canceled Put left a blob")
	}
}

func FuzzValidDigest(f *testing.F) {
	f.Add(sum(nil))
	f.Add("ABC")
	f.Fuzz(func(t *testing.T, d string) {
		b, err := hex.DecodeString(d)
		want := err == nil && len(b) == sha256.Size && strings.ToLower(d) == d
		if got := artifact.ValidDigest(d); got != want {
			t.Fatalf("ValidDigest(%q) = %v, want %v", d, got, want)
		}
	})
}

func FuzzPutOpen(f *testing.F) {
	f.Add([]byte("seed"))
	f.Add([]byte{})
	ctx := context.Background()
	s, err := artifact.Open(ctx, artifact.FileURL(filepath.Join(f.TempDir(), "a")))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := s.Put(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, s, d)
		if err != nil || !bytes.Equal(got, data) || d != sum(data) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
