package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"riskflow/feature"
	"riskflow/frame"
	"riskflow/frameio"
	"riskflow/internal/atomicfile"
)

func (a *app) featuresCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "features",
		Short: "Infer, fit and apply feature specs (the preprocessing shared by training and serving)",
		Long: `A feature spec (YAML) says which raw fields become model inputs and how: missing-value
handling, transforms, categorical encodings, datetime parts, expressions, monotone constraints.
It is fitted once on training data into a transformer (JSON); training, batch prediction and
online serving all apply that transformer with the same code.`,
	}
	cmd.AddCommand(a.featuresInferCmd(), a.featuresFitCmd(), a.featuresTransformCmd())
	return cmd
}

func (a *app) featuresInferCmd() *cobra.Command {
	var data, label, id, out, exclude string
	cmd := &cobra.Command{
		Use:   "infer --data FILE --label COL [--id COL] [--exclude COLS]",
		Short: "Guess a feature spec from a data file and print it as YAML",
		Long: `Guess a feature spec from a data file: numeric columns stay numeric (missing values kept
for the trees to route), string columns become native categoricals, booleans and timestamps
get their own types; identifier-like and constant columns are left out with a comment saying
why. Edit the result, then use it with 'riskflow train --features' or 'riskflow features fit'.`,
		Example: `  riskflow features infer --data orders.csv --label default --id order_id > features.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" {
				return usagef("features infer: --data is required")
			}
			f, err := a.readFrame(cmd.Context(), data, frameio.ReadOptions{}, true)
			if err != nil {
				return err
			}
			spec, err := inferSpec(f, label, id, splitList(exclude))
			if err != nil {
				return err
			}
			text, err := spec.YAML()
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = a.stdout.Write(text)
				return err
			}
			return atomicfile.WriteFile(out, text)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", "", "data file: .csv, .parquet or .jsonl (required)")
	fl.StringVar(&label, "label", "", "label column (never a feature)")
	fl.StringVar(&id, "id", "", "identifier column (passed through, never a feature)")
	fl.StringVar(&out, "out", "", "write the spec here instead of standard output")
	fl.StringVar(&exclude, "exclude", "", "comma-separated columns that must not become features (e.g. true_probability)")
	return cmd
}

func (a *app) featuresFitCmd() *cobra.Command {
	var specPath, data, out string
	var quiet bool
	cmd := &cobra.Command{
		Use:     "fit --spec SPEC.yaml --data FILE --out transformer.json",
		Short:   "Fit a feature spec on training data into a transformer",
		Example: `  riskflow features fit --spec features.yaml --data train.csv --out transformer.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if specPath == "" || data == "" || out == "" {
				return usagef("features fit: --spec, --data and --out are required")
			}
			spec, err := readSpec(specPath)
			if err != nil {
				return err
			}
			f, err := a.readFrame(cmd.Context(), data, frameio.ReadOptions{Kinds: specKinds(spec)}, quiet)
			if err != nil {
				return err
			}
			start := time.Now()
			t, err := feature.Fit(spec, f)
			if err != nil {
				return err
			}
			doc, err := json.MarshalIndent(t, "", " ")
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(out, doc); err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(a.stderr, "fitted %d features → %d columns on %d rows in %.2fs; wrote %s\n",
					len(spec.Features), t.NumOutputs(), f.Len(), time.Since(start).Seconds(), out)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&specPath, "spec", "", "feature spec, YAML (required)")
	fl.StringVar(&data, "data", "", "training data: .csv, .parquet or .jsonl (required)")
	fl.StringVar(&out, "out", "", "transformer output file, JSON (required)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "no summary")
	return cmd
}

func (a *app) featuresTransformCmd() *cobra.Command {
	var tPath, data, out string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "transform --transformer T.json --data FILE --out X.parquet",
		Short: "Apply a fitted transformer to a data file (the matrix another library trains on)",
		Long: `Apply a fitted transformer to a data file and write the model matrix: one column per
output feature (named as the transformer names them), plus the spec's id and label columns
passed through. The file is streamed in chunks, so its size is not limited by memory.`,
		Example: `  riskflow features transform --transformer transformer.json --data train.csv --out X.parquet`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tPath == "" || data == "" || out == "" {
				return usagef("features transform: --transformer, --data and --out are required")
			}
			t, err := readTransformer(tPath)
			if err != nil {
				return err
			}
			start := time.Now()
			rows, err := transformFile(cmd.Context(), t, data, out)
			if err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(a.stderr, "transformed %d rows into %d columns in %.1fs; wrote %s\n",
					rows, t.NumOutputs(), time.Since(start).Seconds(), out)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&tPath, "transformer", "", "fitted transformer, JSON (required)")
	fl.StringVar(&data, "data", "", "input data: .csv, .parquet or .jsonl (required)")
	fl.StringVar(&out, "out", "", "output matrix: .parquet, .csv or .jsonl (required)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "no summary")
	return cmd
}

// transformFile streams data through t into out, passing the id and label columns through.
func transformFile(ctx context.Context, t *feature.Transformer, data, out string) (int, error) {
	spec := t.Spec()
	r, err := frameio.Open(ctx, data, frameio.ReadOptions{Kinds: transformerKinds(t)})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var pass []string
	for _, c := range []string{spec.ID, spec.Label} {
		if c != "" && r.Schema().Index(c) >= 0 {
			pass = append(pass, c)
		}
	}
	var schema frame.Schema
	for _, c := range pass {
		schema = append(schema, r.Schema()[r.Schema().Index(c)])
	}
	for _, name := range t.Names() {
		schema = append(schema, frame.Field{Name: name, Kind: frame.Numeric})
	}
	w, err := frameio.Create(out, schema)
	if err != nil {
		return 0, err
	}
	rows := 0
	for {
		chunk, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.Abort()
			return 0, err
		}
		m, err := t.Transform(chunk)
		if err != nil {
			w.Abort()
			return 0, fmt.Errorf("%s: %w", data, err)
		}
		cols := make([]*frame.Column, 0, len(schema))
		for _, c := range pass {
			col, _ := chunk.Column(c)
			cols = append(cols, col)
		}
		for j, name := range m.Names {
			v := make([]float64, m.Rows)
			for i := range v {
				v[i] = m.Data[i*m.Cols+j]
			}
			cols = append(cols, frame.NumericColumn(name, v))
		}
		outFrame, err := frame.New(cols...)
		if err == nil {
			err = w.Write(outFrame)
		}
		if err != nil {
			w.Abort()
			return 0, err
		}
		rows += chunk.Len()
	}
	return rows, w.Close()
}

func readSpec(path string) (*feature.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := feature.ParseSpec(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func readTransformer(path string) (*feature.Transformer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := feature.ParseTransformer(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// specKinds returns the column kinds a spec implies for its raw fields (string for
// categoricals, so that codes like "01" are never read as numbers).
func specKinds(s *feature.Spec) map[string]frame.Kind { return s.Kinds() }
