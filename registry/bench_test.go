package registry_test

import (
	"context"
	"path/filepath"
	"testing"

	"riskflow/registry"
)

// BenchmarkRegisterAndPromote measures one version registration plus one alias change, each
// its own durable transaction.
func BenchmarkRegisterAndPromote(b *testing.B) {
	ctx := context.Background()
	r, err := registry.Open(ctx, filepath.Join(b.TempDir(), registry.FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for b.Loop() {
		v, err := r.RegisterVersion(ctx, registry.NewVersion{Model: "m", BundleDigest: "d"})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.SetAlias(ctx, registry.AliasChange{Model: "m", Alias: "champion", Version: v.Number, Actor: "b"}); err != nil {
			b.Fatal(err)
		}
	}
}
