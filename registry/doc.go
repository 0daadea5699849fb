// Package registry records riskflow's models, their immutable versions (numbered 1..N per
// model), aliases such as champion and challenger with an audit trail of every change, and
// the pipeline runs and stages that produced each version: the lineage alias → version → run
// → stage outputs → input data digests.
//
// It uses database/sql. The default backend is SQLite through modernc.org/sqlite (pure Go) in
// WAL mode with a busy timeout and foreign keys on, at <home>/registry.db; the schema is
// versioned by a schema_migrations table. Queries are written with ? placeholders in
// portable SQL and go through one rebind helper, so a PostgreSQL backend can follow.
//
// A Registry is safe for concurrent use, and several processes may share one database:
// every write is one transaction, retried while the database is busy, so two runs finishing
// at once never lose or duplicate a version number or an alias change. The registrytest
// package holds the conformance suite every backend must pass.
package registry
