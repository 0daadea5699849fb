//go:build !linux

package gbt

import "unsafe"

// adviseHuge does nothing where transparent huge pages are not asked for with madvise.
func adviseHuge(unsafe.Pointer, uintptr) {}
