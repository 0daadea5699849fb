package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"riskflow/bundle"
	"riskflow/feature"
	"riskflow/internal/jsontext"
)

// proto is a request body's format.
type proto uint8

const (
	protoV1     proto = iota // {"instances": [{record}, ...], "explain": K}
	protoRecord              // one bare record object (SageMaker application/json)
	protoV2                  // Open Inference Protocol v2 tensors
	protoCSV                 // SageMaker text/csv rows
)

// span is a byte range of the body.
type span struct{ start, end int32 }

// call is one request's working state, pooled by the server: its body, decoded records,
// scores and response buffer are reused, so a request allocates little.
type call struct {
	s      *Server
	start  time.Time
	proto  proto
	body   []byte
	reqID  string
	e      *entry
	m      *model // the version scoring this call
	role   int    // roleChampion, roleCanary or roleShadow
	n      int    // instances
	recs   []*feature.Record
	recsOf *model // the model recs came from

	spans   []span   // v1 and record: instance objects; csv: rows
	tensors []tensor // v2
	elems   []int32  // v2: offset of each tensor element, tensor-major (len(tensors)*n)
	v2id    []byte   // v2: the request's "id", raw
	csv     csvLayout

	decoded   bool // prepare decoded the records already
	explain   int  // reason codes per instance
	acceptCSV bool

	// While scoring holds a slot of queue slot, score yields it every slice (see queue.yield);
	// ctx is the request's. Both nil otherwise (shadow scoring holds no slot).
	slot  *queue
	ctx   context.Context
	begun time.Time // when the slot was granted

	preds    []float64
	reasons  []bundle.Reason // n*explain
	nreasons []int

	out     []byte
	scratch []byte
}

// maxPooledBody is the largest body buffer a pooled call keeps; larger ones are dropped, so a
// rare big request does not pin memory.
const maxPooledBody = 256 << 10

func (s *Server) getCall() *call {
	c := s.calls.Get().(*call)
	c.start = time.Now()
	return c
}

func (s *Server) putCall(c *call) {
	c.releaseRecords()
	if cap(c.body) > maxPooledBody {
		c.body = nil
	}
	if cap(c.out) > maxPooledBody {
		c.out = nil
	}
	c.body, c.out = c.body[:0], c.out[:0]
	c.reqID, c.e, c.m, c.role, c.n = "", nil, nil, roleChampion, 0
	c.spans, c.tensors, c.elems, c.v2id = c.spans[:0], c.tensors[:0], c.elems[:0], nil
	c.csv.reset()
	c.explain, c.acceptCSV, c.decoded = 0, false, false
	s.calls.Put(c)
}

// releaseRecords returns the records to their model's pool.
func (c *call) releaseRecords() {
	for i, r := range c.recs {
		c.recsOf.recs.Put(r)
		c.recs[i] = nil
	}
	c.recs = c.recs[:0]
	c.recsOf = nil
}

// takeRecords gets n reset records of c.m.
func (c *call) takeRecords(n int) {
	c.releaseRecords()
	c.recsOf = c.m
	for range n {
		r := c.m.getRecord()
		r.Reset()
		c.recs = append(c.recs, r)
	}
}

// id returns the request id: the X-Request-Id header, else a v2 request's "id", else a new one.
func (c *call) id(r *http.Request) string {
	if c.reqID != "" {
		return c.reqID
	}
	switch {
	case r != nil && r.Header.Get("X-Request-Id") != "":
		c.reqID = c.s.requestID(r)
	case len(c.v2id) > 2 && len(c.v2id) <= 130:
		c.reqID = jsonValue(c.v2id).(string)
	default:
		c.reqID = c.s.newID()
	}
	return c.reqID
}

// readBody reads the request body into the call's buffer, up to limit bytes.
func (c *call) readBody(r *http.Request, limit int64) error {
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	buf := c.body[:0]
	if r.ContentLength > 0 && int64(cap(buf)) < r.ContentLength+1 {
		buf = make([]byte, 0, r.ContentLength+1)
	} else if cap(buf) == 0 {
		buf = make([]byte, 0, 4096)
	}
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				c.body = buf
				return tooLarge(limit)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):min(cap(buf), int(limit)+1)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			c.body = buf
			return tooLarge(limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			c.body = buf
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return tooLarge(mb.Limit)
			}
			return badRequest("reading the request body: " + err.Error())
		}
	}
	c.body = buf
	return nil
}

