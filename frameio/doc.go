// Package frameio reads and writes frames (see package frame) as CSV, JSONL and Parquet files.
//
// It is the first and last step of riskflow's data flow: training starts with frameio.Read of the
// order data, feature transforms and batch predictions end with frameio.Write, and serving uses
// Decode to parse CSV or JSONL request bodies. The format is chosen by the file extension
// (.csv, .csv.gz, .jsonl, .ndjson, .jsonl.gz, .parquet); Decode, NewReader, Encode and NewWriter
// take an explicit Format for streams.
//
// # Reading
//
// Read loads a whole file; Open returns a Reader that streams it in chunks of at most
// ReadOptions.ChunkRows rows, each a frame of the same schema. ReadOptions.Columns reads a subset
// (the other columns are skipped without being parsed) and ReadOptions.Kinds forces column kinds.
//
// CSV files need a header row with unique, non-empty names. Quoting follows RFC 4180 (quoted
// fields may hold commas, doubled quotes and line breaks, and are taken literally); a UTF-8 byte
// order mark is skipped, CRLF line ends are accepted and blank lines are skipped. Column kinds
// are inferred from the first ReadOptions.SampleRows rows:
//
//   - Bool if every value is true or false, in any letter case (0 and 1 are numbers);
//   - Numeric if every value parses with strconv.ParseFloat;
//   - Time if every value is an RFC 3339 timestamp or a 2006-01-02 date (a space may separate
//     date and time; a timestamp without an offset is UTC);
//   - String otherwise, and
//   - Numeric for a column with no values in the sample.
//
// The missing-value tokens are "", NA, N/A, NaN, nan, null, NULL and None (exact spelling). In a
// String column a quoted field is always a value, so "" and "NA" in quotes are strings; in other
// columns quoting does not matter. Non-finite numbers (inf, Infinity, overflowing literals) are
// errors: riskflow treats them as invalid input. A row after the sample that does not parse as
// its column's kind is an error naming the file, the physical line and the column:
//
//	frameio: orders.csv:1043: column order_amount: cannot parse "12,5" as a number
//
// (see ParseError). Raise SampleRows or set Kinds for files whose first rows are unrepresentative.
//
// JSONL files hold one flat JSON object per line; see the comment at the top of jsonl.go for the
// inference rules. Parquet files are read by row group and page; flat columns of the common
// physical and logical types are supported (see parquet.go).
//
// # Writing
//
// Write writes a frame; Create returns a Writer for frames of one schema, written one after the
// other. Output files are written atomically: to a temporary file in the destination directory
// that is fsynced and renamed over the destination on Close, so a crash or an error never leaves
// a partial file under the final name (Abort discards the temporary file). CSV and JSONL numbers
// are written in the shortest form that reads back to the same float64 bits, times as RFC 3339
// UTC with nanoseconds; missing values are empty CSV fields and JSON nulls. CSV strings are quoted
// only when needed, and always when they would otherwise read back as missing. Parquet columns
// are optional DOUBLE, STRING (dictionary-encoded), BOOLEAN and TIMESTAMP(NANOS, UTC). Values no
// reader would accept (±Inf) are refused with a ValueError.
//
// CSV and JSONL do not record kinds: a String column whose values all look like numbers reads
// back as Numeric unless ReadOptions.Kinds says otherwise. Parquet keeps kinds.
//
// # Performance
//
// CSV reading is the measured hot path: a hand-written quote-aware scanner finds record
// boundaries, and the fields of each chunk are parsed on GOMAXPROCS goroutines without
// per-cell allocation (see csvread.go). CSV and JSONL writing format rows in parallel blocks.
// Readers and Writers hold no goroutines between calls, and the package has no global state.
package frameio
