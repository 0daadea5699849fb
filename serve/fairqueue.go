package serve

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"time"
)

// The fair queue shares the scoring capacity among models.
//
// The capacity is a pool of W slots (Options.Workers, default GOMAXPROCS): at most W scoring
// jobs run at once, whichever models they belong to. A job runs on its request's own
// goroutine once granted a slot, which saves a goroutine hand-off per request; semantically
// the slots are a worker pool of W workers.
//
// Each model has its own queue: bounded (a request that finds it full is refused at once), with
// a timeout (a request waiting longer gives up), and with its own concurrency cap (at most
// MaxConcurrent of its jobs hold slots at once). When a slot frees up it goes to the next queue
// in deficit round-robin order, with a job's cost being its number of instances: each queue's
// turn adds one instance to its deficit and it is served while its deficit covers its next job.
// A model flooded with requests therefore gets at most its share of the slots (1/k of them with
// k models waiting, measured in instances scored), and the other models' requests wait behind
// at most one job of each other model, not behind the flood. When every waiting queue is short,
// the rounds it would take are added in one step (no spinning on large jobs).
//
// A job that finds a free slot and no eligible job waiting anywhere runs at once: an idle
// server adds only a mutex round trip.
//
// Two more rules keep a flood from reaching the CPU outside the slots:
//
//   - Admission: a request is admitted to its model's queue (admit) before its body is read or
//     decoded, and counts against the queue until it ends (leave). At most QueueSize +
//     MaxConcurrent requests of a model are admitted at once; the next gets 429 at once, having
//     cost the server only its headers. Decoding, which runs on the request's goroutine outside
//     the slots, so takes at most as much CPU as the model's share of the slots lets through.
//   - Slices: a job holds its slot for at most sliceLen of scoring at a time (yield): then, if
//     another model has a job waiting, it gives the slot back and waits for the next at the head
//     of its own queue; if not, it lets the Go scheduler run other goroutines (the requests
//     being read and decoded) before going on. A model's large requests (many instances, reason
//     codes) so delay another model's by at most a slice per slot, not by a whole request.

// Errors of acquire.
var (
	errQueueFull    = errors.New("serve: queue full")
	errQueueTimeout = errors.New("serve: queue timeout")
	errClosed       = errors.New("serve: shutting down")
)

// scheduler owns the slots and the active (non-empty) queues.
type scheduler struct {
	mu      sync.Mutex
	free    int      // slots not held by a job
	active  []*queue // queues with waiting jobs, in round-robin order
	cursor  int      // index in active of the queue whose turn it is
	closed  bool
	running int        // jobs holding a slot
	idle    *sync.Cond // signaled when a job releases its slot (for drain)
	waiters sync.Pool  // *waiter
}

// queue is one model's queue. Its fields are guarded by the scheduler's mutex, except the
// configuration, which is set before use and under the mutex by setLimits.
type queue struct {
	s        *scheduler
	name     string
	size     int           // most waiting jobs
	timeout  time.Duration // longest wait
	maxConc  int           // most jobs holding slots
	waiting  []*waiter     // FIFO
	running  int
	admitted int // requests admitted and not yet ended (see admit)
	deficit  int
	inTurn   bool // the queue's current round-robin turn has begun (its quantum was added)
	isActive bool
}

// waiter is a job waiting for a slot. Waiters are pooled with their channel and timer.
type waiter struct {
	cost    int
	granted bool          // under the scheduler's mutex
	ready   chan struct{} // receives one value when granted
	timer   *time.Timer
}

// quantum is what a queue's deficit grows by per round-robin turn: one instance.
const quantum = 1

// sliceLen is the longest a job scores before yield gives others a turn: well below the
// latencies a model's clients expect (milliseconds), well above the cost of a turn (a mutex
// round trip and, when the slot changes hands, a goroutine switch: about a microsecond).
const sliceLen = 500 * time.Microsecond

func newScheduler(workers int) *scheduler {
	s := &scheduler{free: workers}
	s.idle = sync.NewCond(&s.mu)
	s.waiters.New = func() any { return &waiter{ready: make(chan struct{}, 1)} }
	return s
}

// newQueue returns a queue served by s.
func (s *scheduler) newQueue(name string, size int, timeout time.Duration, maxConc int) *queue {
	return &queue{s: s, name: name, size: size, timeout: timeout, maxConc: maxConc}
}

