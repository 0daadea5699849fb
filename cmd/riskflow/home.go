package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"riskflow/registry"
)

// Home folder defaults.
const (
	envHome     = "RISKFLOW_HOME"
	defaultHome = ".riskflow"
)

// homeDir returns the riskflow home folder: flag if set, else $RISKFLOW_HOME, else ./.riskflow.
func homeDir(flag string) string {
	if flag != "" {
		return flag
	}
	if h := os.Getenv(envHome); h != "" {
		return h
	}
	return defaultHome
}

// actor names who changes the registry: $USER, else "unknown".
func actor() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// openRegistryIn opens <home>/registry.db. With mustExist, a home without a registry is an
// error rather than a new empty registry, so a mistyped --home does not look like "no models".
func openRegistryIn(ctx context.Context, home string, mustExist bool) (*registry.Registry, error) {
	path := filepath.Join(home, registry.FileName)
	if mustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no registry in home folder %s (set --home or $%s): %w", home, envHome, err)
		}
	}
	return registry.Open(ctx, path)
}
