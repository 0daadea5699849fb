package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"riskflow/feature"
	"riskflow/frame"
	"riskflow/frameio"
)

// readFrame reads a whole data file and, unless quiet, says how long it took.
func (a *app) readFrame(ctx context.Context, path string, opt frameio.ReadOptions, quiet bool) (*frame.Frame, error) {
	start := time.Now()
	f, err := frameio.Read(ctx, path, opt)
	if err != nil {
		return nil, err
	}
	if f.Len() == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	if !quiet {
		fmt.Fprintf(a.stderr, "read %s: %d rows, %d columns in %.1fs\n", path, f.Len(), f.NumCols(), time.Since(start).Seconds())
	}
	return f, nil
}

// transformerKinds returns the column kinds a transformer expects, so that a file is read with
// those kinds whatever its first rows look like.
func transformerKinds(t *feature.Transformer) map[string]frame.Kind {
	kinds := make(map[string]frame.Kind)
	for _, in := range t.Inputs() {
		kinds[in.Name] = in.Kind
	}
	if id := t.Spec().ID; id != "" {
		kinds[id] = frame.String
	}
	return kinds
}

var nan = math.NaN()

// inferSpec infers a feature spec from f, leaving out the excluded columns.
func inferSpec(f *frame.Frame, label, id string, exclude []string) (*feature.Spec, error) {
	if len(exclude) > 0 {
		drop := make(map[string]bool, len(exclude))
		for _, c := range exclude {
			if _, ok := f.Column(c); !ok {
				return nil, usagef("--exclude %s: no such column", c)
			}
			if c == label || c == id {
				return nil, usagef("--exclude %s: it is the label or id column", c)
			}
			drop[c] = true
		}
		var keep []string
		for _, name := range f.Schema().Names() {
			if !drop[name] {
				keep = append(keep, name)
			}
		}
		var err error
		if f, err = f.Select(keep...); err != nil {
			return nil, err
		}
	}
	spec, err := feature.Infer(f, label, id)
	if err != nil {
		return nil, err
	}
	for _, c := range exclude {
		spec.Notes = append(spec.Notes, "left out "+c+": excluded with --exclude")
	}
	return spec, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
