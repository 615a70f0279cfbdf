package run

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/load"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/runner"
	"github.com/perfgate/perfgate/internal/shard"
	"github.com/perfgate/perfgate/internal/shard/shardrun"
)

// startSlack: a shard reaching the common start this late still runs (its
// lateness is in its results); later than that, the instant has passed.
const startSlack = time.Second

// maxStartAhead: a --start-at further ahead is a typo (a year, a time
// zone), not a plan; the shard would wait for it doing nothing.
const maxStartAhead = 24 * time.Hour

// sharded is `run --shard I/N [--start-at T]`.
type sharded struct {
	spec     shard.Spec
	rec      *shardrun.Recorder
	f        *cmdutil.Factory
	warnings []string
}

// setupShard reads --shard and --start-at; nil when the run is not sharded.
func setupShard(f *cmdutil.Factory, cfg *config.Config, fl flags) (*sharded, error) {
	if fl.shard == "" {
		if fl.startAt != "" {
			return nil, cmdutil.BadInput(errors.New("--start-at needs --shard I/N: it lines up the shards of one load"))
		}
		return nil, nil
	}
	sp, err := shard.Parse(fl.shard)
	if err != nil {
		return nil, cmdutil.BadInput(err)
	}
	if len(cfg.Services) > 0 {
		names := make([]string, len(cfg.Services))
		for i, s := range cfg.Services {
			names[i] = s.Name
		}
		return nil, cmdutil.BadInput(fmt.Errorf("--shard %s: %s starts %d service(s) (%s), and shards do not start services (each shard would load its own copy): "+
			"start them once elsewhere, point the scenarios' urls at them and drop services: from the config the shards use; or run unsharded",
			sp, cfg.Path, len(cfg.Services), strings.Join(names, ", ")))
	}
	var at time.Time
	if fl.startAt != "" {
		at, err = time.Parse(time.RFC3339, fl.startAt)
		if err != nil {
			return nil, cmdutil.BadInput(fmt.Errorf("--start-at %q: want an RFC 3339 instant such as 2026-12-01T22:00:00Z", fl.startAt))
		}
		if d := time.Until(at); d < -startSlack {
			return nil, cmdutil.BadInput(fmt.Errorf("--start-at %s: %w %.1fs ago by this machine's clock: pick an instant far enough ahead for every shard to start", fl.startAt, shardrun.ErrPassed, -d.Seconds()))
		} else if d > maxStartAhead {
			return nil, cmdutil.BadInput(fmt.Errorf("--start-at %s is %s ahead by this machine's clock, more than the limit of %s: pick an instant a little ahead of when every shard starts", fl.startAt, d.Round(time.Second), maxStartAhead))
		}
	}
	return &sharded{spec: sp, f: f, rec: &shardrun.Recorder{Spec: sp, StartAt: at}}, nil
}

// apply wires the shard into the runner: the split, the wait and the record.
func (s *sharded) apply(ro *runner.Options) {
	if s == nil {
		return
	}
	ro.Shard = s.spec
	ro.BeforeLoad = s.beforeLoad
	ro.AfterLoad = func(pr *load.PlanResult, res *results.Results) {
		if err := s.rec.Finish(pr, res); err != nil {
			fmt.Fprintf(s.f.IO.ErrOut, "perfgate: shard %s: %v\n", s.spec, err)
		}
		res.Warnings = append(res.Warnings, s.warnings...)
	}
}

func (s *sharded) beforeLoad(ctx context.Context, side *runner.Side) error {
	errOut := s.f.IO.ErrOut
	s.rec.Opts = side.Engine().Options()
	at := s.rec.StartAt
	// The clock check costs up to ~1.3s of HEAD requests to the target:
	// one probe only when the start is close.
	probes := 12
	if !at.IsZero() && time.Until(at) < 2*time.Second {
		probes = 1
	}
	if url := firstURL(side); url != "" {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := shardrun.Probe(pctx, &http.Client{Timeout: 2 * time.Second}, url, 100*time.Millisecond, probes)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			w := fmt.Sprintf("shard %s: the clock offset could not be read: %v", s.spec, err)
			s.warnings = append(s.warnings, w)
			fmt.Fprintf(errOut, "warning: %s\n", w)
		case err == nil:
			s.rec.Clock = c
			if w := c.Warning(); w != "" {
				s.warnings = append(s.warnings, w)
				fmt.Fprintf(errOut, "warning: %s\n", w)
			}
		}
	}
	if !at.IsZero() {
		fmt.Fprintf(errOut, "shard %s: waiting for %s (%.1fs)\n", s.spec, at.UTC().Format(time.RFC3339), max(0, time.Until(at).Seconds()))
		if err := shardrun.Wait(ctx, at, startSlack); err != nil {
			if errors.Is(err, shardrun.ErrPassed) {
				return fmt.Errorf("%w: %v", runner.ErrBadInput, err)
			}
			return fmt.Errorf("%w while waiting for --start-at", runner.ErrInterrupted)
		}
	}
	fmt.Fprintf(errOut, "shard %s: load starting\n", s.spec)
	s.rec.Start()
	return nil
}

// firstURL is the URL of the first scenario that sends.
func firstURL(side *runner.Side) string {
	for _, u := range side.URLs() {
		if u != "" {
			return u
		}
	}
	return ""
}
