package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"riskflow/internal/atomicfile"
)

// The file layout: one ASCII header line, then the payload (a JSON document).
//
//	riskflow-bundle 1 sha256=<64 hex digits> bytes=<payload length>\n
//	<payload>
//
// The header names the container version, the payload's SHA-256 and its exact length, so a
// truncated, extended or altered file is refused before anything in it is trusted.
const (
	magic          = "riskflow-bundle"
	containerVer   = 1
	maxHeaderBytes = 256
	// MaxPayload bounds what Decode will read: far above any real bundle, small enough that a
	// corrupt length cannot make the reader allocate without limit.
	MaxPayload = 1 << 30
)

// ErrCorrupt is wrapped by every error about a damaged or foreign file.
var ErrCorrupt = errors.New("bundle: corrupt or not a bundle")

func writeContainer(w io.Writer, payload []byte) error {
	sum := sha256.Sum256(payload)
	if _, err := fmt.Fprintf(w, "%s %d sha256=%s bytes=%d\n", magic, containerVer, hex.EncodeToString(sum[:]), len(payload)); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// readContainer reads and verifies a container, returning its payload, its SHA-256 (hex) and
// the function that frees the payload (see payloadBuffer), to call once it is decoded. On
// error nothing needs freeing.
func readContainer(r io.Reader) (payload []byte, digest string, free func(), err error) {
	br := bufio.NewReader(io.LimitReader(r, MaxPayload+maxHeaderBytes+1))
	header, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) || len(header) > maxHeaderBytes {
			return nil, "", nil, fmt.Errorf("%w: no header line", ErrCorrupt)
		}
		return nil, "", nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	fields := strings.Fields(string(header))
	if len(fields) != 4 || fields[0] != magic {
		return nil, "", nil, fmt.Errorf("%w: bad header %q", ErrCorrupt, truncate(string(header), 60))
	}
	if v, err := strconv.Atoi(fields[1]); err != nil || v != containerVer {
		return nil, "", nil, fmt.Errorf("%w: container version %q is not supported (this riskflow reads version %d)", ErrCorrupt, fields[1], containerVer)
	}
	want, ok := strings.CutPrefix(fields[2], "sha256=")
	if !ok || len(want) != 64 {
		return nil, "", nil, fmt.Errorf("%w: bad checksum field %q", ErrCorrupt, fields[2])
	}
	lenText, ok := strings.CutPrefix(fields[3], "bytes=")
	n, err := strconv.ParseInt(lenText, 10, 64)
	if !ok || err != nil || n < 0 || n > MaxPayload {
		return nil, "", nil, fmt.Errorf("%w: bad length field %q", ErrCorrupt, fields[3])
	}
	payload, free = payloadBuffer(int(n))
	got, err := io.ReadFull(br, payload)
	if err != nil {
		free()
		return nil, "", nil, fmt.Errorf("%w: truncated: payload has %d of %d bytes", ErrCorrupt, got, n)
	}
	if extra, _ := br.Peek(1); len(extra) > 0 {
		free()
		return nil, "", nil, fmt.Errorf("%w: trailing bytes after the %d-byte payload", ErrCorrupt, n)
	}
	sum := sha256.Sum256(payload)
	if digest = hex.EncodeToString(sum[:]); digest != want {
		free()
		return nil, "", nil, fmt.Errorf("%w: checksum mismatch: payload sha256 %s, header says %s (the file was altered or damaged)", ErrCorrupt, digest[:12], want[:12])
	}
	return payload, digest, free, nil
}

// Write writes b to path atomically (temporary file, fsync, rename).
func Write(path string, b *Bundle) error {
	var buf bytes.Buffer
	if err := Encode(&buf, b); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("bundle: write %s: %w", path, err)
	}
	return nil
}

// Read reads, verifies and decodes the bundle at path.
func Read(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	b, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
