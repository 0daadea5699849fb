package feature

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"fmt"
	"riskflow/frame"
)

// transformBlock is the number of rows a Transform worker takes at a time.
const transformBlock = 1024

// Transform encodes every row of f into a row-major matrix (NaN for missing). Each row is filled
// into a Record with the setters' semantics and encoded by the same function Vector uses, in
// parallel over blocks of rows (GOMAXPROCS workers); the result does not depend on the number of
// workers. String columns are mapped to the fitted vocabulary once per column dictionary.
//
// The frame must hold every input field with the kind the spec reads it as; other columns are
// ignored. On a bad value the error is that of the lowest failing row, with the row number.
func (t *Transformer) Transform(f *frame.Frame) (*Matrix, error) {
	bs, err := t.bind(f, nil)
	if err != nil {
		return nil, err
	}
	n, cols := f.Len(), len(t.names)
	m := &Matrix{Rows: n, Cols: cols, Data: make([]float64, n*cols), Names: slices.Clone(t.names)}
	nblocks := (n + transformBlock - 1) / transformBlock
	errs := make([]error, nblocks)
	var next atomic.Int64
	var firstBad atomic.Int64 // lowest failing block so far
	firstBad.Store(int64(nblocks))
	work := func() {
		r := t.NewRecord()
		for {
			b := int(next.Add(1) - 1)
			if b >= nblocks {
				return
			}
			if int64(b) > firstBad.Load() {
				continue
			}
			for row := b * transformBlock; row < min(n, (b+1)*transformBlock); row++ {
				err := r.fillRow(bs, row)
				if err == nil {
					err = t.encode(r, m.Data[row*cols:(row+1)*cols])
				}
				if err != nil {
					errs[b] = fmt.Errorf("%w (row %d)", err, row)
					for {
						cur := firstBad.Load()
						if int64(b) >= cur || firstBad.CompareAndSwap(cur, int64(b)) {
							break
						}
					}
					break
				}
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), nblocks)
	if workers <= 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(work)
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}
