// Package baseline is `perfgate baseline update`: measure and (re)write
// baselines/<name>.json.
package baseline

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	bl "github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/cli/run"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/runner"
)

// NewCmd builds `perfgate baseline` and its subcommand.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Manage the stored baselines",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.BadInput(fmt.Errorf("missing subcommand: perfgate baseline update [-c perfgate.yaml]"))
			}
			return cmdutil.BadInput(fmt.Errorf("unknown subcommand %q for perfgate baseline; did you mean update?", args[0]))
		},
	}
	cmd.AddCommand(newUpdateCmd(f))
	return cmd
}

func newUpdateCmd(f *cmdutil.Factory) *cobra.Command {
	var cfgPath, out string
	var force bool
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Measure and (re)write the baseline for this config",
		Long: "Runs the config exactly like `perfgate run` and writes the measured runs to\n" +
			"<baselines>/<name>.json (atomically), showing old vs new. A run that breaks its own error-rate\n" +
			"gate, was interrupted, or has a scenario without a single completed request is not written\n" +
			"(exit 1) unless --force. Commit the file so pull requests are judged against it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.ReadFile(cfgPath)
			if err != nil {
				return cmdutil.BadInput(err)
			}
			path, err := run.BaselinePath(cfg, out)
			if err != nil {
				return cmdutil.BadInput(err)
			}
			old, err := bl.Read(path)
			switch {
			case err == nil:
			case errors.Is(err, fs.ErrNotExist):
				old = nil
			case force:
				fmt.Fprintf(f.IO.ErrOut, "warning: %v; --force: it will be replaced\n", err)
				old = nil
			default:
				return cmdutil.BadInput(fmt.Errorf("%w (remove it or pass --force to replace it)", err))
			}
			if err := cmdutil.CheckWritable("baseline", path); err != nil {
				return err
			}
			res, runErr := runner.Run(cmd.Context(), cfg, cmdutil.RunnerOptions(f))
			if res == nil {
				return cmdutil.RunError(runErr)
			}
			if err := report.SummaryTable(f.IO.Out, res, f.IO.TTY); err != nil {
				fmt.Fprintf(f.IO.ErrOut, "perfgate: printing the table: %v\n", err)
			}
			if runErr != nil {
				fmt.Fprintf(f.IO.ErrOut, "baseline not written: the run did not complete\n")
				return cmdutil.RunError(runErr)
			}
			if cerr := compare.CheckCandidate(cfg.Gates, res); cerr != nil {
				if !force {
					// cerr already says what to do (fix the cause, or --force).
					return cmdutil.Regression(fmt.Errorf("baseline not written: %w", cerr))
				}
				fmt.Fprintf(f.IO.ErrOut, "warning: %s; written anyway (--force)\n", candidateProblems(cerr))
			}
			nb := bl.FromResults(res)
			if err := bl.Write(path, nb); err != nil {
				return cmdutil.EnvFailed(fmt.Errorf("writing baseline %s: %w", path, err))
			}
			if err := report.BaselineDiff(f.IO.Out, bl.Diff(old, nb), f.IO.TTY); err != nil {
				fmt.Fprintf(f.IO.ErrOut, "perfgate: printing old vs new: %v\n", err)
			}
			fmt.Fprintf(f.IO.ErrOut, "baseline written to %s — commit it so pull requests are judged against it\n", path)
			return nil
		},
	}
	cmdutil.ConfigFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&out, "baseline", "", "baseline file to write (default: <baselines>/<name>.json next to the config)")
	cmd.Flags().BoolVar(&force, "force", false, "write the baseline even if the run breaks its own error-rate gate or a file exists that cannot be read")
	return cmd
}

// candidateProblems is what CheckCandidate found, without its advice to
// pass --force (given when --force was passed).
func candidateProblems(err error) string {
	var ce *compare.CandidateError
	if errors.As(err, &ce) {
		return "this run should not become a baseline: " + strings.Join(ce.Problems, "; ")
	}
	return err.Error()
}
