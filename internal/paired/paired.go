// Package paired judges the working tree (head) against a git revision
// (base) on the same machine in the same window: `perfgate run --base REF`.
//
// The base revision is checked out into a temporary git worktree; the
// head's config (scenarios, load, gates, prepare) is used for both sides,
// with each side's prepare commands and service paths resolved in its own
// tree. Both stacks are prepared and started at once (process services on
// free ports per side through {{ port N }}, containers on their own
// networks), each side is warmed up, then measured slices alternate
// between the sides in ABBA rounds — base, head; head, base; head, base;
// base, head; … — so that drift over the session (CPU clock, a neighbour,
// a warming cache) weighs on both sides alike and cancels in each round's
// paired change. Slices last gates.slice (1 s), not load.measure, and the
// budget is gates.max_time of load (2 minutes). compare.JudgePaired looks
// at the rounds at the looks of compare's sequential design and the
// session stops as soon as every gate is decided or one failed; when the
// budget is spent first, the verdict is inconclusive, saying what would
// decide it.
//
// Both stacks and the worktree are removed however the session ends:
// success, failure, Ctrl-C.
package paired

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/foreigncpu"
	"github.com/perfgate/perfgate/internal/load"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/runner"
	"github.com/perfgate/perfgate/internal/stack"
)

// Side names.
const (
	Base = "base"
	Head = "head"
)

// ABBA says which side round r (from 1) measures first: base, head, head,
// base, then again, so a linear drift over four rounds weighs on both
// sides alike.
func ABBA(r int) string {
	if m := (r - 1) % 4; m == 0 || m == 3 {
		return Base
	}
	return Head
}

// Options configure a paired session.
type Options struct {
	Runner  runner.Options
	BaseRef string // any git revision
	// FullBudget measures every round of the budget, even once the gates
	// are decided (perfgate calibrate).
	FullBudget bool
	// Rounds, when set, receives the rounds measured, in order.
	Rounds *[]compare.Round
	// Profiles, when set, receives each side's merged CPU profile.
	Profiles *Profiles
}

