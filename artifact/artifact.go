package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"riskflow/internal/atomicfile"
)

// ErrCorrupt is wrapped by read errors when the stored bytes do not match their digest.
var ErrCorrupt = errors.New("artifact: content does not match its digest")

// ErrNotFound is wrapped by errors for digests the store does not hold.
var ErrNotFound = errors.New("artifact: not found")

// Store is a content-addressed store on one blob bucket. It is safe for concurrent use.
type Store struct {
	bucket *blob.Bucket
	url    string
}

// FileURL returns the blob URL of a file bucket in dir (made absolute), created on first use.
// Temporary files are written next to their destination, so the final rename never crosses
// a file system, and no metadata sidecar files are written.
func FileURL(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}
	u.RawQuery = "create_dir=1&no_tmp_dir=1&metadata=skip"
	return u.String()
}

// Open opens the store at a blob URL such as FileURL's. The URL's scheme must have a driver
// registered by the program.
func Open(ctx context.Context, bucketURL string) (*Store, error) {
	b, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		return nil, fmt.Errorf("artifact: open %s: %w", bucketURL, err)
	}
	return &Store{bucket: b, url: bucketURL}, nil
}

// URL returns the URL the store was opened with.
func (s *Store) URL() string { return s.url }

// Close releases the bucket.
func (s *Store) Close() error {
	if err := s.bucket.Close(); err != nil {
		return fmt.Errorf("artifact: close: %w", err)
	}
	return nil
}

// ValidDigest reports whether d is a SHA-256 digest as the store writes them: 64 lowercase
// hex digits.
func ValidDigest(d string) bool {
	if len(d) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Key returns the blob key of a digest.
func Key(digest string) string { return "sha256/" + digest[:2] + "/" + digest }

func checkDigest(digest string) error {
	if !ValidDigest(digest) {
		return fmt.Errorf("artifact: invalid digest %q: want 64 lowercase hex digits", digest)
	}
	return nil
}

// DigestFile returns the SHA-256 hex digest of the file at path.
func DigestFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("artifact: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("artifact: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Exists reports whether the store holds digest.
func (s *Store) Exists(ctx context.Context, digest string) (bool, error) {
	if err := checkDigest(digest); err != nil {
		return false, err
	}
	ok, err := s.bucket.Exists(ctx, Key(digest))
	if err != nil {
		return false, fmt.Errorf("artifact: exists %s: %w", digest, err)
	}
	return ok, nil
}

// PutFile stores the file at path and returns its digest. Storing content the store already
// holds writes nothing.
func (s *Store) PutFile(ctx context.Context, path string) (string, error) {
	digest, err := DigestFile(path)
	if err != nil {
		return "", err
	}
	if ok, err := s.Exists(ctx, digest); err != nil || ok {
		return digest, err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("artifact: %w", err)
	}
	defer f.Close()
	if err := s.upload(ctx, digest, f); err != nil {
		return "", fmt.Errorf("artifact: put %s: %w", path, err)
	}
	return digest, nil
}

// Put stores the bytes r yields and returns their digest. They are spooled to a temporary
// file first, since the key is known only at the end.
func (s *Store) Put(ctx context.Context, r io.Reader) (string, error) {
	tmp, err := os.CreateTemp("", "riskflow-artifact-*")
	if err != nil {
		return "", fmt.Errorf("artifact: put: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		return "", fmt.Errorf("artifact: put: %w", err)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if ok, err := s.Exists(ctx, digest); err != nil || ok {
		return digest, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("artifact: put: %w", err)
	}
	if err := s.upload(ctx, digest, tmp); err != nil {
		return "", fmt.Errorf("artifact: put: %w", err)
	}
	return digest, nil
}

// upload writes r under digest's key. The blob appears only if r yields exactly the bytes
// of digest: otherwise the write is canceled, which discards it.
func (s *Store) upload(ctx context.Context, digest string, r io.Reader) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var file *os.File // the file bucket's temporary file, synced before it is renamed
	w, err := s.bucket.NewWriter(wctx, Key(digest), &blob.WriterOptions{
		ContentType: "application/octet-stream",
		BeforeWrite: func(as func(any) bool) error {
			as(&file)
			return nil
		},
	})
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(w, io.TeeReader(r, h))
	if err == nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != digest {
			err = fmt.Errorf("content changed while it was stored (digest %s, then %s)", digest, got)
		}
	}
	if err == nil && file != nil {
		err = file.Sync()
	}
	if err != nil {
		cancel()
		w.Close()
		return err
	}
	return w.Close()
}

// Open returns a reader of digest's content. The reader verifies the digest: the Read that
// reaches the end returns an error wrapping ErrCorrupt instead of io.EOF if the content does
// not match. A missing digest is an error wrapping ErrNotFound.
func (s *Store) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := checkDigest(digest); err != nil {
		return nil, err
	}
	r, err := s.bucket.NewReader(ctx, Key(digest), nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("artifact: %s: %w", digest, ErrNotFound)
		}
		return nil, fmt.Errorf("artifact: open %s: %w", digest, err)
	}
	return &verifier{r: r, digest: digest, h: sha256.New()}, nil
}

type verifier struct {
	r      *blob.Reader
	digest string
	h      hash.Hash
	err    error
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	switch {
	case err == io.EOF:
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.digest {
			v.err = fmt.Errorf("%w: %s holds content with digest %s", ErrCorrupt, v.digest, got)
			return n, v.err
		}
		v.err = io.EOF
	case err != nil:
		v.err = fmt.Errorf("artifact: read %s: %w", v.digest, err)
		return n, v.err
	}
	return n, err
}

func (v *verifier) Close() error { return v.r.Close() }

// GetFile writes digest's content to dstPath atomically, creating its directory: the file
// appears, whole and verified, or not at all.
func (s *Store) GetFile(ctx context.Context, digest, dstPath string) error {
	r, err := s.Open(ctx, digest)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := os.MkdirAll(filepath.Dir(dstPath), 0o755); err != nil {
		return fmt.Errorf("artifact: get %s: %w", digest, err)
	}
	f, err := atomicfile.Create(dstPath)
	if err != nil {
		return fmt.Errorf("artifact: get %s: %w", digest, err)
	}
	defer f.Abort()
	if _, err := io.Copy(f, r); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return fmt.Errorf("artifact: get %s to %s: %w", digest, dstPath, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("artifact: get %s: %w", digest, err)
	}
	return nil
}
