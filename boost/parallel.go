package boost

import (
	"sync"
	"sync/atomic"
)

// forEach calls fn(worker, i) for every i in [0, n) on up to threads goroutines (worker is in
// [0, threads)); tasks are handed out in index order through an atomic counter, so a worker
// may run any subset of them. Callers keep results deterministic by writing per task, or per
// worker into integer accumulators whose sum does not depend on the order.
func forEach(threads, n int, fn func(worker, i int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	run := func(w int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(w, i)
		}
	}
	wg.Add(threads - 1)
	for w := 1; w < threads; w++ {
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(0)
	wg.Wait()
}

// chunks splits [0, n) into pieces of at most size and returns their count; piece i is
// [i*size, min((i+1)*size, n)).
func chunks(n, size int) int { return (n + size - 1) / size }
