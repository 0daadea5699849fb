//go:build race

package gbt

// raceEnabled reports whether the race detector is on: sync.Pool then drops items at random,
// so the allocation tests do not hold.
const raceEnabled = true
