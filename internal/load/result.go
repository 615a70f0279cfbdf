package load

import (
	"errors"
	"fmt"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
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
	// ClientLoad is the load client's own CPU and scheduling delay over
	// the pass; when saturated, latency includes the client's queueing
	// (see Warnings).
	ClientLoad ClientLoad
}

// ScenarioResult is one scenario's measurements in a pass.
type ScenarioResult struct {
	Name    string
	Metrics *metrics.Recorder
	// Timeline is the pass's per-second points for this scenario.
	Timeline []results.TimelinePoint
	// Steps are a flow's steps, each a request kind of its own; the
	// flow's Metrics then count iterations (an iteration's latency runs
	// from its start to the end of its last step).
	Steps []ScenarioResult
}

func (p *Pass) result(elapsed time.Duration, interrupted bool) *Result {
	e := p.e
	r := &Result{
		ClientLoad:  clientLoad(p.usage, readClientUsage(), elapsed),
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
		sr := ScenarioResult{Name: sc.name, Metrics: m, Timeline: tl}
		if sc.parent >= 0 {
			f := &r.Scenarios[len(r.Scenarios)-1] // a step follows its flow
			f.Steps = append(f.Steps, sr)
			continue
		}
		r.Scenarios = append(r.Scenarios, sr)
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
// behind its schedule, a client whose own CPU was saturated, latencies
// beyond the histogram's range.
func (r *Result) Warnings() []string { return r.warnings(true) }

// warnings: Warnings, without the client's saturation unless withClient
// (a plan says it once, for its most loaded pass).
func (r *Result) warnings(withClient bool) []string {
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
	if r.Requests > 0 && withClient {
		if cw := r.ClientLoad.warning(); cw != "" {
			w = append(w, cw)
		}
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
	return figures(r.Scenarios, r.Duration)
}

func figures(scs []ScenarioResult, d time.Duration) ([]results.Scenario, error) {
	out := make([]results.Scenario, 0, len(scs))
	for _, s := range scs {
		h, err := metrics.EncodeHistogram(s.Metrics.Histogram())
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", s.Name, err)
		}
		rs := results.Scenario{Name: s.Name, Figures: s.Metrics.Figures(d), Histogram: h, Timeline: s.Timeline}
		if len(s.Steps) > 0 {
			if rs.Steps, err = figures(s.Steps, d); err != nil {
				return nil, fmt.Errorf("scenario %q: %w", s.Name, err)
			}
		}
		out = append(out, rs)
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
	lists := make([][]ScenarioResult, len(passes))
	durs := make([]time.Duration, len(passes))
	incomplete := make([]bool, len(passes))
	for i, p := range passes {
		lists[i], durs[i], incomplete[i] = p.Scenarios, p.Duration, p.Interrupted
	}
	return summarize(lists, durs, incomplete)
}

// summarize merges per-pass scenario lists (and, recursively, flow steps).
func summarize(lists [][]ScenarioResult, durs []time.Duration, incomplete []bool) ([]results.Scenario, error) {
	n := len(lists[0])
	merged := make([]*metrics.Recorder, n)
	for i := range merged {
		merged[i] = metrics.NewRecorder()
	}
	var total time.Duration
	out := make([]results.Scenario, n)
	for pi, list := range lists {
		if len(list) != n {
			return nil, errors.New("summarize: passes of different engines")
		}
		total += durs[pi]
		for i, s := range list {
			merged[i].Merge(s.Metrics)
			out[i].Runs = append(out[i].Runs, results.Run{Index: pi + 1, Incomplete: incomplete[pi], Timeline: s.Timeline, Figures: s.Metrics.Figures(durs[pi])})
		}
	}
	for i, m := range merged {
		h, err := metrics.EncodeHistogram(m.Histogram())
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", lists[0][i].Name, err)
		}
		out[i].Name = lists[0][i].Name
		out[i].Figures = m.Figures(total)
		out[i].Histogram = h
		if len(lists[0][i].Steps) > 0 {
			steps := make([][]ScenarioResult, len(lists))
			for pi := range lists {
				steps[pi] = lists[pi][i].Steps
			}
			s, err := summarize(steps, durs, incomplete)
			if err != nil {
				return nil, fmt.Errorf("scenario %q: %w", out[i].Name, err)
			}
			out[i].Steps = s
		}
	}
	return out, nil
}
