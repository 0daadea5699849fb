// Package loadtest generates HTTP load at a constant rate and reports throughput and latency. It
// is the last package of the serving flow: it measures a running 'riskflow serve' (or any HTTP
// endpoint) from the outside, the way a client sees it, and backs 'riskflow loadtest'.
//
// # Load models
//
// Run is an open model: request i starts at i/rate seconds whatever happened to the earlier
// ones, so a slow server meets the same load as a fast one and its queueing shows in the
// latencies (no coordinated omission). It sends round(rate × duration) requests, then waits for
// the last responses. RunMax is a closed loop: n connections each send the next request as soon
// as the previous one is answered, and the achieved request rate is the server's capacity at
// that concurrency. Both are bounded by their duration (and MaxRequests), abort in-flight
// requests when their context is canceled, and return what they measured until then.
// Requests are generated with vegeta (github.com/tsenart/vegeta/v12) used as a library.
//
// # Targets
//
// A Target is a method, a URL, headers and bodies sent in turn. ReadRecords and LoadRecords
// turn a JSONL file of records into v1 predict bodies, {"instances":[<record>]}, checking at
// load time that every line is a JSON object (a *RecordError names the file and line).
//
// # Reports
//
// A Report counts requests, 2xx successes, status codes and error messages ("429 Too Many
// Requests: <the body's error>", "timeout after 5s", connection errors), and gives the
// throughput of successes and latency percentiles p50, p90, p95, p99, p99.9 and the maximum.
// Percentiles come from an HDR histogram (1µs to 60s, 3 significant digits: within 0.1%); the
// mean and maximum are exact. Latency is the time from sending a request to reading its
// response, failed requests included. Warmup results are discarded. WriteTable prints reports
// as an aligned table; in JSON a Report's durations are integer nanoseconds (keys ending in
// _ns).
//
// Responses are read up to 512 bytes (enough for an error message) and the rest discarded;
// redirects are not followed (a 3xx is not a success); proxies from the environment are not
// used; HTTPS uses HTTP/1.1. Each request carries vegeta's X-Vegeta-Seq header (its sequence
// number).
package loadtest
