// Package version reports which riskflow build is running. Bundles, runs and the serving
// metrics record it, so that every artifact names the code that produced it.
package version

import (
	"runtime"
	"runtime/debug"
)

// Version is the release version, set at build time with
// -ldflags "-X riskflow/internal/version.Version=v1.2.3". Development builds say "dev".
var Version = "dev"

// Info describes the running build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Get returns the running build's Info. The commit comes from the Go build info when the
// binary was built from a git checkout with VCS stamping on.
func Get() Info {
	info := Info{Version: Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				info.Commit = s.Value
			}
		}
	}
	return info
}
