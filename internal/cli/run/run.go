// Package run is `perfgate run`: start the services, measure, judge
// against the baseline, report, and exit 0/1 (or 2/3).
package run

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/paired"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/runner"
)

type flags struct {
	config   string
	out      string
	baseline string
	noGate   bool
	publish  bool
	base     string
	pub      cmdutil.PublishFlags
	shard    string
	startAt  string
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var fl flags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Start the services, warm up, measure, and judge against the baseline",
		Long: "Starts the services of the config in dependency order and waits until each is ready, runs the\n" +
			"warm-up pass and the measured runs, stops every service, prints the results and judges them\n" +
			"against baselines/<name>.json (or --baseline FILE) and the scenarios' limits. Exit 0 pass or no baseline\n" +
			"yet, 1 regression or a broken limit, 2 bad input, 3 a service failed. Ctrl-C stops everything and still\n" +
			"writes what was measured.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd, f, fl)
		},
	}
	cmdutil.ConfigFlag(cmd, &fl.config)
	cmdutil.OutFlag(cmd, &fl.out, "write the results JSON to this file")
	cmd.Flags().StringVar(&fl.baseline, "baseline", "", "baseline to judge against (default: <baselines>/<name>.json next to the config)")
	cmd.Flags().BoolVar(&fl.noGate, "no-gate", false, "measure and report, but exit 0 whatever the comparison says")
	cmd.Flags().StringVar(&fl.base, "base", "", "paired mode: judge the working tree against this git revision, both started at once on this machine and measured in alternating slices (no stored baseline)")
	cmd.Flags().BoolVar(&fl.publish, "publish", false, "publish like 'perfgate publish' (PR comment, job summary) after the run")
	cmd.Flags().StringVar(&fl.shard, "shard", "", "make shard I of N of the load (e.g. 0/4, I from 0): every N-th arrival slot of the open model, the closed model's workers split; services are not started; merge the shards' results with 'perfgate merge'")
	cmd.Flags().StringVar(&fl.startAt, "start-at", "", "with --shard: wait until this RFC 3339 instant (e.g. 2026-12-01T22:00:00Z) before the first pass, so every shard's passes overlap; exit 2 if it has passed")
	cmdutil.AddPublishFlags(cmd, &fl.pub)
	return cmd
}

func run(cmd *cobra.Command, f *cmdutil.Factory, fl flags) error {
	ctx := cmd.Context()
	cfg, err := cmdutil.ReadConfig(ctx, fl.config)
	if err != nil {
		return err
	}
	if fl.base != "" {
		if fl.shard != "" || fl.startAt != "" {
			return cmdutil.BadInput(errors.New("--base and --shard exclude each other: a paired run compares two stacks on one machine; shard an unpaired run and judge the merged results"))
		}
		return runPaired(cmd, f, fl, cfg)
	}
	sh, err := setupShard(f, cfg, fl)
	if err != nil {
		return err
	}
	// Read the baseline before starting anything: a broken one is bad
	// input, found in a second rather than after the whole run. A shard
	// measures part of the load: it is judged only once merged.
	var base *baseline.Baseline
	basePath := ""
	if sh == nil {
		if basePath, err = cmdutil.BaselinePath(cfg, fl.baseline); err != nil {
			return cmdutil.BadInput(err)
		}
		base, err = baseline.ReadContext(ctx, basePath)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist) && fl.baseline == "":
			base = nil
		default:
			return cmdutil.BadInput(err)
		}
	} else {
		if fl.baseline != "" {
			return cmdutil.BadInput(errors.New("--baseline with --shard: one shard makes part of the load and is not judged; judge the merged results (`perfgate merge`, then `perfgate compare --baseline`)"))
		}
		fl.noGate = true
	}

	if fl.out != "" {
		if err := cmdutil.CheckWritable("--out", fl.out, fl.config, basePath); err != nil {
			return err
		}
	}

	opts := compare.Options{Limits: compare.LimitsOf(cfg.Scenarios)}
	if base != nil {
		opts.BaselinePath = basePath
	}
	ro := cmdutil.RunnerOptions(f)
	sh.apply(&ro)
	var sp *storedProfile
	if base != nil {
		sp = newStoredProfile(cfg, basePath, f.IO.ErrOut)
		ro.AfterMeasure = sp.hook()
	}
	if fl.out != "" && !cmdutil.WrittenInPlace(fl.out) {
		// Written before the services stop as well: a CI timeout that
		// kills perfgate during a long stop still finds the results. Not
		// into a pipe or terminal: its reader would get them twice.
		ro.Checkpoint = func(res *results.Results) {
			compare.Apply(cfg.Gates, base, res, opts)
			if _, err := cmdutil.SaveResults(fl.out, res); err != nil {
				fmt.Fprintf(f.IO.ErrOut, "perfgate: writing the results before stopping the services: %v\n", err)
			}
		}
	}
	res, runErr := runner.Run(ctx, cfg, ro)
	if res == nil {
		return cmdutil.RunError(ctx, runErr)
	}

	compare.Apply(cfg.Gates, base, res, opts)
	if profs := sp.apply(res); fl.out != "" {
		writeProfiles(fl.out, profs, res, f.IO.ErrOut)
	}
	fin := finish(fl, cfg)
	if sh != nil {
		fin.Hint = fmt.Sprintf("shard %s measured: merge every shard's results with `perfgate merge shard-*.json --out results.json`, then compare or publish that", sh.spec)
	} else if base == nil {
		fin.Hint = fmt.Sprintf("no baseline at %s yet: create it with `perfgate baseline update -c %s` and commit it", basePath, fl.config)
	}
	return fin.Do(ctx, f, res, runErr)
}

// finish is what run and runPaired do with their results.
func finish(fl flags, cfg *config.Config) cmdutil.Finish {
	return cmdutil.Finish{Out: fl.out, Publish: fl.publish, Pub: fl.pub, NoGate: fl.noGate, FailInconclusive: cfg.Gates.FailInconclusive}
}

// runPaired is `run --base REF`: the working tree against REF, on this
// machine, interleaved (see internal/paired).
func runPaired(cmd *cobra.Command, f *cmdutil.Factory, fl flags, cfg *config.Config) error {
	ctx := cmd.Context()
	if fl.baseline != "" {
		return cmdutil.BadInput(errors.New("--base and --baseline exclude each other: a paired run judges against the base revision, not a stored baseline"))
	}
	if fl.out != "" {
		if err := cmdutil.CheckWritable("--out", fl.out, fl.config); err != nil {
			return err
		}
	}
	var profs paired.Profiles
	res, runErr := paired.Run(ctx, cfg, paired.Options{Runner: cmdutil.RunnerOptions(f), BaseRef: fl.base, Profiles: &profs})
	if res == nil {
		return cmdutil.RunError(ctx, runErr)
	}
	if fl.out != "" {
		writeProfiles(fl.out, profs, res, f.IO.ErrOut)
	}
	return finish(fl, cfg).Do(ctx, f, res, runErr)
}
