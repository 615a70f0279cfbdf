package load

import (
	"context"
	"fmt"

	"github.com/perfgate/perfgate/internal/results"
)

// Plan is a warm-up pass (skipped when zero) then Repeat measured passes.
type Plan struct {
	Warmup  PassSpec
	Measure PassSpec
	Repeat  int // default 1
}

// Hooks let the caller follow a plan (e.g. drive a progress bar from
// Pass.Progress). Any may be nil.
type Hooks struct {
	// PassStarted is called when a pass starts: kind is "warmup" or
	// "measure", run counts measured passes from 1 (0 for the warm-up).
	PassStarted func(kind string, run int, p *Pass)
	// PassDone is called when a pass ends, with its result.
	PassDone func(kind string, run int, r *Result)
}

// PlanResult is what RunPlan measured.
type PlanResult struct {
	Warmup    []results.Scenario // the warm-up pass: measured, never judged
	Scenarios []results.Scenario // measured passes merged, with Runs
	Passes    []*Result          // the measured passes themselves
	Warnings  []string           // from every pass, deduplicated; the client's saturation once, for its most loaded pass (see Result.Warnings)
	// Interrupted: the context was cancelled; what was measured is kept
	// (an interrupted measured pass is included as the last run).
	Interrupted bool
}

// RunPlan runs the warm-up and the measured passes. On cancellation it
// returns what was measured so far with the context's error.
func (e *Engine) RunPlan(ctx context.Context, plan Plan, hooks Hooks) (*PlanResult, error) {
	if plan.Repeat <= 0 {
		plan.Repeat = 1
	}
	if err := plan.Measure.valid(); err != nil {
		return nil, fmt.Errorf("measured pass: %w", err)
	}
	pr := &PlanResult{}
	run := func(kind string, idx int, spec PassSpec) (*Result, error) {
		p, err := e.Start(ctx, spec)
		if err != nil {
			return nil, err
		}
		if hooks.PassStarted != nil {
			hooks.PassStarted(kind, idx, p)
		}
		r, err := p.Wait()
		if hooks.PassDone != nil && r != nil {
			hooks.PassDone(kind, idx, r)
		}
		return r, err
	}
	var runErr error
	if plan.Warmup != (PassSpec{}) {
		r, err := run("warmup", 0, plan.Warmup)
		if r != nil {
			w, ferr := r.Figures()
			if ferr != nil {
				return nil, ferr
			}
			pr.Warmup = w
		}
		runErr = err
	}
	for i := 1; runErr == nil && i <= plan.Repeat; i++ {
		r, err := run("measure", i, plan.Measure)
		if r != nil && r.Requests > 0 {
			pr.Passes = append(pr.Passes, r)
		}
		runErr = err
	}
	seen := map[string]bool{}
	client := ClientLoad{Delay: -1}
	for _, p := range pr.Passes {
		for _, w := range p.warnings(false) {
			if !seen[w] {
				seen[w] = true
				pr.Warnings = append(pr.Warnings, w)
			}
		}
		client = client.worst(p.ClientLoad)
	}
	if w := client.warning(); w != "" {
		pr.Warnings = append(pr.Warnings, w)
	}
	s, err := Summarize(pr.Passes)
	if err != nil {
		return nil, err
	}
	pr.Scenarios = s
	if runErr != nil {
		pr.Interrupted = ctx.Err() != nil
		return pr, runErr
	}
	return pr, nil
}
