package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"riskflow/registry"
)

func (a *app) modelsCmd() *cobra.Command {
	var home string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List, inspect, promote and roll back registered models",
		Long: `models reads and changes the model registry in the home folder (--home, else
$RISKFLOW_HOME, else ./.riskflow). Every alias change is recorded with who made it, when,
from which version to which, and why (--reason).`,
	}
	cmd.PersistentFlags().StringVar(&home, "home", "", "riskflow home folder (default $RISKFLOW_HOME, else ./.riskflow)")
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")

	list := &cobra.Command{
		Use:   "list",
		Short: "List models with their latest version and aliases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := openRegistryIn(cmd.Context(), homeDir(home), true)
			if err != nil {
				return err
			}
			defer reg.Close()
			ms, err := reg.Models(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, orEmptySlice(ms))
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "MODEL\tLATEST\tALIASES\tCREATED")
			for _, m := range ms {
				var as []string
				for _, al := range m.Aliases {
					as = append(as, aliasLabel(al))
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", m.Name, m.Latest, dash(strings.Join(as, ", ")), fmtWhen(m.CreatedAt))
			}
			return tw.Flush()
		},
	}

	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a model's versions, aliases and alias history",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			reg, err := openRegistryIn(ctx, homeDir(home), true)
			if err != nil {
				return err
			}
			defer reg.Close()
			m, err := reg.Model(ctx, args[0])
			if err != nil {
				return err
			}
			vs, err := reg.Versions(ctx, args[0])
			if err != nil {
				return err
			}
			hist, err := reg.AliasHistory(ctx, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, struct {
					registry.Model
					Versions []registry.Version    `json:"versions"`
					History  []registry.AliasEvent `json:"alias_history"`
				}{m, orEmptySlice(vs), orEmptySlice(hist)})
			}
			return printModel(a.stdout, m, vs, hist)
		},
	}

	var alias, mode, reason string
	promote := &cobra.Command{
		Use:   "promote NAME VERSION [--alias champion] [--mode canary:10|shadow] [--reason TEXT]",
		Short: "Point an alias (champion by default) at a version",
		Args:  exactArgs(2, "NAME VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return usagef("models promote: VERSION %q must be a number ≥ 1", args[1])
			}
			if err := registry.CheckMode(mode); err != nil {
				return usagef("models promote: --mode: %w", err)
			}
			ctx := cmd.Context()
			reg, err := openRegistryIn(ctx, homeDir(home), true)
			if err != nil {
				return err
			}
			defer reg.Close()
			from := 0
			if cur, _, err := reg.Alias(ctx, args[0], alias); err == nil {
				from = cur.Number
			} else if !errors.Is(err, registry.ErrNotFound) {
				return err
			}
			who := actor()
			if err := reg.SetAlias(ctx, registry.AliasChange{Model: args[0], Alias: alias, Version: n, Mode: mode, Actor: who, Reason: reason}); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, map[string]any{"model": args[0], "alias": alias, "from_version": from, "to_version": n, "mode": mode, "actor": who})
			}
			_, err = fmt.Fprintf(a.stdout, "%s: %s %s → version %d%s\n", args[0], alias, fromLabel(from), n, modeSuffix(mode))
			return err
		},
	}
	promote.Flags().StringVar(&alias, "alias", "champion", "alias to move")
	promote.Flags().StringVar(&mode, "mode", "", "how a challenger takes traffic: canary:P or shadow")
	promote.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")

	var rbAlias, rbReason string
	rollback := &cobra.Command{
		Use:   "rollback NAME [--alias champion] [--reason TEXT]",
		Short: "Move an alias back to the version it pointed to before",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			reg, err := openRegistryIn(ctx, homeDir(home), true)
			if err != nil {
				return err
			}
			defer reg.Close()
			from, to, err := reg.Rollback(ctx, args[0], rbAlias, actor(), rbReason)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, map[string]any{"model": args[0], "alias": rbAlias, "from_version": from, "to_version": to})
			}
			_, err = fmt.Fprintf(a.stdout, "%s: %s rolled back from version %d to version %d\n", args[0], rbAlias, from, to)
			return err
		},
	}
	rollback.Flags().StringVar(&rbAlias, "alias", "champion", "alias to roll back")
	rollback.Flags().StringVar(&rbReason, "reason", "", "why, for the audit trail")

	cmd.AddCommand(list, show, promote, rollback)
	return cmd
}

// exactArgs is cobra.ExactArgs with a usage error naming the expected arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s: want %s, got %d argument(s)", cmd.CommandPath(), names, len(args))
		}
		return nil
	}
}

func printModel(w io.Writer, m registry.Model, vs []registry.Version, hist []registry.AliasEvent) error {
	fmt.Fprintf(w, "model %s (created %s)\n", m.Name, fmtWhen(m.CreatedAt))
	aliasesOf := map[int][]string{}
	for _, al := range m.Aliases {
		aliasesOf[al.Version] = append(aliasesOf[al.Version], al.Alias+modeSuffix(al.Mode))
	}
	fmt.Fprintln(w, "\nversions:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tALIASES\tBUNDLE\tRUN\tMETRICS\tCREATED\tBY")
	for _, v := range vs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Number, dash(strings.Join(aliasesOf[v.Number], ", ")),
			short(v.BundleDigest), dash(v.RunID), dash(fmtMetrics(v.Metrics)), fmtWhen(v.CreatedAt), dash(v.CreatedBy))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nalias history:")
	if len(hist) == 0 {
		_, err := fmt.Fprintln(w, "  (none)")
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tALIAS\tACTION\tFROM\tTO\tMODE\tBY\tREASON")
	for _, e := range hist {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", fmtWhen(e.At), e.Alias, e.Action, fromLabel(e.From), e.To,
			dash(e.Mode), e.Actor, dash(e.Reason))
	}
	return tw.Flush()
}

func aliasLabel(al registry.AliasInfo) string {
	return al.Alias + "=v" + strconv.Itoa(al.Version) + modeSuffix(al.Mode)
}

func modeSuffix(mode string) string {
	if mode == "" {
		return ""
	}
	return " (" + mode + ")"
}

func fromLabel(v int) string {
	if v == 0 {
		return "-"
	}
	return strconv.Itoa(v)
}

func fmtMetrics(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+strconv.FormatFloat(m[k], 'g', 4, 64))
	}
	return strings.Join(parts, " ")
}

func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// short abbreviates a digest to 12 characters.
func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

func orEmptySlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
