package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"riskflow/registry"
)

func (a *app) runsCmd() *cobra.Command {
	var home string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List pipeline runs and show their stages",
	}
	cmd.PersistentFlags().StringVar(&home, "home", "", "riskflow home folder (default $RISKFLOW_HOME, else ./.riskflow)")
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")

	var limit int
	list := &cobra.Command{
		Use:   "list [--limit N]",
		Short: "List the latest runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usagef("runs list: --limit must be ≥ 0 (0: all)")
			}
			reg, err := openRegistryIn(cmd.Context(), homeDir(home), true)
			if err != nil {
				return err
			}
			defer reg.Close()
			runs, err := reg.Runs(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, orEmptySlice(runs))
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tPIPELINE\tSTATUS\tSTARTED\tDURATION")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.Status, fmtWhen(r.StartedAt), fmtDuration(r.StartedAt, r.FinishedAt))
			}
			return tw.Flush()
		},
	}
	list.Flags().IntVar(&limit, "limit", 20, "how many runs (0: all)")

	show := &cobra.Command{
		Use:   "show RUN",
		Short: "Show a run's stages: status, timings, cache hits, metrics and artifact digests",
		Args:  exactArgs(1, "RUN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := openRegistryIn(cmd.Context(), homeDir(home), true)
			if err != nil {
				return err
			}
			defer reg.Close()
			run, stages, err := reg.Run(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, struct {
					registry.Run
					Stages []registry.StageRecord `json:"stages"`
				}{run, orEmptySlice(stages)})
			}
			fmt.Fprintf(a.stdout, "run %s  pipeline %s  status %s  started %s  took %s\n\n", run.ID, run.Pipeline, run.Status,
				fmtWhen(run.StartedAt), fmtDuration(run.StartedAt, run.FinishedAt))
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "MATRIX\tSTAGE\tSTATUS\tCACHED\tTOOK\tMETRICS\tOUTPUTS\tERROR")
			for _, s := range stages {
				cached := "no"
				if s.Cached {
					cached = "yes"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", dash(s.Matrix), s.Stage, s.Status, cached,
					fmtDuration(s.Started, s.Finished), dash(fmtMetrics(s.Metrics)), dash(fmtOutputs(s.Outputs)), dash(oneLine(s.Error)))
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(list, show)
	return cmd
}

func fmtDuration(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return "-"
	}
	return end.Sub(start).Round(time.Millisecond).String()
}

func fmtOutputs(o map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(o)) {
		parts = append(parts, k+"="+short(o[k]))
	}
	return strings.Join(parts, " ")
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
