// Package root assembles perfgate's commands.
package root

import (
	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/baseline"
	"github.com/perfgate/perfgate/internal/cli/calibrate"
	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/cli/compare"
	"github.com/perfgate/perfgate/internal/cli/initcmd"
	"github.com/perfgate/perfgate/internal/cli/merge"
	"github.com/perfgate/perfgate/internal/cli/publish"
	"github.com/perfgate/perfgate/internal/cli/report"
	"github.com/perfgate/perfgate/internal/cli/run"
	"github.com/perfgate/perfgate/internal/cli/validate"
	"github.com/perfgate/perfgate/internal/cli/version"
)

// NewCmd builds the perfgate command tree.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "perfgate",
		Short: "Stop performance regressions at the pull request",
		Long: "perfgate starts your services, loads them with HTTP, measures throughput, errors and latency,\n" +
			"compares against the baselines committed in your repo with a statistical test, and fails\n" +
			"the build on a regression.\n\nExit codes: 0 pass, 1 regression, 2 bad input, 3 environment failed.",
		Version:       f.BuildInfo().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// --version prints the same line as `perfgate version`.
	cmd.SetVersionTemplate("{{.Version}}\n")
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.BadInput(err)
	})
	cmd.AddCommand(
		initcmd.NewCmd(f),
		run.NewCmd(f),
		baseline.NewCmd(f),
		calibrate.NewCmd(f),
		compare.NewCmd(f),
		merge.NewCmd(f),
		report.NewCmd(f),
		publish.NewCmd(f),
		validate.NewCmd(f),
		version.NewCmd(f),
	)
	return cmd
}
