package frameio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"riskflow/frame"
)

// The CSV reader is a measured hot path (the issue asks for ≥ 1,000,000 rows/s on 2 cores for a
// 25-column file; encoding/csv allocates per record and parses on one core), so it is hand-written:
//
//  1. scan reads big blocks and finds the next ChunkRows record boundaries with a quote-aware
//     line scanner: a newline ends a record when the record so far holds an even number of '"'
//     (RFC 4180 escapes quotes by doubling them, which keeps the parity). The scan runs on
//     bytes.IndexByte and bytes.Count, which are vectorised. It is serial, so the scan of the
//     next chunk runs during the merge of the current one (step 3).
//  2. The chunk's records are split into a few contiguous segments per core that goroutines
//     tokenize and parse one after the other, each writing straight into its rows of the output
//     columns. Cells are parsed from byte slices without allocation (see text.go). String cells
//     are interned in a per-segment dictionary (m[string(b)] lookups do not allocate), except in
//     high-cardinality columns (IDs), whose bytes and hashes are only collected.
//  3. The segments' dictionaries are merged into the column dictionaries in segment order, which
//     keeps the order of first appearance, and the segment-local codes are remapped. ID columns
//     are interned in parallel by hash partition (see merge).
//
// Measured on the project machine (2 cores, shared), `go test ./frameio -run '^$' -bench
// 'ReadCSV$' -benchtime 3x`, alternating runs at a load of 3.5-6 from other jobs: 1.32-1.95
// (median ~1.6) CPU-s per 1,000,000-row read before the partitioned ID merge, the arenas, the
// segments and the overlapped scan, 1.08-1.59 (median ~1.3) after; wall clock 527k-955k rows/s
// before, 512k-1,345k after (see the comments at merge and dictPart.touch for the parts).
// Then records without quotes got a fused split-and-parse (see parsePlain) and low-cardinality
// columns a cache of short values (see localDict.code): alternating 12 runs of the benchmark with
// the previous build at load averages 1.4-8.8, the median went from 1.19 to 1.00 CPU-s per read;
// at a load of ~1.5, 1.58M-1.97M rows/s (0.51-0.63 s per read).

const (
	maxRecordBytes  = 64 << 20 // a longer record is an error (usually an unbalanced quote)
	minBufSize      = 64 << 10
	minRead         = 16 << 10
	minParallelRows = 1024 // rows per segment at least: chunks with fewer rows are parsed on one goroutine
	segmentsPerProc = 4
)

var (
	errBareQuote       = errors.New(`bare " in a field that is not quoted`)
	errExtraneousQuote = errors.New(`extraneous character after a quoted field (unescaped " ?)`)
	errUnterminated    = errors.New("quoted field is not terminated")
	utf8BOM            = []byte{0xEF, 0xBB, 0xBF}
)

// span is one record of a chunk: bytes [start, end) relative to the chunk start, without the
// line terminator. quotes reports whether the record holds any '"'.
type span struct {
	start, end int
	quotes     bool
}

type csvDecoder struct {
	path  string
	r     io.Reader
	buf   []byte
	start int  // first unconsumed byte of buf
	end   int  // end of the valid bytes in buf
	eof   bool // r is exhausted
	line  int  // physical line number of buf[start]
	done  bool

	nfields   int          // fields per record (header width)
	fieldCol  []int        // field index → output column, or -1 if not read
	out       frame.Schema // output columns
	spans     []span
	workers   []*csvWorker
	scratch   []rawScratch // per output column, for merging high-cardinality String columns
	pre       preScan      // the scan in progress
	remaining int64        // bytes of the file not yet consumed, for rowsHint; < 0 if unknown
	rowBytes  float64      // mean bytes per record in the sample
	distinct  []float64    // per output column: sampled distinct share (String columns)
}

