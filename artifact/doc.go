// Package artifact is riskflow's content-addressed artifact store: transformed data, bundles,
// predictions and reports are stored under the SHA-256 digest of their bytes in a
// gocloud.dev/blob bucket, file://<home>/artifacts by default and any blob URL the process
// has a driver for (the caller blank-imports the driver, e.g. gocloud.dev/blob/fileblob).
//
// Keys are laid out as sha256/<first two hex digits>/<64 hex digits>. Writes are atomic (a
// blob appears whole or not at all) and idempotent (storing the same bytes twice stores them
// once); every read verifies the digest and fails with an error wrapping ErrCorrupt when the
// stored bytes no longer match it.
package artifact
