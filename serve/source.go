package serve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"riskflow/bundle"
)

// ModelSource tells the server which models to serve. The server calls Models at the first
// Reload, on every later Reload (SIGHUP) and every Options.PollInterval; it loads the Refs
// whose Key changed, swaps them in atomically and drops models no longer listed. Models must
// be cheap when nothing changed (FileSource stats its files) and safe for concurrent use.
//
// FileSource serves bundle files; the model registry is another source.
type ModelSource interface {
	Models(ctx context.Context) ([]ModelSpec, error)
}

// ModelSpec is one model the source wants served.
type ModelSpec struct {
	// Name is the model's name in URLs: letters, digits, '_', '-' and '.', starting with a
	// letter or digit, at most 128 bytes.
	Name string
	// Champion answers the model's requests.
	Champion Ref
	// Challenger, if not nil, takes traffic as Route says.
	Challenger *Ref
	// Route says how the challenger takes traffic; ignored without a Challenger.
	Route Route
	// Limits bound the model's queue; zero fields take the server's defaults.
	Limits Limits
}

// Ref refers to one servable bundle.
type Ref struct {
	// Key identifies the artifact's content: the server loads a Ref only when its Key differs
	// from the loaded one's (or from the last Key that failed to load). FileSource uses the
	// path, size and modification time; a registry can use the version's digest.
	Key string
	// Version names the version in responses and metrics; "" means the first 12 hex digits
	// of the bundle's digest.
	Version string
	// Load reads and verifies the bundle. Concurrent loads of one Key are merged.
	Load func(ctx context.Context) (*bundle.Bundle, error)
}

// Mode is how a challenger takes traffic.
type Mode uint8

// Challenger modes.
const (
	// ModeShadow scores a copy of every request off the request path; clients always get the
	// champion's answer, and both scores go to the prediction log. It is the zero Mode.
	ModeShadow Mode = iota
	// ModeCanary answers Route.Percent of the requests with the challenger.
	ModeCanary
)