// Run runs the session and returns the head's results with the paired
// comparison in them. Errors wrap runner.ErrBadInput (no such revision, a
// config that cannot run twice), runner.ErrEnvironment (a side failed to
// prepare, start or keep running: the message names the side) or
// runner.ErrInterrupted; results measured before an error are returned
// with it.
func Run(ctx context.Context, cfg *config.Config, o Options) (res *results.Results, err error) {
	logw := o.Runner.Log
	if logw == nil {
		logw = io.Discard
	}
	if err := cfg.CheckPairable(); err != nil {
		return nil, fmt.Errorf("%w: %v", runner.ErrBadInput, err)
	}
	repo, err := git(ctx, cfg.Dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%w: --base needs the config inside a git repository: %v", runner.ErrBadInput, err)
	}
	baseCommit, err := git(ctx, repo, "rev-parse", "--verify", "--quiet", o.BaseRef+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%w: --base %s: no such git revision in %s (fetch it first, e.g. git fetch origin %s)", runner.ErrBadInput, o.BaseRef, repo, o.BaseRef)
	}
	headCommit, _ := git(ctx, repo, "rev-parse", "HEAD")
	dirty, _ := git(ctx, repo, "status", "--porcelain", "--untracked-files=no")
	dirAbs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", runner.ErrBadInput, err)
	}
	repoReal, _ := filepath.EvalSymlinks(repo)
	dirReal, _ := filepath.EvalSymlinks(dirAbs)
	rel, err := filepath.Rel(repoReal, dirReal)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("%w: the config's folder %s is not inside the repository %s", runner.ErrBadInput, dirAbs, repo)
	}

	wt, err := addWorktree(ctx, repo, baseCommit)
	if err != nil {
		return nil, fmt.Errorf("%w: checking out %s: %v", runner.ErrEnvironment, o.BaseRef, err)
	}
	defer wt.remove(logw)
	fmt.Fprintf(logw, "paired: base %s (%s) in %s, head is the working tree\n", o.BaseRef, results.ShortCommit(baseCommit), wt.dir)

	baseCfg := *cfg
	baseCfg.Dir = filepath.Join(wt.dir, rel)
	if _, err := os.Stat(baseCfg.Dir); err != nil {
		return nil, fmt.Errorf("%w: base %s has no folder %s: %v", runner.ErrEnvironment, o.BaseRef, rel, err)
	}
	sides := map[string]*runner.Side{}
	defer func() {
		// Stopped on a context that outlives the run's (Close does that).
		for _, name := range []string{Head, Base} {
			sides[name].Close(ctx)
		}
	}()
	for _, name := range []string{Base, Head} {
		c := cfg
		if name == Base {
			c = &baseCfg
		}
		ports, err := stack.FreePorts(c)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: picking ports: %v", runner.ErrEnvironment, name, err)
		}
		s, err := runner.Open(ctx, c, o.Runner, runner.SideOptions{Label: name, Dir: c.Dir, Ports: ports})
		sides[name] = s
		if err != nil {
			return nil, err
		}
	}
	base, head := sides[Base], sides[Head]
	res = head.NewResults()
	res.Mode = results.ModePaired
	slice, design := compare.PairedDesign(cfg.Gates)
	maxRounds := design.MaxRounds()
	spec := load.PassSpec{Duration: slice}
	duet := cfg.Gates.Pairing == config.PairingDuet
	p := &results.Paired{
		BaseRef: o.BaseRef, BaseCommit: baseCommit, HeadCommit: headCommit, HeadDirty: dirty != "",
		MaxRounds: maxRounds, Order: "ABBA", SliceS: slice.Seconds(),
		MaxTimeS: float64(maxRounds) * slice.Seconds() * 2, Power: design.Power,
	}
	if duet {
		p.MaxTimeS /= 2
		p.Order = "duet"
	}
	res.Paired = p
	defer func() { res.FinishedAt = time.Now().UTC() }()

	// Warm up each side, then alternate measured slices.
	if head.Plan.Warmup != (load.PassSpec{}) {
		for _, s := range []*runner.Side{base, head} {
			fmt.Fprintf(logw, "paired: warming up %s\n", s.Label)
			r, err := s.Engine().Run(s.Ctx(), head.Plan.Warmup)
			if err != nil {
				return res, interrupted(ctx, res, s, err)
			}
			if s == head {
				if w, ferr := r.Figures(); ferr == nil {
					res.Warmup = w
				}
			}
		}
	}
	names := Names(cfg)
	var pids []int
	for _, s := range []*runner.Side{base, head} {
		pids = append(pids, s.HostPIDs(ctx)...)
	}
	meter := foreigncpu.New(func() []int { return pids })
	var basePasses, headPasses []*load.Result
	var rounds []compare.Round
	var out compare.PairedOutcome
	started := time.Now()
	p.StoppedBy = "budget"
	for r := 1; r <= maxRounds; r++ {
		order := []*runner.Side{base, head}
		if ABBA(r) == Head {
			order = []*runner.Side{head, base}
		}
		round := compare.Round{Base: map[string]results.Figures{}, Head: map[string]results.Figures{}}
		log := results.PairedRound{Round: r, First: order[0].Label, Base: map[string]float64{}, Head: map[string]float64{}}
		if duet {
			log.First = "both"
		}
		measured, foreign, idle, cpus, side, err := slices(order, spec, duet, meter)
		if err != nil {
			p.LoadS = time.Since(started).Seconds()
			finish(res, basePasses, headPasses)
			return res, interrupted(ctx, res, side, err)
		}
		round.CPUs = cpus
		round.IdleRead = idle[0] >= 0 && idle[1] >= 0
		for k, s := range order {
			if s == base {
				round.BaseForeign, log.BaseForeignCPU = foreign[k], foreign[k]
				round.BaseIdle, log.BaseIdleCPU = idle[k], idle[k]
			} else {
				round.HeadForeign, log.HeadForeignCPU = foreign[k], foreign[k]
				round.HeadIdle, log.HeadIdleCPU = idle[k], idle[k]
			}
			pr := measured[k]
			figs, err := pr.Figures()
			if err != nil {
				return res, fmt.Errorf("%w: %v", runner.ErrEnvironment, err)
			}
			for _, f := range results.Flatten(figs) { // flows and their steps (flow/step)
				if s == base {
					round.Base[f.Name] = f.Figures
					log.Base[f.Name] = f.ThroughputRPS
				} else {
					round.Head[f.Name] = f.Figures
					log.Head[f.Name] = f.ThroughputRPS
				}
			}
			if s == base {
				basePasses = append(basePasses, pr)
			} else {
				headPasses = append(headPasses, pr)
			}
		}
		rounds = append(rounds, round)
		if o.Rounds != nil {
			*o.Rounds = rounds
		}
		p.RoundLog = append(p.RoundLog, log)
		p.Rounds = r
		if look, ok := design.LookAt(r); ok {
			p.Looks = append(p.Looks, r)
			out = compare.JudgePaired(cfg.Gates, names, rounds, look)
			p.ForeignCPUAdjusted = out.Adjusted
			fmt.Fprintf(logw, "paired: round %d: %s\n", r, lookSummary(out))
			if out.Decided && !o.FullBudget {
				p.StoppedBy = "decided"
				break
			}
		}
	}
	p.LoadS = time.Since(started).Seconds()
	p.Detectable = out.Detectable
	finish(res, basePasses, headPasses)
	for _, s := range []*runner.Side{base, head} {
		scs := res.Scenarios
		if s == base {
			scs = p.BaseScenarios
		}
		if ef := runner.EnvironmentFailure(scs, res.Host); ef != "" {
			res.EnvironmentFailure = s.Label + ": " + ef
			res.Verdict = results.VerdictNoBaseline
			return res, fmt.Errorf("%w: %s", runner.ErrEnvironment, res.EnvironmentFailure)
		}
	}
	if !o.FullBudget { // calibrate compares a side with itself: nothing to profile
		addProfiles(ctx, cfg, res, base, head, slice, duet, basePasses, headPasses, meter, logw, o.Profiles)
	}
	// Absolute limits, on the head's figures merged over its slices.
	out.Checks = append(out.Checks, compare.JudgeLimits(compare.LimitsOf(cfg.Scenarios), res.Scenarios)...)
	res.Comparison = &results.Comparison{
		Baseline: fmt.Sprintf("base %s (%s), paired on this runner", o.BaseRef, results.ShortCommit(baseCommit)),
		Alpha:    compare.Alpha(cfg.Gates),
		Checks:   out.Checks,
	}
	res.Verdict = verdict(out)
	if res.Verdict == results.VerdictInconclusive {
		res.Comparison.Warnings = append(res.Comparison.Warnings, undecidedAdvice(out, p))
	}
	if dirty != "" {
		res.Comparison.Warnings = append(res.Comparison.Warnings, "the head is the working tree, which has uncommitted changes")
	}
	return res, nil
}

