// Package examples holds the example pipelines, embedded so that `riskflow demo` runs them
// from a bare binary.
package examples

import "embed"

// DeferredPayment holds deferred-payment/pipeline.yaml and deferred-payment/features.yaml.
//
//go:embed deferred-payment/pipeline.yaml deferred-payment/features.yaml
var DeferredPayment embed.FS
