//go:build !linux

package hugepage

import "unsafe"

// Advise does nothing where transparent huge pages are not asked for with madvise.
func Advise(unsafe.Pointer, uintptr) {}
