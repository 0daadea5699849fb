// Package bundle holds the inference pipeline model: one artifact with the fitted feature
// Transformer, the estimator (a gbt.Ensemble, a linear.Model, or an nn.Graph: a network
// imported from ONNX, built with NewNN, which scores but gives no reason codes), an optional probability
// calibrator and metadata (riskflow version, parameters, training data digest, row counts,
// validation metrics, creation time, input schema).
//
// # Scoring
//
// Bundle.Score (one record, online) and Bundle.ScoreFrame (a frame, batch) are the only ways
// riskflow scores. Both run the transformer's one per-feature code path, the same tree walk and
// the same calibrator, so a row gets bit-identical probabilities online and in batch.
//
// # File format
//
// A bundle file is a one-line header naming the container version, the payload's SHA-256 and
// its length, followed by the payload: a JSON document ("format": "riskflow.bundle",
// "version": 1). Write replaces files atomically; Read refuses a truncated, extended or altered
// file with an error wrapping ErrCorrupt before decoding anything.
package bundle
