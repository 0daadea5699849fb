package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"riskflow/internal/version"
)

func (a *app) versionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the riskflow version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Get()
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			commit := info.Commit
			if commit == "" {
				commit = "unknown"
			}
			_, err := fmt.Fprintf(a.stdout, "riskflow %s (commit %s, %s, %s)\n", info.Version, commit, info.GoVersion, info.Platform)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
