package serve

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The SageMaker container contract: GET /ping and POST /invocations.
//
// /invocations takes application/json (a V1 body {"instances": [...]}, or one bare record
// object) or text/csv (rows of raw values, see below) and answers JSON predictions, or CSV
// lines (one probability per line) when the Accept header asks for text/csv. With several
// models loaded, the X-Amzn-SageMaker-Target-Model header names one ("orders" or
// "orders.bundle").
//
// CSV bodies: one row per instance, RFC 4180 quoting, no header, with exactly one column per
// model input in the bundle's input order (Transformer.Inputs; GET /v1/models/{name} lists
// them as "inputs", GET /v2/models/{name} as "inputs"). Alternatively the first row may be a
// header: it is taken as one when every cell names an input, the spec's id or label field or
// the canary key field, and then columns are matched by name (inputs missing from the header
// are missing values; other columns are ignored). Cells are read by Record.SetText: "", NA,
// N/A, NaN, null and NULL are missing.

// TargetModelHeader names the model of a SageMaker multi-model invocation.
const TargetModelHeader = "X-Amzn-SageMaker-Target-Model"

// handlePing serves GET /ping: 200 with an empty body when every model is loaded, else 503.
func (s *Server) handlePing(w http.ResponseWriter, _ *http.Request) {
	if !s.Ready() {
		writeError(w, &httpError{code: http.StatusServiceUnavailable, msg: "not ready: models are loading or failed to load"})
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleInvocations serves POST /invocations.
func (s *Server) handleInvocations(w http.ResponseWriter, r *http.Request) {
	c := s.getCall()
	defer s.putCall(c)
	name, err := s.targetModel(r)
	if err != nil {
		s.fail(w, nil, err)
		return
	}
	switch ct := r.Header.Get("Content-Type"); mediaType(ct) {
	case "", "application/json":
		c.proto = protoRecord // prepare switches to protoV1 when the body has "instances"
	case "text/csv":
		c.proto = protoCSV
	default:
		s.fail(w, nil, &httpError{code: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("content type %q is not supported: send application/json or text/csv", ct)})
		return
	}
	c.acceptCSV = strings.Contains(r.Header.Get("Accept"), "text/csv")
	if err := c.parseExplain(r); err != nil {
		s.fail(w, nil, err)
		return
	}
	if c.acceptCSV && c.explain > 0 {
		s.fail(w, nil, badRequest("explanations need a JSON response: drop Accept: text/csv or explain"))
		return
	}
	s.predict(w, r, c, name, "")
}

// mediaType returns the media type of a Content-Type value, without parameters, lower case.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	for i := 0; i < len(mt); i++ {
		if c := mt[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(mt)
		}
	}
	return mt
}

// targetModel picks the model of an invocation: the header's, or the only one.
func (s *Server) targetModel(r *http.Request) (string, error) {
	if name := r.Header.Get(TargetModelHeader); name != "" {
		return strings.TrimSuffix(name, BundleExt), nil
	}
	set := s.set.Load()
	switch len(set.names) {
	case 0:
		return "", &httpError{code: http.StatusServiceUnavailable, msg: "no model is loaded"}
	case 1:
		return set.names[0], nil
	}
	return "", badRequest(fmt.Sprintf("%d models are loaded (%s): name one in the %s header", len(set.names), strings.Join(set.names, ", "), TargetModelHeader))
}

// csvLayout is how a CSV body's columns map to a version's inputs.
type csvLayout struct {
	header   bool
	head     span  // the header row
	firstRow int   // 1 with a header row, for row numbers in messages
	cols     []int // column → input slot of the decoding version, -1 for other columns
}

func (l *csvLayout) reset() {
	l.header, l.head, l.firstRow, l.cols = false, span{}, 0, l.cols[:0]
}

