// Package eval holds the metrics riskflow reports for a binary risk model.
package eval
