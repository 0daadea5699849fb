package serve

import (
	"fmt"
	"net/http"
	"strings"
)

// KServe V1 protocol: POST /v1/models/{name}:predict (and :explain), GET /v1/models[/{name}].

// handleV1Predict serves POST /v1/models/{name}:predict and :explain. The body is
// {"instances": [{record}, ...]} with an optional "explain": K (or ?explain=K) for the top K
// reason codes per instance; :explain defaults K to 3.
func (s *Server) handleV1Predict(w http.ResponseWriter, r *http.Request) {
	name, op, _ := strings.Cut(r.PathValue("nameop"), ":")
	c := s.getCall()
	defer s.putCall(c)
	switch op {
	case "predict":
	case "explain":
		c.explain = min(3, s.opts.MaxExplain)
	default:
		s.fail(w, nil, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("no route for POST %s: want /v1/models/{name}:predict or :explain", r.URL.Path)})
		return
	}
	if err := c.parseExplain(r); err != nil {
		s.fail(w, nil, err)
		return
	}
	c.proto = protoV1
	s.predict(w, r, c, name, "")
}

// prepareV1 scans {"instances": [...], "explain": K}, recording each instance object's span.
// If the version is known (c.m set) it decodes each instance into a record as it goes;
// otherwise decodeObjects does, once routing has picked the version.
func (c *call) prepareV1() error {
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
		case keyIs(k, esc, "instances"):
			if seen {
				return badRequest(`"instances" given twice`)
			}
			seen = true
			if err := c.scanInstances(&s); err != nil {
				return err
			}
		case keyIs(k, esc, "explain"):
			if c.explain, err = s.integer(`"explain"`, 0, c.s.opts.MaxExplain); err != nil {
				return err
			}
		default:
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
	c.decoded = c.m != nil
	switch {
	case !seen:
		return badRequest(`the body has no "instances" (want {"instances": [{record}, ...]})`)
	case c.n == 0:
		return badRequest(`"instances" is empty`)
	}
	return nil
}

// scanInstances records the span of each object in the instances array.
func (c *call) scanInstances(s *scanner) error {
	empty, err := s.arrayStart()
	if err != nil || empty {
		return err
	}
	for {
		s.ws()
		if s.peek() != '{' {
			return badRequest(fmt.Sprintf("instances[%d]: want a JSON object (a record), at offset %d", c.n, s.pos))
		}
		if c.n >= c.s.opts.MaxInstances {
			return tooMany(c.s.opts.MaxInstances)
		}
		start := s.pos
		if c.m != nil {
			// The version is known (no canary routing to do): decode as we go.
			rec := c.m.getRecord()
			c.recsOf = c.m
			c.recs = append(c.recs, rec)
			n, err := rec.DecodeJSONObject(c.body[start:])
			if err != nil {
				return c.instanceError(c.n, start, err)
			}
			s.pos = start + n
		} else if err := s.skip(0); err != nil {
			return err
		}
		c.spans = append(c.spans, span{int32(start), int32(s.pos)})
		c.n++
		more, err := s.more(']')
		if err != nil || !more {
			return err
		}
	}
}

// handleV1List serves GET /v1/models.
func (s *Server) handleV1List(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Models []ModelStatus `json:"models"`
	}{s.Models()})
}

// handleV1Describe serves GET /v1/models/{name}: the model, its versions and its inputs in
// CSV column order.
func (s *Server) handleV1Describe(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e := s.set.Load().lookup(name)
	if e == nil {
		writeError(w, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("model %q not found", name)})
		return
	}
	writeJSON(w, http.StatusOK, e.status(true))
}