func verdict(out compare.PairedOutcome) string {
	return compare.VerdictOf(&results.Comparison{Checks: out.Checks}, compare.Judging{Paired: true, Decided: out.Decided})
}

// Names are the names a paired session judges: each scenario that runs,
// and each step of a flow ("flow/step").
func Names(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Scenarios))
	for _, sc := range cfg.Scenarios {
		if sc.Weight > 0 {
			names = append(names, sc.Name)
			for _, st := range sc.Steps {
				names = append(names, sc.Name+results.StepSep+st.Name)
			}
		}
	}
	return names
}

// undecidedAdvice says, for an inconclusive session, which gates stayed
// undecided and what would decide them: a longer budget (by how much the
// bounds still had to narrow), a quieter runner, or a wider threshold.
func undecidedAdvice(out compare.PairedOutcome, p *results.Paired) string {
	var names []string
	worst := 0.0
	for _, u := range out.Undecided {
		names = append(names, u.Scenario+" "+results.MetricLabel(u.Metric))
		worst = max(worst, u.Factor)
	}
	msg := fmt.Sprintf("undecided after %d rounds (%.0f s of load): %s could not yet be told apart from either no change that matters or a regression of its threshold",
		p.Rounds, p.LoadS, strings.Join(names, ", "))
	if worst > 1 && p.LoadS > 0 {
		// Rounded up to half minutes, written as the config takes it.
		half := int(math.Ceil(worst * p.LoadS / 30))
		need := fmt.Sprintf("%dm", half/2)
		if half%2 == 1 {
			need = fmt.Sprintf("%ds", half*30)
		}
		msg += fmt.Sprintf("; about %s of load would likely decide it (gates.max_time: %s)", need, need)
	}
	return msg + "; a quieter runner decides sooner, and `perfgate calibrate` tells which thresholds this runner can judge"
}

