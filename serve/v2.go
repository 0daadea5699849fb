package serve

import (
	"fmt"
	"net/http"
	"strconv"

	"riskflow/feature"
	"riskflow/frame"
	"riskflow/internal/jsontext"
	"riskflow/internal/version"
)

// Open Inference Protocol v2 (REST): one input tensor per raw field, shape [N] (or [N, 1]),
// its data array holding the field's value for each of the N instances; the output tensor
// "probability" (FP64, shape [N]).
//
// The decoder maps each tensor's data array straight into the records' fields through the
// Record setters: a first pass records the structure (names, datatypes, shapes and the offset
// of every element), a second pass parses each element at its offset into the version
// routing picked. No value goes through map[string]any or reflection.

// dtype is a tensor datatype family.
type dtype uint8

const (
	dtFloat dtype = iota + 1 // FP32, FP64
	dtInt                    // INT8..INT64, UINT8..UINT64
	dtBool                   // BOOL
	dtBytes                  // BYTES: strings (categorical levels, RFC 3339 timestamps)
)

func parseDatatype(raw []byte) (dtype, error) {
	switch string(raw) {
	case "FP64", "FP32":
		return dtFloat, nil
	case "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64":
		return dtInt, nil
	case "BOOL":
		return dtBool, nil
	case "BYTES":
		return dtBytes, nil
	case "FP16", "BF16":
		return 0, fmt.Errorf("datatype %s is not supported: send FP32 or FP64", raw)
	}
	return 0, fmt.Errorf("unknown datatype %q", raw)
}

func (d dtype) want() string {
	switch d {
	case dtFloat, dtInt:
		return "a number"
	case dtBool:
		return "true or false"
	}
	return "a string"
}

// tensor is an input tensor as the first pass found it.
type tensor struct {
	name  []byte // decoded
	dtype dtype
	dname []byte // the datatype as given, for messages
	rows  int    // shape[0]
	base  int    // index of its first element in call.elems
	count int    // elements
	first []byte // the first element's token
}

// prepareV2 is the first pass over an inference request.
func (c *call) prepareV2() error {
	s := scanner{data: c.body}
	empty, err := s.objectStart()
	if err != nil {
		return err
	}
	seen := false
	for !empty {
		k, esc, err := s.key()
		if err != nil {
			return err
		}
		switch {
		case keyIs(k, esc, "inputs"):
			if seen {
				return badRequest(`"inputs" given twice`)
			}
			seen = true
			if err := c.scanTensors(&s); err != nil {
				return err
			}
		case keyIs(k, esc, "id"):
			s.ws()
			if s.peek() != '"' {
				return badRequest(`"id" must be a string`)
			}
			if c.v2id, err = s.value(); err != nil {
				return err
			}
		default: // parameters, outputs (probability is the only output)
			if err := s.skip(0); err != nil {
				return err
			}
		}
		more, err := s.more('}')
		if err != nil {
			return err
		}
		empty = !more
	}
	if err := s.end(); err != nil {
		return err
	}
	if len(c.tensors) == 0 {
		return badRequest(`the request has no "inputs" tensors`)
	}
	c.n = c.tensors[0].rows
	for i := range c.tensors {
		t := &c.tensors[i]
		if t.rows != c.n {
			return badRequest(fmt.Sprintf("input %q has shape [%d], input %q [%d]: every input needs the same number of instances", t.name, t.rows, c.tensors[0].name, c.n))
		}
		if t.count != t.rows {
			return badRequest(fmt.Sprintf("input %q: shape [%d] but %d values", t.name, t.rows, t.count))
		}
	}
	if c.n == 0 {
		return badRequest("the inputs have no instances (shape [0])")
	}
	return nil
}

// scanTensors scans the "inputs" array.
func (c *call) scanTensors(s *scanner) error {
	empty, err := s.arrayStart()
	if err != nil || empty {
		return err
	}
	for {
		if err := c.scanTensor(s); err != nil {
			return err
		}
		more, err := s.more(']')
		if err != nil || !more {
			return err
		}
	}
}