// setLimits changes a queue's limits (a model's new spec). Jobs already waiting keep their
// deadlines.
func (q *queue) setLimits(size int, timeout time.Duration, maxConc int) {
	q.s.mu.Lock()
	q.size, q.timeout, q.maxConc = size, timeout, maxConc
	q.s.dispatch()
	q.s.mu.Unlock()
}

// depth returns the number of waiting jobs and of jobs holding slots.
func (q *queue) depth() (waiting, running int) {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	return len(q.waiting), q.running
}

// admit admits a request to q, or fails with errQueueFull if QueueSize + MaxConcurrent of its
// requests are admitted already, or with errClosed after close. An admitted request must
// call leave when it ends.
func (q *queue) admit() error {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errClosed
	case q.admitted >= q.size+q.maxConc:
		return errQueueFull
	}
	q.admitted++
	return nil
}

// leave ends an admitted request.
func (q *queue) leave() {
	q.s.mu.Lock()
	q.admitted--
	q.s.mu.Unlock()
}

// yield is called by a job holding a slot of q every so often while it scores, with the time
// its slice began; it returns the time the next slice begins. Once sliceLen has passed, it
// gives the slot back if another queue has a job that may start, and waits for a slot again at
// the head of q (see acquireFront); otherwise it lets other goroutines run. It fails only if
// waiting again fails, and then the job holds no slot.
func (q *queue) yield(ctx context.Context, begun time.Time) (time.Time, error) {
	now := time.Now()
	if now.Sub(begun) < sliceLen {
		return begun, nil
	}
	s := q.s
	s.mu.Lock()
	others := false
	for _, o := range s.active {
		if o != q && o.eligible() {
			others = true
			break
		}
	}
	s.mu.Unlock()
	if !others {
		runtime.Gosched()
		return time.Now(), nil
	}
	// Give the slot back and queue again at the head of q, in one step: dispatch hands the
	// slot on in round-robin order, most likely to the other queue, whose turn it is.
	s.mu.Lock()
	s.free++
	s.running--
	q.running--
	if err := q.wait(ctx, 1, true); err != nil {
		return now, err
	}
	return time.Now(), nil
}

// acquire waits for a slot for a job of the given cost (instances, at least 1). It fails at
// once with errQueueFull when the queue is full and with errClosed after close; with
// errQueueTimeout after the queue's timeout and with ctx.Err() when ctx ends first. On success
// the caller runs the job and must call release.
func (q *queue) acquire(ctx context.Context, cost int) error {
	s := q.s
	cost = max(cost, 1)
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return errClosed
	case s.free > 0 && len(q.waiting) == 0 && q.running < q.maxConc:
		// After every change dispatch leaves no eligible job waiting while a slot is free, so
		// taking the slot now jumps no one.
		s.take(q)
		s.mu.Unlock()
		return nil
	case len(q.waiting) >= q.size:
		s.mu.Unlock()
		return errQueueFull
	}
	return q.wait(ctx, cost, false)
}

