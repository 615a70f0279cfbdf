// Package baseline is `perfgate baseline update`: measure and (re)write
// baselines/<name>.json.
package baseline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/spf13/cobra"

	bl "github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
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
	var force, add bool
	var from []string
	var sessions int
	var pause time.Duration
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Measure and (re)write the baseline for this config",
		Long: "Runs the config exactly like `perfgate run` and writes the measured runs to\n" +
			"<baselines>/<name>.json (atomically), showing old vs new. A run that breaks its own error-rate\n" +
			"gate, was interrupted, or has a scenario without a single completed request is not written\n" +
			"(exit 1) unless --force. Commit the file so pull requests are judged against it.\n\n" +
			"It measures --sessions separate sessions (each starts the stack afresh, warms up and runs\n" +
			"load.repeat runs; --pause between them) and keeps them apart in the file, so `perfgate run`\n" +
			"judges a later session against how far this machine drifts between sessions, not only\n" +
			"between runs (docs/gates.md, \"Stored baselines and session drift\"). --add keeps the\n" +
			"sessions already stored (same config; the newest " + fmt.Sprint(bl.MaxSessions) + " are kept), so refreshes accumulate drift.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := cmdutil.ReadConfig(cmd.Context(), cfgPath)
			if err != nil {
				return err
			}
			path, err := cmdutil.BaselinePath(cfg, out)
			if err != nil {
				return cmdutil.BadInput(err)
			}
			old, err := bl.ReadContext(cmd.Context(), path)
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
			if sessions < 1 || sessions > maxSessionsFlag {
				return cmdutil.BadInput(fmt.Errorf("--sessions %d: measure between 1 and %d sessions (3 is a good start)", sessions, maxSessionsFlag))
			}
			if pause < 0 {
				return cmdutil.BadInput(fmt.Errorf("--pause %v: a pause cannot be negative", pause))
			}
			if err := cmdutil.CheckWritable("baseline", path); err != nil {
				return err
			}
			var runs []*results.Results
			if len(from) > 0 {
				if runs, err = fromFiles(cmd.Context(), f, cfg, from, force); err != nil {
					return err
				}
				sessions = 0 // measure nothing
			}
			profs := &profiles{cfg: cfg, log: f.IO.ErrOut}
			for i := 1; i <= sessions; i++ {
				if i > 1 && pause > 0 {
					fmt.Fprintf(f.IO.ErrOut, "pausing %v before the next session\n", pause)
					t := time.NewTimer(pause)
					select {
					case <-cmd.Context().Done():
						t.Stop()
						return cmdutil.RunError(cmd.Context(), fmt.Errorf("%w between sessions: baseline not written", runner.ErrInterrupted))
					case <-t.C:
					}
				}
				if sessions > 1 {
					fmt.Fprintf(f.IO.ErrOut, "session %d of %d\n", i, sessions)
				}
				ro := cmdutil.RunnerOptions(f)
				ro.AfterMeasure = profs.hook()
				res, runErr := runner.Run(cmd.Context(), cfg, ro)
				if res == nil {
					return cmdutil.RunError(cmd.Context(), runErr)
				}
				if err := report.SummaryTable(f.IO.Out, res, f.IO.TTY); err != nil {
					fmt.Fprintf(f.IO.ErrOut, "perfgate: printing the table: %v\n", err)
				}
				if runErr != nil {
					fmt.Fprintf(f.IO.ErrOut, "baseline not written: the run did not complete\n")
					return cmdutil.RunError(cmd.Context(), runErr)
				}
				if cerr := compare.CheckCandidate(cfg.Gates, res); cerr != nil {
					if !force {
						// cerr already says what to do (fix the cause, or --force).
						return cmdutil.Regression(fmt.Errorf("baseline not written: %w", cerr))
					}
					fmt.Fprintf(f.IO.ErrOut, "warning: %s; written anyway (--force)\n", candidateProblems(cerr))
				}
				if c, ok := bl.ForeignCPU(res); ok && c >= 2*compare.MinForeignExcess {
					fmt.Fprintf(f.IO.ErrOut, "warning: other processes took %.2f of %d cores during this session's runs: the baseline will be slower than this machine is when quiet, "+
						"so a later quiet run can hide a regression; measure the baseline on a quiet machine\n", c, res.Host.CPUCount)
				}
				runs = append(runs, res)
			}
			nb, err := bl.FromSessions(runs)
			if err != nil {
				return cmdutil.EnvFailed(err)
			}
			if add {
				if old != nil && !nb.AddSessions(old, bl.MaxSessions) {
					fmt.Fprintf(f.IO.ErrOut, "warning: --add: the stored baseline was measured with another config (hash), so its sessions are not kept\n")
				}
			}
			printSpread(f, nb)
			if err := bl.Write(path, nb); err != nil {
				return cmdutil.EnvFailed(fmt.Errorf("writing baseline %s: %w", path, err))
			}
			profs.write(path)
			if err := report.BaselineDiff(f.IO.Out, bl.Diff(old, nb), f.IO.TTY); err != nil {
				fmt.Fprintf(f.IO.ErrOut, "perfgate: printing old vs new: %v\n", err)
			}
			fmt.Fprintf(f.IO.ErrOut, "baseline written to %s — commit it so pull requests are judged against it\n", path)
			return nil
		},
	}
	cmdutil.ConfigFlag(cmd, &cfgPath)
	cmdutil.OutFlag(cmd, &out, "baseline file to write (default: <baselines>/<name>.json next to the config)")
	cmd.Flags().StringVar(&out, "baseline", "", "the same as --out")
	cmd.Flags().IntVar(&sessions, "sessions", 3, "measuring sessions to record (each starts the stack afresh); their spread is the drift later runs are judged against")
	cmd.Flags().DurationVar(&pause, "pause", 5*time.Second, "pause between sessions")
	cmd.Flags().StringArrayVar(&from, "from", nil, "take a session from this results file instead of measuring (repeatable; e.g. the merged results of a sharded load, 'perfgate merge')")
	cmd.Flags().BoolVar(&add, "add", false, "keep the sessions already stored in the baseline (same config), the newest "+fmt.Sprint(bl.MaxSessions))
	cmd.Flags().BoolVar(&force, "force", false, "write the baseline even if the run breaks its own error-rate gate or a file exists that cannot be read")
	return cmd
}

