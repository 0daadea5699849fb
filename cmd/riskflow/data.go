package main

import (
	"context"
	"fmt"
	"math"
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
