// Package merge turns the results of the N shards of one load (`perfgate
// run --shard I/N`, see internal/shard) into one normal results file, the
// one `perfgate compare`, `report` and `publish` take as they are.
//
// Check first makes sure the files belong together: every one a shard's,
// the same config (hash) and name, the same N and --start-at, each index
// 0 … N-1 exactly once, the same scenarios. Merge then, per run and per
// scenario (and the warm-up):
//
//   - requests, successes, errors by class and status counts are summed;
//   - the duration is the common window, the longest of the shards' (they
//     started together), and goodput is all shards' successes over it, so
//     it is the sum of the shards' goodputs over one window;
//   - latency percentiles come from the shards' HDR histograms merged, so
//     the p99 is the p99 of every request, not an average of p99s (a run's
//     from the runs' histograms, the scenario's from the merged runs');
//   - the failed-request latencies and a timeline point's p50/p99, which
//     have no histogram, are the worst shard's (an upper bound);
//   - runs are kept up to the number every shard finished (a shard cut
//     short leaves a warning).
//
// Each shard's host, rate, CPU and limits are kept in Results.Shards, with
// whether it was the bottleneck (CPU saturated, connections capped), and the
// shards' clock offsets against the target are compared.
package merge

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
)

// Input is one shard's results and the file they were read from.
type Input struct {
	File string
	Res  *results.Results
}

// CPUSaturated is the share of a shard machine's CPUs above which it was
// the bottleneck.
const CPUSaturated = 0.9

// LagLimitMS: an open-model shard whose requests went out later than this
// (p99) after their due time could not keep its schedule.
const LagLimitMS = 10.0

// Check reports why the inputs are not the N shards of one load, naming
// the files; nil when they are.
func Check(in []Input) error {
	if len(in) == 0 {
		return errors.New("no shard results given: pass every shard's file, e.g. perfgate merge shard-*.json --out results.json")
	}
	for _, x := range in {
		if x.Res == nil {
			return fmt.Errorf("%s: no results", x.File)
		}
		if x.Res.Shard == nil {
			return fmt.Errorf("%s is not a shard's results (no \"shard\" field): produce shard files with `perfgate run --shard I/N --out FILE`", x.File)
		}
		if s := x.Res.Shard; s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
			return fmt.Errorf("%s: shard %d/%d is impossible: the index counts from 0 and stays below the number of shards", x.File, s.Index, s.Count)
		}
		if x.Res.Mode == results.ModePaired || x.Res.Paired != nil {
			return fmt.Errorf("%s is a paired run's results: paired runs are not sharded", x.File)
		}
	}
	ref := in[0]
	r0 := ref.Res
	for _, x := range in[1:] {
		r := x.Res
		switch {
		case r.ConfigHash != r0.ConfigHash:
			return fmt.Errorf("%s ran config %s but %s ran config %s: every shard must run the same config", x.File, short(r.ConfigHash), ref.File, short(r0.ConfigHash))
		case r.Name != r0.Name:
			return fmt.Errorf("%s is of %q but %s of %q: every shard must run the same config", x.File, r.Name, ref.File, r0.Name)
		case r.Shard.Count != r0.Shard.Count:
			return fmt.Errorf("%s is shard %d/%d but %s is shard %d/%d: every shard must be given the same N", x.File, r.Shard.Index, r.Shard.Count, ref.File, r0.Shard.Index, r0.Shard.Count)
		case !r.Shard.StartAt.Equal(r0.Shard.StartAt):
			return fmt.Errorf("%s started at %s but %s at %s: every shard must be given the same --start-at", x.File, startText(r.Shard.StartAt), ref.File, startText(r0.Shard.StartAt))
		case !sameNames(r.Scenarios, r0.Scenarios):
			return fmt.Errorf("%s measured scenarios [%s] but %s [%s]", x.File, strings.Join(names(r.Scenarios), " "), ref.File, strings.Join(names(r0.Scenarios), " "))
		}
	}
	n := r0.Shard.Count
	seen := make([]string, n)
	for _, x := range in {
		i := x.Res.Shard.Index
		if seen[i] != "" {
			return fmt.Errorf("shard %d/%d is given twice: %s and %s", i, n, seen[i], x.File)
		}
		seen[i] = x.File
	}
	var missing []string
	for i, f := range seen {
		if f == "" {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("shard(s) %s of %d missing: merge needs every shard's results (got %d file(s))", strings.Join(missing, ", "), n, len(in))
	}
	for _, x := range in {
		for _, sc := range x.Res.Scenarios {
			for j, run := range sc.Runs {
				if run.Histogram == "" && run.OK > 0 {
					return fmt.Errorf("%s: scenario %q run %d has no histogram (written by an older perfgate?): rerun the shard", x.File, sc.Name, j+1)
				}
				if _, err := decode(run.Histogram); err != nil {
					return fmt.Errorf("%s: scenario %q run %d: %v", x.File, sc.Name, j+1, err)
				}
			}
			if _, err := decode(sc.Histogram); err != nil {
				return fmt.Errorf("%s: scenario %q: %v", x.File, sc.Name, err)
			}
		}
		for _, sc := range x.Res.Warmup {
			if _, err := decode(sc.Histogram); err != nil {
				return fmt.Errorf("%s: warm-up scenario %q: %v", x.File, sc.Name, err)
			}
		}
	}
	return nil
}

