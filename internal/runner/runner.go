// Package runner is perfgate's pipeline up to measured results:
// config → stack (start, ready) → load (warm-up, measured runs) → results.
// Judging, reporting and publishing happen after it, in the commands.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/hostinfo"
	"github.com/perfgate/perfgate/internal/load"
	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/internal/progress"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/stack"
	"github.com/perfgate/perfgate/internal/stack/container"
	"github.com/perfgate/perfgate/internal/stack/process"
)

// Stopping the stack may take each service's stop_timeout (default
// DefaultGrace) plus StopSlack to remove it; the budget never drops below
// MinStopBudget.
const (
	DefaultGrace  = 5 * time.Second
	StopSlack     = 15 * time.Second
	MinStopBudget = 60 * time.Second
)

// stopBudget is how long stopping every service of cfg may take: services
// stop one after another, each with its own grace period.
func stopBudget(cfg *config.Config) time.Duration {
	var total time.Duration
	for _, s := range cfg.Services {
		grace := s.StopTimeout.D()
		if grace <= 0 {
			grace = DefaultGrace
		}
		total += grace + StopSlack
	}
	return max(total, MinStopBudget)
}

// Options configure one run.
type Options struct {
	Version  string
	Progress *progress.Reporter
	// Log receives status lines for people (starting services, warnings).
	Log io.Writer
	// Providers overrides the providers (tests); nil: process, plus
	// container when the config has container services.
	Providers []stack.Provider
	// Host overrides the host description (tests); nil: read this machine.
	Host *results.Host
	// StopNow, when cancelled, makes stopping the services skip the grace
	// period (a second Ctrl-C). nil: never.
	StopNow context.Context
}

// Error kinds a command maps to exit codes. Results returned alongside
// them are still valid and should be written.
var (
	// ErrEnvironment: a service did not start or died, Docker is absent.
	ErrEnvironment = errors.New("environment failed")
	// ErrInterrupted: the run was cancelled (Ctrl-C, SIGTERM).
	ErrInterrupted = errors.New("interrupted")
	// ErrBadInput: the config cannot be turned into a load (caught late).
	ErrBadInput = errors.New("bad input")
)

// Run starts the services, measures, stops everything, and returns what
// was measured. On failure after measuring started, the partial results are
// returned with the error; the stack is always stopped before Run returns.
func Run(ctx context.Context, cfg *config.Config, o Options) (res *results.Results, err error) {
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	host := hostinfo.Source{}.Collect()
	if o.Host != nil {
		host = *o.Host
	}
	res = &results.Results{
		Schema:          results.Schema,
		Name:            cfg.Name,
		Verdict:         results.VerdictNoBaseline,
		PerfgateVersion: o.Version,
		ConfigPath:      absPath(cfg),
		ConfigHash:      cfg.Hash,
		StartedAt:       time.Now().UTC(),
		Client:          load.ClientName,
		Host:            host,
		Load:            loadInfo(cfg),
		Scenarios:       []results.Scenario{},
	}
	defer func() {
		if res != nil {
			res.FinishedAt = time.Now().UTC()
		}
	}()

	runID := newRunID()
	providers, closeProviders, err := providersFor(ctx, cfg, o.Providers, logw)
	if err != nil {
		return nil, err
	}
	st := stack.New(providers...)
	// The stack and providers are stopped however Run ends: success,
	// error, or cancellation (the stop uses a fresh context for that).
	defer func() {
		base := o.StopNow
		if base == nil {
			base = context.WithoutCancel(ctx)
		}
		sctx, cancel := context.WithTimeout(base, stopBudget(cfg))
		defer cancel()
		if serr := st.Stop(sctx); serr != nil {
			fmt.Fprintf(logw, "perfgate: stopping services: %v\n", serr)
		}
		closeProviders(sctx, runID)
	}()

	if len(cfg.Services) > 0 {
		fmt.Fprintf(logw, "starting %d service(s)...\n", len(cfg.Services))
		started := time.Now()
		if err := st.Start(ctx, cfg.Services, stack.Env{RunID: runID, ConfigDir: cfg.Dir}); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w while starting services: %v", ErrInterrupted, err)
			}
			return nil, fmt.Errorf("%w: %v", ErrEnvironment, err)
		}
		fmt.Fprintf(logw, "services ready in %.1fs\n", time.Since(started).Seconds())
		res.Services = st.Infos()
	}

	urls := make([]string, len(cfg.Scenarios))
	for i, sc := range cfg.Scenarios {
		u, err := st.Render(ctx, sc.URL)
		if err != nil {
			return nil, fmt.Errorf("%w: scenario %q url: %v", ErrBadInput, sc.Name, err)
		}
		urls[i] = u
	}
	scs, opts, plan, err := load.FromConfig(cfg, urls)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	eng, err := load.New(scs, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	defer eng.Close()
	res.Client = eng.Client() // the HTTP client actually used
	res.Warnings = append(res.Warnings, hostinfo.Warnings(host, load.Concurrency(eng.Options()), anyLoopback(urls))...)
	for _, w := range res.Warnings {
		fmt.Fprintf(logw, "warning: %s\n", w)
	}

	// A service that dies mid-run stops the load; what was measured stays.
	lctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case derr := <-st.Died():
			if derr != nil {
				cancel(derr)
			}
		case <-lctx.Done():
		}
	}()

	var stopBar func()
	hooks := load.Hooks{
		PassStarted: func(kind string, run int, p *load.Pass) {
			label := "warm-up"
			if kind != "warmup" {
				label = fmt.Sprintf("run %d/%d", run, plan.Repeat)
			}
			spec := p.Spec()
			stopBar = o.Progress.Pass(label, spec.Requests, spec.Duration, func() progress.Stat {
				pr := p.Progress()
				return progress.Stat{Requests: pr.Requests, Errors: pr.Errors, Elapsed: pr.Elapsed}
			})
		},
		PassDone: func(string, int, *load.Result) {
			if stopBar != nil {
				stopBar()
				stopBar = nil
			}
		},
	}
	pr, runErr := eng.RunPlan(lctx, plan, hooks)
	if stopBar != nil {
		stopBar()
	}
	if pr != nil {
		res.Warmup = pr.Warmup
		res.Scenarios = pr.Scenarios
		res.Interrupted = pr.Interrupted
		for _, w := range pr.Warnings {
			res.Warnings = append(res.Warnings, w)
			fmt.Fprintf(logw, "warning: %s\n", w)
		}
	}
	if runErr != nil {
		res.Interrupted = true
		var died *stack.DiedError
		switch cause := context.Cause(lctx); {
		case errors.As(cause, &died):
			res.Note = "stopped early: " + died.Error()
			return res, fmt.Errorf("%w: %v", ErrEnvironment, died)
		case ctx.Err() != nil:
			res.Note = "interrupted before the last measured run finished; partial results"
			return res, fmt.Errorf("%w: partial results kept", ErrInterrupted)
		default:
			return res, fmt.Errorf("%w: load: %v", ErrEnvironment, runErr)
		}
	}
	return res, nil
}