// scanTensor scans one input tensor object.
func (c *call) scanTensor(s *scanner) error {
	idx := len(c.tensors)
	if idx >= 4096 {
		return badRequest("more than 4096 input tensors")
	}
	c.tensors = append(c.tensors, tensor{rows: -1, base: len(c.elems)})
	t := &c.tensors[idx]
	empty, err := s.objectStart()
	if err != nil {
		return err
	}
	hasData := false
	for !empty {
		k, esc, err := s.key()
		if err != nil {
			return err
		}
		switch {
		case keyIs(k, esc, "name"):
			s.ws()
			if s.peek() != '"' {
				return badRequest(fmt.Sprintf("inputs[%d].name must be a string", idx))
			}
			raw, esc, err := s.str()
			if err != nil {
				return err
			}
			t.name = raw
			if esc {
				t.name = []byte(unquote(raw))
			}
		case keyIs(k, esc, "datatype"):
			s.ws()
			if s.peek() != '"' {
				return badRequest(fmt.Sprintf("inputs[%d].datatype must be a string", idx))
			}
			raw, _, err := s.str()
			if err != nil {
				return err
			}
			t.dname = raw
		case keyIs(k, esc, "shape"):
			if t.rows, err = c.scanShape(s, idx); err != nil {
				return err
			}
		case keyIs(k, esc, "data"):
			hasData = true
			s.ws()
			if s.peek() != '[' {
				return badRequest(fmt.Sprintf("inputs[%d].data must be an array", idx))
			}
			if err := c.scanData(s, t, 0); err != nil {
				return err
			}
		default: // parameters
			if err := s.skip(0); err != nil {
				return err
			}
		}
		more, err := s.more('}')
		if err != nil {
			return err
		}
		empty = !more
	}
	switch {
	case t.name == nil:
		return badRequest(fmt.Sprintf("inputs[%d] has no name", idx))
	case t.dname == nil:
		return badRequest(fmt.Sprintf("input %q has no datatype", t.name))
	case t.rows < 0:
		return badRequest(fmt.Sprintf("input %q has no shape", t.name))
	case !hasData:
		return badRequest(fmt.Sprintf("input %q has no data", t.name))
	}
	if t.dtype, err = parseDatatype(t.dname); err != nil {
		return badRequest(fmt.Sprintf("input %q: %v", t.name, err))
	}
	for i := range idx {
		if string(c.tensors[i].name) == string(t.name) {
			return badRequest(fmt.Sprintf("input %q given twice", t.name))
		}
	}
	return nil
}

// scanShape reads [N] or [N, 1].
func (c *call) scanShape(s *scanner, idx int) (int, error) {
	bad := func() error {
		return badRequest(fmt.Sprintf("inputs[%d].shape: want [N] or [N, 1] (one value per instance)", idx))
	}
	empty, err := s.arrayStart()
	if err != nil {
		return 0, err
	}
	if empty {
		return 0, bad()
	}
	var dims [2]int
	nd := 0
	for {
		if nd == 2 {
			return 0, bad()
		}
		s.ws()
		tok, err := s.number()
		if err != nil {
			return 0, err
		}
		v, ok := parseInt(tok)
		if !ok || v < 0 {
			return 0, bad()
		}
		dims[nd] = v
		nd++
		more, err := s.more(']')
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
	}
	if nd == 2 && dims[1] != 1 {
		return 0, bad()
	}
	if dims[0] > c.s.opts.MaxInstances {
		return 0, tooMany(c.s.opts.MaxInstances)
	}
	return dims[0], nil
}

// scanData records the offset of every element of a (possibly nested) data array.
func (c *call) scanData(s *scanner, t *tensor, depth int) error {
	s.ws()
	if s.peek() == '[' {
		if depth >= 3 {
			return badRequest(fmt.Sprintf("input %q: data nested too deep", t.name))
		}
		empty, err := s.arrayStart()
		if err != nil || empty {
			return err
		}
		for {
			if err := c.scanData(s, t, depth+1); err != nil {
				return err
			}
			more, err := s.more(']')
			if err != nil || !more {
				return err
			}
		}
	}
	if depth == 0 {
		return badRequest(fmt.Sprintf("input %q: data must be an array", t.name))
	}
	if t.count >= c.s.opts.MaxInstances {
		return tooMany(c.s.opts.MaxInstances)
	}
	if ch := s.peek(); ch == '{' {
		return badRequest(fmt.Sprintf("input %q: element %d is an object; want %s", t.name, t.count, t.dtype.want()))
	}
	start := s.pos
	tok, err := s.value()
	if err != nil {
		return err
	}
	if t.count == 0 {
		t.first = tok
	}
	c.elems = append(c.elems, int32(start))
	t.count++
	return nil
}

// elemToken returns the token of instance i's element of tensor t.
func (c *call) elemToken(t, i int) []byte {
	s := scanner{data: c.body, pos: int(c.elems[c.tensors[t].base+i])}
	tok, err := s.value()
	if err != nil {
		return nil
	}
	return tok
}

// decodeV2 is the second pass: each element into its record's field.
func (c *call) decodeV2() error {
	md := c.m
	c.takeRecords(c.n)
	for ti := range c.tensors {
		t := &c.tensors[ti]
		slot := md.slotOf(t.name)
		if slot < 0 {
			if md.strict && string(t.name) != md.idField && string(t.name) != md.label {
				return badRequest(fmt.Sprintf("input %q is not an input of model %q (its spec is strict)", t.name, md.name))
			}
			continue
		}
		kind := md.inputs[slot].Kind
		for i := range c.n {
			if err := c.setElem(c.recs[i], slot, kind, t, int(c.elems[t.base+i])); err != nil {
				if he, ok := err.(*httpError); ok {
					return he
				}
				return c.instanceError(i, 0, err)
			}
		}
	}
	return nil
}