// Merge checks the inputs (see Check) and merges them into one results
// value (verdict no-baseline, not judged).
func Merge(in []Input) (*results.Results, error) {
	if err := Check(in); err != nil {
		return nil, err
	}
	in = slices.Clone(in)
	sort.Slice(in, func(a, b int) bool { return in[a].Res.Shard.Index < in[b].Res.Shard.Index })
	r0 := in[0].Res
	out := &results.Results{
		Schema:          results.Schema,
		Name:            r0.Name,
		Verdict:         results.VerdictNoBaseline,
		PerfgateVersion: r0.PerfgateVersion,
		ConfigPath:      r0.ConfigPath,
		ConfigHash:      r0.ConfigHash,
		StartedAt:       r0.StartedAt,
		FinishedAt:      r0.FinishedAt,
		Client:          r0.Client,
		Protocol:        r0.Protocol,
		SwitchedOff:     r0.SwitchedOff,
		Load:            r0.Load,
		Host:            r0.Host,
	}
	var notes, envs []string
	warn := newWarnings()
	tcp := map[string]*results.PassTCP{}
	var tcpOrder []string
	for _, x := range in {
		r := x.Res
		who := fmt.Sprintf("shard %d/%d", r.Shard.Index, r.Shard.Count)
		if r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		if r.FinishedAt.After(out.FinishedAt) {
			out.FinishedAt = r.FinishedAt
		}
		out.Interrupted = out.Interrupted || r.Interrupted
		if r.Note != "" {
			notes = append(notes, who+": "+r.Note)
		}
		if r.EnvironmentFailure != "" {
			envs = append(envs, who+": "+r.EnvironmentFailure)
		}
		if out.Protocol == "" {
			out.Protocol = r.Protocol
		}
		for _, w := range r.Warnings {
			warn.add(r.Shard.Index, w)
		}
		for _, p := range r.TCP {
			t := tcp[p.Pass]
			if t == nil {
				t = &results.PassTCP{Pass: p.Pass}
				tcp[p.Pass] = t
				tcpOrder = append(tcpOrder, p.Pass)
			}
			t.ListenOverflows += p.ListenOverflows
			t.ListenDrops += p.ListenDrops
			t.RetransSegs += p.RetransSegs
		}
	}
	out.Note = strings.Join(notes, "; ")
	out.EnvironmentFailure = strings.Join(envs, "; ")
	for _, p := range tcpOrder {
		out.TCP = append(out.TCP, *tcp[p])
	}

	var err error
	if out.Warmup, err = mergeWarmup(in); err != nil {
		return nil, err
	}
	var runWarn string
	if out.Scenarios, runWarn, err = mergeMeasured(in); err != nil {
		return nil, err
	}
	out.Warnings = warn.list()
	if runWarn != "" {
		out.Warnings = append(out.Warnings, runWarn)
	}
	for _, x := range in {
		out.Shards = append(out.Shards, summary(x))
	}
	for _, s := range out.Shards {
		if s.Bottleneck != "" {
			out.Warnings = append(out.Warnings, fmt.Sprintf("shard %d/%d may have limited the load, not the service (%s): %s; add shards or give each more room", s.Index, s.Count, s.Bottleneck, s.BottleneckNote))
		}
	}
	out.Warnings = append(out.Warnings, clockWarnings(out.Shards)...)
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merged results are invalid: %w", err)
	}
	return out, nil
}

