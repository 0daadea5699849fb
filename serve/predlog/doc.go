// Package predlog is the model server's prediction log: a sample of the requests it answered,
// one JSON line each, for monitoring, drift analysis and champion/challenger comparison. It
// sits at the end of the serving flow:
//
//	serve (route, score) ─▶ Log.Sampled ─▶ build Entry ─▶ Log.Write ─▶ writer goroutine ─▶ JSONL files
//
// The server checks Log.Sampled first, so unsampled requests pay only a hash of their id;
// Log.Write then queues the Entry and returns at once. A writer goroutine, owned by the Log
// and stopped by Log.Close, encodes the entries, hashes their PII fields and writes them.
//
// # Line format
//
// Every line is one JSON object, with the keys in this order:
//
//	{"request_id":"r-42","time":"2026-11-25T10:15:00.123456789Z","model":"orders","version":"7",
//	 "inputs":{"amount":129.9,"email":"hmac-sha256:3f1c0a9b2d4e6f70","country":"DE","age":null},
//	 "probability":0.0213,"shadow":{"version":"8","probability":0.0187},"canary":true,"latency_us":812}
//
// (shown on two lines here; one line in the file). "time" is RFC 3339 with nanoseconds, in
// UTC. "inputs" keeps the request's field order; its values are numbers, strings, booleans,
// null for missing values, and times as RFC 3339 strings in UTC. "version" and "probability"
// are the answer the client got: the champion's, or the canary's when "canary" is true.
// "shadow" holds the challenger's score when the request was shadowed, and is omitted
// otherwise; "canary" is omitted when false. "latency_us" is the server's latency in
// microseconds. Numbers are written in their shortest form that parses back to the same
// float64; NaN and ±Inf, which JSON cannot hold, are written as null. Strings are valid
// UTF-8: invalid bytes become U+FFFD.
//
// # PII
//
// The value of a Field marked PII is replaced by "hmac-sha256:" and the first 16 hex digits
// (64 bits) of HMAC-SHA256(Options.HashKey, text), where text is the value as the log would
// have written it, without the quotes of a string or a time. Equal values hash equally under
// one key, in any field and any model, so entries can still be grouped and joined; the clear
// value never reaches the file. A missing (nil) PII value stays null. Without a configured key
// each Log draws a random one, and hashes from different runs or replicas cannot be compared.
//
// # Sampling
//
// A request is logged when a fixed hash of its id, read as a fraction in [0, 1), is below
// Options.SampleRate. The champion's and the shadow's scores of one request travel in one
// Entry, and any other entry with the same id gets the same decision, in every process and
// every replica. The zero SampleRate means 1, log everything: a Log is made only when the log
// is wanted.
//
// # Buffering, drops and counters
//
// Write never blocks: it does a non-blocking send on a queue of Options.Buffer entries and
// drops the entry when the queue is full. The counters, for the server to export as metrics:
// Dropped (queue full), Written (reached the file) and Failed (accepted, then lost to a write
// error). The writer goroutine writes when 64 KiB of lines have gathered and at least every
// Options.FlushEvery. A crash can lose what was gathered but not yet written; Close writes it
// and fsyncs.
//
// # Files and rotation
//
// The current file is Options.Path, opened with O_APPEND|O_CREATE (mode 0640, its directory
// created with mode 0750 if missing). Before a line that would take it past Options.MaxBytes,
// it is fsynced, closed and renamed by inserting "-" and the UTC rotation time, to the
// millisecond, before the extension; then a fresh Path is opened:
//
//	predictions.jsonl                           the current file
//	predictions-20261125T101500.123.jsonl       rotated at 2026-11-25 10:15:00.123 UTC
//
// Rotated names sort in time order; two rotations within one millisecond get distinct,
// increasing names. Lines are never split across files, and a single line longer than MaxBytes
// gets a file of its own. After each rotation, and at New, the oldest rotated files beyond
// Options.MaxFiles are removed (0 keeps all); only files whose names match the scheme are
// considered. A file whose last line was torn by a crash or a failed write gets a newline
// before the next line, so only the torn line is unreadable.
//
// # Errors
//
// New fails if the options are invalid or the file cannot be opened. After that, a write,
// open or rotation error is logged to Options.Logger (at most every 10 s while it persists),
// its entries are counted by Failed, and the next write opens the file again. The server
// never sees these errors; Close returns those of its final write, fsync and close.
package predlog
