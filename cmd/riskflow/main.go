// Command riskflow trains, ships and serves risk-scoring models. Each subcommand lives in its own
// file and only wires flags to the library packages; main is the single exit point.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1 // the command failed
	exitUsage    = 2 // bad flags or arguments
	exitCanceled = 130
)

// usageError marks errors in how the command was called, so main can exit with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// app holds what every subcommand shares: its output streams. No global state.
type app struct {
	stdout io.Writer
	stderr io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI with args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCmd()
	var prof profiler
	prof.register(root)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if perr := prof.stop(); err == nil {
		err = perr
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "riskflow: interrupted")
		return exitCanceled
	}
	fmt.Fprintf(stderr, "riskflow: %v\n", err)
	var ue usageError
	// cobra reports an unknown subcommand as a plain error; it is a usage error too.
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		return exitUsage
	}
	return exitError
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "riskflow",
		Short: "Train, ship and serve risk-scoring models",
		Long: `riskflow trains, ships and serves risk-scoring models: the probability that a
deferred-payment order will not be paid.

One feature spec is fitted on training data and applied by the same code in training,
batch prediction and online serving, so training/serving skew cannot happen.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		a.versionCmd(),
		a.datagenCmd(),
		a.featuresCmd(),
		a.trainCmd(),
		a.predictCmd(),
		a.loadtestCmd(),
		a.serveCmd(),
		a.modelsCmd(),
		a.runCmd(),
		a.demoCmd(),
		a.runsCmd(),
		a.reportCmd(),
		a.importCmd(),
	)
	return root
}