// mergeWarmup merges the warm-up scenario by scenario (a shard without a
// warm-up adds nothing).
func mergeWarmup(in []Input) ([]results.Scenario, error) {
	var names []string
	for _, x := range in {
		if len(x.Res.Warmup) > len(names) {
			names = namesOf(x.Res.Warmup)
		}
	}
	var out []results.Scenario
	for i, name := range names {
		var parts []results.Figures
		var tls [][]results.TimelinePoint
		var hs []string
		for _, x := range in {
			if i < len(x.Res.Warmup) && x.Res.Warmup[i].Name == name {
				w := x.Res.Warmup[i]
				parts, tls, hs = append(parts, w.Figures), append(tls, w.Timeline), append(hs, w.Histogram)
			}
		}
		h, err := mergeHists(hs)
		if err != nil {
			return nil, fmt.Errorf("warm-up scenario %q: %w", name, err)
		}
		sc := results.Scenario{Name: name, Figures: figures(parts, h, maxDuration(parts)), Timeline: mergeTimeline(tls)}
		if sc.Histogram, err = metrics.EncodeHistogram(h); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// mergeMeasured merges the measured scenarios run by run.
func mergeMeasured(in []Input) ([]results.Scenario, string, error) {
	r0 := in[0].Res
	out := make([]results.Scenario, len(r0.Scenarios))
	warn := ""
	for i := range r0.Scenarios {
		nRuns, most := math.MaxInt, 0
		for _, x := range in {
			nRuns = min(nRuns, len(x.Res.Scenarios[i].Runs))
			most = max(most, len(x.Res.Scenarios[i].Runs))
		}
		if nRuns < most && warn == "" {
			warn = fmt.Sprintf("the shards finished different numbers of measured runs (%d to %d): the merged results keep the %d every shard finished", nRuns, most, nRuns)
		}
		sc := results.Scenario{Name: r0.Scenarios[i].Name}
		all := metrics.NewHistogram()
		var runFigs []results.Figures
		var total float64
		for j := range nRuns {
			var parts []results.Figures
			var tls [][]results.TimelinePoint
			var hs []string
			incomplete := false
			for _, x := range in {
				run := x.Res.Scenarios[i].Runs[j]
				parts, tls, hs = append(parts, run.Figures), append(tls, run.Timeline), append(hs, run.Histogram)
				incomplete = incomplete || run.Incomplete
			}
			h, err := mergeHists(hs)
			if err != nil {
				return nil, "", fmt.Errorf("scenario %q run %d: %w", sc.Name, j+1, err)
			}
			all.Merge(h)
			d := maxDuration(parts)
			total += d
			run := results.Run{Index: j + 1, Incomplete: incomplete, Timeline: mergeTimeline(tls), Figures: figures(parts, h, d)}
			if run.Histogram, err = metrics.EncodeHistogram(h); err != nil {
				return nil, "", err
			}
			runFigs = append(runFigs, run.Figures)
			sc.Runs = append(sc.Runs, run)
		}
		sc.Figures = figures(runFigs, all, total)
		var err error
		if sc.Histogram, err = metrics.EncodeHistogram(all); err != nil {
			return nil, "", err
		}
		out[i] = sc
	}
	return out, warn, nil
}

// figures sums parts over a window of d seconds; the success latencies
// are h's.
func figures(parts []results.Figures, h *hdrhistogram.Histogram, d float64) results.Figures {
	f := results.Figures{DurationS: d, StatusCounts: map[string]int64{}}
	for _, p := range parts {
		f.Requests += p.Requests
		f.OK += p.OK
		f.Errors.Add(p.Errors)
		for code, n := range p.StatusCounts {
			f.StatusCounts[code] += n
		}
		if p.FailedLatencyMS != nil {
			if f.FailedLatencyMS == nil {
				f.FailedLatencyMS = &results.Latency{}
			}
			l := f.FailedLatencyMS
			q := p.FailedLatencyMS
			l.P50, l.P90, l.P95, l.P99, l.Max, l.Mean = max(l.P50, q.P50), max(l.P90, q.P90), max(l.P95, q.P95), max(l.P99, q.P99), max(l.Max, q.Max), max(l.Mean, q.Mean)
		}
		for _, s := range p.SampleErrors {
			if len(f.SampleErrors) < metrics.MaxSampleErrors && !slices.Contains(f.SampleErrors, s) {
				f.SampleErrors = append(f.SampleErrors, s)
			}
		}
	}
	if d > 0 {
		f.ThroughputRPS = float64(f.OK) / d
		f.AttemptRPS = float64(f.Requests) / d
	}
	if n := f.Requests + f.Errors.Dropped; n > 0 {
		f.ErrorRate = min(float64(f.Errors.Total())/float64(n), 1)
	}
	if h != nil {
		f.LatencyMS = metrics.LatencyMS(h)
	}
	return f
}

func maxDuration(parts []results.Figures) float64 {
	d := 0.0
	for _, p := range parts {
		d = max(d, p.DurationS)
	}
	return d
}

// mergeTimeline adds the shards' per-second points position by position
// (the shards started together); p50/p99 are the worst shard's.
func mergeTimeline(tls [][]results.TimelinePoint) []results.TimelinePoint {
	var out []results.TimelinePoint
	for _, tl := range tls {
		for k, p := range tl {
			if k == len(out) {
				out = append(out, results.TimelinePoint{})
			}
			o := &out[k]
			o.T = max(o.T, p.T)
			o.Requests += p.Requests
			o.OK += p.OK
			o.OKPerS += p.OKPerS
			o.Errors.Add(p.Errors)
			o.P50MS, o.P99MS = max(o.P50MS, p.P50MS), max(o.P99MS, p.P99MS)
		}
	}
	return out
}

func mergeHists(hs []string) (*hdrhistogram.Histogram, error) {
	h := metrics.NewHistogram()
	for _, s := range hs {
		x, err := decode(s)
		if err != nil {
			return nil, err
		}
		if x != nil {
			if dropped := h.Merge(x); dropped > 0 {
				return nil, fmt.Errorf("histogram: %d values outside perfgate's latency range: not written by perfgate", dropped)
			}
		}
	}
	return h, nil
}

// decode decodes a results histogram; "" is nil. Bad input never panics.
func decode(s string) (h *hdrhistogram.Histogram, err error) {
	if s == "" {
		return nil, nil
	}
	if err := results.CheckHistogram(s); err != nil {
		return nil, fmt.Errorf("histogram %v", err)
	}
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("histogram does not decode: %v", p)
		}
	}()
	return metrics.DecodeHistogram(s)
}

