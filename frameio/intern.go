package frameio

import (
	"hash/maphash"
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
	size := 16
	for size < capacity*2 { // keep the load under 1/2: linear probes stay short
		size *= 2
	}
	return &internTable{seed: seed, slots: make([]uint64, size)}
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
