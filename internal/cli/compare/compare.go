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
		Use:   "compare --baseline FILE results.json",
		Short: "Judge a results file against a baseline (no load)",
		Long: "Compares the runs in results.json with the runs stored in a baseline using the gates of the\n" +
			"config (-c; by default the config recorded in the results if it is still there, else the built-in\n" +
			"gates). Exit 1 on a regression. --out writes the judged results.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if basePath == "" {
				return cmdutil.BadInput(errors.New("--baseline FILE is required (e.g. baselines/<name>.json)"))
			}
			res, err := results.ReadContext(cmd.Context(), args[0])
			if err != nil {
				return cmdutil.InputError(cmd.Context(), err)
			}
			gates, err := gatesFor(f, cfgPath, res)
			if err != nil {
				return cmdutil.BadInput(err)
			}
			base, err := baseline.ReadContext(cmd.Context(), basePath)
			if err != nil {
				return cmdutil.InputError(cmd.Context(), err)
			}
			verdict := cmp.Apply(gates, base, res, cmp.Options{BaselinePath: basePath})
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
	cmd.Flags().StringVar(&basePath, "baseline", "", "baseline file to judge against (required)")
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "config whose gates apply (default: the one recorded in the results)")
	cmd.Flags().StringVar(&out, "out", "", "write the judged results to this file")
	return cmd
}

func gatesFor(f *cmdutil.Factory, cfgPath string, res *results.Results) (config.Gates, error) {
	if cfgPath == "" && res.ConfigPath != "" {
		if _, err := os.Stat(res.ConfigPath); err == nil {
			cfgPath = res.ConfigPath
		}
	}
	if cfgPath == "" {
		fmt.Fprintln(f.IO.ErrOut, "perfgate: no config given or recorded; judging with the built-in gates")
		return config.Gates{}, nil
	}
	cfg, err := config.ReadFile(cfgPath)
	if err != nil {
		return config.Gates{}, err
	}
	return cfg.Gates, nil
}