// summary is one shard's line in the merged results.
func summary(x Input) results.ShardSummary {
	r := x.Res
	s := results.ShardSummary{ShardRun: *r.Shard, File: x.File, Host: r.Host}
	var clientErrs int64
	for _, sc := range r.Scenarios {
		s.Requests += sc.Requests
		s.AttemptRPS += sc.AttemptRPS
		s.ThroughputRPS += sc.ThroughputRPS
		clientErrs += sc.Errors.Client
	}
	var why []string
	bott := ""
	if r.Shard.CPUUtil >= CPUSaturated {
		bott = "cpu"
		why = append(why, fmt.Sprintf("its CPU was %.0f%% busy over its %d core(s)", 100*r.Shard.CPUUtil, r.Host.CPUCount))
	}
	if r.Shard.ScheduleLagP99MS > LagLimitMS && r.Shard.CapDelayed == 0 {
		if bott == "" {
			bott = "cpu"
		}
		why = append(why, fmt.Sprintf("its requests went out up to %.1f ms late (p99) with max_in_flight not reached", r.Shard.ScheduleLagP99MS))
	}
	if r.Shard.CapDelayed > 0 || r.Shard.Dropped > 0 {
		bott = joinKind(bott, "connections")
		why = append(why, fmt.Sprintf("%d request(s) waited for its max_in_flight cap of %d and %d were dropped", r.Shard.CapDelayed, r.Shard.MaxInFlight, r.Shard.Dropped))
	}
	if clientErrs > 0 {
		bott = joinKind(bott, "connections")
		why = append(why, fmt.Sprintf("%d request(s) could not be sent: the client ran out of file descriptors or ports", clientErrs))
	}
	s.Bottleneck, s.BottleneckNote = bott, strings.Join(why, "; ")
	return s
}

