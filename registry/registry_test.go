package registry_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"riskflow/registry"
	"riskflow/registry/registrytest"
)

// sqliteOpener opens registries on SQLite files in the tests' temporary folders: a new file
// for each new test, the same file when called again with the same test.
func sqliteOpener() func(t *testing.T) *registry.Registry {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	return func(t *testing.T) *registry.Registry {
		t.Helper()
		mu.Lock()
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(t.TempDir(), registry.FileName)
			paths[t] = path
		}
		mu.Unlock()
		dsn := path
		if ok {
			dsn = "sqlite://" + path // both forms open the same file
		}
		r, err := registry.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := r.Close(); err != nil {
				t.Error(err)
			}
		})
		return r
	}
}

func TestSQLiteConformance(t *testing.T) {
	registrytest.Run(t, sqliteOpener())
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "registry.db")
	r, err := registry.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RegisterVersion(ctx, registry.NewVersion{Model: "m", BundleDigest: "d"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r, err = registry.Open(ctx, path) // migrations already applied: nothing to do
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if v, err := r.RegisterVersion(ctx, registry.NewVersion{Model: "m", BundleDigest: "d"}); err != nil || v.Number != 2 {
		t.Fatalf("after reopening: version %d, %v", v.Number, err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct{ name, dsn string }{
		{"empty", ""},
		{"empty sqlite path", "sqlite://"},
		{"other scheme", "postgres://localhost/db"},
		{"query in path", "/tmp/x.db?mode=ro"},
		{"not a database", "/dev/null/registry.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := registry.Open(context.Background(), tt.dsn); err == nil {
				r.Close()
				t.Fatalf("Open(%q) succeeded", tt.dsn)
			}
		})
	}
}

func TestCheckMode(t *testing.T) {
	tests := []struct {
		mode string
		ok   bool
	}{
		{"", true}, {"shadow", true}, {"canary:10", true}, {"canary:0", true}, {"canary:100", true}, {"canary:2.5", true},
		{"canary:", false}, {"canary:101", false}, {"canary:-1", false}, {"canary:NaN", false}, {"Shadow", false}, {"blue", false},
	}
	for _, tt := range tests {
		if err := registry.CheckMode(tt.mode); (err == nil) != tt.ok {
			t.Errorf("CheckMode(%q) = %v, want ok=%v", tt.mode, err, tt.ok)
		}
	}
}

func TestErrNotFoundIsDistinct(t *testing.T) {
	if errors.Is(registry.ErrNoPrevious, registry.ErrNotFound) {
		t.Fatal("ErrNoPrevious must not match ErrNotFound")
	}
}

func FuzzCheckMode(f *testing.F) {
	for _, s := range []string{"shadow", "canary:10", "canary:1e2", "canary:+5", "canary:0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, mode string) {
		if registry.CheckMode(mode) != nil {
			return
		}
		// Every accepted mode is one serve's route parser can take: "" or shadow or canary:P.
		if mode != "" && mode != "shadow" && (len(mode) < 8 || mode[:7] != "canary:") {
			t.Fatalf("accepted %q", mode)
		}
	})
}
