package main

import (
	"runtime"
	"unsafe"

	"riskflow/internal/hugepage"
)

// hugeHeap is how much heap address space serve's first load and predict ask to have in huge
// pages (see adviseHeapHuge): about what 7 bundles of 300 trees take, or predict's chunks in
// flight. More is not better: with 256 MiB, 4 of 8 predict runs peaked at 405-425 MiB of RSS
// instead of about 205 MiB and ran slower; 64 and 128 MiB kept it at 201-219 MiB.
const hugeHeap = 64 << 20

// adviseHeapHuge asks for transparent huge pages for size bytes of Go heap address space that
// nothing has touched yet: it allocates them as one block, advises the block's whole huge
// pages (the common "madvise" mode gives huge pages only to memory that asks), drops it and
// collects it at once, while the heap is still small. The advice stays with the addresses, so
// the heap the models are then decoded into, which the runtime places there, faults in 2 MiB
// at a time instead of 4 KiB. Only the page size changes; a refused advice is ignored.
// (Without the explicit collection, whether the block was free before the load began was a
// race with the collection its allocation started: half the starts got no huge pages.)
//
// Measured with bench/coldstart.sh (10 bundles of 300 trees, 3 alternating series of 5):
// medians 142, 164 and 179 ms against 201, 202 and 213 ms, server CPU 223-277 ms against
// 335-353 ms, minor page faults 1.8k against 11.8k, resident memory unchanged (about 93 MiB); on this
// virtual machine first touching a 4 KiB page costs 13-15 µs.
func adviseHeapHuge(size int) {
	b := make([]byte, size)
	hugepage.Advise(unsafe.Pointer(unsafe.SliceData(b)), uintptr(size))
	runtime.KeepAlive(b)
	b = nil
	runtime.GC()
}
