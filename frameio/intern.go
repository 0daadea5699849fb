package frameio

import (
	"hash/maphash"
	"slices"
	"unsafe"
)

// internTable maps the values of a String column's dictionary to their codes. It replaces a
// map[string]int32 on a measured hot path: interning high-cardinality columns (order IDs) into
// one dictionary is serial work while reading a CSV file, and with a Go map each new value costs a
// lookup and then an insert, with growth rehashing on top. Here one probe sequence finds or
// inserts, hashes can be computed ahead in parallel (hash), and the table is sized up front.
//
// Open addressing with linear probing at a load of at most 1/2; a slot holds the high 32 bits of the value's hash and its
// code + 1 (0 marks an empty slot). The values themselves live in the column's Dict.
type internTable struct {
	seed  maphash.Seed
	slots []uint64
	n     int
}

func newInternTable(seed maphash.Seed, capacity int) *internTable {
	return &internTable{seed: seed, slots: make([]uint64, tableSize(capacity))}
}

func (t *internTable) hash(s string) uint64 { return maphash.String(t.seed, s) }

func (t *internTable) hashBytes(b []byte) uint64 { return maphash.Bytes(t.seed, b) }

// find returns the code of b (whose hash is h), or -1.
func (t *internTable) find(dict []string, b []byte, h uint64) int32 {
	mask := uint64(len(t.slots) - 1)
	tag := h >> 32
	for i := h & mask; ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == 0 {
			return -1
		}
		if e>>32 == tag {
			if c := int32(uint32(e)) - 1; dict[c] == string(b) {
				return c
			}
		}
	}
}

// add returns the code of s (whose hash is h), appending s to *dict if it is new.
func (t *internTable) add(dict *[]string, s string, h uint64) int32 {
	mask := uint64(len(t.slots) - 1)
	tag := h >> 32
	i := h & mask
	for ; ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == 0 {
			break
		}
		if e>>32 == tag {
			if c := int32(uint32(e)) - 1; (*dict)[c] == s {
				return c
			}
		}
	}
	c := int32(len(*dict))
	*dict = append(*dict, s)
	t.slots[i] = tag<<32 | uint64(uint32(c+1))
	t.n++
	if t.n*2 > len(t.slots) {
		t.grow(*dict)
	}
	return c
}

func (t *internTable) grow(dict []string) {
	t.slots = make([]uint64, 2*len(t.slots))
	mask := uint64(len(t.slots) - 1)
	for c, s := range dict {
		h := t.hash(s)
		i := h & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = h>>32<<32 | uint64(uint32(c+1))
	}
}

// partDict is the dictionary of a high-cardinality String column (IDs), split by hash into
// partitions that are interned in parallel (see csvDecoder.mergeRaw). Each partition is an
// open-addressing table like internTable whose slots hold partition-local entry numbers; an entry
// keeps its value, hash and dictionary code. Values are copied into arena blocks, so interning a
// new value does not allocate a string of its own.
type partDict struct {
	parts []dictPart
}

type dictPart struct {
	slots   []uint64 // tag<<32 | entry+1; 0 is empty
	strs    []string // entry → value (pointing into an arena block)
	hs      []uint64 // entry → hash
	codes   []int32  // entry → code in the column's Dict; -1 until the merge assigns it
	block   []byte   // the arena block being filled; full blocks stay referenced by strs only
	touched uint64   // the result of touch, kept so that its loads are not optimised away
}

func newPartDict(parts, capacity int) *partDict {
	d := &partDict{parts: make([]dictPart, parts)}
	n := capacity/parts + 1
	for p := range d.parts {
		t := &d.parts[p]
		t.slots = make([]uint64, tableSize(n))
		t.strs = make([]string, 0, n)
		t.hs = make([]uint64, 0, n)
		t.codes = make([]int32, 0, n)
	}
	return d
}

// tableSize returns the power-of-two slot count that keeps n entries at a load ≤ 1/2, where
// linear probes stay short.
func tableSize(n int) int {
	size := 16
	for size < n*2 {
		size *= 2
	}
	return size
}

// partOf returns the partition of a hash: the high bits of its tag, so that partitions use
// every slot index (the low bits).
func partOf(h uint64, parts int) int {
	return int(uint64(uint32(h>>32)) * uint64(parts) >> 32)
}

// reserve makes room for n more entries without growing during a merge.
func (t *dictPart) reserve(n int) {
	if (len(t.strs)+n)*2 <= len(t.slots) {
		return
	}
	t.strs = slices.Grow(t.strs, n)
	t.hs = slices.Grow(t.hs, n)
	t.codes = slices.Grow(t.codes, n)
	t.slots = make([]uint64, tableSize(len(t.strs)+n))
	mask := uint64(len(t.slots) - 1)
	for e, h := range t.hs {
		i := h & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = h>>32<<32 | uint64(uint32(e+1))
	}
}

// intern returns the entry of b (hash h), adding it with code -1 if it is new; added reports
// whether it was. The caller has reserved room.
func (t *dictPart) intern(b []byte, h uint64) (e int32, added bool) {
	mask := uint64(len(t.slots) - 1)
	tag := h >> 32
	i := h & mask
	for ; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			break
		}
		if s>>32 == tag {
			if e := int32(uint32(s)) - 1; t.strs[e] == string(b) {
				return e, false
			}
		}
	}
	e = int32(len(t.strs))
	t.slots[i] = tag<<32 | uint64(uint32(e+1))
	t.strs = append(t.strs, t.store(b))
	t.hs = append(t.hs, h)
	t.codes = append(t.codes, -1)
	return e, true
}

// touch loads the slots of a batch of hashes and, where a slot's tag matches, the first byte of
// the entry's value, and returns a value that depends on all of them. It does no work that
// matters: the loads of a batch are independent, so the CPU overlaps their cache misses, and
// intern then finds the lines in cache instead of waiting for one miss after the other. The
// tables of ID columns are tens of MB (genOrders' 1,000,000 rows: 2 × 32 MB of slots), and with
// touch the interning of its two ID columns went from 0.46 to 0.20 CPU-s per read.
func (t *dictPart) touch(hs []uint64) uint64 {
	var acc uint64
	var ss [touchBatch]uint64
	mask := uint64(len(t.slots) - 1)
	for k, h := range hs {
		ss[k] = t.slots[h&mask]
	}
	for k, h := range hs {
		if s := ss[k]; s != 0 && s>>32 == h>>32 {
			if v := t.strs[int32(uint32(s))-1]; len(v) > 0 {
				acc += uint64(v[0])
			}
		}
		acc += ss[k]
	}
	return acc
}

const touchBatch = 16

const (
	minArenaBlock = 1 << 10
	maxArenaBlock = 1 << 20
)

// store copies b into the arena and returns it as a string. Blocks are only appended to, so the
// strings of earlier values stay valid and immutable.
func (t *dictPart) store(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(t.block)-len(t.block) < len(b) {
		t.block = make([]byte, 0, max(len(b), min(maxArenaBlock, max(minArenaBlock, 2*cap(t.block)))))
	}
	n := len(t.block)
	t.block = append(t.block, b...)
	return unsafe.String(&t.block[n], len(b))
}