// wait queues a job of q of the given cost, at the tail of q or at its head (front: a job
// that yielded, which must not fall behind jobs that came after it), and waits for its slot,
// as acquire does. The queue's size does not limit it. It is called with s.mu held, and
// returns without.
func (q *queue) wait(ctx context.Context, cost int, front bool) error {
	s := q.s
	w := s.waiters.Get().(*waiter)
	w.cost, w.granted = cost, false
	if front {
		q.waiting = slices.Insert(q.waiting, 0, w)
	} else {
		q.waiting = append(q.waiting, w)
	}
	if !q.isActive {
		q.isActive = true
		s.active = append(s.active, q)
	}
	if front {
		// The yielding job's turn is over: the slot goes to the next queue in round-robin order.
		q.inTurn = false
		if len(s.active) > 1 && s.active[s.cursor] == q {
			s.cursor = (s.cursor + 1) % len(s.active)
		}
	}
	// A slot may be free (the one a yielding job just gave back).
	s.dispatch()
	timeout := q.timeout
	s.mu.Unlock()

	if w.timer == nil {
		w.timer = time.NewTimer(timeout)
	} else {
		w.timer.Reset(timeout)
	}
	var err error
	select {
	case <-w.ready:
	case <-w.timer.C:
		err = errQueueTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	w.timer.Stop()
	if err != nil {
		s.mu.Lock()
		if w.granted {
			// Granted while timing out: the slot is ours; use it.
			s.mu.Unlock()
			<-w.ready
			err = nil
		} else {
			q.remove(w)
			s.mu.Unlock()
		}
	}
	s.waiters.Put(w)
	return err
}

// take gives a slot to a job of q. Called with s.mu held.
func (s *scheduler) take(q *queue) {
	s.free--
	s.running++
	q.running++
}

// release returns the slot of a job of q.
func (q *queue) release() {
	s := q.s
	s.mu.Lock()
	s.free++
	s.running--
	q.running--
	s.dispatch()
	s.signalIdle()
	s.mu.Unlock()
}

// signalIdle wakes close when nothing runs or waits any more. Called with s.mu held.
func (s *scheduler) signalIdle() {
	if s.running == 0 && len(s.active) == 0 {
		s.idle.Broadcast()
	}
}

// remove takes a waiter that gave up out of q. Called with s.mu held.
func (q *queue) remove(w *waiter) {
	for i, x := range q.waiting {
		if x == w {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			break
		}
	}
	if len(q.waiting) == 0 {
		q.s.deactivate(q)
	}
	// The job that gave up may have blocked none, or the head may now fit: let dispatch look.
	q.s.dispatch()
	q.s.signalIdle()
}

// deactivate removes an empty queue from the round-robin; its deficit is forgotten, as in DRR.
// Called with s.mu held.
func (s *scheduler) deactivate(q *queue) {
	for i, x := range s.active {
		if x == q {
			s.active = append(s.active[:i], s.active[i+1:]...)
			if i < s.cursor {
				s.cursor--
			}
			if s.cursor >= len(s.active) {
				s.cursor = 0
			}
			break
		}
	}
	q.isActive, q.deficit, q.inTurn = false, 0, false
}

// eligible reports whether q has a waiting job it may start.
func (q *queue) eligible() bool { return len(q.waiting) > 0 && q.running < q.maxConc }

// dispatch grants free slots to waiting jobs in deficit round-robin order. Called with s.mu held.
func (s *scheduler) dispatch() {
	for s.free > 0 {
		q := s.pick()
		if q == nil {
			return
		}
		w := q.waiting[0]
		copy(q.waiting, q.waiting[1:])
		q.waiting[len(q.waiting)-1] = nil
		q.waiting = q.waiting[:len(q.waiting)-1]
		q.deficit -= w.cost
		s.take(q)
		w.granted = true
		w.ready <- struct{}{}
		if len(q.waiting) == 0 {
			s.deactivate(q)
		}
	}
}

// pick returns the queue whose job runs next, or nil if no queue has an eligible job.
// Called with s.mu held.
func (s *scheduler) pick() *queue {
	found := false
	for _, q := range s.active {
		if q.eligible() {
			found = true
			break
		}
	}
	if !found {
		return nil
	}
	for {
		n := len(s.active)
		for range n {
			q := s.active[s.cursor]
			if q.eligible() {
				if !q.inTurn {
					q.inTurn = true
					q.deficit += quantum
				}
				if q.deficit >= q.waiting[0].cost {
					return q // its turn goes on while the deficit lasts
				}
			}
			q.inTurn = false
			s.cursor = (s.cursor + 1) % n
		}
		// A whole round and no eligible queue could pay for its next job: add the rounds it
		// takes until the first can, at once.
		rounds := -1
		for _, q := range s.active {
			if q.eligible() {
				need := (q.waiting[0].cost - q.deficit + quantum - 1) / quantum
				if rounds < 0 || need < rounds {
					rounds = need
				}
			}
		}
		if rounds > 1 {
			for _, q := range s.active {
				if q.eligible() {
					q.deficit += (rounds - 1) * quantum
				}
			}
		}
	}
}

// close stops accepting jobs and waits until every waiting and running job has finished or ctx
// ends.
func (s *scheduler) close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.mu.Lock()
		for s.running > 0 || len(s.active) > 0 {
			s.idle.Wait()
		}
		s.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// The goroutine above ends when the last job releases its slot.
		return ctx.Err()
	}
}
