// Package serve is riskflow's model server: one HTTP port serving any number of models, each a
// bundle (see package bundle) with an optional challenger, over three protocols, with fair
// queuing across models, canary and shadow routing, hot reload, Prometheus metrics and a
// prediction log. It is the online end of the serving flow:
//
//	HTTP ─▶ serve (decode records, route champion/canary/shadow, per-model fair queue)
//	     ─▶ bundle.Score ─▶ (bundle.Explain) ─▶ JSON
//
// It scores through package bundle only, so online and batch predictions run the same code;
// it never imports the training, reporting or pipeline packages (a test checks).
//
// # Use
//
//	srv, err := serve.New(serve.Options{Source: &serve.FileSource{Files: files}, Logger: log})
//	if err != nil { ... }
//	if err := srv.Reload(ctx); err != nil { ... } // the first load; Ready() once it succeeded
//	go srv.Serve(ln)                              // or use srv as an http.Handler
//	...
//	srv.Shutdown(ctx)                             // finish in-flight requests, then stop
//
// # Models and sources
//
// A ModelSource lists the models to serve: for each a name, a champion Ref, an optional
// challenger Ref with its Route (shadow, or canary with a percentage) and optional Limits. A
// Ref has a Key that changes when its content does and a Load function. FileSource serves
// bundle files (given as NAME=PATH, or every *.bundle file of a directory, the SageMaker
// layout); the model registry will be another source.
//
// A model's version label is the first 12 hex digits of its bundle's digest (or the version
// the source names). Every response names the version that answered.
//
// # Routes
//
//	POST /v1/models/{name}:predict            {"instances": [{record}, ...], "explain": K}
//	POST /v1/models/{name}:explain            the same, K defaults to 3
//	GET  /v1/models, /v1/models/{name}        list, describe (inputs in CSV column order)
//	POST /v2/models/{name}[/versions/{v}]/infer   Open Inference Protocol v2
//	GET  /v2/models/{name}[/versions/{v}]     v2 model metadata
//	GET  /v2/models/{name}[/versions/{v}]/ready
//	GET  /v2/health/live, /v2/health/ready, /v2
//	GET  /ping, POST /invocations             SageMaker container contract
//	GET  /metrics                             Prometheus
//
// V1 answers {"predictions": [p, ...], "model_name", "model_version"}; with explain K > 0
// (in the body or ?explain=K) it adds "explanations": per instance, the top K reason codes
// {"feature", "value", "contribution"}: the raw field, its value as the request gave it (null
// when absent or null) and its contribution in log-odds (see bundle.Explain).
//
// V2 takes one input tensor per raw field, named after it, shape [N] or [N, 1], datatype FP64,
// FP32, INT8..INT64, UINT8..UINT64 (numeric fields), BOOL (boolean fields) or BYTES (strings:
// categorical levels, RFC 3339 timestamps); null elements are missing values and fields
// without a tensor are missing. The output is "probability", FP64, shape [N]. The request's
// "parameters" and "outputs" are ignored; a request /versions/{v} is answered by that version
// (the champion's or the challenger's), bypassing the route.
//
// SageMaker: /ping answers 200 once every model is loaded (503 before); /invocations takes
// application/json (a V1 body or one bare record) or text/csv (see below), answers V1 JSON, or
// one probability per line with Accept: text/csv, and picks the model named by the
// X-Amzn-SageMaker-Target-Model header ("name" or "name.bundle") when several are loaded.
// A CSV body has one row per instance with the model's inputs in the bundle's input order
// (Transformer.Inputs, listed by GET /v1/models/{name}), or a header row naming the columns:
// the first row is a header when every cell names an input, the spec's id or label field or
// the canary key. Cells are read as Record.SetText reads text.
//
// # Request decoding
//
// Decoding is the hot path. A V1 body is scanned by hand and each instance object goes
// straight into a pooled feature.Record through Record.DecodeJSONObject; v2 tensor elements and
// CSV cells go into records through the Record setters. Nothing goes through map[string]any
// or reflection. Calls (body, records, scores, response buffer) are pooled, so a one-record
// request allocates a small constant amount (BenchmarkV1PredictHandler). Records are decoded
// on the request's goroutine before it queues, so a malformed request costs no queue slot.
//
// # Fair queuing
//
// Scoring runs in Options.Workers slots (default GOMAXPROCS) shared by all models. Each model
// has a bounded queue (Limits.QueueSize, default 64: a request finding it full gets 429 with
// Retry-After at once), a queue timeout (default 1 s, then 503) and a concurrency cap (default
// the worker count less one, at least one: a flooded model leaves a worker to the others).
// Free slots go to the waiting queues in deficit round-robin order, a job's cost being its
// instance count, so a model flooded with requests gets its share of the slots and no more,
// while other models' requests wait behind at most one slice of each model's jobs: a job that
// has scored for 500 µs gives its slot to another model's waiting job and queues again at the
// head of its own queue. A request is admitted to its model's queue
// before its body is read; beyond QueueSize + MaxConcurrent admitted requests of a model, the
// next gets 429 having cost only its headers, so a flood's decoding, which runs outside the
// slots, is bounded too. A granted job runs on its request's goroutine (no hand-off); an idle
// server grants at once. Nothing waits without bound.
//
// # Canary and shadow
//
// Canary: Route.Percent of the requests go to the challenger, chosen by hashing (FNV-1a,
// salted with the model name) the value of Route.Key (default customer_id) in the first
// instance, or the request id when it is absent: the same customer always meets the same
// version. Shadow: after the champion's response is written, a copy of the request goes to a
// bounded queue of shadow work; Options.ShadowWorkers goroutines decode and score it with the
// challenger and log both scores. A full queue drops the copy and counts it; the response is
// never delayed.
//
// # Hot reload
//
// Reload (SIGHUP in the command) and a poller (every Options.PollInterval, default 2 s) ask
// the source for the models; versions whose Ref Key changed (for files: size or modification
// time) are loaded beside the serving ones, in parallel and with concurrent loads of one Key
// merged, verified (checksum, decoding, a trial score), and swapped in as a new immutable
// snapshot with one atomic pointer store. Requests in flight finish on the version they
// started with; the old version is released when the last of them ends. A version that fails
// to load leaves the serving one in place, is logged and counted
// (riskflow_serve_model_load_failures_total), and is not retried by the poller until its Key
// changes (Reload retries it).
//
// # Errors
//
// Errors are JSON {"error": "..."} with the status: 400 malformed JSON (with the offset), a
// wrong-typed field (naming the instance and field) or a bad envelope; 404 unknown model or
// version or route; 405 wrong method; 413 body over Options.MaxBodyBytes (default 1 MiB) or
// more than Options.MaxInstances instances (default 1,000); 415 unsupported content type;
// 429 the model's queue is full (Retry-After: 1); 503 not ready, queue timeout or shutting
// down (Retry-After: 1).
//
// # Metrics
//
// GET /metrics serves a private Prometheus registry: per model and version, requests by status
// code, latency (buckets from 50 µs to 1 s), requests in flight and the score distribution (by
// role: champion, canary, shadow); per model, queue depth and running jobs, 429 rejections,
// queue timeouts, load time and load failures, shadow drops and errors; prediction log drops;
// the versions in service (riskflow_serve_model_info); riskflow_build_info; Go and process
// metrics.
//
// # Prediction log
//
// With Options.PredictionLog (a *predlog.Log), each request the log samples (by request id:
// the X-Request-Id header, or one the server makes and returns in X-Request-Id) is logged, one
// entry per instance under the request's id, in instance order, with the raw inputs and the
// spec's id field. Shadowed requests are logged by the shadow worker with both scores.
//
// # Lifecycle
//
// New starts the poller; Serve runs an http.Server with the Options' read-header, read, write
// and idle timeouts; Shutdown stops accepting, waits for in-flight requests and queued shadow
// work (until its context ends) and stops the goroutines; Close stops at once.
package serve
