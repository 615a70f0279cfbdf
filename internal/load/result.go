package load

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// Result is what one pass measured.
type Result struct {
	Model     string
	Started   time.Time
	Duration  time.Duration // from the start until the last request finished
	Requests  int64         // measured requests, all scenarios
	Errors    int64
	Scenarios []ScenarioResult // in the Engine's scenario order
	// Canceled counts requests aborted by cancellation; they are not measured.
	Canceled int64
	// Interrupted: the context was cancelled before the pass's bound.
	Interrupted bool
	// Open model: the rate asked for and the rate achieved (Requests/Duration).
	IntendedRate float64
	AchievedRate float64
	// Open model: how late requests were sent after their due time (client
	// CPU, timer resolution, or the in-flight cap), in ms. Latencies include
	// it. A p99 of more than a few ms means the client, not the service,
	// limited the schedule.
	ScheduleLag results.Latency
	// Open model: requests that waited for a free slot under max_in_flight.
	CapDelayed int64
	// Open model: requests due in the window that could not be sent
	// before it ended (counted per scenario as errors of class dropped).
	Dropped int64
	Client  string // the HTTP client used: ClientH1 or ClientNetHTTP
	// Protocol is the HTTP version spoken ("HTTP/1.1", "HTTP/2.0"); ""
	// when no response arrived.
	Protocol string
}

// ScenarioResult is one scenario's measurements in a pass.
type ScenarioResult struct {
	Name    string
	Metrics *metrics.Recorder
	// Timeline is the pass's per-second points for this scenario.
	Timeline []results.TimelinePoint
}

func (p *Pass) result(elapsed time.Duration, interrupted bool) *Result {
	e := p.e
	r := &Result{
		Model:       e.opt.Model,
		Started:     p.start,
		Duration:    elapsed,
		Requests:    p.requests.Load(),
		Errors:      p.errs.Load(),
		Canceled:    p.canceled.Load(),
		Interrupted: interrupted,
		Client:      e.client,
	}
	lag := metrics.NewHistogram()
	for _, s := range p.shards {
		lag.Merge(s.lag)
		if s.proto != "" {
			r.Protocol = s.proto
		}
	}
	if e.h1 != nil && r.Requests > r.Errors {
		r.Protocol = "HTTP/1.1"
	}
	var tail []int64
	if e.opt.Model == Open && !interrupted {
		slots, _ := e.openSlots(p.spec)
		tail = e.droppedTail(min(p.claimed.Load(), slots), slots)
	}
	for i, sc := range e.scs {
		m := metrics.NewRecorder()
		for _, s := range p.shards {
			m.Merge(s.recs[i])
		}
		if tail != nil {
			m.RecordDropped(tail[i])
			p.dropped.Add(tail[i])
			r.Errors += tail[i]
		}
		var tl []results.TimelinePoint
		if p.timeline != nil {
			tl = p.timeline.points[i]
			if tail != nil && tail[i] > 0 && len(tl) > 0 {
				tl[len(tl)-1].Errors.Dropped += tail[i] // never claimed: dropped at the end
			}
		}
		r.Scenarios = append(r.Scenarios, ScenarioResult{Name: sc.name, Metrics: m, Timeline: tl})
	}
	r.Dropped = p.dropped.Load()
	p.shards = nil
	if elapsed > 0 {
		r.AchievedRate = float64(r.Requests) / elapsed.Seconds()
	}
	if e.opt.Model == Open {
		r.IntendedRate = e.opt.Rate / float64(max(e.opt.Shard.Count, 1)) // this shard's part
		r.ScheduleLag = metrics.LatencyMS(lag)
		r.CapDelayed = p.capDelayed.Load()
	}
	return r
}

// Warnings says what in the pass bounds how far its figures can be trusted:
// open-model requests that waited for the in-flight cap, a client that fell
// behind its schedule, latencies beyond the histogram's range.
func (r *Result) Warnings() []string {
	var w []string
	if r.Dropped > 0 {
		w = append(w, fmt.Sprintf("open model: %d requests due within the pass could not be sent before it ended "+
			"(every one of max_in_flight slots was busy: the service stalled or did not keep up with %g requests/s); "+
			"they count as errors (dropped)", r.Dropped, r.IntendedRate))
	}
	if r.CapDelayed > 0 {
		w = append(w, fmt.Sprintf("open model: %d of %d requests waited for a free slot under max_in_flight: "+
			"the service did not keep up with %g requests/s (their latency counts the wait)", r.CapDelayed, r.Requests, r.IntendedRate))
	}
	if r.IntendedRate > 0 && r.ScheduleLag.P99 > 10 {
		w = append(w, fmt.Sprintf("open model: requests were sent up to %.1f ms late (p99) after their due time; "+
			"if max_in_flight was not reached, the load client itself (CPU) limited the schedule", r.ScheduleLag.P99))
	}
	for _, s := range r.Scenarios {
		if n := s.Metrics.Clamped(); n > 0 {
			w = append(w, fmt.Sprintf("scenario %q: %d latencies above %s were recorded as %s", s.Name, n,
				time.Duration(metrics.HighestMicros)*time.Microsecond, time.Duration(metrics.HighestMicros)*time.Microsecond))
		}
	}
	return w
}

