package serve

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runner runs fake jobs through a scheduler's queues and records the order they ran in.
type runner struct {
	mu    sync.Mutex
	order []string
	wg    sync.WaitGroup
}

// submit starts a goroutine that acquires a slot of q, runs a job of cost for d, and records
// its label. It waits until the job is queued (or running), so submission order is known.
func (r *runner) submit(t *testing.T, q *queue, label string, cost int, d time.Duration) {
	t.Helper()
	before, _ := q.depth()
	var started atomic.Bool
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := q.acquire(context.Background(), cost); err != nil {
			t.Errorf("%s: %v", label, err)
			return
		}
		started.Store(true)
		r.mu.Lock()
		r.order = append(r.order, label)
		r.mu.Unlock()
		time.Sleep(d)
		q.release()
	}()
	waitFor(t, 5*time.Second, "the job to queue", func() bool {
		n, _ := q.depth()
		return n > before || started.Load()
	})
}

// hold takes a slot of q until the returned function is called.
func hold(t *testing.T, q *queue) func() {
	t.Helper()
	if err := q.acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	return q.release
}

func TestFairQueueFloodedModel(t *testing.T) {
	s := newScheduler(1)
	a := s.newQueue("a", 100, 5*time.Second, 1)
	b := s.newQueue("b", 100, 5*time.Second, 1)
	free := hold(t, a)
	var r runner
	for range 30 { // model a floods
		r.submit(t, a, "a", 1, 0)
	}
	for range 5 { // model b's requests arrive after the flood
		r.submit(t, b, "b", 1, 0)
	}
	free()
	r.wg.Wait()
	// Round robin: b's five jobs are served in the first ten, not after a's thirty.
	bs := 0
	for i, l := range r.order[:10] {
		if l == "b" {
			bs++
		}
		if i%2 == 1 && l != "b" {
			t.Errorf("position %d: %s, want b (order %v)", i, l, r.order)
		}
	}
	if bs != 5 {
		t.Errorf("b got %d of the first 10 slots, want 5: %v", bs, r.order)
	}
}

func TestFairQueueByInstances(t *testing.T) {
	s := newScheduler(1)
	big := s.newQueue("big", 100, 5*time.Second, 1)
	small := s.newQueue("small", 100, 5*time.Second, 1)
	free := hold(t, small)
	var r runner
	for range 3 {
		r.submit(t, big, "B", 10, 0) // 10 instances each
	}
	for range 30 {
		r.submit(t, small, "s", 1, 0)
	}
	free()
	r.wg.Wait()
	// Deficit round-robin by instances: each big job waits for about 10 small ones.
	first := -1
	for i, l := range r.order {
		if l == "B" {
			first = i
			break
		}
	}
	if first < 8 || first > 12 {
		t.Errorf("the first 10-instance job ran at position %d, want about 10: %v", first, r.order)
	}
}

func TestFairQueueSlowModelKeepsOthersServed(t *testing.T) {
	// Two slots; model a floods with slow jobs and a concurrency cap of 1: b still gets the
	// other slot at once.
	s := newScheduler(2)
	a := s.newQueue("a", 100, 5*time.Second, 1)
	b := s.newQueue("b", 100, 5*time.Second, 2)
	var r runner
	for range 3 {
		r.submit(t, a, "a", 1, 100*time.Millisecond)
	}
	start := time.Now()
	if err := b.acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 60*time.Millisecond { // behind a's job it would be 100ms
		t.Errorf("b waited %v behind a's flood", d)
	}
	b.release()
	_, running := a.depth()
	if running > 1 {
		t.Errorf("a runs %d jobs with a cap of 1", running)
	}
	r.wg.Wait()
}

func TestFairQueueFull(t *testing.T) {
	s := newScheduler(1)
	q := s.newQueue("q", 2, 5*time.Second, 1)
	free := hold(t, q)
	var r runner
	r.submit(t, q, "1", 1, 0)
	r.submit(t, q, "2", 1, 0)
	start := time.Now()
	if err := q.acquire(context.Background(), 1); !errors.Is(err, errQueueFull) {
		t.Fatalf("acquire on a full queue: %v, want errQueueFull", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond { // the timeout is 5s
		t.Errorf("refusing took %v, want at once", d)
	}
	free()
	r.wg.Wait()
}

func TestFairQueueTimeoutAndCancel(t *testing.T) {
	s := newScheduler(1)
	q := s.newQueue("q", 10, 30*time.Millisecond, 1)
	free := hold(t, q)
	defer free()
	start := time.Now()
	if err := q.acquire(context.Background(), 1); !errors.Is(err, errQueueTimeout) {
		t.Fatalf("%v, want errQueueTimeout", err)
	}
	if d := time.Since(start); d < 25*time.Millisecond || d > 500*time.Millisecond {
		t.Errorf("timed out after %v, want about 30ms", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(5*time.Millisecond, cancel)
	if err := q.acquire(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", err)
	}
	if n, _ := q.depth(); n != 0 {
		t.Errorf("%d jobs left waiting after giving up", n)
	}
	if len(s.active) != 0 {
		t.Errorf("%d active queues", len(s.active))
	}
}

func TestFairQueueCloseDrains(t *testing.T) {
	s := newScheduler(1)
	q := s.newQueue("q", 10, 5*time.Second, 1)
	free := hold(t, q)
	var done atomic.Int32
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.acquire(context.Background(), 1); err != nil {
				t.Error(err)
				return
			}
			done.Add(1)
			q.release()
		}()
	}
	waitFor(t, time.Second, "3 waiting", func() bool { n, _ := q.depth(); return n == 3 })
	closed := make(chan error, 1)
	go func() { closed <- s.close(context.Background()) }()
	waitFor(t, time.Second, "close", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.closed })
	if err := q.acquire(context.Background(), 1); !errors.Is(err, errClosed) {
		t.Fatalf("acquire after close: %v", err)
	}
	select {
	case <-closed:
		t.Fatal("close returned with jobs waiting")
	case <-time.After(20 * time.Millisecond):
	}
	free()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if done.Load() != 3 {
		t.Errorf("%d of 3 queued jobs ran", done.Load())
	}
	// close with a deadline returns when it passes.
	s2 := newScheduler(1)
	q2 := s2.newQueue("q", 1, time.Second, 1)
	free2 := hold(t, q2)
	defer free2()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s2.close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("close with a job running: %v", err)
	}
}

