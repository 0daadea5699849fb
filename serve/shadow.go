package serve

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"riskflow/serve/predlog"
)

// Shadow scoring: once a shadowed model's response is written, a copy of the request (its
// body) goes to a bounded queue; shadow workers decode it for the challenger, score it and
// log both scores. The request path only copies the body and does a non-blocking send: a
// full queue drops the copy (riskflow_serve_shadow_dropped_total), so a slow challenger never
// delays a response. Shadow workers take no scoring slots from the fair queue; there are
// Options.ShadowWorkers of them.

// shadowJob is one request to score with a challenger.
type shadowJob struct {
	e       *entry
	champ   *model
	chall   *model
	proto   proto
	body    []byte
	preds   []float64 // the champion's scores
	reqID   string
	start   time.Time
	latency time.Duration
	sampled bool // the prediction log wants the request
}

type shadowPool struct {
	s    *Server
	ch   chan *shadowJob
	quit chan struct{}
	once sync.Once
	drop atomic.Bool // Close: skip queued jobs
	done atomic.Bool // no more submissions
	wg   sync.WaitGroup
	jobs sync.Pool
}

func newShadowPool(s *Server, size, workers int) *shadowPool {
	p := &shadowPool{s: s, ch: make(chan *shadowJob, size), quit: make(chan struct{})}
	p.jobs.New = func() any { return new(shadowJob) }
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

// submit queues a shadow copy of c; it reports false (and counts a drop) if the queue is full.
func (p *shadowPool) submit(c *call, sampled bool, latency time.Duration) bool {
	e := c.e
	if p.done.Load() {
		return false
	}
	if len(p.ch) == cap(p.ch) {
		p.s.metrics.shadowDrops.WithLabelValues(e.name).Inc()
		return false
	}
	j := p.jobs.Get().(*shadowJob)
	*j = shadowJob{
		e: e, champ: c.m, chall: e.challenger, proto: c.proto,
		body:  append(j.body[:0], c.body...),
		preds: append(j.preds[:0], c.preds[:c.n]...),
		reqID: c.reqID, start: c.start, latency: latency, sampled: sampled,
	}
	select {
	case p.ch <- j:
		return true
	default:
		p.jobs.Put(j)
		p.s.metrics.shadowDrops.WithLabelValues(e.name).Inc()
		return false
	}
}

func (p *shadowPool) work() {
	defer p.wg.Done()
	for {
		select {
		case j := <-p.ch:
			p.run(j)
		case <-p.quit:
			for {
				select {
				case j := <-p.ch:
					p.run(j)
				default:
					return
				}
			}
		}
	}
}

// run scores one shadow job and logs it.
func (p *shadowPool) run(j *shadowJob) {
	defer p.jobs.Put(j)
	if p.drop.Load() {
		return
	}
	s := p.s
	c := s.getCall()
	defer s.putCall(c)
	c.start, c.proto, c.e, c.m, c.role, c.reqID = j.start, j.proto, j.e, j.chall, roleShadow, j.reqID
	c.body = append(c.body[:0], j.body...)
	err := c.prepare()
	if err == nil {
		err = c.decode()
	}
	if err == nil {
		err = c.safeScore()
	}
	ok := err == nil && c.n == len(j.preds)
	if ok {
		obs := j.chall.vm.scores[roleShadow]
		for _, v := range c.preds[:c.n] {
			obs.Observe(v)
		}
	} else {
		s.metrics.shadowErrors.WithLabelValues(j.e.name).Inc()
		s.log.Debug("serve: shadow scoring failed", "model", j.e.name, "version", j.chall.version, "err", err)
	}
	if !j.sampled || s.plog == nil {
		return
	}
	var shadow []float64
	if ok {
		shadow = c.preds[:c.n]
	}
	s.logEntries(c, j.champ, j.preds, false, j.latency, j.chall, shadow)
}

// close stops the workers once the queued jobs are done, or drops them if ctx is already over.
func (p *shadowPool) close(ctx context.Context) error {
	p.done.Store(true)
	if ctx.Err() != nil {
		p.drop.Store(true)
	}
	p.once.Do(func() { close(p.quit) })
	finished := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		p.drop.Store(true)
		return ctx.Err()
	}
}

// after runs once the response is written: it queues the shadow copy and writes the
// prediction log entries (the shadow worker writes them for shadowed requests, with both
// scores).
func (s *Server) after(r *http.Request, c *call, latency time.Duration) {
	e := c.e
	sampled := s.plog != nil && s.plog.Sampled(c.id(r))
	if e.challenger != nil && e.route.Mode == ModeShadow && c.role == roleChampion {
		if s.shadow.submit(c, sampled, latency) {
			return
		}
	}
	if sampled {
		s.logEntries(c, c.m, c.preds[:c.n], c.role == roleCanary, latency, nil, nil)
	}
}

// logEntries writes one prediction log entry per instance of c, all under the request's id
// (so one sampling decision covers them), in instance order. md is the version that answered;
// shadow, if not nil, scored shadowPreds.
func (s *Server) logEntries(c *call, md *model, preds []float64, canary bool, latency time.Duration, shadow *model, shadowPreds []float64) {
	aligned := c.n == len(preds)
	for i, p := range preds {
		e := predlog.Entry{
			RequestID:     c.reqID,
			Time:          c.start,
			Model:         md.name,
			Version:       md.version,
			Probability:   p,
			Canary:        canary,
			LatencyMicros: latency.Microseconds(),
		}
		if aligned {
			e.Inputs = c.loggedFields(i, md)
		}
		if shadow != nil && shadowPreds != nil {
			e.Shadow = &predlog.Score{Version: shadow.version, Probability: shadowPreds[i]}
		}
		s.plog.Write(e)
	}
}