// Figures converts the pass to results.Scenario entries (no Runs), each
// with its encoded histogram.
func (r *Result) Figures() ([]results.Scenario, error) {
	out := make([]results.Scenario, 0, len(r.Scenarios))
	for _, s := range r.Scenarios {
		h, err := metrics.EncodeHistogram(s.Metrics.Histogram())
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", s.Name, err)
		}
		out = append(out, results.Scenario{Name: s.Name, Figures: s.Metrics.Figures(r.Duration), Histogram: h, Timeline: s.Timeline})
	}
	return out, nil
}

// Summarize merges measured passes (one per repetition, same Engine) into
// one results.Scenario per scenario: the merged figures (requests summed,
// histograms merged, throughput = all requests / summed durations) and each
// pass's own figures in Runs (Index 1, 2, ...).
func Summarize(passes []*Result) ([]results.Scenario, error) {
	if len(passes) == 0 {
		return nil, nil
	}
	n := len(passes[0].Scenarios)
	merged := make([]*metrics.Recorder, n)
	for i := range merged {
		merged[i] = metrics.NewRecorder()
	}
	var total time.Duration
	out := make([]results.Scenario, n)
	for pi, p := range passes {
		if len(p.Scenarios) != n {
			return nil, errors.New("summarize: passes of different engines")
		}
		total += p.Duration
		for i, s := range p.Scenarios {
			merged[i].Merge(s.Metrics)
			out[i].Runs = append(out[i].Runs, results.Run{Index: pi + 1, Incomplete: p.Interrupted, Timeline: s.Timeline, Figures: s.Metrics.Figures(p.Duration)})
		}
	}
	for i, m := range merged {
		h, err := metrics.EncodeHistogram(m.Histogram())
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", passes[0].Scenarios[i].Name, err)
		}
		out[i].Name = passes[0].Scenarios[i].Name
		out[i].Figures = m.Figures(total)
		out[i].Histogram = h
	}
	return out, nil
}

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
	Warnings  []string           // from every pass, deduplicated (see Result.Warnings)
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
	for _, p := range pr.Passes {
		for _, w := range p.Warnings() {
			if !seen[w] {
				seen[w] = true
				pr.Warnings = append(pr.Warnings, w)
			}
		}
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

// FromConfig builds the Engine inputs from a loaded configuration: the
// scenarios (urls[i] is cfg.Scenarios[i].URL with endpoints resolved; bodies
// and header templates compiled), the options (client tuned for the load's
// concurrency) and the plan.
func FromConfig(cfg *config.Config, urls []string) ([]Scenario, Options, Plan, error) {
	if len(urls) != len(cfg.Scenarios) {
		return nil, Options{}, Plan{}, fmt.Errorf("%d rendered URLs for %d scenarios", len(urls), len(cfg.Scenarios))
	}
	scs := make([]Scenario, 0, len(cfg.Scenarios))
	for i, c := range cfg.Scenarios {
		// The loaded config's weight is the effective one: 0 was written
		// as 0 and switches the scenario off (an absent weight is 1).
		s := Scenario{Name: c.Name, Method: c.Method, URL: urls[i], Headers: c.Headers, Expect: c.Expect, Weight: c.Weight, Off: c.Weight == 0}
		if c.Body != "" {
			t, err := tmpl.Compile(c.Name, c.Body)
			if err != nil {
				return nil, Options{}, Plan{}, fmt.Errorf("%s: scenario %q (line %d): body: %w", cfg.Path, c.Name, c.Line, err)
			}
			s.Body = t
		}
		scs = append(scs, s)
	}
	l := cfg.Load
	opt := Options{Model: l.Model, Workers: l.Workers, Rate: l.Rate, MaxInFlight: l.MaxInFlight}
	if opt.Model == "" {
		opt.Model = Closed
	}
	opt.Client = cfg.Client
	opt.HTTPClient = cfg.Client.Impl
	plan := Plan{
		Warmup:  PassSpec{Requests: l.Warmup.Requests, Duration: l.Warmup.Duration.D()},
		Measure: PassSpec{Requests: l.Measure.Requests, Duration: l.Measure.Duration.D()},
		Repeat:  l.Repeat,
	}
	if plan.Repeat <= 0 {
		plan.Repeat = 5
	}
	return scs, opt, plan, nil
}