func (m Mode) String() string {
	switch m {
	case ModeShadow:
		return "shadow"
	case ModeCanary:
		return "canary"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// DefaultCanaryKey is the request field canary routing hashes when Route.Key is empty.
const DefaultCanaryKey = "customer_id"

// Route says how a challenger takes traffic. The zero Route shadows.
type Route struct {
	Mode Mode
	// Percent is the canary's share of requests, in [0, 100].
	Percent float64
	// Key is the request field whose value makes canary routing sticky: requests whose first
	// instance carries the same value always reach the same version. "" means
	// DefaultCanaryKey. A request without the field is routed by its request id.
	Key string
}

// ParseRoute parses "shadow" or "canary:P" (P a percentage in [0, 100], e.g. canary:10 or
// canary:2.5).
func ParseRoute(s string) (Route, error) {
	switch {
	case s == "shadow":
		return Route{Mode: ModeShadow}, nil
	case strings.HasPrefix(s, "canary:"):
		p, err := strconv.ParseFloat(strings.TrimPrefix(s, "canary:"), 64)
		if err != nil || math.IsNaN(p) || p < 0 || p > 100 {
			return Route{}, fmt.Errorf("serve: route %q: want canary:P with P a percentage in [0, 100]", s)
		}
		return Route{Mode: ModeCanary, Percent: p}, nil
	}
	return Route{}, fmt.Errorf("serve: route %q: want shadow or canary:P", s)
}

// String returns the route as ParseRoute reads it.
func (r Route) String() string {
	if r.Mode == ModeCanary {
		return "canary:" + strconv.FormatFloat(r.Percent, 'f', -1, 64)
	}
	return r.Mode.String()
}

func (r Route) validate() error {
	switch {
	case r.Mode > ModeCanary:
		return fmt.Errorf("unknown mode %d", r.Mode)
	case r.Mode == ModeCanary && (math.IsNaN(r.Percent) || r.Percent < 0 || r.Percent > 100):
		return fmt.Errorf("canary percent %v is outside [0, 100]", r.Percent)
	}
	return nil
}

// Limits bound one model's share of the server. Zero fields take the server's Options.
type Limits struct {
	// QueueSize is how many requests may wait for a worker; more are refused with 429.
	QueueSize int
	// QueueTimeout is how long a request may wait; then it fails with 503.
	QueueTimeout time.Duration
	// MaxConcurrent is how many of the model's requests may be scored at once.
	MaxConcurrent int
}

func (l Limits) validate() error {
	if l.QueueSize < 0 || l.QueueTimeout < 0 || l.MaxConcurrent < 0 {
		return fmt.Errorf("negative limit in %+v", l)
	}
	return nil
}

// ValidName reports whether name can name a model (see ModelSpec.Name).
func ValidName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '_' || c == '-' || c == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}

// validateSpecs checks a source's answer: valid unique names, loaders present, valid routes.
func validateSpecs(specs []ModelSpec) error {
	seen := make(map[string]bool, len(specs))
	for _, sp := range specs {
		switch {
		case !ValidName(sp.Name):
			return fmt.Errorf("serve: invalid model name %q", sp.Name)
		case seen[sp.Name]:
			return fmt.Errorf("serve: model %q listed twice", sp.Name)
		case sp.Champion.Load == nil || sp.Challenger != nil && sp.Challenger.Load == nil:
			return fmt.Errorf("serve: model %q: a Ref without Load", sp.Name)
		}
		if err := sp.Route.validate(); err != nil {
			return fmt.Errorf("serve: model %q: %w", sp.Name, err)
		}
		if err := sp.Limits.validate(); err != nil {
			return fmt.Errorf("serve: model %q: %w", sp.Name, err)
		}
		seen[sp.Name] = true
	}
	return nil
}

// BundleExt is the file extension of bundles that FileSource.Dir serves.
const BundleExt = ".bundle"

// FileModel is one model served from bundle files.
type FileModel struct {
	Name       string
	Path       string // the champion's bundle file
	Challenger string // the challenger's bundle file; "" for none
	Route      Route
	Limits     Limits
}

// FileSource serves bundle files: the models in Files, or, when Files is empty, every
// *.bundle file directly in Dir, each named after its file name without the extension (the
// SageMaker container layout, /opt/ml/model). A file's Ref Key is its path, size and
// modification time, so a file replaced or rewritten is reloaded at the next poll; a Dir is
// listed again at each poll, so bundles added or removed there are served or dropped.
type FileSource struct {
	Files []FileModel
	Dir   string
}

var _ ModelSource = (*FileSource)(nil)

// Validate checks the names and that there is something to serve; it does not open files.
func (fs *FileSource) Validate() error {
	if len(fs.Files) == 0 && fs.Dir == "" {
		return errors.New("serve: file source: no models and no directory")
	}
	seen := make(map[string]bool, len(fs.Files))
	for _, m := range fs.Files {
		switch {
		case !ValidName(m.Name):
			return fmt.Errorf("serve: file source: invalid model name %q (use letters, digits, _ - and .)", m.Name)
		case seen[m.Name]:
			return fmt.Errorf("serve: file source: model %q given twice", m.Name)
		case m.Path == "":
			return fmt.Errorf("serve: file source: model %q has no bundle path", m.Name)
		}
		if err := m.Route.validate(); err != nil {
			return fmt.Errorf("serve: file source: model %q: %w", m.Name, err)
		}
		seen[m.Name] = true
	}
	return nil
}

// Models stats the files (and lists Dir) and returns their specs. A file that cannot be
// stat'ed still yields a Ref, whose Load reports the problem, so one bad file does not hide
// the other models.
func (fs *FileSource) Models(ctx context.Context) ([]ModelSpec, error) {
	if err := fs.Validate(); err != nil {
		return nil, err
	}
	if len(fs.Files) > 0 {
		specs := make([]ModelSpec, 0, len(fs.Files))
		for _, m := range fs.Files {
			sp := ModelSpec{Name: m.Name, Champion: FileRef(m.Path), Route: m.Route, Limits: m.Limits}
			if m.Challenger != "" {
				ref := FileRef(m.Challenger)
				sp.Challenger = &ref
			}
			specs = append(specs, sp)
		}
		return specs, nil
	}
	entries, err := os.ReadDir(fs.Dir)
	if err != nil {
		return nil, fmt.Errorf("serve: model directory: %w", err)
	}
	var specs []ModelSpec
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), BundleExt)
		if !ok || e.IsDir() {
			continue
		}
		if !ValidName(name) {
			return nil, fmt.Errorf("serve: model directory: %s: %q is not a valid model name", e.Name(), name)
		}
		specs = append(specs, ModelSpec{Name: name, Champion: FileRef(filepath.Join(fs.Dir, e.Name()))})
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("serve: model directory %s has no *%s files", fs.Dir, BundleExt)
	}
	slices.SortFunc(specs, func(a, b ModelSpec) int { return strings.Compare(a.Name, b.Name) })
	return specs, nil
}

// FileRef returns a Ref to the bundle file at path, keyed by its path, size and modification
// time (stat'ed now).
func FileRef(path string) Ref {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	key := "file:" + path
	if fi, err := os.Stat(path); err == nil {
		key += "|" + strconv.FormatInt(fi.Size(), 10) + "|" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
	} else {
		key += "|unreadable"
	}
	return Ref{
		Key: key,
		Load: func(ctx context.Context) (*bundle.Bundle, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return bundle.Read(path)
		},
	}
}