func newCSVDecoder(ctx context.Context, r io.Reader, size int64, path string, opt ReadOptions) (*csvDecoder, error) {
	d := &csvDecoder{path: path, r: r, buf: make([]byte, minBufSize), line: 1, remaining: -1}
	if size > 0 {
		d.remaining = size
	}
	// Skip a UTF-8 byte order mark.
	for d.end-d.start < len(utf8BOM) && !d.eof {
		if err := d.fill(); err != nil {
			return nil, err
		}
	}
	if bytes.HasPrefix(d.buf[d.start:d.end], utf8BOM) {
		d.start += len(utf8BOM)
	}

	// The header.
	consumed, lines, err := d.scan(1)
	if err != nil {
		return nil, err
	}
	if len(d.spans) == 0 {
		return nil, &ParseError{Path: path, Err: errors.New("empty input, want a header row")}
	}
	var it fieldIter
	sp := d.spans[0]
	it.reset(d.buf[d.start+sp.start:d.start+sp.end], sp.quotes)
	var names []string
	seen := make(map[string]int)
	for more := true; more; {
		var b []byte
		b, _, more, err = it.next()
		if err != nil {
			return nil, d.errorAt(sp.start, "", err)
		}
		name := string(b)
		if name == "" {
			return nil, d.errorAt(sp.start, "", fmt.Errorf("header field %d is empty", len(names)+1))
		}
		if k, dup := seen[name]; dup {
			return nil, d.errorAt(sp.start, "", fmt.Errorf("header names column %q twice (fields %d and %d)", name, k+1, len(names)+1))
		}
		seen[name] = len(names)
		names = append(names, name)
	}
	d.advance(consumed, lines)

	if err := checkKinds(path, names, opt.Kinds); err != nil {
		return nil, err
	}
	src, err := selectColumns(path, names, opt.Columns)
	if err != nil {
		return nil, err
	}
	d.nfields = len(names)
	d.fieldCol = make([]int, len(names))
	for i := range d.fieldCol {
		d.fieldCol[i] = -1
	}
	d.out = make(frame.Schema, len(src))
	for j, i := range src {
		d.fieldCol[i] = j
		d.out[j] = frame.Field{Name: names[i], Kind: opt.Kinds[names[i]]}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := d.infer(opt.SampleRows); err != nil {
		return nil, err
	}
	return d, nil
}

// infer scans the first rows (without consuming them) and sets the kinds not forced.
func (d *csvDecoder) infer(sampleRows int) error {
	consumed, _, err := d.scan(sampleRows)
	if err != nil {
		return err
	}
	if n := len(d.spans); n > 0 {
		d.rowBytes = float64(consumed) / float64(n)
	}
	states := make([]inferState, len(d.out))
	var it fieldIter
	for _, sp := range d.spans {
		it.reset(d.buf[d.start+sp.start:d.start+sp.end], sp.quotes)
		f := 0
		for more := true; more; f++ {
			at := it.p
			var b []byte
			b, _, more, err = it.next()
			if err != nil {
				return d.errorAt(sp.start+at, "", err)
			}
			if f < d.nfields {
				if j := d.fieldCol[f]; j >= 0 && d.out[j].Kind == 0 {
					states[j].observe(b)
				}
			}
		}
		if f != d.nfields {
			return d.errorAt(sp.start, "", fieldCountError(f, d.nfields))
		}
	}
	for j := range d.out {
		if d.out[j].Kind == 0 {
			d.out[j].Kind = states[j].kind()
		}
	}
	d.distinct = d.sampleDistinct()
	return nil
}

// sampleDistinct returns, per output column, the share of distinct values among the sampled
// non-missing cells of String columns (0 for other kinds). High-cardinality columns (IDs) skip
// the workers' dictionaries, and dictionary maps are sized from it.
func (d *csvDecoder) sampleDistinct() []float64 {
	ratio := make([]float64, len(d.out))
	var strCols []int
	for j, f := range d.out {
		if f.Kind == frame.String {
			strCols = append(strCols, j)
		}
	}
	if len(strCols) == 0 || len(d.spans) == 0 {
		return ratio
	}
	sets := make([]map[string]struct{}, len(d.out))
	counts := make([]int, len(d.out))
	for _, j := range strCols {
		sets[j] = make(map[string]struct{})
	}
	var it fieldIter
	for _, sp := range d.spans { // the sample, already validated by infer
		it.reset(d.buf[d.start+sp.start:d.start+sp.end], sp.quotes)
		for f, more := 0, true; more && f < d.nfields; f++ {
			var b []byte
			var quoted bool
			b, quoted, more, _ = it.next()
			if j := d.fieldCol[f]; j >= 0 && sets[j] != nil && (quoted || !isMissingToken(b)) {
				counts[j]++
				if _, ok := sets[j][string(b)]; !ok {
					sets[j][string(b)] = struct{}{}
				}
			}
		}
	}
	for _, j := range strCols {
		if counts[j] > 0 {
			ratio[j] = float64(len(sets[j])) / float64(counts[j])
		}
	}
	return ratio
}

// highCardinality is the sampled distinct share above which a String column is interned only
// once, in the merge, instead of first in a per-worker dictionary.
const highCardinality = 0.5

// inferState tracks which kinds a column's sampled cells are consistent with.
type inferState struct {
	seen, notNum, notBool, notTime bool
}

func (s *inferState) observe(b []byte) {
	if isMissingToken(b) {
		return
	}
	s.seen = true
	if !s.notNum && !looksNumeric(b) {
		s.notNum = true
	}
	if !s.notBool {
		if _, ok := parseBool(b); !ok {
			s.notBool = true
		}
	}
	if !s.notTime {
		if _, ok := parseTime(b); !ok {
			s.notTime = true
		}
	}
}

// kind returns the inferred kind. A column with no values in the sample is Numeric.
func (s *inferState) kind() frame.Kind {
	switch {
	case !s.seen:
		return frame.Numeric
	case !s.notBool:
		return frame.Bool
	case !s.notNum:
		return frame.Numeric
	case !s.notTime:
		return frame.Time
	}
	return frame.String
}

// looksNumeric reports whether b is a number to strconv.ParseFloat, finite or not: a column of
// numbers with an "inf" in it is numeric, and reading it reports the "inf" as an error rather
// than silently turning the column into strings.
func looksNumeric(b []byte) bool {
	if _, ok := parseNumber(b); ok {
		return true
	}
	_, err := strconv.ParseFloat(string(b), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

func fieldCountError(got, want int) error {
	return fmt.Errorf("wrong number of fields: got %d, want %d", got, want)
}

func (d *csvDecoder) schema() frame.Schema { return d.out }

func (d *csvDecoder) close() {}

func (d *csvDecoder) rowsHint() int {
	if d.remaining <= 0 || d.rowBytes == 0 {
		return 0
	}
	return int(min(float64(d.remaining)/d.rowBytes*1.02+16, math.MaxInt32))
}

// errorAt returns a ParseError for the byte at offset off of the current chunk.
func (d *csvDecoder) errorAt(off int, column string, err error) error {
	line := d.line + bytes.Count(d.buf[d.start:d.start+off], []byte{'\n'})
	return &ParseError{Path: d.path, Line: line, Column: column, Err: err}
}

// advance consumes n bytes holding the given number of newlines.
func (d *csvDecoder) advance(n, lines int) {
	d.start += n
	d.line += lines
	if d.remaining >= 0 {
		d.remaining -= int64(n)
	}
}

// fill reads more input after d.end, making room first if needed.
func (d *csvDecoder) fill() error {
	if len(d.buf)-d.end < minRead {
		if d.start >= len(d.buf)/4 {
			copy(d.buf, d.buf[d.start:d.end])
		} else {
			nb := make([]byte, 2*len(d.buf))
			copy(nb, d.buf[d.start:d.end])
			d.buf = nb
		}
		d.end -= d.start
		d.start = 0
	}
	for {
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		if errors.Is(err, io.EOF) {
			d.eof = true
			return nil
		}
		if err != nil {
			return &ParseError{Path: d.path, Err: err}
		}
		if n > 0 {
			return nil
		}
	}
}

// scan finds up to limit records from d.start on, storing them in d.spans and reading more input
// as needed. It returns the bytes the records (and blank lines among them) take from d.start on
// and the newlines in those bytes. Blank lines are skipped.
func (d *csvDecoder) scan(limit int) (consumed, lines int, err error) {
	d.spans = d.spans[:0]
	d.pre = preScan{}
	return d.scanMore(limit, true)
}

// preScan is the state of a scan made ahead for the next chunk (see decode): d.spans holds the
// records found up to pos, which hold lines newlines.
type preScan struct {
	ok         bool // the scan was made for the next chunk, with this limit
	limit      int
	pos, lines int
	err        error // of the scan ahead, reported by the next decode
}

// scanMore continues the scan of d.pre (a fresh one after scan reset it). Without canFill it
// stops, without error, where it would need to read more input or would report an error, so that
// the scan continued later with canFill finds the same records and errors.
func (d *csvDecoder) scanMore(limit int, canFill bool) (consumed, lines int, err error) {
	pos, lines := d.pre.pos, d.pre.lines
	defer func() { d.pre.pos, d.pre.lines = pos, lines }()
	for len(d.spans) < limit {
		p, nl := pos, 0
		inQuote, quotes := false, false
		for {
			data := d.buf[d.start+p : d.end]
			i := bytes.IndexByte(data, '\n')
			if i < 0 && !d.eof {
				if !canFill {
					return pos, lines, nil
				}
				if p-pos > maxRecordBytes {
					return 0, 0, d.errorAt(pos, "", fmt.Errorf("record longer than %d MiB (unbalanced quote?)", maxRecordBytes>>20))
				}
				if err := d.fill(); err != nil {
					return 0, 0, err
				}
				continue
			}
			line := data
			if i >= 0 {
				line = data[:i]
			}
			if c := bytes.Count(line, []byte{'"'}); c > 0 {
				quotes = true
				if c&1 == 1 {
					inQuote = !inQuote
				}
			}
			if i < 0 {
				p += len(line)
				break
			}
			p += i + 1
			nl++
			if !inQuote {
				break
			}
		}
		if inQuote {
			if !canFill {
				return pos, lines, nil
			}
			return 0, 0, d.errorAt(pos, "", errUnterminated)
		}
		end := p
		if end > pos && d.buf[d.start+end-1] == '\n' {
			end--
		}
		if end > pos && d.buf[d.start+end-1] == '\r' {
			end--
		}
		if end > pos {
			d.spans = append(d.spans, span{start: pos, end: end, quotes: quotes})
		} else if p == pos {
			break // end of input
		}
		pos = p
		lines += nl
	}
	return pos, lines, nil
}

func (d *csvDecoder) decode(ctx context.Context, s *sink, limit int) (int, error) {
	if d.done {
		return 0, io.EOF
	}
	var (
		consumed, lines int
		err             error
	)
	if d.pre.ok && d.pre.limit == limit { // continue the scan made during the last merge
		d.pre.ok = false
		if err = d.pre.err; err == nil {
			consumed, lines, err = d.scanMore(limit, true)
		}
	} else {
		consumed, lines, err = d.scan(limit)
	}
	if err != nil {
		d.done = true
		return 0, err
	}
	n := len(d.spans)
	if n == 0 {
		d.done = true
		d.advance(consumed, lines)
		return 0, io.EOF
	}
	base := s.len()
	dst := make([]colDst, len(s.cols))
	for j, c := range s.cols {
		dst[j].kind = c.Kind
		switch c.Kind {
		case frame.Numeric:
			c.Num = slices.Grow(c.Num, n)[:base+n]
			dst[j].num = c.Num[base:]
		case frame.String:
			c.Codes = slices.Grow(c.Codes, n)[:base+n]
			dst[j].codes = c.Codes[base:]
		case frame.Bool:
			c.Bools = slices.Grow(c.Bools, n)[:base+n]
			dst[j].bools = c.Bools[base:]
		case frame.Time:
			c.Times = slices.Grow(c.Times, n)[:base+n]
			dst[j].times = c.Times[base:]
		}
	}
	chunk := d.buf[d.start : d.start+consumed]

	// The chunk is parsed in w contiguous segments, several per core, that goroutines take one
	// after the other: on a shared machine a core may be lent away for a while, and with one
	// segment per core the other core would then sit idle at the end of every chunk.
	procs := runtime.GOMAXPROCS(0)
	w := max(1, min(procs*segmentsPerProc, n/minParallelRows))
	for len(d.workers) < w {
		wk := &csvWorker{dicts: make([]localDict, len(d.out))}
		for j := range wk.dicts {
			wk.dicts[j].raw = d.distinct[j] > highCardinality
		}
		d.workers = append(d.workers, wk)
	}
	if base == 0 { // a fresh sink: size its dictionaries for the rows it expects
		for j, t := range s.dicts {
			if t == nil || t.n > 0 || d.distinct[j] == 0 {
				continue
			}
			size := int(float64(max(s.capacity, n)) * min(1, d.distinct[j]*1.1))
			if d.distinct[j] > highCardinality {
				s.parts[j] = newPartDict(min(runtime.GOMAXPROCS(0), maxParts), size)
			} else {
				s.dicts[j] = newInternTable(s.seed, size)
			}
		}
	}
	tasks := make([]func(), w)
	for k := range w {
		wk := d.workers[k]
		wk.lo, wk.hi = n*k/w, n*(k+1)/w
		wk.err = nil
		tasks[k] = func() { wk.parse(d, chunk, dst, s.seed) }
	}
	runTasks(tasks, procs)
	for _, wk := range d.workers[:w] {
		if wk.err != nil {
			d.done = true
			for j := range s.cols { // leave the sink as it was
				truncate(s.cols[j], base)
			}
			for _, wk := range d.workers[:w] {
				for j := range wk.dicts {
					wk.dicts[j].reset()
				}
			}
			return 0, d.errorAt(wk.errAt, wk.errCol, wk.err)
		}
	}
	d.advance(consumed, lines)
	// The chunk's bytes and records are not needed any more: scan the next chunk while the
	// merge runs (scanning is serial, 0.07 of ~1.2 CPU-s per 1,000,000-row read; overlapped, it
	// no longer leaves a core idle). The scan reads ahead only from files (d.remaining ≥ 0);
	// from other streams, whose next read may block, it takes only the bytes already read.
	d.spans = d.spans[:0]
	d.pre = preScan{}
	var wg sync.WaitGroup
	if !d.eof || d.start < d.end { // else nothing is left to scan (a request body read whole)
		wg.Go(func() {
			if _, _, err := d.scanMore(limit, d.remaining >= 0); err != nil {
				d.pre.err = err
			}
		})
	}
	d.merge(s, dst, w, n, procs)
	wg.Wait()
	d.pre.ok, d.pre.limit = true, limit
	return n, nil
}

// maxParts bounds the partitions of a high-cardinality column's dictionary.
const maxParts = 8

// merge moves the workers' string dictionaries into the sink's.
//
// Measured hot path (1,000,000 × 25 file of genOrders, 2 cores): interning the two ID columns
// (order_id unique, customer_id 250,000 distinct) into their column dictionaries cost 0.44 of
// 1.34 CPU-s per read with one goroutine per column, and that phase left one core idle while the
// other finished the bigger column. Low-cardinality columns are merged column by column (their
// worker dictionaries are small). High-cardinality ("raw") columns are interned by hash
// partition instead (see mergeRawPart), so every core works on every ID column:
//
//  1. in parallel, per column and partition: intern the chunk's values of that partition in row
//     order; a new value gets an entry without a code yet;
//  2. serially, per column: walk the chunk's values in row order and give the new entries their
//     codes, appending them to Dict (cheap and sequential: this keeps first-appearance order);
//  3. in parallel, per column and worker: rewrite the worker's rows to the final codes.
func (d *csvDecoder) merge(s *sink, dst []colDst, w, n, procs int) {
	var tasks []func()
	var rawCols []int
	if d.scratch == nil {
		d.scratch = make([]rawScratch, len(dst))
	}
	for j := range dst {
		if dst[j].kind != frame.String {
			continue
		}
		if !d.workers[0].dicts[j].raw {
			tasks = append(tasks, func() { d.mergeCol(s, dst, j, w, n) })
			continue
		}
		rawCols = append(rawCols, j)
		if s.parts[j] == nil {
			s.parts[j] = newPartDict(min(runtime.GOMAXPROCS(0), maxParts), n)
		}
		m := 0
		for _, wk := range d.workers[:w] {
			m += len(wk.dicts[j].hashes)
		}
		sc := &d.scratch[j]
		sc.res = slices.Grow(sc.res[:0], m)[:m]
		sc.first = slices.Grow(sc.first[:0], m)[:m]
		sc.next = slices.Grow(sc.next[:0], len(s.parts[j].parts))[:len(s.parts[j].parts)]
		for p := range s.parts[j].parts {
			tasks = append(tasks, func() { d.mergeRawPart(s, j, p, w) })
		}
	}
	runTasks(tasks, procs)

	tasks = tasks[:0]
	for _, j := range rawCols {
		tasks = append(tasks, func() { d.assignCodes(s, j, w) })
	}
	runTasks(tasks, procs)
	tasks = tasks[:0]
	for _, j := range rawCols {
		for k := range w {
			tasks = append(tasks, func() { d.remapRaw(s, dst, j, k, w, n) })
		}
	}
	runTasks(tasks, procs)
	for _, j := range rawCols {
		for _, wk := range d.workers[:w] {
			wk.dicts[j].reset()
		}
	}
}

// runTasks runs the tasks on up to procs goroutines (the caller's included).
func runTasks(tasks []func(), procs int) {
	g := min(procs, runtime.GOMAXPROCS(0), len(tasks))
	if g <= 1 {
		for _, f := range tasks {
			f()
		}
		return
	}
	var next atomic.Int64
	run := func() {
		for {
			k := int(next.Add(1)) - 1
			if k >= len(tasks) {
				return
			}
			tasks[k]()
		}
	}
	var wg sync.WaitGroup
	for range g - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
}

// mergeCol merges the workers' dictionaries of low-cardinality column j in worker order.
func (d *csvDecoder) mergeCol(s *sink, dst []colDst, j, w, n int) {
	codes := dst[j].codes
	for k := 0; k < w; k++ {
		ld := &d.workers[k].dicts[j]
		ld.remap = slices.Grow(ld.remap[:0], len(ld.vals))[:len(ld.vals)]
		for i, v := range ld.vals {
			ld.remap[i] = s.codeHashed(j, v, ld.hashes[i])
		}
		for i, c := range codes[n*k/w : n*(k+1)/w] {
			if c >= 0 {
				codes[n*k/w+i] = ld.remap[c]
			}
		}
		ld.reset()
	}
}

// rawScratch is the per-chunk state of merging one high-cardinality column. Index i runs over
// the chunk's non-missing values in row order (worker 0's values, then worker 1's, ...).
type rawScratch struct {
	res   []int32 // value i → its code, or ^entry for an entry added in this chunk
	first []bool  // value i added an entry
	next  []int32 // per partition: the first entry added in this chunk
}

// mergeRawPart interns the values of partition p of raw column j (step 1 of merge).
func (d *csvDecoder) mergeRawPart(s *sink, j, p, w int) {
	pd := s.parts[j]
	t, parts := &pd.parts[p], len(pd.parts)
	sc := &d.scratch[j]
	cnt := 0
	for _, wk := range d.workers[:w] {
		for _, h := range wk.dicts[j].hashes {
			if partOf(h, parts) == p {
				cnt++
			}
		}
	}
	t.reserve(cnt)
	sc.next[p] = int32(len(t.strs))
	// Values are interned in batches of touchBatch whose table lines are loaded first (see touch).
	var (
		batch [touchBatch]struct {
			b []byte
			h uint64
			i int
		}
		bh  [touchBatch]uint64
		nb  int
		acc uint64
	)
	flush := func() {
		acc += t.touch(bh[:nb])
		for _, v := range batch[:nb] {
			e, added := t.intern(v.b, v.h)
			sc.first[v.i] = added
			if c := t.codes[e]; c >= 0 {
				sc.res[v.i] = c
			} else {
				sc.res[v.i] = ^e
			}
		}
		nb = 0
	}
	i := 0
	for _, wk := range d.workers[:w] {
		ld := &wk.dicts[j]
		start := 0
		for l, h := range ld.hashes {
			end := ld.ends[l]
			if partOf(h, parts) == p {
				batch[nb].b, batch[nb].h, batch[nb].i = ld.arena[start:end], h, i
				bh[nb] = h
				if nb++; nb == touchBatch {
					flush()
				}
			}
			start = end
			i++
		}
	}
	flush()
	t.touched = acc
}

// assignCodes gives the entries added to raw column j in this chunk their codes, in order of
// first appearance (step 2 of merge).
func (d *csvDecoder) assignCodes(s *sink, j, w int) {
	pd, c, sc := s.parts[j], s.cols[j], &d.scratch[j]
	parts := len(pd.parts)
	i := 0
	for _, wk := range d.workers[:w] {
		for _, h := range wk.dicts[j].hashes {
			if sc.first[i] {
				p := partOf(h, parts)
				t := &pd.parts[p]
				e := sc.next[p]
				sc.next[p]++
				t.codes[e] = int32(len(c.Dict))
				c.Dict = append(c.Dict, t.strs[e])
			}
			i++
		}
	}
}

// remapRaw rewrites worker k's rows of raw column j to their final codes (step 3 of merge).
func (d *csvDecoder) remapRaw(s *sink, dst []colDst, j, k, w, n int) {
	pd, sc := s.parts[j], &d.scratch[j]
	parts := len(pd.parts)
	off := 0
	for _, wk := range d.workers[:k] {
		off += len(wk.dicts[j].hashes)
	}
	ld := &d.workers[k].dicts[j]
	res := sc.res[off : off+len(ld.hashes)]
	codes := dst[j].codes[n*k/w : n*(k+1)/w]
	for r, l := range codes {
		if l < 0 {
			continue
		}
		v := res[l]
		if v < 0 {
			v = pd.parts[partOf(ld.hashes[l], parts)].codes[^v]
		}
		codes[r] = v
	}
}

func truncate(c *frame.Column, n int) {
	switch c.Kind {
	case frame.Numeric:
		c.Num = c.Num[:n]
	case frame.String:
		c.Codes = c.Codes[:n]
	case frame.Bool:
		c.Bools = c.Bools[:n]
	case frame.Time:
		c.Times = c.Times[:n]
	}
}

// colDst is one output column's rows for the current chunk.
type colDst struct {
	kind  frame.Kind
	num   []float64
	codes []int32
	bools []uint8
	times []int64
}

// localDict is a worker's dictionary for one String column and one chunk. A raw dictionary (for
// high-cardinality columns) does not deduplicate; the merge does. It appends each value's bytes to
// one arena instead of allocating a string per cell.
type localDict struct {
	raw    bool
	t      *internTable
	vals   []string
	hashes []uint64 // the hash of each value, computed here in parallel for the merge
	remap  []int32

	arena []byte // raw: the values' bytes, one after the other
	ends  []int  // raw: the end of each value in arena

	short   *[shortSlots]shortEntry // not raw: a cache of the codes of values of up to 8 bytes
	lookups int                     // not raw: values looked up before short was allocated
}

// shortEntry caches the code of one value of up to 8 bytes: its bytes packed into key (the
// first byte lowest), n its length + 1 (0 marks an empty entry).
type shortEntry struct {
	key  uint64
	code int32
	n    uint8
}

// shortSlots is the size of a localDict's direct-mapped cache of short values.
const (
	shortSlots = 256
	shortAfter = 512
)

func (ld *localDict) code(b []byte, seed maphash.Seed) int32 {
	if ld.raw {
		ld.arena = append(ld.arena, b...)
		ld.ends = append(ld.ends, len(ld.arena))
		ld.hashes = append(ld.hashes, maphash.Bytes(seed, b))
		return int32(len(ld.hashes) - 1)
	}
	// Measured hot path: low-cardinality columns (countries, channels, categories) mostly hold
	// short values, and for those a direct-mapped cache keyed by the packed bytes answers
	// without maphash and a string comparison. A miss (a new value, or a slot taken by another
	// value) takes the internTable below and then fills the slot. In BenchmarkParseCSVChunk
	// (4 such columns of 25) the parse went from ~376 to ~350 ns/row. The cache (4 KiB) is
	// allocated after shortAfter lookups, so that small inputs (request bodies) do without.
	var e *shortEntry
	var key uint64
	if ld.short == nil && len(b) <= 8 {
		if ld.lookups++; ld.lookups >= shortAfter {
			ld.short = new([shortSlots]shortEntry)
		}
	}
	if ld.short != nil && len(b) <= 8 {
		for i, c := range b {
			key |= uint64(c) << (8 * i)
		}
		e = &ld.short[(key*0x9E3779B97F4A7C15>>56^uint64(len(b)))%shortSlots]
		if e.n == uint8(len(b)+1) && e.key == key {
			return e.code
		}
	}
	if ld.t == nil || ld.t.seed != seed {
		ld.t = newInternTable(seed, 64)
	}
	h := ld.t.hashBytes(b)
	c := ld.t.find(ld.vals, b, h)
	if c < 0 {
		ld.hashes = append(ld.hashes, h)
		c = ld.t.add(&ld.vals, string(b), h)
	}
	if e != nil {
		*e = shortEntry{key: key, code: c, n: uint8(len(b) + 1)}
	}
	return c
}

func (ld *localDict) reset() {
	if ld.t != nil {
		if ld.t.n > 0 {
			clear(ld.t.slots)
		}
		ld.t.n = 0
	}
	if ld.short != nil {
		clear(ld.short[:]) // the codes are the chunk's
	}
	clear(ld.vals) // drop the string references
	ld.vals = ld.vals[:0]
	ld.hashes = ld.hashes[:0]
	ld.arena = ld.arena[:0]
	ld.ends = ld.ends[:0]
}

// csvWorker parses one range of a chunk's records.
type csvWorker struct {
	lo, hi int // records [lo, hi) of the chunk
	it     fieldIter
	dicts  []localDict // per output column

	err    error
	errAt  int // chunk offset of the failing field
	errCol string
}

func (wk *csvWorker) parse(d *csvDecoder, chunk []byte, dst []colDst, seed maphash.Seed) {
	it := &wk.it
	fieldCol, nfields := d.fieldCol, d.nfields
	for r := wk.lo; r < wk.hi; r++ {
		sp := d.spans[r]
		rec := chunk[sp.start:sp.end]
		if !sp.quotes && wk.parsePlain(d, rec, r, dst, seed) {
			continue
		}
		it.reset(rec, sp.quotes)
		f := 0
		for more := true; more; f++ {
			at := it.p
			b, quoted, m, err := it.next()
			more = m
			if err != nil {
				wk.fail(sp.start+at, "", err)
				return
			}
			if f >= nfields {
				continue
			}
			j := fieldCol[f]
			if j < 0 {
				continue
			}
			if !wk.cell(d, dst, j, r, b, quoted, seed) {
				wk.fail(sp.start+at, d.out[j].Name, cannotParse(b, dst[j].kind))
				return
			}
		}
		if f != nfields {
			wk.fail(sp.start, "", fieldCountError(f, nfields))
			return
		}
	}
}

// parsePlain parses record r, which holds no '"', into dst, and reports whether it did. It does
// not report errors: for a record it cannot take (a cell that does not parse, a wrong number of
// fields) it returns false, and parse takes the record again on the general path, which reports
// the error. Cells written before it gave up are overwritten there.
//
// Measured hot path: the general path splits a field (fieldIter.next: a call, bytes.IndexByte
// and the quote checks) and then parses it, passing over the bytes twice; here numeric cells,
// 14 of the 25 columns of genOrders, are split and parsed in one pass (scanNumber) and the other
// fields are split with a word-at-a-time search (fieldEnd). Measured on the project machine
// (2 cores, shared; `go test ./frameio -run '^$' -bench ParseCSVChunk -benchtime 20x -cpu 1
// -count 3`, alternating builds, best of 9 runs each): the parse phase went from 464 to 376
// ns/row (and to ~350 with the short-value cache of localDict.code).
func (wk *csvWorker) parsePlain(d *csvDecoder, rec []byte, r int, dst []colDst, seed maphash.Seed) bool {
	fieldCol, nfields := d.fieldCol, d.nfields
	p := 0
	for f := 0; f < nfields; f++ {
		if f > 0 {
			if p >= len(rec) { // too few fields
				return false
			}
			p++ // the comma
		}
		j := fieldCol[f]
		if j < 0 {
			p = fieldEnd(rec, p)
			continue
		}
		c := &dst[j]
		if c.kind == frame.Numeric {
			if v, e, ok := scanNumber(rec, p); ok {
				c.num[r] = v
				p = e
				continue
			}
		}
		e := fieldEnd(rec, p)
		if !wk.cell(d, dst, j, r, rec[p:e], false, seed) {
			return false
		}
		p = e
	}
	return p == len(rec) // else too many fields
}

// cell parses the text of one field into row r of output column j and reports whether it
// parsed.
func (wk *csvWorker) cell(d *csvDecoder, dst []colDst, j, r int, b []byte, quoted bool, seed maphash.Seed) bool {
	c := &dst[j]
	switch c.kind {
	case frame.Numeric:
		if isMissingToken(b) {
			c.num[r] = math.NaN()
		} else if v, ok := parseNumber(b); ok {
			c.num[r] = v
		} else {
			return false
		}
	case frame.String:
		if !quoted && isMissingToken(b) {
			c.codes[r] = frame.Missing
		} else {
			c.codes[r] = wk.dicts[j].code(b, seed)
		}
	case frame.Bool:
		if isMissingToken(b) {
			c.bools[r] = frame.BoolMissing
		} else if v, ok := parseBool(b); ok {
			c.bools[r] = v
		} else {
			return false
		}
	case frame.Time:
		if isMissingToken(b) {
			c.times[r] = frame.TimeMissing
		} else if v, ok := parseTime(b); ok {
			c.times[r] = v
		} else {
			return false
		}
	}
	return true
}

// scanNumber parses the field of rec that starts at p and ends at the next ',' (or the end of
// rec) if it is a plain decimal: an optional sign, at most 15 digits with at most one '.'
// among or around them, nothing else. It returns the value, the end of the field and true; or
// false for any other field (empty, missing tokens, exponents, more digits, junk), which the
// caller then splits and parses in full.
//
// Hand-written because measured (see parsePlain). The value is exact for the same reason as in
// parseNumber, whose fast path this is fused with the field split: the digits form an integer
// m < 10^15 < 2^53, held exactly, and v = m / 10^k with 10^k exact (k ≤ 15), and IEEE division
// rounds correctly, so v has the bits strconv.ParseFloat returns. FuzzScanNumber checks that bit
// for bit. A variant that read the digits eight bytes at a time (SWAR: a digit mask and three
// multiplications per run) was measured and dropped: 21 against 14 ns per genOrders cell alone,
// and no difference in BenchmarkParseCSVChunk.
func scanNumber(rec []byte, p int) (v float64, end int, ok bool) {
	i, n := p, len(rec)
	neg := false
	if i < n && (rec[i] == '-' || rec[i] == '+') {
		neg = rec[i] == '-'
		i++
	}
	var m uint64
	digits, frac := 0, -1
	for ; i < n; i++ {
		c := rec[i]
		if c-'0' <= 9 {
			m = m*10 + uint64(c-'0')
			digits++
			continue
		}
		if c == '.' && frac < 0 {
			frac = i
			continue
		}
		if c == ',' {
			break
		}
		return 0, 0, false
	}
	if digits == 0 || digits > 15 {
		return 0, 0, false
	}
	v = float64(m)
	if frac >= 0 {
		v /= pow10[i-frac-1]
	}
	if neg {
		v = -v
	}
	return v, i, true
}

// fieldEnd returns the index of the first ',' in rec at or after p, or len(rec). It tests eight
// bytes at a time (see parsePlain): a byte of x = word ^ ",,,,,,,," is zero where the word holds
// a comma, and (x - 0x01…01) &^ x & 0x80…80 has the high bit of the lowest zero byte set (bits of
// higher bytes may be set spuriously by the borrow, but the lowest set bit is exact).
func fieldEnd(rec []byte, p int) int {
	const (
		ones   = 0x0101010101010101
		highs  = 0x8080808080808080
		commas = ',' * ones
	)
	for ; p+8 <= len(rec); p += 8 {
		x := binary.LittleEndian.Uint64(rec[p:]) ^ commas
		if t := (x - ones) &^ x & highs; t != 0 {
			return p + bits.TrailingZeros64(t)/8
		}
	}
	for ; p < len(rec); p++ {
		if rec[p] == ',' {
			return p
		}
	}
	return p
}

func (wk *csvWorker) fail(at int, col string, err error) {
	wk.err, wk.errAt, wk.errCol = err, at, col
}

// fieldIter splits one record (without its line terminator) into fields.
type fieldIter struct {
	rec     []byte
	p       int  // start of the next field
	quotes  bool // the record holds a '"' somewhere
	scratch []byte
}

func (it *fieldIter) reset(rec []byte, quotes bool) {
	it.rec, it.p, it.quotes = rec, 0, quotes
}

// next returns the next field, whether it was quoted, and whether more fields follow. The
// returned slice is valid until the next call.
func (it *fieldIter) next() (field []byte, quoted, more bool, err error) {
	rec, p := it.rec, it.p
	if it.quotes && p < len(rec) && rec[p] == '"' {
		return it.quotedField()
	}
	i := bytes.IndexByte(rec[p:], ',')
	if i < 0 {
		field, it.p = rec[p:], len(rec)
	} else {
		field, it.p, more = rec[p:p+i], p+i+1, true
	}
	if it.quotes && bytes.IndexByte(field, '"') >= 0 {
		return nil, false, false, errBareQuote
	}
	return field, false, more, nil
}

func (it *fieldIter) quotedField() (field []byte, quoted, more bool, err error) {
	rec := it.rec
	p := it.p + 1
	seg := p
	escaped := false
	it.scratch = it.scratch[:0]
	for {
		i := bytes.IndexByte(rec[p:], '"')
		if i < 0 {
			return nil, true, false, errUnterminated
		}
		p += i
		if p+1 < len(rec) && rec[p+1] == '"' { // "" is an escaped quote
			it.scratch = append(it.scratch, rec[seg:p+1]...)
			p += 2
			seg = p
			escaped = true
			continue
		}
		if escaped {
			it.scratch = append(it.scratch, rec[seg:p]...)
			field = it.scratch
		} else {
			field = rec[seg:p]
		}
		p++ // the closing quote
		switch {
		case p == len(rec):
			it.p = p
			return field, true, false, nil
		case rec[p] == ',':
			it.p = p + 1
			return field, true, true, nil
		}
		return nil, true, false, errExtraneousQuote
	}
}
