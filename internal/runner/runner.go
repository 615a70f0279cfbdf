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
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/endpoint"
	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/hostinfo"
	"github.com/perfgate/perfgate/internal/load"
	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/internal/netstat"
	"github.com/perfgate/perfgate/internal/prepare"
	"github.com/perfgate/perfgate/internal/progress"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/shard"
	"github.com/perfgate/perfgate/internal/stack"
	"github.com/perfgate/perfgate/internal/stack/container"
	"github.com/perfgate/perfgate/internal/stack/process"
	"github.com/perfgate/perfgate/internal/warmup"
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
	// Checkpoint receives the results before the services stop (see
	// Checkpoint); nil: none.
	Checkpoint Checkpoint
	// Shard makes this run shard I of N of the load (see internal/shard
	// and ShardOptions); zero: all of it.
	Shard shard.Spec
	// BeforeLoad, when set, runs once the side is open, just before the
	// first pass (a sharded run waits for its common start there). Its
	// error ends the run without results.
	BeforeLoad func(ctx context.Context, s *Side) error
	// AfterLoad, when set, sees what the plan measured and the results
	// before they are checked and returned (a shard records its part).
	AfterLoad func(pr *load.PlanResult, res *results.Results)
	// AfterMeasure, when set, runs once the plan measured without error,
	// with the stack still up (CPU profiles of a stored-baseline run).
	AfterMeasure func(ctx context.Context, s *Side, res *results.Results)
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

// Checkpoint, when set in Options, receives the results measured so far
// just before the services are stopped, so that a kill during the stop
// (a CI timeout's SIGKILL after SIGTERM) still leaves them on disk. Run
// returns the final results afterwards; save those again.
type Checkpoint func(res *results.Results)

// Run starts the services, measures, stops everything, and returns what
// was measured. On failure after measuring started, the partial results are
// returned with the error; the stack is always stopped before Run returns.
func Run(ctx context.Context, cfg *config.Config, o Options) (res *results.Results, err error) {
	side, err := Open(ctx, cfg, o, SideOptions{})
	defer func() {
		side.Close(ctx)
		if res != nil {
			res.Warnings = append(res.Warnings, side.StopNotes()...)
			res.FinishedAt = time.Now().UTC()
		}
	}()
	if err != nil {
		return nil, err
	}
	res = side.NewResults()
	logw := side.log

	var stopBar func()
	tcpBefore := netstat.Counters{}
	fm := newForeignMeter(side.HostPIDs(ctx))
	passLabel := func(kind string, run int) string {
		if kind == "warmup" {
			return "warmup"
		}
		return fmt.Sprintf("run %d", run)
	}
	hooks := load.Hooks{
		PassStarted: func(kind string, run int, p *load.Pass) {
			tcpBefore = netstat.Source{}.Read()
			fm.started()
			label := "warm-up"
			if kind != "warmup" {
				label = fmt.Sprintf("run %d/%d", run, side.Plan.Repeat)
			}
			spec := p.Spec()
			stopBar = o.Progress.Pass(label, spec.Requests, spec.Duration, func() progress.Stat {
				pr := p.Progress()
				return progress.Stat{Requests: pr.Requests, Errors: pr.Errors, Elapsed: pr.Elapsed}
			})
		},
		PassDone: func(kind string, run int, r *load.Result) {
			if stopBar != nil {
				stopBar()
				stopBar = nil
			}
			fm.done(kind, r.Requests > 0)
			if d := netstat.Delta(tcpBefore, netstat.Source{}.Read()); d.OK {
				res.TCP = append(res.TCP, results.PassTCP{Pass: passLabel(kind, run),
					ListenOverflows: d.ListenOverflows, ListenDrops: d.ListenDrops, RetransSegs: d.RetransSegs})
			}
			if r.Protocol != "" {
				res.Protocol = r.Protocol
			}
		},
	}
	if o.BeforeLoad != nil {
		if err := o.BeforeLoad(side.Ctx(), side); err != nil {
			return nil, err
		}
	}
	pr, runErr := side.eng.RunPlan(side.Ctx(), side.Plan, hooks)
	if stopBar != nil {
		stopBar()
	}
	if pr != nil && o.AfterLoad != nil {
		o.AfterLoad(pr, res)
	}
	if pr != nil && runErr == nil && o.AfterMeasure != nil {
		o.AfterMeasure(side.Ctx(), side, res)
	}
	if pr != nil {
		res.Warmup = pr.Warmup
		res.Scenarios = pr.Scenarios
		fm.record(res.Scenarios)
		if fm.cpus > 0 {
			res.Host.CPUsOnline = fm.cpus
		}
		res.Interrupted = pr.Interrupted
		for _, w := range pr.Warnings {
			res.Warnings = append(res.Warnings, w)
			fmt.Fprintf(logw, "warning: %s\n", w)
		}
	}
	for _, w := range warmup.Check(res, side.cfg.Load.Warmup.Duration.D()) {
		res.Warnings = append(res.Warnings, w)
		fmt.Fprintf(logw, "warning: %s\n", w)
	}
	if w := tcpWarning(res.TCP, res.Host); w != "" {
		res.Warnings = append(res.Warnings, w)
		fmt.Fprintf(logw, "warning: %s\n", w)
	}
	if runErr != nil {
		res.Interrupted = true
		err = side.Failure(ctx, runErr)
		res.Note = side.FailureNote(ctx, err)
	} else if ef := EnvironmentFailure(res.Scenarios, res.Host); ef != "" {
		res.EnvironmentFailure = ef
		err = fmt.Errorf("%w: %s", ErrEnvironment, ef)
	}
	if o.Checkpoint != nil && len(res.Scenarios) > 0 {
		res.FinishedAt = time.Now().UTC()
		o.Checkpoint(res)
	}
	return res, err
}