func lookSummary(out compare.PairedOutcome) string {
	var parts []string
	for _, c := range out.Checks {
		if c.Gate == compare.GateErrorRateMax || c.Metric != "throughput_rps" && c.Status == results.CheckPass {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s %+.1f%% [%+.1f%%, %+.1f%%] %s", c.Scenario, c.Metric, 100*c.Change, 100*c.ChangeLow, 100*c.ChangeHigh, c.Status))
	}
	if out.Decided {
		parts = append(parts, "decided")
	}
	return strings.Join(parts, "; ")
}

// slices measures one round: each side's slice one after the other in
// order, or (duet) both at once, so that whatever the machine does during
// the slice it does to both. It also returns the foreign CPU and the CPU
// left idle (cores, -1 when unreadable) beside each slice, and the
// machine's CPUs. On error it names the side that failed.
func slices(order []*runner.Side, spec load.PassSpec, duet bool, meter *foreigncpu.Meter) ([]*load.Result, []float64, []float64, int, *runner.Side, error) {
	out := make([]*load.Result, len(order))
	foreign := make([]float64, len(order))
	idle := make([]float64, len(order))
	between := func(a, b foreigncpu.Reading) (float64, float64) {
		f, ok := foreigncpu.Foreign(a, b)
		i, ok2 := foreigncpu.IdleCores(a, b)
		if !ok || !ok2 {
			return -1, -1
		}
		return f, i
	}
	start := meter.Read()
	if !duet {
		prev := start
		for k, s := range order {
			r, err := s.Engine().Run(s.Ctx(), spec)
			if err != nil {
				return nil, nil, nil, 0, s, err
			}
			now := meter.Read()
			out[k] = r
			foreign[k], idle[k] = between(prev, now)
			prev = now
		}
		return out, foreign, idle, start.CPUs, nil, nil
	}
	passes := make([]*load.Pass, len(order))
	for k, s := range order {
		ps, err := s.Engine().Start(s.Ctx(), spec)
		if err != nil {
			for _, started := range passes[:k] {
				started.Wait()
			}
			return nil, nil, nil, 0, s, err
		}
		passes[k] = ps
	}
	var failed *runner.Side
	var ferr error
	for k, ps := range passes {
		r, err := ps.Wait()
		if err != nil && ferr == nil {
			failed, ferr = order[k], err
		}
		out[k] = r
	}
	if ferr != nil {
		return nil, nil, nil, 0, failed, ferr
	}
	f, i := between(start, meter.Read())
	for k := range foreign {
		foreign[k], idle[k] = f, i // both at once: the same machine beside both
	}
	return out, foreign, idle, start.CPUs, nil, nil
}

// finish merges each side's slices into the results' scenarios.
func finish(res *results.Results, basePasses, headPasses []*load.Result) {
	if s, err := load.Summarize(headPasses); err == nil && s != nil {
		res.Scenarios = s
	}
	if s, err := load.Summarize(basePasses); err == nil {
		res.Paired.BaseScenarios = s
	}
}

// interrupted marks res as cut short by side s's error and maps it.
func interrupted(ctx context.Context, res *results.Results, s *runner.Side, err error) error {
	res.Interrupted = true
	res.Paired.StoppedBy = "interrupted"
	e := s.Failure(ctx, err)
	res.Note = s.FailureNote(ctx, e)
	res.Verdict = results.VerdictNoBaseline
	return e
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", errors.New(msg)
	}
	return strings.TrimSpace(string(out)), nil
}
