package main

import "testing"

// TestAdviseHeapHuge checks that the advice leaves the heap usable: memory allocated after it,
// where the advised block was, holds what is written to it.
func TestAdviseHeapHuge(t *testing.T) {
	adviseHeapHuge(8 << 20)
	b := make([]byte, 6<<20)
	for i := range b {
		b[i] = byte(i * 7)
	}
	for i := range b {
		if b[i] != byte(i*7) {
			t.Fatalf("byte %d reads %d", i, b[i])
		}
	}
}