// providersFor builds the providers a config needs. The container provider
// (and so Docker) is only asked for when a service runs in a container.
func providersFor(ctx context.Context, cfg *config.Config, given []stack.Provider, logw io.Writer) ([]stack.Provider, func(context.Context, string), error) {
	if given != nil {
		return given, func(context.Context, string) {}, nil
	}
	ps := []stack.Provider{process.New()}
	needDocker := false
	for _, s := range cfg.Services {
		needDocker = needDocker || s.Container != nil
	}
	if !needDocker {
		return ps, func(context.Context, string) {}, nil
	}
	cp, err := container.New(ctx, container.Options{BuildOutput: io.Discard})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrEnvironment, err)
	}
	if cl, err := container.Cleanup(ctx, ""); err == nil && len(cl.Containers)+len(cl.Networks) > 0 {
		fmt.Fprintf(logw, "removed %d container(s) and %d network(s) left by an earlier perfgate run\n", len(cl.Containers), len(cl.Networks))
	}
	closeFn := func(ctx context.Context, runID string) {
		if _, err := container.Cleanup(ctx, runID); err != nil {
			fmt.Fprintf(logw, "perfgate: removing this run's containers: %v\n", err)
		}
	}
	return append(ps, cp), closeFn, nil
}

func loadInfo(cfg *config.Config) results.LoadInfo {
	l := cfg.Load
	li := results.LoadInfo{
		Model: l.Model, Repeat: l.Repeat, KeepAlive: cfg.Client.KeepAliveOn(),
		WarmupRequests: l.Warmup.Requests, MeasureRequests: l.Measure.Requests,
	}
	if l.Model == load.Open {
		li.Rate, li.MaxInFlight = l.Rate, l.MaxInFlight
	} else {
		li.Workers = l.Workers
	}
	if l.Warmup.Duration > 0 {
		li.WarmupDuration = l.Warmup.Duration.String()
	}
	if l.Measure.Duration > 0 {
		li.MeasureDuration = l.Measure.Duration.String()
	}
	return li
}

func anyLoopback(urls []string) bool {
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		if loopback.Host(u.Hostname()) {
			return true
		}
	}
	return false
}

func newRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// absPath records the config's absolute path, so `perfgate compare` finds
// it from any working directory.
func absPath(cfg *config.Config) string {
	if cfg.Path == "" {
		return ""
	}
	if filepath.IsAbs(cfg.Path) || cfg.Dir == "" {
		return cfg.Path
	}
	return filepath.Join(cfg.Dir, filepath.Base(cfg.Path))
}
