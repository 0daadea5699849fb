package frameio

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"

	"riskflow/frame"
	"riskflow/internal/atomicfile"
)

// encoder is one format's writer.
type encoder interface {
	// encode writes the rows of f, whose schema the Writer has checked; rowBase is the number of
	// rows written before, for error messages.
	encode(f *frame.Frame, rowBase int64) error
	// finish writes whatever the format needs at the end (the Parquet footer). It does not
	// close the destination.
	finish() error
}

// ValueError reports a value a writer cannot represent, such as ±Inf: riskflow treats
// non-finite numbers as invalid, and the readers would reject them.
type ValueError struct {
	Row    int64 // 0-based row among all rows given to the Writer
	Column string
	Err    error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("frameio: row %d: column %s: %v", e.Row, e.Column, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// ErrNonFinite is the cause of a ValueError for ±Inf.
var ErrNonFinite = errors.New("non-finite number cannot be written")

// Writer writes frames of one schema to a file or stream. A Writer from Create writes to a
// temporary file beside the destination and renames it into place on Close, so a crash or an
// error never leaves a partial file under the final name. A Writer is not safe for concurrent
// use.
type Writer struct {
	schema frame.Schema
	enc    encoder
	bw     *bufio.Writer
	gz     *gzip.Writer     // nil unless writing .gz
	file   *atomicfile.File // nil for NewWriter
	rows   int64
	err    error // sticky: set by a failed Write, Close or Abort
}

// errClosed is the sticky error of a Writer after Close or Abort.
var errClosed = errors.New("frameio: writer is closed")

// Create starts writing a file whose format is chosen by its extension (see FormatOf). Nothing
// appears under path until Close succeeds; Abort discards the output.
func Create(path string, schema frame.Schema) (*Writer, error) {
	format, gz, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	if err := validateSchema(schema); err != nil {
		return nil, err
	}
	af, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("frameio: %w", err)
	}
	w := &Writer{schema: schema, file: af}
	var out io.Writer = af
	if gz {
		w.gz = gzip.NewWriter(af)
		out = w.gz
	}
	if err := w.start(out, format); err != nil {
		af.Abort()
		return nil, err
	}
	return w, nil
}

// NewWriter writes frames of the given format to out. Close flushes and finishes the format
// but does not close out.
func NewWriter(out io.Writer, format Format, schema frame.Schema) (*Writer, error) {
	if err := validateSchema(schema); err != nil {
		return nil, err
	}
	w := &Writer{schema: schema}
	if err := w.start(out, format); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) start(out io.Writer, format Format) error {
	w.bw = bufio.NewWriterSize(out, 64<<10)
	var err error
	switch format {
	case CSV:
		w.enc, err = newCSVEncoder(w.bw, w.schema)
	case JSONL:
		w.enc = newJSONLEncoder(w.bw, w.schema)
	case Parquet:
		w.enc = newParquetEncoder(w.bw, w.schema)
	default:
		err = fmt.Errorf("%w: %v", ErrUnknownFormat, format)
	}
	return err
}

// Schema returns the schema every written frame must have.
func (w *Writer) Schema() frame.Schema { return w.schema }

// Write writes the rows of f, which must have the Writer's schema (names and kinds, in order).
// After an error the Writer is unusable: Close returns the error and discards the output.
func (w *Writer) Write(f *frame.Frame) error {
	if w.err != nil {
		return w.err
	}
	if err := w.checkSchema(f); err != nil {
		return err // the frame is wrong, the output is still fine
	}
	if f.Len() == 0 {
		return nil
	}
	if err := w.enc.encode(f, w.rows); err != nil {
		w.err = err
		return err
	}
	w.rows += int64(f.Len())
	return nil
}

func (w *Writer) checkSchema(f *frame.Frame) error {
	if f.NumCols() != len(w.schema) {
		return fmt.Errorf("frameio: frame has %d columns, writer has %d", f.NumCols(), len(w.schema))
	}
	for i, c := range f.Columns() {
		if want := w.schema[i]; c.Name != want.Name || c.Kind != want.Kind {
			return fmt.Errorf("frameio: frame column %d is %s (%v), writer wants %s (%v)", i, c.Name, c.Kind, want.Name, want.Kind)
		}
	}
	return nil
}

// Close finishes the output. For a Writer from Create it flushes, fsyncs and renames the
// temporary file into place; if anything failed before or during Close, the temporary file is
// removed and the error returned.
func (w *Writer) Close() error {
	if w.err != nil {
		if w.err == errClosed {
			return nil
		}
		err := w.err
		w.discard()
		return err
	}
	err := w.enc.finish()
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil && w.gz != nil {
		err = w.gz.Close()
	}
	if err != nil {
		err = fmt.Errorf("frameio: %w", err)
		w.discard()
		return err
	}
	w.err = errClosed
	if w.file != nil {
		if err := w.file.Commit(); err != nil {
			return fmt.Errorf("frameio: %w", err)
		}
	}
	return nil
}

// Abort discards the output: for a Writer from Create, the temporary file is removed and
// nothing is written under the destination path. Abort after Close does nothing.
func (w *Writer) Abort() error {
	if w.err == errClosed {
		return nil
	}
	return w.discard()
}

func (w *Writer) discard() error {
	w.err = errClosed
	if w.file != nil {
		w.file.Abort()
	}
	return nil
}

// writeChunkRows is how many rows Write and Encode hand to the encoder at once.
const writeChunkRows = 1 << 16

// Write writes f to path, choosing the format by its extension (see FormatOf). The write is
// atomic: a temporary file in the same directory is written, fsynced and renamed over path.
func Write(ctx context.Context, path string, f *frame.Frame) error {
	w, err := Create(path, f.Schema())
	if err != nil {
		return err
	}
	if err := writeAll(ctx, w, f); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// Encode writes f to out in the given format.
func Encode(ctx context.Context, out io.Writer, format Format, f *frame.Frame) error {
	w, err := NewWriter(out, format, f.Schema())
	if err != nil {
		return err
	}
	if err := writeAll(ctx, w, f); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

func writeAll(ctx context.Context, w *Writer, f *frame.Frame) error {
	for lo := 0; lo < f.Len(); lo += writeChunkRows {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.Write(f.Slice(lo, min(lo+writeChunkRows, f.Len()))); err != nil {
			return err
		}
	}
	return nil
}