func joinKind(a, b string) string {
	if a == "" || a == b {
		return b
	}
	return a + "+" + b
}

// clockWarnings compares the shards' clocks, each read against the same
// target, and the instants their loads began (by the target's clock).
func clockWarnings(ss []results.ShardSummary) []string {
	var out []string
	var ref *results.ShardSummary
	for i := range ss {
		if ss[i].ClockSource != "" {
			ref = &ss[i]
			break
		}
	}
	if ref == nil {
		return nil
	}
	lo, hi := time.Time{}, time.Time{}
	unc := 0.0
	for i := range ss {
		s := &ss[i]
		if s.ClockSource == "" {
			continue
		}
		unc = max(unc, s.ClockUncertaintyS)
		if s != ref {
			diff := s.ClockOffsetS - ref.ClockOffsetS
			if math.Abs(diff) > s.ClockUncertaintyS+ref.ClockUncertaintyS+0.25 {
				dir := "ahead of"
				if diff < 0 {
					dir = "behind"
				}
				out = append(out, fmt.Sprintf("shard %d/%d's clock is %.2fs %s shard %d/%d's (both read against the target's Date header, ± %.2fs): their common start was that far apart; sync the clocks (NTP)",
					s.Index, s.Count, math.Abs(diff), dir, ref.Index, ref.Count, s.ClockUncertaintyS+ref.ClockUncertaintyS))
			}
		}
		if s.LoadStartedAt.IsZero() {
			continue
		}
		t := s.LoadStartedAt.Add(-time.Duration(s.ClockOffsetS * float64(time.Second)))
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if hi.IsZero() || t.After(hi) {
			hi = t
		}
	}
	if spread := hi.Sub(lo).Seconds(); spread > max(1, 2*unc) {
		out = append(out, fmt.Sprintf("the shards' loads began up to %.1fs apart (by the target's clock): their passes overlap only partly; use --start-at with an instant every shard reaches in time", spread))
	}
	return out
}

// warnings collects the shards' warnings, each once, naming the shards.
type warnings struct {
	order []string
	who   map[string][]int
}

func newWarnings() *warnings { return &warnings{who: map[string][]int{}} }

func (w *warnings) add(shard int, msg string) {
	if _, ok := w.who[msg]; !ok {
		w.order = append(w.order, msg)
	}
	if !slices.Contains(w.who[msg], shard) {
		w.who[msg] = append(w.who[msg], shard)
	}
}

func (w *warnings) list() []string {
	var out []string
	for _, m := range w.order {
		ids := make([]string, len(w.who[m]))
		for i, s := range w.who[m] {
			ids[i] = fmt.Sprint(s)
		}
		label := "shard "
		if len(ids) > 1 {
			label = "shards "
		}
		out = append(out, label+strings.Join(ids, ", ")+": "+m)
	}
	return out
}

func sameNames(a, b []results.Scenario) bool { return slices.Equal(names(a), names(b)) }

func names(s []results.Scenario) []string { return namesOf(s) }

func namesOf(s []results.Scenario) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Name
	}
	return out
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return `""`
	}
	return h
}

func startText(t time.Time) string {
	if t.IsZero() {
		return "no --start-at"
	}
	return t.UTC().Format(time.RFC3339)
}
