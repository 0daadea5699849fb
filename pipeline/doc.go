// Package pipeline runs riskflow's main job: a pipeline file (YAML) describes the data, the
// feature spec, the model, a quality gate and a deployment, and Runner runs its stages for
// every value of the matrix (one model per market, say):
//
//	preprocess → train → predict → report → gate → deploy
//
// # Caching and resume
//
// Every stage except deploy is keyed by a SHA-256 of its name, its configuration, the
// riskflow version and the digests of its inputs. Its outputs go to the content-addressed
// artifact store (Store) and a cache entry is written, atomically, only after they are all
// stored; an unchanged stage is not run again and prints "cached". A run killed at any point
// (kill -9 included) is continued with the same run id (riskflow run --resume RUN) or simply
// run again: completed stages are cache hits, the interrupted one runs again, and no partial
// artifact is visible because nothing is recorded before it is complete. Deploy is not
// cached; it is idempotent instead (Registry.Deploy reuses the version holding the same
// bundle digest), so a resumed run never registers a model twice.
//
// # Gate
//
// The gate scores the new model and the current champion on the same test rows and passes
// the new one only if it beats the champion's metric by more than gate.min_delta (with the
// paired DeLong p-value for AUC in its verdict). A rejected model ends its job with status
// "rejected", not an error.
//
// # Executors
//
// Runner hands the matrix jobs to an Executor; Local runs them in this process, at most
// Options.Parallel at once. The registry, the artifact store and the report writer are
// reached through the small interfaces Registry, Store and Reporter defined here, which
// cmd/riskflow wires to the registry, artifact and report packages.
package pipeline
