package bundle

import (
	"syscall"
	"unsafe"

	"riskflow/internal/hugepage"
)

const hugePage = hugepage.Size

// payloadBuffer returns a buffer for an n-byte payload and the function that frees it once
// the payload is decoded (nothing decoded refers to it: see decodePayload).
//
// A payload of 1 MiB or more is read into memory mapped outside the Go heap, aligned to and
// advised as transparent huge pages (madvise mode, the common default, gives them only to
// memory that asks). Reading a bundle is mostly touching fresh memory: filling a 2.7 MB buffer
// from the Go heap takes about 670 page faults, a few milliseconds on bare metal but 13-17 ms
// on the virtual machine of the README's benchmarks (a page fault costs about 7 µs there),
// against 1-3 ms in huge pages. The buffer also stays out of the garbage collector's heap,
// which then grows and collects less during a server's start. When the kernel refuses the
// mapping, or has no huge pages to give, this degrades to ordinary pages or a heap slice.
func payloadBuffer(n int) (buf []byte, free func()) {
	if n < 1<<20 {
		return make([]byte, n), func() {}
	}
	size := (n+hugePage-1)/hugePage*hugePage + hugePage // room to align the start
	raw, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]byte, n), func() {}
	}
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(raw))) & (hugePage - 1))
	buf = raw[off : off+n : off+n]
	hugepage.Advise(unsafe.Pointer(&raw[off]), uintptr(len(raw)-off)) // advice: ordinary pages if refused
	return buf, func() { _ = syscall.Munmap(raw) }
}
