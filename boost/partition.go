package boost

// Row partitioning. The rows of every node are a contiguous range of one index array
// (XGBoost's RowSetCollection): splitting a node stably partitions its range in place, left
// rows first, so a node's rows stay in increasing order (good for the prefetcher) and the
// result does not depend on how the work was divided.

// bitset256 is a set of bins: the bins that go left at a split.
type bitset256 [4]uint64

func (s *bitset256) set(b uint8)      { s[b>>6] |= 1 << (b & 63) }
func (s *bitset256) has(b uint8) bool { return s[b>>6]>>(b&63)&1 != 0 }
func (s *bitset256) setRange(lo, hi int) { // bins lo..hi inclusive
	for b := lo; b <= hi; b++ {
		s.set(uint8(b))
	}
}

// partChunk is the number of rows one partition task handles.
const partChunk = 16384

// partTask is one chunk of one node's rows to partition.
type partTask struct {
	node       int // index into the batch
	begin, end int // range in the row index array
	nl         int // rows that went left (output)
}

// partitionJob splits the row ranges of several nodes at once.
type partitionJob struct {
	rows, scratch []uint32
	cols          []uint8    // column-major bins: cols[f*n+r]
	n             int        // rows of the matrix
	tmp           [][]uint32 // per worker: the right rows of the current chunk
}

// run partitions every node of the batch: node i owns rows[begin[i]:end[i]] and sends row r
// left iff left[i] holds the bin of feature[i] of r. It returns the number of left rows of
// each node. Phase one partitions each chunk into scratch (left rows, then right rows);
// phase two copies each chunk's halves to their final places.
func (j *partitionJob) run(threads int, begin, end, feature []int, left []bitset256, tasks []partTask) ([]partTask, []int) {
	tasks = tasks[:0]
	for i := range begin {
		for lo := begin[i]; lo < end[i]; lo += partChunk {
			tasks = append(tasks, partTask{node: i, begin: lo, end: min(lo+partChunk, end[i])})
		}
	}
	for len(j.tmp) < threads {
		j.tmp = append(j.tmp, make([]uint32, partChunk))
	}
	forEach(threads, len(tasks), func(w, t int) {
		tk := &tasks[t]
		f := feature[tk.node]
		tk.nl = partitionChunk(j.rows[tk.begin:tk.end], j.scratch[tk.begin:tk.end], j.tmp[w],
			j.cols[f*j.n:(f+1)*j.n], &left[tk.node])
	})
	nleft := make([]int, len(begin))
	for _, tk := range tasks {
		nleft[tk.node] += tk.nl
	}
	// Destinations: a node's chunks in order, left halves from begin, right halves from
	// begin+nleft.
	type dest struct{ l, r int }
	dst := make([]dest, len(tasks))
	cur := make([]dest, len(begin))
	for i := range begin {
		cur[i] = dest{begin[i], begin[i] + nleft[i]}
	}
	for t, tk := range tasks {
		dst[t] = cur[tk.node]
		cur[tk.node].l += tk.nl
		cur[tk.node].r += tk.end - tk.begin - tk.nl
	}
	forEach(threads, len(tasks), func(_, t int) {
		tk := tasks[t]
		s := j.scratch[tk.begin:tk.end]
		copy(j.rows[dst[t].l:], s[:tk.nl])
		copy(j.rows[dst[t].r:], s[tk.nl:])
	})
	return tasks, nleft
}

// partitionChunk writes the rows of src whose bin (col[r]) is in left to the front of dst and
// the others after them, both in their original order; tmp holds the right rows meanwhile.
// It returns the number of left rows.
//
// Hand-optimised (measured): the bins come from the column-major copy, so a node's rows,
// which are in increasing order, read nearby bytes instead of one cache line per row; and
// the loop is branch-free, writing every row to both outputs and advancing one of them,
// because the direction of a row is as unpredictable as a coin flip.
func partitionChunk(src, dst, tmp []uint32, col []uint8, left *bitset256) int {
	nl, nr := 0, 0
	dst = dst[:len(src)]
	tmp = tmp[:len(src)]
	for _, r := range src {
		b := col[r]
		l := int(left[b>>6] >> (b & 63) & 1)
		dst[nl] = r
		tmp[nr] = r
		nl += l
		nr += 1 - l
	}
	copy(dst[nl:], tmp[:nr])
	return nl
}
