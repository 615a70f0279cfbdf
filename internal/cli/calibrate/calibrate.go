// Package calibrate is `perfgate calibrate`: an A/A paired session on this
// runner, over the whole budget, and what its noise lets the gates judge.
package calibrate

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/paired"
	"github.com/perfgate/perfgate/internal/report"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var cfgPath, out, base string
	cmd := &cobra.Command{
		Use:   "calibrate",
		Short: "Measure this runner's noise and say which thresholds it can judge",
		Long: "Runs an A/A paired session: the same revision on both sides (--base, default HEAD, against the\n" +
			"working tree), over the whole paired budget (gates.max_time) without stopping early. Prints, for\n" +
			"every gate, the per-round noise, the smallest change the budget can tell from none at the gates'\n" +
			"alpha and power, and the smallest threshold it decides. Exit 0 when every gate is judgeable, 1\n" +
			"when one is tighter than this runner can judge, 2 bad input, 3 a service failed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.ReadFile(cfgPath)
			if err != nil {
				return cmdutil.BadInput(err)
			}
			if out != "" {
				if err := cmdutil.CheckWritable("--out", out); err != nil {
					return err
				}
			}
			var rounds []compare.Round
			res, runErr := paired.Run(cmd.Context(), cfg, paired.Options{
				Runner: cmdutil.RunnerOptions(f), BaseRef: base, FullBudget: true, Rounds: &rounds})
			if res != nil && out != "" {
				where, err := cmdutil.SaveResults(out, res)
				if err != nil {
					return err
				}
				fmt.Fprintf(f.IO.ErrOut, "results written to %s\n", where)
			}
			if runErr != nil {
				return cmdutil.RunError(cmd.Context(), runErr)
			}
			if res.Paired != nil && res.Paired.HeadDirty {
				fmt.Fprintf(f.IO.ErrOut, "warning: the working tree has uncommitted changes, so this was not quite A/A\n")
			}
			_, design := compare.PairedDesign(cfg.Gates)
			rows := compare.Calibrate(cfg.Gates, paired.Names(cfg), rounds, design)
			if err := report.Calibration(f.IO.Out, rows, len(rounds), res.Paired.LoadS, f.IO.TTY); err != nil {
				return err
			}
			for _, r := range rows {
				if r.Bounded && !r.Judgeable {
					return cmdutil.Regression(fmt.Errorf("%s %s: the %s gate is tighter than this runner can judge within gates.max_time", r.Scenario, r.Metric, r.Gate))
				}
			}
			return nil
		},
	}
	cmdutil.ConfigFlag(cmd, &cfgPath)
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the A/A session's results JSON to this file")
	cmd.Flags().StringVar(&base, "base", "HEAD", "the revision measured against the working tree (it should be the same code)")
	return cmd
}