// prepareCSV finds the rows (the header, if any, is told apart in decodeCSV, which knows the
// inputs).
func (c *call) prepareCSV() error {
	data := c.body
	pos := 0
	if len(data) >= 3 && string(data[:3]) == "\xEF\xBB\xBF" {
		pos = 3 // a UTF-8 byte order mark
	}
	for pos < len(data) {
		if data[pos] == '\n' || data[pos] == '\r' {
			pos++ // blank line
			continue
		}
		if len(c.spans) > c.s.opts.MaxInstances { // one more for a header row
			return tooMany(c.s.opts.MaxInstances)
		}
		next, _, err := csvScan(data, pos, &c.scratch, nil)
		if err != nil {
			return badRequest(fmt.Sprintf("row %d: %v", len(c.spans)+1, err))
		}
		end := next
		for end > pos && (data[end-1] == '\n' || data[end-1] == '\r') {
			end--
		}
		c.spans = append(c.spans, span{int32(pos), int32(end)})
		pos = next
	}
	if len(c.spans) == 0 {
		return badRequest("the CSV body has no rows")
	}
	c.n = len(c.spans)
	return nil
}

// csvHeader reports whether row 0 is a header for md, and fills cols when it is.
func (c *call) csvHeader(md *model, keyField string, cols *[]int) (bool, error) {
	sp := c.spans[0]
	header := true
	inputs := 0
	*cols = (*cols)[:0]
	err := csvCells(c.body[sp.start:sp.end], &c.scratch, func(_ int, cell []byte) error {
		name := trimText(cell)
		slot := md.slotOf(name)
		switch {
		case slot >= 0:
			for _, s := range *cols {
				if s == slot {
					return badRequest(fmt.Sprintf("row 1: column %q given twice", name))
				}
			}
			inputs++
		case len(name) == 0 || string(name) != md.idField && string(name) != md.label && string(name) != keyField:
			header = false
		}
		*cols = append(*cols, slot)
		return nil
	})
	if err != nil {
		return false, err
	}
	return header && inputs > 0, nil
}

// decodeCSV fills records of c.m from the rows.
func (c *call) decodeCSV() error {
	md := c.m
	l := &c.csv
	key := ""
	if c.e != nil {
		key = c.e.canaryKey
	}
	header, err := c.csvHeader(md, key, &l.cols)
	if err != nil {
		return err
	}
	if header {
		l.header, l.head, l.firstRow = true, c.spans[0], 1
		copy(c.spans, c.spans[1:])
		c.spans = c.spans[:len(c.spans)-1]
		c.n--
		if c.n == 0 {
			return badRequest("the CSV body has a header row and no data rows")
		}
	} else {
		l.cols = l.cols[:0]
		for j := range md.inputs {
			l.cols = append(l.cols, j)
		}
	}
	if c.n > c.s.opts.MaxInstances {
		return tooMany(c.s.opts.MaxInstances)
	}
	c.takeRecords(c.n)
	for i := range c.n {
		rec := c.recs[i]
		row := c.body[c.spans[i].start:c.spans[i].end]
		if _, cells, _ := csvScan(row, 0, &c.scratch, nil); cells != len(l.cols) {
			if l.header {
				return badRequest(fmt.Sprintf("row %d: %d fields, the header has %d", l.firstRow+i+1, cells, len(l.cols)))
			}
			return badRequest(fmt.Sprintf("row %d: %d fields, want %d: the model's inputs in order (%s), or a header row naming the columns", i+1, cells, len(l.cols), inputNames(md, 8)))
		}
		err := csvCells(row, &c.scratch, func(j int, cell []byte) error {
			if slot := l.cols[j]; slot >= 0 {
				return rec.SetText(slot, cell)
			}
			return nil
		})
		if err != nil {
			return c.instanceError(i, 0, err)
		}
	}
	return nil
}

