package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	_ "gocloud.dev/blob/fileblob" // file:// artifact stores

	"riskflow/artifact"
	"riskflow/bundle"
	"riskflow/registry"
	"riskflow/serve"
)

// Aliases the registry source serves.
const (
	aliasChampion   = "champion"
	aliasChallenger = "challenger"
)

// registrySource serves every registered model's champion, with its challenger in the mode
// the registry records ("" means shadow). Bundles are fetched by digest from the artifact
// store into a cache folder and verified; a Ref's Key is its bundle digest, so the server
// reloads a model exactly when an alias moves to different content.
type registrySource struct {
	reg       *registry.Registry
	store     *artifact.Store
	cacheDir  string
	canaryKey string
}

var _ serve.ModelSource = (*registrySource)(nil)

// openRegistrySource opens the registry and artifact store of a home folder.
func openRegistrySource(ctx context.Context, home, canaryKey string) (*registrySource, error) {
	reg, err := openRegistryIn(ctx, home, true)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	store, err := artifact.Open(ctx, artifact.FileURL(filepath.Join(home, "artifacts")))
	if err != nil {
		reg.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	return &registrySource{reg: reg, store: store, cacheDir: filepath.Join(home, "cache", "blobs"), canaryKey: canaryKey}, nil
}

func (s *registrySource) Close() error {
	return errors.Join(s.reg.Close(), s.store.Close())
}

// Models lists the models that have a champion. A challenger's mode that serve cannot parse
// is an error for that model's spec only in the sense that the whole answer fails: the
// registry validates modes on write, so it means a damaged database.
func (s *registrySource) Models(ctx context.Context) ([]serve.ModelSpec, error) {
	ms, err := s.reg.Models(ctx)
	if err != nil {
		return nil, fmt.Errorf("serve: registry: %w", err)
	}
	var specs []serve.ModelSpec
	for _, m := range ms {
		var champ, chall *registry.AliasInfo
		for i, al := range m.Aliases {
			switch al.Alias {
			case aliasChampion:
				champ = &m.Aliases[i]
			case aliasChallenger:
				chall = &m.Aliases[i]
			}
		}
		if champ == nil {
			continue
		}
		ref, err := s.ref(ctx, m.Name, champ.Version)
		if err != nil {
			return nil, err
		}
		spec := serve.ModelSpec{Name: m.Name, Champion: ref}
		if chall != nil {
			cref, err := s.ref(ctx, m.Name, chall.Version)
			if err != nil {
				return nil, err
			}
			route := serve.Route{Mode: serve.ModeShadow}
			if chall.Mode != "" {
				if route, err = serve.ParseRoute(chall.Mode); err != nil {
					return nil, fmt.Errorf("serve: registry: model %s challenger: %w", m.Name, err)
				}
			}
			route.Key = s.canaryKey
			spec.Challenger, spec.Route = &cref, route
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		return nil, errors.New("serve: registry: no model has a champion (riskflow models promote NAME VERSION)")
	}
	return specs, nil
}

func (s *registrySource) ref(ctx context.Context, model string, n int) (serve.Ref, error) {
	v, err := s.reg.Version(ctx, model, n)
	if err != nil {
		return serve.Ref{}, fmt.Errorf("serve: registry: %w", err)
	}
	digest := v.BundleDigest
	return serve.Ref{
		Key:     "sha256:" + digest,
		Version: strconv.Itoa(n),
		Load: func(ctx context.Context) (*bundle.Bundle, error) {
			path, err := s.fetch(ctx, digest)
			if err != nil {
				return nil, fmt.Errorf("serve: model %s version %d: %w", model, n, err)
			}
			return bundle.Read(path)
		},
	}, nil
}

// fetch returns the path of the bundle with digest in the cache folder, copying it from the
// artifact store unless a cached copy with that digest is there already.
func (s *registrySource) fetch(ctx context.Context, digest string) (string, error) {
	if !artifact.ValidDigest(digest) {
		return "", fmt.Errorf("bundle digest %q is not a SHA-256 digest", digest)
	}
	path := filepath.Join(s.cacheDir, digest+serve.BundleExt)
	if d, err := artifact.DigestFile(path); err == nil && d == digest {
		return path, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := s.store.GetFile(ctx, digest, path); err != nil {
		return "", err
	}
	return path, nil
}