func tooLarge(limit int64) *httpError {
	return &httpError{code: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body larger than %d bytes", limit)}
}

func tooMany(limit int) *httpError {
	return &httpError{code: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("more than %d instances in one request", limit)}
}

// parseExplain reads ?explain=K.
func (c *call) parseExplain(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	v := r.URL.Query().Get("explain")
	if v == "" {
		return nil
	}
	k, err := strconv.Atoi(v)
	if err != nil || k < 0 || k > c.s.opts.MaxExplain {
		return badRequest(fmt.Sprintf("explain=%s: want a whole number in [0, %d]", v, c.s.opts.MaxExplain))
	}
	c.explain = k
	return nil
}

// predict runs a decoded-enough request against model name: lookup, body, routing, decoding,
// the fair queue, scoring, the response, then metrics, the prediction log and the shadow
// copy. pinned names a version (v2 /versions/{v}); "" lets the route choose.
func (s *Server) predict(w http.ResponseWriter, r *http.Request, c *call, name, pinned string) {
	set := s.set.Load()
	e := set.lookup(name)
	switch {
	case e == nil && !set.loaded:
		s.fail(w, nil, &httpError{code: http.StatusServiceUnavailable, msg: "not ready: the models are loading"})
		return
	case e == nil:
		s.fail(w, nil, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("model %q not found", name)})
		return
	}
	if !e.ready() {
		s.fail(w, nil, &httpError{code: http.StatusServiceUnavailable, msg: fmt.Sprintf("model %q is not ready", name)})
		return
	}
	c.e = e
	md := e.champion
	// Admitted before the body is read: a flooded model's excess costs only its headers.
	if err := e.q.admit(); err != nil {
		s.fail(w, md.vm, s.queueError(e, err))
		return
	}
	defer e.q.leave()
	c.role = roleChampion
	if pinned != "" {
		if md = e.byVersion(pinned); md == nil {
			s.fail(w, e.champion.vm, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("model %q has no version %q", name, pinned)})
			return
		}
		if md != e.champion {
			c.role = roleCanary
		}
	}
	canary := pinned == "" && e.challenger != nil && e.route.Mode == ModeCanary && e.route.Percent > 0
	if !canary {
		c.m = md // known before decoding: prepare may decode as it scans
	}
	if err := c.readBody(r, s.opts.MaxBodyBytes); err != nil {
		s.fail(w, md.vm, err)
		return
	}
	if err := c.prepare(); err != nil {
		s.fail(w, md.vm, err)
		return
	}
	if canary && canaryBucket(e.name, c.stickyKey(r, e.canaryKey)) < e.route.Percent {
		md, c.role = e.challenger, roleCanary
	}
	c.m = md
	md.vm.inFlight.Inc()
	defer md.vm.inFlight.Dec()

	if err := c.decode(); err != nil {
		s.fail(w, md.vm, err)
		return
	}
	if err := e.q.acquire(r.Context(), c.n); err != nil {
		s.fail(w, md.vm, s.queueError(e, err))
		return
	}
	c.slot, c.ctx, c.begun = e.q, r.Context(), time.Now()
	err := c.safeScore()
	if c.slot != nil {
		e.q.release()
	}
	c.slot, c.ctx = nil, nil
	if qe := (*queueErr)(nil); errors.As(err, &qe) {
		err = s.queueError(e, qe.err)
	}
	if err != nil {
		s.fail(w, md.vm, err)
		return
	}
	code, ctype := c.respond()
	if s.plog != nil {
		// The id the prediction log files the request under.
		w.Header()["X-Request-Id"] = []string{c.id(r)}
	}
	writeBody(w, code, ctype, c.out)
	latency := time.Since(c.start)
	md.vm.count(code)
	md.vm.latency.Observe(latency.Seconds())
	obs := md.vm.scores[c.role]
	for _, p := range c.preds[:c.n] {
		obs.Observe(p)
	}
	s.after(r, c, latency)
}

// queueError maps an acquire error to the client's error and counts it.
func (s *Server) queueError(e *entry, err error) *httpError {
	switch {
	case errors.Is(err, errQueueFull):
		s.metrics.rejected.WithLabelValues(e.name).Inc()
		return &httpError{code: http.StatusTooManyRequests, msg: fmt.Sprintf("model %q is busy: its queue is full (%d requests waiting); retry later", e.name, e.limits.QueueSize)}
	case errors.Is(err, errQueueTimeout):
		s.metrics.timeouts.WithLabelValues(e.name).Inc()
		return &httpError{code: http.StatusServiceUnavailable, msg: fmt.Sprintf("model %q is busy: no scoring slot within %v; retry later", e.name, e.limits.QueueTimeout)}
	case errors.Is(err, errClosed):
		return &httpError{code: http.StatusServiceUnavailable, msg: "the server is shutting down"}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &httpError{code: http.StatusServiceUnavailable, msg: "the request was canceled while waiting"}
	}
	return &httpError{code: http.StatusInternalServerError, msg: err.Error()}
}

