// Package registrytest is the conformance suite every registry backend passes: version
// numbering and immutability, aliases and their audit trail, rollback, runs and stages,
// not-found errors, and concurrent writers through one handle and through several handles on
// one database.
package registrytest
