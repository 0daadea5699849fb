package hugepage

import (
	"testing"
	"unsafe"
)

// TestAdvise checks that advised memory, whole huge pages or not, holds what is written to it.
func TestAdvise(t *testing.T) {
	for _, n := range []int{0, 1, Size - 1, Size, 3*Size + 17} {
		b := make([]byte, n)
		if n > 0 {
			Advise(unsafe.Pointer(unsafe.SliceData(b)), uintptr(n))
		}
		for i := range b {
			b[i] = byte(i * 13)
		}
		for i := range b {
			if b[i] != byte(i*13) {
				t.Fatalf("%d bytes: byte %d reads %d", n, i, b[i])
			}
		}
	}
}