// fail writes an error response and counts it under the version's metrics (nil: an unknown
// model, counted under model="").
func (s *Server) fail(w http.ResponseWriter, vm *versionMetrics, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{code: http.StatusInternalServerError, msg: err.Error()}
	}
	if he.code >= 500 && he.code != http.StatusServiceUnavailable {
		s.log.Warn("serve: request failed", "status", he.code, "err", he.msg)
	}
	writeError(w, he)
	if vm != nil {
		vm.count(he.code)
	} else {
		s.metrics.requests.WithLabelValues("", "", strconv.Itoa(he.code)).Inc()
	}
}

// canaryBucket hashes a routing key, salted with the model's name, into [0, 100) with 64-bit
// FNV-1a (written out: hash/fnv's interface value would allocate per request).
func canaryBucket(model string, key []byte) float64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(model); i++ {
		h = (h ^ uint64(model[i])) * prime
	}
	h *= prime // a zero byte between the name and the key
	for _, b := range key {
		h = (h ^ uint64(b)) * prime
	}
	return float64(h%10000) / 100
}

// stickyKey returns the canary routing key: the value of field in the request's first
// instance, or else the request id.
func (c *call) stickyKey(r *http.Request, field string) []byte {
	if k := c.rawKey(field); len(k) > 0 {
		return k
	}
	return []byte(c.id(r))
}

// rawKey returns field's value in the first instance as text: a JSON string without its
// quotes, other JSON values and CSV cells as written. nil if absent or null.
func (c *call) rawKey(field string) []byte {
	if c.n == 0 && c.proto != protoV2 && c.proto != protoCSV {
		return nil
	}
	var tok []byte
	switch c.proto {
	case protoV1, protoRecord:
		tok = objectField(c.body[c.spans[0].start:c.spans[0].end], field)
	case protoV2:
		for i := range c.tensors {
			t := &c.tensors[i]
			if string(t.name) == field && t.count > 0 {
				tok = t.first
			}
		}
	case protoCSV:
		return c.csvKey(field)
	}
	if len(tok) >= 2 && tok[0] == '"' {
		return tok[1 : len(tok)-1]
	}
	if string(tok) == "null" {
		return nil
	}
	return tok
}

// prepare does the model-independent part of decoding: the structure of the body (instance
// spans, tensors, rows), so that routing can read the canary key before records of the chosen
// version are decoded.
func (c *call) prepare() error {
	switch c.proto {
	case protoV1:
		return c.prepareV1()
	case protoRecord:
		if objectField(c.body, "instances") != nil {
			c.proto = protoV1
			return c.prepareV1()
		}
		s := scanner{data: c.body}
		s.ws()
		start := s.pos
		if err := s.skip(0); err != nil {
			return err
		}
		if c.body[start] != '{' {
			return badRequest("the body is not a JSON object")
		}
		end := s.pos
		if err := s.end(); err != nil {
			return err
		}
		c.spans = append(c.spans, span{int32(start), int32(end)})
		c.n = 1
		return nil
	case protoV2:
		return c.prepareV2()
	case protoCSV:
		return c.prepareCSV()
	}
	return nil
}

// decode fills records of c.m from the prepared body.
func (c *call) decode() error {
	if c.decoded {
		return nil
	}
	switch c.proto {
	case protoV1, protoRecord:
		return c.decodeObjects()
	case protoV2:
		return c.decodeV2()
	case protoCSV:
		return c.decodeCSV()
	}
	return nil
}

// decodeObjects decodes each instance object into a record of c.m.
func (c *call) decodeObjects() error {
	c.releaseRecords()
	c.recsOf = c.m
	for i, sp := range c.spans[:c.n] {
		rec := c.m.getRecord()
		c.recs = append(c.recs, rec)
		if _, err := rec.DecodeJSONObject(c.body[sp.start:sp.end]); err != nil {
			return c.instanceError(i, int(sp.start), err)
		}
	}
	return nil
}

