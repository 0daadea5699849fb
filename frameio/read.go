package frameio

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"riskflow/frame"
)

// decoder is one format's reader.
type decoder interface {
	schema() frame.Schema
	// decode appends up to max rows to s and returns how many it appended; it returns io.EOF
	// (and 0) when no rows remain.
	decode(ctx context.Context, s *sink, max int) (int, error)
	// rowsHint estimates the rows left to read, or 0 if it cannot tell.
	rowsHint() int
	// close releases what the decoder holds (not the underlying reader).
	close()
}

// Reader streams a file as frames of at most ReadOptions.ChunkRows rows. Every chunk has the
// same schema; String columns get a dictionary of their own per chunk.
// A Reader is not safe for concurrent use.
type Reader struct {
	dec    decoder
	opt    ReadOptions
	closer io.Closer // the file (and gzip stream), nil for NewReader
	err    error     // sticky
}

// Open opens a file for streaming, choosing the format by its extension (see FormatOf). It
// reads the header (CSV) or the sample used for kind inference (CSV, JSONL), or the footer
// (Parquet), so the schema is known before the first chunk.
func Open(ctx context.Context, path string, opt ReadOptions) (*Reader, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	format, gz, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("frameio: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("frameio: %w", err)
	}
	opt = opt.withDefaults()
	var (
		dec    decoder
		closer io.Closer = f
	)
	switch {
	case format == Parquet:
		dec, err = newParquetDecoder(f, info.Size(), path, opt)
	case gz:
		var zr *gzip.Reader
		zr, err = gzip.NewReader(f)
		if err != nil {
			err = fmt.Errorf("frameio: %s: %w", path, err)
			break
		}
		closer = multiCloser{zr, f}
		dec, err = newTextDecoder(ctx, format, zr, 0, path, opt)
	default:
		dec, err = newTextDecoder(ctx, format, f, info.Size(), path, opt)
	}
	if err != nil {
		closer.Close()
		return nil, err
	}
	return &Reader{dec: dec, opt: opt, closer: closer}, nil
}

// NewReader reads frames of the given format from r. Errors name lines, not a file. Parquet
// needs random access, so for Parquet r is read to its end into memory first (an io.ReaderAt
// with a Size method, such as *bytes.Reader or *os.File, is used in place instead).
func NewReader(ctx context.Context, r io.Reader, format Format, opt ReadOptions) (*Reader, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	var (
		dec decoder
		err error
	)
	switch format {
	case CSV, JSONL:
		dec, err = newTextDecoder(ctx, format, r, 0, "", opt)
	case Parquet:
		ra, ok := r.(interface {
			io.ReaderAt
			Size() int64
		})
		if !ok {
			data, rerr := io.ReadAll(r)
			if rerr != nil {
				return nil, fmt.Errorf("frameio: %w", rerr)
			}
			ra = bytes.NewReader(data)
		}
		dec, err = newParquetDecoder(ra, ra.Size(), "", opt)
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, format)
	}
	if err != nil {
		return nil, err
	}
	return &Reader{dec: dec, opt: opt}, nil
}

func newTextDecoder(ctx context.Context, format Format, r io.Reader, size int64, path string, opt ReadOptions) (decoder, error) {
	if format == CSV {
		return newCSVDecoder(ctx, r, size, path, opt)
	}
	return newJSONLDecoder(ctx, r, size, path, opt)
}

// Schema returns the columns every chunk has.
func (r *Reader) Schema() frame.Schema { return r.dec.schema() }

// Next returns the next chunk of at most ChunkRows rows, or io.EOF after the last one. After
// any other error the Reader is done and returns that error again.
func (r *Reader) Next(ctx context.Context) (*frame.Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := newSink(r.dec.schema(), min(r.opt.ChunkRows, max(r.dec.rowsHint(), 1024)))
	if _, err := r.dec.decode(ctx, s, r.opt.ChunkRows); err != nil {
		r.err = err
		return nil, err
	}
	return s.frame()
}

// readAll decodes every remaining row into one frame.
func (r *Reader) readAll(ctx context.Context) (*frame.Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	s := newSink(r.dec.schema(), r.dec.rowsHint())
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		_, err := r.dec.decode(ctx, s, r.opt.ChunkRows)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			r.err = err
			return nil, err
		}
	}
	r.err = io.EOF
	return s.frame()
}

// Close releases the file. It does not close the io.Reader given to NewReader.
func (r *Reader) Close() error {
	if r.err == nil || errors.Is(r.err, io.EOF) {
		r.err = errors.New("frameio: reader is closed")
	}
	r.dec.close()
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	if err := c.Close(); err != nil {
		return fmt.Errorf("frameio: %w", err)
	}
	return nil
}

// Read reads a whole file into one frame, choosing the format by its extension (see FormatOf).
func Read(ctx context.Context, path string, opt ReadOptions) (*frame.Frame, error) {
	r, err := Open(ctx, path, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.readAll(ctx)
}

// Decode reads all of r, in the given format, into one frame. Use it for request bodies and
// other in-memory data; errors name lines (or rows), not a file.
func Decode(ctx context.Context, r io.Reader, format Format, opt ReadOptions) (*frame.Frame, error) {
	rd, err := NewReader(ctx, r, format, opt)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return rd.readAll(ctx)
}

// multiCloser closes a stream and then the file under it.
type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var errs []error
	for _, c := range m {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