// SideOptions say where one stack of a run comes from: its tree and ports.
type SideOptions struct {
	// Label names the side in messages and progress ("base", "head");
	// "" for a normal run.
	Label string
	// Dir is this tree's copy of the config's folder: prepare commands run
	// and relative service paths resolve there ("" = the config's Dir).
	Dir string
	// Ports maps each process service's declared ports to the ports this
	// side uses ({{ port N }}); nil: every port is itself.
	Ports map[string]map[int]int
}

// Side is one started stack and the load engine aimed at it: what a
// measured pass needs. Open it, run passes on Engine() under Ctx(), and
// Close it (always, even when Open failed: Close is nil-safe and stops
// whatever did start).
type Side struct {
	Label string
	Plan  load.Plan
	cfg   *config.Config
	o     Options
	so    SideOptions
	log   io.Writer
	runID string
	st    *stack.Stack
	// providers, asked for notes after the stop (StopNotes)
	providers []stack.Provider
	close     func(context.Context, string)
	eng       *load.Engine
	lctx      context.Context
	stop      context.CancelCauseFunc
	urls      []string
	host      results.Host
	// filled by Open for NewResults
	services []results.ServiceInfo
	warnings []string
	notes    []string
	closed   bool
}

// Open prepares and starts cfg's services for one side, renders the
// scenarios' URLs against them and builds the load engine. On error the
// returned Side (never nil) still owns what started: Close it.
func Open(ctx context.Context, cfg *config.Config, o Options, so SideOptions) (*Side, error) {
	s := &Side{Label: so.Label, cfg: cfg, o: o, so: so, log: o.Log, runID: newRunID(), close: func(context.Context, string) {}}
	if s.log == nil {
		s.log = io.Discard
	}
	if so.Dir == "" {
		s.so.Dir = cfg.Dir
	}
	s.host = hostinfo.Source{}.Collect()
	if o.Host != nil {
		s.host = *o.Host
	}
	who := ""
	if so.Label != "" {
		who = so.Label + ": "
	}
	if len(cfg.Prepare) > 0 {
		fmt.Fprintf(s.log, "%spreparing (%d command(s))...\n", who, len(cfg.Prepare))
		plog := s.log
		if who != "" {
			plog = &linePrefix{w: s.log, prefix: who, bol: true} // two sides build at once: say whose line it is
		}
		if err := prepare.Run(ctx, s.so.Dir, cfg.Prepare, plog); err != nil {
			if ctx.Err() != nil {
				return s, fmt.Errorf("%w while preparing: %v", ErrInterrupted, err)
			}
			return s, fmt.Errorf("%w: %s%w", ErrEnvironment, who, err)
		}
	}
	providers, closeProviders, err := providersFor(ctx, cfg, o.Providers, s.log)
	if err != nil {
		return s, err
	}
	s.close = closeProviders
	s.providers = providers
	s.st = stack.New(providers...)
	if len(cfg.Services) > 0 {
		fmt.Fprintf(s.log, "%sstarting %d service(s)...\n", who, len(cfg.Services))
		started := time.Now()
		if err := s.st.Start(ctx, cfg.Services, stack.Env{RunID: s.runID, ConfigDir: s.so.Dir, Ports: so.Ports}); err != nil {
			if ctx.Err() != nil {
				return s, fmt.Errorf("%w while starting services: %v", ErrInterrupted, err)
			}
			return s, fmt.Errorf("%w: %s%w", ErrEnvironment, who, err)
		}
		fmt.Fprintf(s.log, "%sservices ready in %.1fs\n", who, time.Since(started).Seconds())
		s.services = s.st.Infos()
	}

	// Endpoints resolve once; the rest of a URL is a per-request template
	// (internal/load).
	scs, opts, plan, err := load.FromConfigWith(cfg, load.ConfigInputs{URL: func(raw string, step bool) (string, error) {
		u, err := endpoint.RenderOnly(raw, func(action string) (string, error) { return s.st.Render(ctx, action) })
		if err == nil {
			s.urls = append(s.urls, u)
		}
		return u, err
	}, Shard: flow.Shard{Index: o.Shard.Index, Count: o.Shard.Count}}) // a shard takes its own rows of every data file
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	s.Plan = plan
	if opts, err = ShardOptions(opts, o.Shard); err != nil {
		return s, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	s.eng, err = load.New(scs, opts)
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	s.warnings = append(s.warnings, hostinfo.Warnings(s.host, load.Concurrency(s.eng.Options()), anyLoopback(s.urls))...)
	for _, w := range s.warnings {
		fmt.Fprintf(s.log, "%swarning: %s\n", who, w)
	}

	// A service that dies mid-run stops the load; what was measured stays.
	s.lctx, s.stop = context.WithCancelCause(ctx)
	go func() {
		select {
		case derr := <-s.st.Died():
			if derr != nil {
				s.stop(derr)
			}
		case <-s.lctx.Done():
		}
	}()
	return s, nil
}

// Engine is the side's load engine.
func (s *Side) Engine() *load.Engine { return s.eng }

// Ctx is the context passes of this side run under: cancelled with the
// run's context, or with a *stack.DiedError when one of its services dies.
func (s *Side) Ctx() context.Context { return s.lctx }

// HostPIDs are the host pids of this side's services that do not descend
// from perfgate (containers), for internal/foreigncpu.
func (s *Side) HostPIDs(ctx context.Context) []int {
	if s == nil || s.st == nil {
		return nil
	}
	return s.st.HostPIDs(ctx)
}

// URLs are the scenarios' and flow steps' URLs rendered against this side's services (endpoints resolved), in config order.
func (s *Side) URLs() []string { return s.urls }

// NewResults is the skeleton of this side's results: header, host, load,
// services, warnings; no figures yet.
func (s *Side) NewResults() *results.Results {
	cfg := s.cfg
	res := &results.Results{
		Schema:          results.Schema,
		Name:            cfg.Name,
		Verdict:         results.VerdictNoBaseline,
		PerfgateVersion: s.o.Version,
		ConfigPath:      absPath(cfg),
		ConfigHash:      cfg.Hash,
		StartedAt:       time.Now().UTC(),
		Client:          load.ClientName,
		Host:            s.host,
		Load:            loadInfo(cfg),
		Services:        s.services,
		Warnings:        append([]string(nil), s.warnings...),
		Scenarios:       []results.Scenario{},
	}
	if s.eng != nil {
		res.Client = s.eng.Client() // the HTTP client actually used
	}
	for _, sc := range cfg.Scenarios {
		if sc.Weight == 0 {
			res.SwitchedOff = append(res.SwitchedOff, sc.Name)
		}
	}
	return res
}

// Failure turns an error of a pass of this side into the error kind a
// command maps to an exit code: a dead service (environment, naming the
// side), the run's cancellation (interrupted), or the load itself.
func (s *Side) Failure(ctx context.Context, passErr error) error {
	who := ""
	if s.Label != "" {
		who = s.Label + ": "
	}
	var died *stack.DiedError
	switch cause := context.Cause(s.lctx); {
	case errors.As(cause, &died):
		return fmt.Errorf("%w: %s%w", ErrEnvironment, who, died)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: partial results kept", ErrInterrupted)
	default:
		return fmt.Errorf("%w: %sload: %v", ErrEnvironment, who, passErr)
	}
}

// FailureNote is the results note for an error from Failure.
func (s *Side) FailureNote(ctx context.Context, err error) string {
	var died *stack.DiedError
	if errors.As(err, &died) {
		who := ""
		if s.Label != "" {
			who = s.Label + ": "
		}
		return "stopped early: " + who + died.Error()
	}
	if errors.Is(err, ErrInterrupted) {
		return "interrupted before the last measured run finished; partial results"
	}
	return err.Error()
}

// StopNotes says what stopping the side found worth knowing (e.g. a
// daemonised process killed because it still held a port).
func (s *Side) StopNotes() []string {
	if s == nil {
		return nil
	}
	return s.notes
}

// Close stops the side's load, services and providers, within the stop
// budget, on a context that survives the run's cancellation (Options.StopNow
// cuts the grace period). Safe on a nil or half-opened Side, and twice.
func (s *Side) Close(ctx context.Context) {
	if s == nil || s.closed {
		return
	}
	s.closed = true
	if s.stop != nil {
		s.stop(nil)
	}
	if s.eng != nil {
		s.eng.Close()
	}
	base := s.o.StopNow
	if base == nil {
		base = context.WithoutCancel(ctx)
	}
	sctx, cancel := context.WithTimeout(base, stopBudget(s.cfg))
	defer cancel()
	if s.st != nil {
		if serr := s.st.Stop(sctx); serr != nil {
			fmt.Fprintf(s.log, "perfgate: stopping services: %v\n", serr)
		}
		for _, pv := range s.providers {
			if n, ok := pv.(interface{ StopNotes() []string }); ok {
				for _, note := range n.StopNotes() {
					s.notes = append(s.notes, note)
					fmt.Fprintf(s.log, "perfgate: %s\n", note)
				}
			}
		}
	}
	s.close(sctx, s.runID)
}

// EnvironmentFailure says why measured figures do not measure the service
// at all, "" when they do: the load client ran out of file descriptors or
// local ports for at least 1% of the requests, or the target refused or
// reset at least 90% of them (nothing listening, a full accept queue, a
// crash loop). Such a run exits 3, not 1: no regression can be read from it.
func EnvironmentFailure(scs []results.Scenario, host results.Host) string {
	var n, client, refused, reset int64
	for _, sc := range scs {
		n += sc.Requests
		client += sc.Errors.Client
		refused += sc.Errors.Refused
		reset += sc.Errors.Reset
	}
	if n == 0 {
		return ""
	}
	if client > 0 && client*100 >= n {
		if sample := clientSample(scs); strings.Contains(sample, "render ") {
			return fmt.Sprintf("perfgate could not build %d of %d requests (%s): fix the config's templates; the service was not at fault", client, n, sample)
		}
		lim := ""
		if host.OpenFilesSoft > 0 {
			lim = fmt.Sprintf(" (ulimit -n is %d)", host.OpenFilesSoft)
		}
		return fmt.Sprintf("the load client ran out of file descriptors or local ports: %d of %d requests could not be sent%s; "+
			"raise the limit (ulimit -n 65536) or lower load.workers / load.max_in_flight", client, n, lim)
	}
	if n >= 10 && (refused+reset)*10 >= 9*n {
		return fmt.Sprintf("the target refused or reset %d of %d requests (refused %d, reset %d): it is not serving; "+
			"check that the service listens where the scenarios point, and that its listen backlog is not full", refused+reset, n, refused, reset)
	}
	return ""
}

// clientSample is the first sample error of class client, "" if none.
func clientSample(scs []results.Scenario) string {
	for _, sc := range scs {
		for _, e := range sc.SampleErrors {
			if strings.HasPrefix(e, "client: ") {
				return e
			}
		}
	}
	return ""
}

// tcpWarning explains a full accept queue seen during the passes.
func tcpWarning(tcp []results.PassTCP, host results.Host) string {
	var overflows, drops int64
	for _, p := range tcp {
		overflows += p.ListenOverflows
		drops += p.ListenDrops
	}
	if overflows == 0 && drops == 0 {
		return ""
	}
	som := ""
	if host.Somaxconn > 0 {
		som = fmt.Sprintf(" (now %d)", host.Somaxconn)
	}
	return fmt.Sprintf("the kernel turned away connections at a full accept queue during the passes "+
		"(ListenOverflows +%d, ListenDrops +%d): the service accepts too slowly for the load; raise net.core.somaxconn%s "+
		"and the service's listen backlog, or lower the concurrency", overflows, drops, som)
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
	if cl, err := container.Cleanup(ctx, ""); err == nil && len(cl.Containers)+len(cl.Networks)+len(cl.Volumes) > 0 {
		fmt.Fprintf(logw, "removed %d container(s), %d network(s) and %d volume(s) left by an earlier perfgate run\n", len(cl.Containers), len(cl.Networks), len(cl.Volumes))
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

// linePrefix writes every line to w with prefix in front.
type linePrefix struct {
	w      io.Writer
	prefix string
	bol    bool // at the beginning of a line
}

func (l *linePrefix) Write(p []byte) (int, error) {
	var out []byte
	for _, c := range p {
		if l.bol {
			out = append(out, l.prefix...)
		}
		out = append(out, c)
		l.bol = c == '\n'
	}
	if _, err := l.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