// setElem parses the element at off and sets it into rec's field slot.
func (c *call) setElem(rec *feature.Record, slot int, kind frame.Kind, t *tensor, off int) error {
	s := scanner{data: c.body, pos: off}
	mismatch := func() error {
		return badRequest(fmt.Sprintf("input %q: element %d: want %s (datatype %s)", t.name, c.elemIndex(t, off), t.dtype.want(), t.dname))
	}
	switch ch := c.body[off]; {
	case ch == 'n':
		rec.SetMissing(slot)
		return nil
	case ch == 't' || ch == 'f':
		if t.dtype != dtBool {
			return mismatch()
		}
		return rec.SetBool(slot, ch == 't')
	case ch == '"':
		if t.dtype != dtBytes {
			return mismatch()
		}
		raw, esc, err := s.str()
		if err != nil {
			return err
		}
		if esc {
			return rec.SetString(slot, unquote(raw))
		}
		if (kind == frame.String || kind == frame.Time) && !missingText(raw) {
			// SetText takes the bytes without a string conversion (no allocation); for these
			// kinds it reads text as SetString does, except the missing spellings.
			return rec.SetText(slot, raw)
		}
		return rec.SetString(slot, string(raw))
	}
	if t.dtype != dtFloat && t.dtype != dtInt {
		return mismatch()
	}
	tok, err := s.number()
	if err != nil {
		return err
	}
	v, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return &feature.FieldError{Field: string(t.name), Reason: "number out of range"}
	}
	return rec.SetFloat(slot, v)
}

// elemIndex finds which element of t starts at off (for error messages).
func (c *call) elemIndex(t *tensor, off int) int {
	for i := range t.count {
		if int(c.elems[t.base+i]) == off {
			return i
		}
	}
	return -1
}

// missingText reports the spellings Record.SetText reads as missing.
func missingText(b []byte) bool {
	switch string(b) {
	case "", "NA", "N/A", "NaN", "null", "NULL":
		return true
	}
	return false
}

// appendV2Response appends the inference response.
func (c *call) appendV2Response(b []byte) []byte {
	b = append(b, `{"model_name":`...)
	b = jsontext.AppendString(b, c.m.name)
	b = append(b, `,"model_version":`...)
	b = jsontext.AppendString(b, c.m.version)
	if c.v2id != nil {
		b = append(b, `,"id":`...)
		b = append(b, c.v2id...)
	}
	b = append(b, `,"outputs":[{"name":"probability","datatype":"FP64","shape":[`...)
	b = strconv.AppendInt(b, int64(c.n), 10)
	b = append(b, `],"data":[`...)
	for i, p := range c.preds[:c.n] {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, p)
	}
	return append(b, "]}]}\n"...)
}

// handleV2Infer serves POST /v2/models/{name}[/versions/{version}]/infer.
func (s *Server) handleV2Infer(w http.ResponseWriter, r *http.Request) {
	c := s.getCall()
	defer s.putCall(c)
	c.proto = protoV2
	s.predict(w, r, c, r.PathValue("name"), r.PathValue("version"))
}

// v2Entry finds the model (and version, if the path names one) of a metadata request, or
// writes the error.
func (s *Server) v2Entry(w http.ResponseWriter, r *http.Request) (*entry, *model, bool) {
	name, ver := r.PathValue("name"), r.PathValue("version")
	e := s.set.Load().lookup(name)
	if e == nil {
		writeError(w, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("model %q not found", name)})
		return nil, nil, false
	}
	md := e.champion
	if ver != "" {
		if md = e.byVersion(ver); md == nil {
			writeError(w, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("model %q has no version %q", name, ver)})
			return nil, nil, false
		}
	}
	return e, md, true
}

// handleV2Metadata serves GET /v2/models/{name}[/versions/{version}].
func (s *Server) handleV2Metadata(w http.ResponseWriter, r *http.Request) {
	e, md, ok := s.v2Entry(w, r)
	if !ok {
		return
	}
	if md == nil {
		writeError(w, &httpError{code: http.StatusServiceUnavailable, msg: fmt.Sprintf("model %q is not ready", e.name)})
		return
	}
	versions := e.versions()
	if r.PathValue("version") != "" {
		versions = []string{md.version}
	}
	writeJSON(w, http.StatusOK, md.v2Meta(versions))
}

// handleV2ModelReady serves GET /v2/models/{name}[/versions/{version}]/ready: 200 when ready,
// 503 when not, with {"name", "ready"}.
func (s *Server) handleV2ModelReady(w http.ResponseWriter, r *http.Request) {
	e, md, ok := s.v2Entry(w, r)
	if !ok {
		return
	}
	code := http.StatusOK
	if md == nil {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, struct {
		Name  string `json:"name"`
		Ready bool   `json:"ready"`
	}{e.name, md != nil})
}

// handleLive serves GET /v2/health/live: the process answers.
func (s *Server) handleLive(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Live bool `json:"live"`
	}{true})
}

// handleReady serves GET /v2/health/ready: 200 when every model is loaded, else 503.
func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	ready := s.Ready()
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, struct {
		Ready bool `json:"ready"`
	}{ready})
}

// handleV2Server serves GET /v2: the server metadata.
func (s *Server) handleV2Server(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Name       string   `json:"name"`
		Version    string   `json:"version"`
		Extensions []string `json:"extensions"`
	}{platform, version.Get().Version, []string{}})
}