// maxSessionsFlag bounds --sessions.
const maxSessionsFlag = 20

// printSpread shows, per scenario, the throughput median of each stored
// session and their spread: the drift later runs are judged against.
func printSpread(f *cmdutil.Factory, b *bl.Baseline) {
	for _, sc := range b.Scenarios {
		meds := bl.Medians(bl.SessionsOf(&sc, b.CreatedAt), bl.MetricThroughput)
		if len(meds) < 2 {
			fmt.Fprintf(f.IO.ErrOut, "%s: one session recorded: the drift between sessions is unknown (use --sessions 3, or --add on later refreshes)\n", sc.Name)
			continue
		}
		lo, hi := meds[0], meds[0]
		parts := make([]string, len(meds))
		for i, m := range meds {
			lo, hi = min(lo, m), max(hi, m)
			parts[i] = fmt.Sprintf("%.4g", m)
		}
		c := bl.Median(meds)
		spread := "n/a"
		if c > 0 {
			spread = "−" + num.Percent(1-lo/c, 1) + " … +" + num.Percent(hi/c-1, 1)
		}
		fmt.Fprintf(f.IO.ErrOut, "%s: throughput medians of %d sessions: %s req/s (%s around their median)\n", sc.Name, len(meds), strings.Join(parts, ", "), spread)
	}
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

// fromFiles reads --from results files as the baseline's sessions: each
// must be of cfg (same hash), not a lone shard, and pass its own gates.
func fromFiles(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, paths []string, force bool) ([]*results.Results, error) {
	var runs []*results.Results
	for _, p := range paths {
		res, err := results.ReadContext(ctx, p)
		if err != nil {
			return nil, cmdutil.InputError(ctx, err)
		}
		switch {
		case res.Shard != nil:
			return nil, cmdutil.BadInput(fmt.Errorf("--from %s is one shard's results (%d/%d): merge every shard first with `perfgate merge`", p, res.Shard.Index, res.Shard.Count))
		case res.ConfigHash != cfg.Hash:
			return nil, cmdutil.BadInput(fmt.Errorf("--from %s was measured with another config (hash %s, %s has %s)", p, res.ConfigHash, cfg.Path, cfg.Hash))
		case res.Interrupted:
			return nil, cmdutil.BadInput(fmt.Errorf("--from %s was interrupted: a cut-short run is never a baseline", p))
		}
		if cerr := compare.CheckCandidate(cfg.Gates, res); cerr != nil {
			if !force {
				return nil, cmdutil.Regression(fmt.Errorf("baseline not written: %s: %w", p, cerr))
			}
			fmt.Fprintf(f.IO.ErrOut, "warning: %s: %s; written anyway (--force)\n", p, candidateProblems(cerr))
		}
		runs = append(runs, res)
	}
	return runs, nil
}
