//go:build !linux

package main

// adviseHeapHuge does nothing where transparent huge pages are not asked for with madvise.
func adviseHeapHuge(int) {}
