package hugepage

import (
	"syscall"
	"unsafe"
)

// Advise asks for huge pages for the whole huge pages inside the n bytes at p. Call it before
// anything touches them.
func Advise(p unsafe.Pointer, n uintptr) {
	start := (uintptr(p) + Size - 1) &^ (Size - 1)
	end := (uintptr(p) + n) &^ (Size - 1)
	if end <= start {
		return
	}
	first := (*byte)(unsafe.Add(p, start-uintptr(p)))
	_ = syscall.Madvise(unsafe.Slice(first, end-start), syscall.MADV_HUGEPAGE)
}