// inputNames lists up to n of md's input names.
func inputNames(md *model, n int) string {
	var b strings.Builder
	for i, in := range md.inputs {
		if i == n {
			b.WriteString(", ... (" + strconv.Itoa(len(md.inputs)) + " in all)")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(in.Name)
	}
	return b.String()
}

// csvKey finds the canary key in the first data row, laid out for the champion.
func (c *call) csvKey(field string) []byte {
	md := c.e.champion
	var cols []int
	header, err := c.csvHeader(md, field, &cols)
	if err != nil {
		return nil
	}
	col, row := -1, 0
	if header {
		row = 1
		sp := c.spans[0]
		csvCells(c.body[sp.start:sp.end], &c.scratch, func(j int, cell []byte) error { //nolint:errcheck // parsed before
			if string(trimText(cell)) == field {
				col = j
			}
			return nil
		})
	} else {
		col = md.slot(field)
	}
	if col < 0 || row >= len(c.spans) {
		return nil
	}
	var key []byte
	sp := c.spans[row]
	csvCells(c.body[sp.start:sp.end], &c.scratch, func(j int, cell []byte) error { //nolint:errcheck // parsed before
		if j == col && !missingText(cell) {
			key = append([]byte(nil), cell...)
		}
		return nil
	})
	return key
}

// csvCells calls fn with each cell of the rows in c for instance i (cells of quoted fields are
// unquoted into scratch and valid only during the call).
func (c *call) csvCells(i int, fn func(j int, cell []byte)) {
	sp := c.spans[i]
	csvCells(c.body[sp.start:sp.end], &c.scratch, func(j int, cell []byte) error { //nolint:errcheck // parsed before
		fn(j, cell)
		return nil
	})
}

// csvNames returns the name of each column: the header's, or the decoding version's inputs.
func (c *call) csvNames() []string {
	l := &c.csv
	if !l.header {
		names := make([]string, len(c.m.inputs))
		for j, in := range c.m.inputs {
			names[j] = in.Name
		}
		return names
	}
	var names []string
	csvCells(c.body[l.head.start:l.head.end], &c.scratch, func(_ int, cell []byte) error { //nolint:errcheck // parsed before
		names = append(names, string(trimText(cell)))
		return nil
	})
	return names
}

// csvColumn returns the column of field, or -1.
func (c *call) csvColumn(field string) int {
	l := &c.csv
	if l.header {
		col := -1
		csvCells(c.body[l.head.start:l.head.end], &c.scratch, func(k int, cell []byte) error { //nolint:errcheck // parsed before
			if string(trimText(cell)) == field {
				col = k
			}
			return nil
		})
		return col
	}
	return c.m.slot(field)
}

// csvCells scans one row (without its line end) and calls fn for each cell.
func csvCells(row []byte, scratch *[]byte, fn func(j int, cell []byte) error) error {
	_, _, err := csvScan(row, 0, scratch, fn)
	return err
}

// csvScan scans the RFC 4180 record starting at data[pos], calling fn (if not nil) with each
// cell, and returns the offset after the record's line end (\n, \r\n or \r) and the number of
// cells. A quoted cell may hold commas, line ends and doubled quotes; a quote inside an
// unquoted cell is an error. It is hand-written so that a cell reaches Record.SetText without
// allocation; FuzzCSV checks it against encoding/csv.
func csvScan(data []byte, pos int, scratch *[]byte, fn func(j int, cell []byte) error) (int, int, error) {
	j := 0
	for {
		var cell []byte
		if pos < len(data) && data[pos] == '"' {
			i := pos + 1
			seg := i
			escaped := false
			buf := (*scratch)[:0]
			for {
				if i >= len(data) {
					return 0, j, fmt.Errorf("field %d: unterminated quoted field", j+1)
				}
				if data[i] == '"' {
					if i+1 < len(data) && data[i+1] == '"' {
						buf = append(buf, data[seg:i+1]...)
						i += 2
						seg = i
						escaped = true
						continue
					}
					break
				}
				i++
			}
			if escaped {
				buf = append(buf, data[seg:i]...)
				*scratch = buf
				cell = buf
			} else {
				cell = data[pos+1 : i]
			}
			pos = i + 1
			if pos < len(data) && data[pos] != ',' && data[pos] != '\n' && data[pos] != '\r' {
				return 0, j, fmt.Errorf("field %d: text after the closing quote", j+1)
			}
		} else {
			i := pos
			for i < len(data) && data[i] != ',' && data[i] != '\n' && data[i] != '\r' {
				if data[i] == '"' {
					return 0, j, fmt.Errorf("field %d: a quote in an unquoted field", j+1)
				}
				i++
			}
			cell = data[pos:i]
			pos = i
		}
		if fn != nil {
			if err := fn(j, cell); err != nil {
				return 0, j, err
			}
		}
		j++
		if pos >= len(data) {
			return len(data), j, nil
		}
		switch data[pos] {
		case ',':
			pos++
		case '\n':
			return pos + 1, j, nil
		case '\r':
			if pos+1 < len(data) && data[pos+1] == '\n' {
				return pos + 2, j, nil
			}
			return pos + 1, j, nil
		}
	}
}
