// Package frame holds riskflow's columnar in-memory table.
//
// A Frame is a set of equally long, named Columns. Each column has one Kind:
//
//   - Numeric: float64 values, NaN for missing.
//   - String: dictionary-encoded; Codes index Dict, and Missing (-1) marks a missing value.
//   - Bool: one byte per row: 0 false, 1 true, BoolMissing (2) missing.
//   - Time: int64 nanoseconds since the Unix epoch (UTC), TimeMissing (math.MinInt64) missing.
//
// Frames are what frameio reads and writes, what datagen generates, and what feature.Fit and
// feature.Transformer.Transform consume. A frame is not safe for concurrent mutation; concurrent
// reads are fine.
package frame
