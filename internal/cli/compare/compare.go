// Package compare is `perfgate compare`: judge a stored results file
// against a baseline, without any load.
package compare

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	cmp "github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var basePath, cfgPath, out string
	cmd := &cobra.Command{
		Use:   "compare [-c perfgate.yaml] [--baseline FILE] results.json",
		Short: "Judge a results file against a baseline (no load)",
		Long: "Compares the runs in results.json with the runs stored in a baseline using the gates and limits of the\n" +
			"config: -c, else the config recorded in the results if it is still there, else perfgate.yaml in\n" +
			"this folder if there is one, else the built-in gates. The baseline is --baseline, else the one the\n" +
			"config names (<baselines>/<name>.json next to it), as 'perfgate run' finds it. Exit 1 on a\n" +
			"regression or a broken limit. -o writes the judged results.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := results.ReadContext(cmd.Context(), args[0])
			if err != nil {
				return cmdutil.InputError(cmd.Context(), err)
			}
			cfg, err := configFor(f, cfgPath, res)
			if err != nil {
				return cmdutil.BadInput(err)
			}
			var gates config.Gates
			var limits map[string]config.Limits
			if cfg != nil {
				gates, limits = cfg.Gates, cmp.LimitsOf(cfg.Scenarios)
			}
			if basePath == "" {
				if cfg == nil {
					return cmdutil.BadInput(errors.New("no baseline: give --baseline FILE (e.g. baselines/<name>.json) or -c perfgate.yaml, whose baseline is judged against"))
				}
				if basePath, err = cmdutil.BaselinePath(cfg, ""); err != nil {
					return cmdutil.BadInput(err)
				}
			}
			base, err := baseline.ReadContext(cmd.Context(), basePath)
			if err != nil {
				return cmdutil.InputError(cmd.Context(), err)
			}
			if out != "" {
				if err := cmdutil.CheckWritable("--out", out); err != nil {
					return err
				}
			}
			verdict := cmp.Apply(gates, base, res, cmp.Options{BaselinePath: basePath, Limits: limits})
			if out != "" {
				if _, err := cmdutil.SaveResults(out, res); err != nil {
					return err
				}
			}
			if err := report.Terminal(f.IO.Out, res, f.IO.TTY); err != nil {
				fmt.Fprintf(f.IO.ErrOut, "perfgate: printing the report: %v\n", err)
			}
			return cmdutil.GateVerdict(verdict, len(cmp.Failures(res.Comparison)), gates.FailInconclusive)
		},
	}
	cmd.Flags().StringVar(&basePath, "baseline", "", "baseline file to judge against (default: the one the config names)")
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "config whose gates and baseline apply (default: the one recorded in the results, else ./"+cmdutil.DefaultConfig+")")
	cmdutil.OutFlag(cmd, &out, "write the judged results to this file")
	return cmd
}

// configFor reads the config that judges res: cfgPath, else the one
// recorded in the results if it still exists, else ./perfgate.yaml if it
// exists; nil (the built-in gates) when there is none.
func configFor(f *cmdutil.Factory, cfgPath string, res *results.Results) (*config.Config, error) {
	for _, p := range []string{res.ConfigPath, cmdutil.DefaultConfig} {
		if cfgPath != "" || p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			cfgPath = p
		}
	}
	if cfgPath == "" {
		fmt.Fprintln(f.IO.ErrOut, "perfgate: no config given or recorded; judging with the built-in gates")
		return nil, nil
	}
	return config.ReadFile(cfgPath)
}
