package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs the CLI in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRootAndVersion(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"help", []string{"--help"}, exitOK, "riskflow trains, ships and serves", ""},
		{"version", []string{"version"}, exitOK, "riskflow dev", ""},
		{"version json", []string{"version", "--json"}, exitOK, `"go_version"`, ""},
		{"unknown flag", []string{"version", "--nope"}, exitUsage, "", "unknown flag"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out+errOut, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("output %q / %q, want %q / %q", out, errOut, tt.wantOut, tt.wantErr)
			}
		})
	}
}