// instanceError turns a record's decoding or scoring error into a 400 naming the instance.
// base is the instance's offset in the body, for syntax errors.
func (c *call) instanceError(i, base int, err error) *httpError {
	var where string
	switch c.proto {
	case protoV1:
		where = "instances[" + strconv.Itoa(i) + "]: "
	case protoCSV:
		where = "row " + strconv.Itoa(c.csv.firstRow+i+1) + ": "
	case protoV2:
		where = "instance " + strconv.Itoa(i) + ": "
	}
	var fe *feature.FieldError
	var se *feature.SyntaxError
	switch {
	case errors.As(err, &fe):
		return badRequest(fmt.Sprintf("%sfield %q: %s", where, fe.Field, fe.Reason))
	case errors.As(err, &se):
		return badRequest(fmt.Sprintf("%sinvalid JSON at offset %d: %s", where, base+se.Offset, se.Msg))
	}
	return badRequest(where + err.Error())
}

// safeScore is score with a panic turned into a 500, so that a slot is always released.
func (c *call) safeScore() (err error) {
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("serve: scoring panicked", "model", c.m.name, "version", c.m.version, "panic", p)
			err = &httpError{code: http.StatusInternalServerError, msg: "internal error while scoring"}
		}
	}()
	return c.score()
}

// score scores the records (with reason codes if asked), on the caller's goroutine.
func (c *call) score() error {
	if h := c.s.testHook; h != nil {
		h(c.m, c.role == roleShadow)
	}
	b := c.m.b
	c.preds = grow(c.preds, c.n)
	begun := c.begun
	if k := c.explain; k > 0 {
		c.reasons = grow(c.reasons, c.n*k)
		c.nreasons = grow(c.nreasons, c.n)
		for i, rec := range c.recs[:c.n] {
			p, rs, err := b.Explain(rec, k, c.reasons[i*k:i*k])
			if err != nil {
				return c.instanceError(i, 0, err)
			}
			c.preds[i], c.nreasons[i] = p, len(rs)
			if begun, err = c.yield(begun, i); err != nil {
				return err
			}
		}
		return nil
	}
	for i, rec := range c.recs[:c.n] {
		p, err := b.Score(rec)
		if err != nil {
			return c.instanceError(i, 0, err)
		}
		c.preds[i] = p
		if begun, err = c.yield(begun, i); err != nil {
			return err
		}
	}
	return nil
}

// queueErr is a failure to get a slot back after yielding it, which predict answers as it
// answers a failed acquire.
type queueErr struct{ err error }

func (e *queueErr) Error() string { return e.err.Error() }

// yield lets others score once c has held its slot for a slice (see queue.yield), after
// instance i, unless it was the last. If the slot cannot be had again, c holds none.
func (c *call) yield(begun time.Time, i int) (time.Time, error) {
	if c.slot == nil || i == c.n-1 {
		return begun, nil
	}
	next, err := c.slot.yield(c.ctx, begun)
	if err != nil {
		c.slot = nil
		return next, &queueErr{err}
	}
	return next, nil
}

// grow returns s with length n, reallocating only when its capacity is short.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, max(n, 2*cap(s)))
}

// respond encodes the response into c.out and returns its status and content type.
func (c *call) respond() (int, []string) {
	switch {
	case c.proto == protoV2:
		c.out = c.appendV2Response(c.out[:0])
		return http.StatusOK, hdrJSON
	case c.acceptCSV:
		out := c.out[:0]
		for _, p := range c.preds[:c.n] {
			out = strconv.AppendFloat(out, p, 'g', -1, 64)
			out = append(out, '\n')
		}
		c.out = out
		return http.StatusOK, hdrCSV
	}
	c.out = c.appendV1Response(c.out[:0])
	return http.StatusOK, hdrJSON
}

// appendV1Response appends {"predictions": [...], "model_name", "model_version"[,
// "explanations"]}.
func (c *call) appendV1Response(b []byte) []byte {
	b = append(b, `{"predictions":[`...)
	for i, p := range c.preds[:c.n] {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, p)
	}
	b = append(b, `],"model_name":`...)
	b = jsontext.AppendString(b, c.m.name)
	b = append(b, `,"model_version":`...)
	b = jsontext.AppendString(b, c.m.version)
	if k := c.explain; k > 0 {
		b = append(b, `,"explanations":[`...)
		for i := range c.n {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for j, rs := range c.reasons[i*k : i*k+c.nreasons[i]] {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"feature":`...)
				b = jsontext.AppendString(b, rs.Feature)
				b = append(b, `,"value":`...)
				b = c.appendRawValue(b, i, rs.Feature)
				b = append(b, `,"contribution":`...)
				b = appendFloat(b, rs.Contribution)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}