func TestFairQueueStress(t *testing.T) {
	// Many goroutines on three queues with timeouts and cancellations: every slot comes back.
	s := newScheduler(2)
	qs := []*queue{
		s.newQueue("a", 8, 2*time.Millisecond, 1),
		s.newQueue("b", 8, 50*time.Millisecond, 2),
		s.newQueue("c", 1, time.Second, 2),
	}
	var wg sync.WaitGroup
	var ok, refused atomic.Int64
	for g := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				q := qs[(g+i)%len(qs)]
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%3)*time.Millisecond+time.Millisecond)
				err := q.acquire(ctx, 1+i%4)
				cancel()
				if err != nil {
					refused.Add(1)
					continue
				}
				ok.Add(1)
				q.release()
			}
		}()
	}
	wg.Wait()
	if s.free != 2 || s.running != 0 || len(s.active) != 0 {
		t.Fatalf("after the storm: free %d running %d active %d", s.free, s.running, len(s.active))
	}
	for _, q := range qs {
		if len(q.waiting) != 0 || q.running != 0 {
			t.Errorf("queue %s: %d waiting, %d running", q.name, len(q.waiting), q.running)
		}
	}
	t.Logf("%d served, %d refused or timed out", ok.Load(), refused.Load())
}

func TestFairQueueAdmit(t *testing.T) {
	s := newScheduler(2)
	q := s.newQueue("q", 3, time.Second, 2) // admits 3 waiting + 2 running
	for i := range 5 {
		if err := q.admit(); err != nil {
			t.Fatalf("admit %d: %v", i, err)
		}
	}
	if err := q.admit(); !errors.Is(err, errQueueFull) {
		t.Fatalf("admit beyond QueueSize+MaxConcurrent: %v, want errQueueFull", err)
	}
	other := s.newQueue("other", 3, time.Second, 2)
	if err := other.admit(); err != nil {
		t.Fatalf("another queue: %v", err)
	}
	q.leave()
	if err := q.admit(); err != nil {
		t.Fatalf("admit after a request left: %v", err)
	}
	if err := s.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := other.admit(); !errors.Is(err, errClosed) {
		t.Fatalf("admit after close: %v, want errClosed", err)
	}
}

// TestFairQueueYield checks that a job past its slice hands its slot to another model's
// waiting job, comes back before its own model's later jobs, and keeps its slot when nobody
// else waits.
func TestFairQueueYield(t *testing.T) {
	s := newScheduler(1)
	a := s.newQueue("a", 10, 5*time.Second, 1)
	b := s.newQueue("b", 10, 5*time.Second, 1)
	ctx := context.Background()
	if err := a.acquire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Within the slice, or past it with nobody waiting: the job keeps its slot.
	now := time.Now()
	if begun, err := a.yield(ctx, now); err != nil || !begun.Equal(now) {
		t.Fatalf("yield within the slice: %v, %v; want the same slice", begun, err)
	}
	if begun, err := a.yield(ctx, now.Add(-sliceLen)); err != nil || !begun.After(now) {
		t.Fatalf("yield with nobody waiting: %v, %v; want a new slice", begun, err)
	}
	var r runner
	r.submit(t, a, "a2", 1, 0) // a later job of the same model
	r.submit(t, b, "b", 1, 0)  // another model's job
	// Past the slice with b waiting: the slot goes to b, then back to this job, then to a2.
	if _, err := a.yield(ctx, time.Now().Add(-sliceLen)); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.order = append(r.order, "a1 again")
	r.mu.Unlock()
	a.release()
	r.wg.Wait()
	want := []string{"b", "a1 again", "a2"}
	if len(r.order) != len(want) {
		t.Fatalf("order %v, want %v", r.order, want)
	}
	for i := range want {
		if r.order[i] != want[i] {
			t.Fatalf("order %v, want %v", r.order, want)
		}
	}
	if s.free != 1 || s.running != 0 || len(s.active) != 0 {
		t.Errorf("after all jobs: free %d, running %d, active %d", s.free, s.running, len(s.active))
	}
}

// TestFairQueueYieldTimeout checks that a job that cannot get its slot back in time fails
// holding no slot.
func TestFairQueueYieldTimeout(t *testing.T) {
	s := newScheduler(1)
	a := s.newQueue("a", 10, 20*time.Millisecond, 1)
	b := s.newQueue("b", 10, 5*time.Second, 1)
	ctx := context.Background()
	if err := a.acquire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	done := make(chan struct{})
	go func() {
		if err := b.acquire(ctx, 1); err != nil {
			t.Error(err)
		}
		close(got)
		<-done // b keeps the slot past a's timeout
		b.release()
	}()
	waitFor(t, time.Second, "b to queue", func() bool { n, _ := b.depth(); return n == 1 })
	if _, err := a.yield(ctx, time.Now().Add(-sliceLen)); !errors.Is(err, errQueueTimeout) {
		t.Fatalf("yield: %v, want errQueueTimeout", err)
	}
	<-got
	close(done)
	waitFor(t, time.Second, "the slot to be free", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.free == 1 && s.running == 0
	})
}
