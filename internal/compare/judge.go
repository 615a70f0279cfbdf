// Package compare judges a run against a baseline.
//
// CI runners are noisy, so a single "throughput dropped more than 5%" is not
// a verdict. Each metric is judged over the runs (load.repeat) of the
// baseline and of the current run:
//
//   - center: the median over runs on each side;
//   - change: current/baseline-1 (relative), or current-baseline for the
//     error rate (absolute, in rate units);
//   - significance: the two-sided Mann-Whitney U test over the runs
//     (golang.org/x/perf/benchmath, AssumeNothing), at alpha (default 0.05);
//   - confidence interval of the change: the distribution-free interval that
//     inverts the same test (Hodges-Lehmann style: order statistics of the
//     pairwise ratios current/baseline, or differences for the error rate),
//     at level 1-alpha, with its exact level in Check.Confidence.
//
// A metric FAILS only when its change is significant (p ≤ alpha) AND the
// change (median vs median) is beyond its threshold in the bad direction.
// A significant change within the threshold, an improvement, or no
// significant change passes ("~" in reports).
//
// Too few runs: with n1 and n2 runs and no ties the smallest two-sided
// p-value the U test can produce is 2/C(n1+n2, n1). When that exceeds alpha,
// no data can show a change and the check is "insufficient" — said plainly,
// never a failure. At alpha = 0.05 (equal runs on both sides) that means
// repeat ≥ 4: 3+3 → 0.100 (insufficient), 4+4 → 0.029, 5+5 → 0.0079.
// Unequal: 3+4 → 0.057 (insufficient), 3+5 → 0.036, 2+8 → 0.044, 2+7 →
// 0.056 (insufficient), 1+n needs n ≥ 39.
//
// Sessions: when the baseline recorded two or more measuring sessions
// (`baseline update --sessions N`), throughput and latency are judged with
// the session as the unit instead — this run's median against a prediction
// interval from the baseline's session medians (sessionCheck), because a
// machine drifts between sessions more than runs differ within one. Every
// such check, and the comparison, states the smallest change it could
// resolve (ResolvableChange); a one-session baseline is judged as above and
// warns that it cannot know the drift.
//
// The error-rate ceiling (error_rate_max) is not statistical: it fails
// whenever the current run's overall error rate exceeds it, whatever the
// number of runs and even without a baseline.
//
// Limits (a scenario's `limits:`, see limits.go) are not statistical
// either: each bounds one merged figure of this run, judged with or
// without a baseline.
package compare

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

// Gate names, as in results.Check.Gate.
const (
	GateThroughputDrop = "throughput_drop"
	GateLatencyRise    = "latency_rise"
	GateErrorRateMax   = "error_rate_max"
	GateErrorRateRise  = "error_rate_rise"
)

// Options tune Judge.
type Options struct {
	// BaselinePath is recorded in Comparison.Baseline (for reports).
	BaselinePath string
	// Limits are the absolute limits by scenario name (LimitsOf): judged
	// with a baseline or without.
	Limits map[string]config.Limits
}

// Judge compares the current run with the baseline under gates and returns
// the comparison (never nil). The error-rate ceiling and opts.Limits are
// judged in any case. base may be nil: then only they are judged,
// Comparison.Baseline stays empty and Verdict reports "no-baseline" unless
// one of them failed.
// Judge does not modify its inputs; set cur.Comparison and cur.Verdict
// yourself (or use Apply).
func Judge(gates config.Gates, base *baseline.Baseline, cur *results.Results, opts Options) *results.Comparison {
	alpha := Alpha(gates)
	c := &results.Comparison{
		Alpha:  alpha,
		Checks: []results.Check{},
	}
	if cur == nil {
		cur = &results.Results{}
	}
	if base != nil {
		c.Baseline = opts.BaselinePath
		c.BaselineDate = base.CreatedAt
		c.Warnings = fairness(base, cur)
	} else {
		where := ""
		if opts.BaselinePath != "" {
			where = " at " + opts.BaselinePath
		}
		c.Warnings = append(c.Warnings, "no baseline"+where+": only "+absoluteChecks(opts)+" judged; create one with `perfgate baseline update`")
	}
	if cur.EnvironmentFailure != "" {
		// The figures measure the environment, not the service: nothing
		// is judged, and the verdict is no-baseline (the command exits 3).
		c.Baseline, c.BaselineDate = "", time.Time{}
		c.Warnings = append(c.Warnings, "not judged: "+cur.EnvironmentFailure)
		return c
	}
	if cur.Interrupted {
		c.Warnings = append(c.Warnings, "this run was interrupted: it is judged on the runs that finished; a run cut short is reported, never judged")
	}
	j := &judge{alpha: alpha, prior: SessionDrift(gates)}
	cpus := foreignCPUs(cur.Host)
	if cpus <= 0 && base != nil {
		cpus = foreignCPUs(base.Host)
	}
	seen := map[string]bool{}
	for _, sc := range results.Flatten(cur.Scenarios) { // each flow, then each of its steps (flow/step)
		seen[sc.Name] = true
		th := Resolve(gates, sc.Name)
		c.Checks = append(c.Checks, ceilingCheck(sc, th, base))
		c.Checks = append(c.Checks, limitChecks(sc, opts.Limits[sc.Name])...)
		if base == nil {
			continue
		}
		bs := base.Scenario(sc.Name)
		if bs == nil {
			// A new scenario: nothing to compare it with yet, which is
			// not a failure (its ceiling above still applies).
			c.Checks = append(c.Checks, results.Check{
				Scenario:   sc.Name,
				Status:     results.CheckMissing,
				Note:       "new scenario, not in the baseline: not compared (no baseline for it yet); add it with `perfgate baseline update`",
				SamplesCur: len(sc.Runs),
			})
			continue
		}
		nb := neighbourOf(bs, sc, cpus)
		nb.external = len(cur.Services) == 0
		if nb.ok && c.ForeignCPU == nil {
			c.ForeignCPU = &results.ForeignCPUComparison{Baseline: nb.base, Current: nb.cur, CPUs: nb.cpus, External: nb.external}
		}
		if nb.busier() && c.ForeignCPU != nil {
			c.ForeignCPU.Guarded = true // any scenario's guard
		}
		c.Checks = append(c.Checks, j.scenario(bs, sc, th, nb)...)
	}
	if base != nil {
		for _, bs := range base.Scenarios {
			if !seen[bs.Name] {
				// A baselined scenario that was not measured cannot be
				// let through: renaming or dropping a scenario would
				// otherwise bypass its gates.
				c.Checks = append(c.Checks, results.Check{
					Scenario:    bs.Name,
					Status:      results.CheckFail,
					Note:        "in the baseline but not measured in this run (renamed or removed?), so its gates could not be judged; measure it again, or if the change is intended refresh the baseline with `perfgate baseline update`",
					SamplesBase: bs.Samples.Len(),
				})
			}
		}
		c.Warnings = append(c.Warnings, driftWarnings(c, j.prior)...)
		c.Warnings = append(c.Warnings, neighbourWarnings(c)...)
		if len(Failures(c)) == 0 && judged(c) == 0 && !anyInconclusive(c) {
			c.Warnings = append(c.Warnings, "no statistical check could be judged against the baseline "+
				"(too few runs, or no run completed a request), so the verdict is no-baseline, not pass; "+
				"only "+absoluteChecks(opts)+" judged")
		}
	}
	return c
}

// driftWarnings sets c.ResolvableChange (the largest over the throughput
// checks judged against the baseline, or over every check when none is) and
// says how far a stored-baseline comparison can be trusted: per session
// with the recorded drift, or, for a baseline of one session, that it
// cannot know the drift.
func driftWarnings(c *results.Comparison, prior float64) []string {
	var sessTh, singleTh, any float64
	minK, maxK := 0, 0
	single := false
	for _, ch := range c.Checks {
		if ch.ResolvableChange <= 0 {
			continue
		}
		any = math.Max(any, ch.ResolvableChange)
		if ch.Gate != GateThroughputDrop {
			continue
		}
		if ch.SessionsBase >= 2 {
			sessTh = math.Max(sessTh, ch.ResolvableChange)
			if minK == 0 || ch.SessionsBase < minK {
				minK = ch.SessionsBase
			}
			maxK = max(maxK, ch.SessionsBase)
		} else {
			single = true
			singleTh = math.Max(singleTh, ch.ResolvableChange)
		}
	}
	c.ResolvableChange = math.Max(sessTh, singleTh)
	if c.ResolvableChange == 0 {
		c.ResolvableChange = any
	}
	var w []string
	if minK >= 2 {
		k := strconv.Itoa(minK)
		if maxK > minK {
			k += "–" + strconv.Itoa(maxK)
		}
		w = append(w, fmt.Sprintf("judged per session against the baseline's %s measuring sessions (drift between sessions counted): "+
			"a stored-baseline comparison on this machine resolves a throughput change of about %s or more; "+
			"a smaller change is not reliably caught: use paired mode (`perfgate run --base REF`) to resolve it",
			k, num.Percent(sessTh, 0)))
	}
	if single {
		w = append(w, fmt.Sprintf("the baseline holds one measuring session, so it cannot know how far this machine drifts between sessions: "+
			"assuming a drift of %s between sessions (gates.session_drift), it resolves only a throughput change of about %s or more, "+
			"and a smaller one is inconclusive, not a regression; "+
			"record the drift with `perfgate baseline update --sessions 3`, or use paired mode (`perfgate run --base REF`)",
			pct(prior), num.Percent(singleTh, 0)))
	} else if minK == 0 && any > 0 {
		w = append(w, fmt.Sprintf("a stored-baseline comparison on this machine resolves a change of about %s or more", num.Percent(any, 0)))
	}
	return w
}

// absoluteChecks names what is judged without a baseline: "the error-rate
// ceiling was", or "the error-rate ceiling and the limits were".
func absoluteChecks(opts Options) string {
	if len(opts.Limits) > 0 {
		return "the error-rate ceiling and the limits were"
	}
	return "the error-rate ceiling was"
}

// judged counts the statistical checks (not the error-rate ceiling, not a
// limit, not a missing scenario) that were actually decided against a
// baseline.
func judged(c *results.Comparison) int {
	n := 0
	for _, ch := range c.Checks {
		if ch.Gate == "" || ch.Gate == GateErrorRateMax || ch.Gate == GateLimit {
			continue
		}
		if ch.Status == results.CheckPass || ch.Status == results.CheckFail {
			n++
		}
	}
	return n
}

// Apply judges and records the outcome in cur: cur.Comparison and
// cur.Verdict. It returns the verdict.
func Apply(gates config.Gates, base *baseline.Baseline, cur *results.Results, opts Options) string {
	cur.Comparison = Judge(gates, base, cur, opts)
	cur.Verdict = Verdict(cur.Comparison)
	return cur.Verdict
}

// anyInconclusive reports whether a check of c is inconclusive.
func anyInconclusive(c *results.Comparison) bool {
	for _, ch := range c.Checks {
		if ch.Status == results.CheckInconclusive {
			return true
		}
	}
	return false
}

// Failures returns the failed checks of c.
func Failures(c *results.Comparison) []results.Check {
	if c == nil {
		return nil
	}
	var out []results.Check
	for _, ch := range c.Checks {
		if ch.Status == results.CheckFail {
			out = append(out, ch)
		}
	}
	return out
}

// fairness lists what differs between the baseline's conditions and this
// run's, which may explain a change by itself.
func fairness(b *baseline.Baseline, cur *results.Results) []string {
	var w []string
	bh, ch := b.Host, cur.Host
	if bh.CPUModel != ch.CPUModel && bh.CPUModel != "" && ch.CPUModel != "" {
		w = append(w, fmt.Sprintf("baseline measured on CPU %q, this run on %q: figures may differ for that reason alone", bh.CPUModel, ch.CPUModel))
	}
	if bh.CPUCount != ch.CPUCount && bh.CPUCount > 0 && ch.CPUCount > 0 {
		w = append(w, fmt.Sprintf("baseline measured with %d CPUs, this run with %d", bh.CPUCount, ch.CPUCount))
	} else if bh.GOMAXPROCS != ch.GOMAXPROCS && bh.GOMAXPROCS > 0 && ch.GOMAXPROCS > 0 {
		w = append(w, fmt.Sprintf("baseline measured with GOMAXPROCS=%d, this run with %d", bh.GOMAXPROCS, ch.GOMAXPROCS))
	}
	if b.ConfigHash != cur.ConfigHash {
		w = append(w, fmt.Sprintf("the config changed since the baseline (hash %s → %s); if that was meant, re-create the baseline with `perfgate baseline update`", short(b.ConfigHash), short(cur.ConfigHash)))
	}
	if b.PerfgateVersion != cur.PerfgateVersion {
		w = append(w, fmt.Sprintf("baseline written by perfgate %s, this run by %s", orUnknown(b.PerfgateVersion), orUnknown(cur.PerfgateVersion)))
	}
	if b.Client != "" && cur.Client != "" && b.Client != cur.Client {
		w = append(w, fmt.Sprintf("baseline used HTTP client %q, this run %q", b.Client, cur.Client))
	}
	return w
}

func short(h string) string {
	if h == "" {
		return "(none)"
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		h = h[i+1:]
	}
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// ceilingCheck is the absolute error-rate gate: always judged.
func ceilingCheck(sc results.Scenario, th Thresholds, base *baseline.Baseline) results.Check {
	ch := results.Check{
		Scenario:   sc.Name,
		Metric:     baseline.MetricErrorRate,
		Gate:       GateErrorRateMax,
		Current:    finite(sc.ErrorRate),
		Threshold:  th.ErrorRateMax,
		Rule:       "<= " + pct(th.ErrorRateMax),
		SamplesCur: len(sc.Runs),
	}
	if base != nil {
		if bs := base.Scenario(sc.Name); bs != nil {
			ch.Baseline = baseline.Median(bs.Samples.ErrorRate)
			ch.SamplesBase = bs.Samples.Len()
		}
	}
	ch.Change = ch.Current - ch.Baseline
	ch.ChangeLow, ch.ChangeHigh = ch.Change, ch.Change
	if ch.Current > th.ErrorRateMax {
		ch.Status = results.CheckFail
		ch.Note = fmt.Sprintf("error rate %s over %d requests is above the %s ceiling", pct(ch.Current), sc.Requests, pct(th.ErrorRateMax))
	} else {
		ch.Status = results.CheckPass
	}
	return ch
}

type judge struct {
	alpha float64
	prior float64 // the drift between sessions assumed before any is seen (SessionDrift)
	// ranks caches ciRank per sample sizes: every metric of a scenario
	// has the same sizes, and computing the exact U distribution for
	// large samples is not free.
	ranks map[[2]int]rank
}

type rank struct {
	k      int
	actual float64
}

func (j *judge) rank(n1, n2 int) rank {
	key := [2]int{n1, n2}
	if r, ok := j.ranks[key]; ok {
		return r
	}
	k, actual := ciRank(n1, n2, 1-j.alpha)
	r := rank{k, actual}
	if j.ranks == nil {
		j.ranks = map[[2]int]rank{}
	}
	j.ranks[key] = r
	return r
}

// metricGate is one statistical gate on one metric.
type metricGate struct {
	metric    string
	gate      string
	threshold float64
	absolute  bool // change is current-baseline, not current/baseline-1
	lowerBad  bool // a drop is bad (throughput), else a rise is bad
	// floor: an absolute change (current-baseline, in the metric's unit)
	// that a bad change must also exceed; 0 for none.
	floor float64
}

func (j *judge) scenario(bs *baseline.Scenario, sc results.Scenario, th Thresholds, nb neighbour) []results.Check {
	// A negative threshold is a gate switched off ("off" in the config).
	var gates []metricGate
	if th.ThroughputDrop >= 0 {
		gates = append(gates, metricGate{metric: baseline.MetricThroughput, gate: GateThroughputDrop, threshold: th.ThroughputDrop, lowerBad: true})
	}
	if th.ErrorRateRise >= 0 {
		gates = append(gates, metricGate{metric: baseline.MetricErrorRate, gate: GateErrorRateRise, threshold: th.ErrorRateRise, absolute: true})
	}
	for _, p := range []string{baseline.MetricP50, baseline.MetricP90, baseline.MetricP95, baseline.MetricP99} {
		if t, ok := th.LatencyRise[p]; ok && t >= 0 {
			gates = append(gates, metricGate{metric: p, gate: GateLatencyRise, threshold: t, floor: th.LatencyFloorMS})
		}
	}
	curSamples := baseline.SamplesOf(sc)
	sessions := baseline.SessionsOf(bs, time.Time{})
	out := make([]results.Check, 0, len(gates))
	for _, g := range gates {
		ys := clean(curSamples.Get(g.metric))
		if !g.absolute {
			// The error rate does not drift with the machine's speed:
			// it stays judged over runs. Throughput and latency are
			// judged per session when the baseline knows the drift.
			if meds := baseline.Medians(sessions, g.metric); len(meds) >= 2 {
				ch := j.sessionCheck(sc.Name, g, meds, ys, bs.Samples.Len())
				guard(&ch, g, nb)
				out = append(out, ch)
				continue
			}
		}
		ch := j.check(sc.Name, g, clean(bs.Samples.Get(g.metric)), ys)
		if !g.absolute && ch.Status != results.CheckInsufficient {
			ch.ResolvableChange = finite(resolvable(g.threshold, pooledDrift(nil, j.prior).halfWidth(j.alpha), g.lowerBad))
			belowResolution(&ch, g, j.prior)
		}
		guard(&ch, g, nb)
		out = append(out, ch)
	}
	return out
}

// check judges one metric.
func (j *judge) check(scenario string, g metricGate, xs, ys []float64) results.Check {
	ch := results.Check{
		Scenario:    scenario,
		Metric:      g.metric,
		Gate:        g.gate,
		Threshold:   g.threshold,
		SamplesBase: len(xs),
		SamplesCur:  len(ys),
		PValue:      1,
	}
	ch.Rule = ruleOf(g)
	ch.Baseline = baseline.Median(xs)
	ch.Current = baseline.Median(ys)
	if len(xs) > 0 {
		ch.BaselineMin, ch.BaselineMax = slices.Min(xs), slices.Max(xs)
	}
	if len(xs) == 0 || len(ys) == 0 {
		ch.Status = results.CheckInsufficient
		switch {
		case len(xs) == 0:
			ch.Note = "the baseline has no completed run of this scenario"
		default:
			ch.Note = "no run of this scenario completed a request"
		}
		return ch
	}

	var diff func(x, y float64) float64
	if g.absolute {
		ch.Change = ch.Current - ch.Baseline
		diff = func(x, y float64) float64 { return y - x }
	} else {
		// Only the baseline side divides: a current value of 0 against a
		// positive baseline is a change of -100%, judged like any other.
		if !allPositive(xs) {
			ch.Status = results.CheckInsufficient
			ch.Note = "a baseline value is 0, so a relative change cannot be computed; re-create the baseline with `perfgate baseline update`"
			return ch
		}
		ch.Change = ch.Current/ch.Baseline - 1
		diff = func(x, y float64) float64 { return y/x - 1 }
	}
	r := j.rank(len(xs), len(ys))
	ch.Confidence = r.actual
	ch.ChangeLow, ch.ChangeHigh = shiftCI(xs, ys, r.k, diff)
	ch.ChangeLow, ch.ChangeHigh = finite(ch.ChangeLow), finite(ch.ChangeHigh)

	if !canReach(len(xs), len(ys), j.alpha) {
		ch.Status = results.CheckInsufficient
		ch.Note = insufficientNote(len(xs), len(ys), j.alpha)
		return ch
	}

	th := benchmath.Thresholds{CompareAlpha: j.alpha}
	cmp := benchmath.AssumeNothing.Compare(
		benchmath.NewSample(append([]float64(nil), xs...), &th),
		benchmath.NewSample(append([]float64(nil), ys...), &th))
	ch.PValue = finite(cmp.P)
	ch.Significant = cmp.P <= j.alpha

	decide(&ch, g)
	return ch
}

// ruleOf is the Check.Rule of g.
func ruleOf(g metricGate) string {
	switch {
	case g.absolute:
		return "rise <= " + pp(g.threshold)
	case g.lowerBad:
		return "drop <= " + pct(g.threshold)
	}
	r := "rise <= " + pct(g.threshold)
	if g.floor > 0 {
		r += " or <= " + strconv.FormatFloat(g.floor, 'g', 3, 64) + " ms"
	}
	return r
}

// decide sets ch.Status and ch.Note from its change, interval and
// significance: a fail needs a significant change whose whole interval
// lies beyond g's threshold (and, for latency, above its floor).
func decide(ch *results.Check, g metricGate) {
	// A change fails only when the whole confidence interval lies beyond
	// the threshold, not just the median: on a noisy runner a change near
	// the threshold is otherwise a coin toss (docs/gates.md, trials).
	bad := ch.Change > g.threshold
	certain := ch.ChangeLow > g.threshold
	if g.lowerBad {
		bad = ch.Change < -g.threshold
		certain = ch.ChangeHigh < -g.threshold
	}
	belowFloor := g.floor > 0 && ch.Current-ch.Baseline <= g.floor
	word, unit := "rose", pct
	if g.lowerBad {
		word = "dropped"
	}
	if g.absolute {
		unit = pp
	}
	switch {
	case ch.Significant && bad && belowFloor:
		ch.Status = results.CheckPass
		ch.Note = fmt.Sprintf("rose by %s, but only %s ms: below the %s ms floor", unit(math.Abs(ch.Change)),
			strconv.FormatFloat(ch.Current-ch.Baseline, 'f', 3, 64), strconv.FormatFloat(g.floor, 'g', 3, 64))
	case ch.Significant && bad && !certain:
		ch.Status = results.CheckPass
		ch.Note = fmt.Sprintf("significant, beyond the threshold at the median but its interval [%s, %s] reaches within %s: not judged a regression; rerun if in doubt",
			unit(ch.ChangeLow), unit(ch.ChangeHigh), unit(g.threshold))
	case ch.Significant && bad:
		ch.Status = results.CheckFail
		ch.Note = fmt.Sprintf("%s %s by %s (p=%s), beyond the %s allowed", results.MetricLabel(g.metric), word, unit(math.Abs(ch.Change)), num.PValue(ch.PValue), unit(g.threshold))
	case !ch.Significant:
		ch.Status = results.CheckPass
		ch.Note = "no significant change"
	case (g.lowerBad && ch.Change >= 0) || (!g.lowerBad && ch.Change <= 0):
		ch.Status = results.CheckPass
		ch.Note = "improved"
	default:
		ch.Status = results.CheckPass
		ch.Note = "significant, within the threshold"
	}
}

func insufficientNote(n1, n2 int, alpha float64) string {
	need := runsNeeded(n1, alpha, 100)
	equal := 1
	for !canReach(equal, equal, alpha) && equal < 100 {
		equal++
	}
	msg := fmt.Sprintf("%d baseline + %d current runs cannot show a change at alpha %s (best possible p = %s); ",
		n1, n2, strconv.FormatFloat(alpha, 'g', -1, 64), num.PValue(minPValue(n1, n2)))
	if need > 0 && need <= 20 && need != equal {
		return msg + fmt.Sprintf("this run needs ≥ %d runs, or use load.repeat ≥ %d for both baseline and run", need, equal)
	}
	return msg + fmt.Sprintf("use load.repeat ≥ %d for both baseline and run", equal)
}

func allPositive(xs []float64) bool {
	for _, x := range xs {
		if !(x > 0) {
			return false
		}
	}
	return true
}

// clean drops non-finite values, so one bad figure cannot poison a check.
func clean(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// finite maps NaN and ±Inf to 0 so results stay encodable as JSON.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// pct and pp are the prose formats of a fraction and of a difference of
// rates: "12.5%", "0.5pp".
func pct(f float64) string { return num.Percent(f, -1) }
func pp(f float64) string  { return num.Points(f, -1) }

// CandidateError says why a run should not become a baseline.
type CandidateError struct {
	Problems []string
}

func (e *CandidateError) Error() string {
	return "this run should not become a baseline: " + strings.Join(e.Problems, "; ") +
		"; fix the cause and run again, or pass --force to keep it anyway"
}

// CheckCandidate reports whether cur may become a baseline under gates: a
// run that breaks its own error-rate ceiling, was interrupted, or has a
// scenario with no completed request would make every later comparison
// meaningless. It returns nil or a *CandidateError; `baseline update
// --force` skips it.
func CheckCandidate(gates config.Gates, cur *results.Results) error {
	var p []string
	if cur.Interrupted {
		p = append(p, "the run was interrupted")
	}
	if cur.EnvironmentFailure != "" {
		p = append(p, cur.EnvironmentFailure)
	}
	if len(cur.Scenarios) == 0 {
		p = append(p, "it measured no scenario")
	}
	for _, sc := range results.Flatten(cur.Scenarios) {
		th := Resolve(gates, sc.Name)
		if baseline.SamplesOf(sc).Len() == 0 {
			p = append(p, fmt.Sprintf("scenario %q completed no request", sc.Name))
			continue
		}
		if sc.ErrorRate > th.ErrorRateMax {
			p = append(p, fmt.Sprintf("scenario %q has error rate %s, above its %s ceiling", sc.Name, pct(sc.ErrorRate), pct(th.ErrorRateMax)))
		}
	}
	if len(p) == 0 {
		return nil
	}
	return &CandidateError{Problems: p}
}

// Session drift (docs/gates.md, "Stored baselines and session drift").
//
// Runs inside one measuring session agree with each other far better than
// sessions do: a machine drifts between sessions minutes apart by more than
// a gate's threshold. A baseline that recorded several sessions is judged
// with the session as the unit: this run's median against a prediction
// interval for one new session, from the baseline's session medians (on a
// log scale), with the between-session spread pooled with a default drift
// (DefaultSessionDrift, weighted as sessionDriftPriorDF sessions' worth) so
// that three sessions that happen to agree cannot claim a quiet machine.
const (
	// DefaultSessionDrift is the assumed standard deviation of ln(session
	// median) between sessions on a shared runner (about ±8%): trials
	// measured ±15% ranges on a 2-core machine.
	DefaultSessionDrift = 0.08
	// sessionDriftPriorDF is how many degrees of freedom the default
	// drift counts for when pooled with the recorded spread.
	sessionDriftPriorDF = 4
)

// drift is the pooled between-session spread for k baseline sessions whose
// ln(median)s have sample variance v (ignored when k < 2).
type drift struct {
	k    int     // baseline sessions
	sd   float64 // pooled standard deviation of ln(session median)
	df   int     // its degrees of freedom
	seen float64 // the recorded spread alone (sample sd), 0 when k < 2
}

func pooledDrift(logs []float64, prior float64) drift {
	k := max(len(logs), 1)
	d := drift{k: k, df: sessionDriftPriorDF}
	ss := sessionDriftPriorDF * prior * prior
	if k >= 2 {
		mean := meanOf(logs)
		var v float64
		for _, x := range logs {
			v += (x - mean) * (x - mean)
		}
		ss += v
		d.df += k - 1
		d.seen = math.Sqrt(v / float64(k-1))
	}
	d.sd = math.Sqrt(ss / float64(d.df))
	return d
}

// halfWidth is the half-width, in ln units, of the 1-alpha prediction
// interval for one new session's ln(median).
func (d drift) halfWidth(alpha float64) float64 {
	return tQuantile(1-alpha/2, d.df) * d.se()
}

// se is the standard error of a new session's ln(median) minus the
// baseline's mean ln(median).
func (d drift) se() float64 {
	return d.sd * math.Sqrt(1+1/float64(max(1, d.k)))
}

// resolvable is the smallest relative change in the bad direction that,
// measured exactly, would put a whole interval of half-width h (ln units)
// beyond threshold.
func resolvable(threshold, h float64, lowerBad bool) float64 {
	if lowerBad {
		return 1 - (1-threshold)*math.Exp(-h)
	}
	return (1+threshold)*math.Exp(h) - 1
}

func meanOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// tAbsCDF is P(|T| <= t) for Student's t with df (a positive integer)
// degrees of freedom, by the closed forms for integer df (Abramowitz &
// Stegun 26.7.3–4).
func tAbsCDF(t float64, df int) float64 {
	if t <= 0 {
		return 0
	}
	if math.IsInf(t, 1) {
		return 1
	}
	th := math.Atan(t / math.Sqrt(float64(df)))
	s, c := math.Sin(th), math.Cos(th)
	c2 := c * c
	if df%2 == 0 {
		sum, term := 1.0, 1.0
		for i := 2; i <= df-2; i += 2 {
			term *= float64(i-1) / float64(i) * c2
			sum += term
		}
		return math.Min(1, s*sum)
	}
	if df == 1 {
		return 2 * th / math.Pi
	}
	sum, term := 1.0, 1.0
	for i := 3; i <= df-2; i += 2 {
		term *= float64(i-1) / float64(i) * c2
		sum += term
	}
	return math.Min(1, 2/math.Pi*(th+s*c*sum))
}

// tQuantile is the p-quantile (p in (0.5, 1)) of Student's t with df
// degrees of freedom, by bisection.
func tQuantile(p float64, df int) float64 {
	target := 2*p - 1 // P(|T| <= q)
	lo, hi := 0.0, 1.0
	for tAbsCDF(hi, df) < target && hi < 1e12 {
		hi *= 2
	}
	for i := 0; i < 200 && hi-lo > 1e-12*hi; i++ {
		mid := (lo + hi) / 2
		if tAbsCDF(mid, df) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// sessionCheck judges one relative metric with the session as the unit:
// ys (this run's runs, one session) against the medians of the baseline's
// sessions. pooled is the baseline's pooled runs (for SamplesBase).
func (j *judge) sessionCheck(scenario string, g metricGate, medians, ys []float64, pooled int) results.Check {
	ch := results.Check{
		Scenario:     scenario,
		Metric:       g.metric,
		Gate:         g.gate,
		Threshold:    g.threshold,
		Rule:         ruleOf(g),
		SamplesBase:  pooled,
		SamplesCur:   len(ys),
		SessionsBase: len(medians),
		Test:         results.TestSessionDrift,
		PValue:       1,
	}
	ch.Current = baseline.Median(ys)
	if len(ys) == 0 {
		ch.Status = results.CheckInsufficient
		ch.Note = "no run of this scenario completed a request"
		return ch
	}
	if !allPositive(medians) {
		ch.Baseline = baseline.Median(medians)
		ch.Status = results.CheckInsufficient
		ch.Note = "a baseline session's median is 0, so a relative change cannot be computed; re-create the baseline with `perfgate baseline update`"
		return ch
	}
	logs := make([]float64, len(medians))
	for i, m := range medians {
		logs[i] = math.Log(m)
	}
	mean := meanOf(logs)
	dr := pooledDrift(logs, j.prior)
	h := dr.halfWidth(j.alpha)
	ch.Baseline = math.Exp(mean)
	ch.Confidence = 1 - j.alpha
	ch.ResolvableChange = finite(resolvable(g.threshold, h, g.lowerBad))
	if ch.Current > 0 {
		d := math.Log(ch.Current) - mean
		ch.Change = math.Expm1(d)
		ch.ChangeLow, ch.ChangeHigh = math.Expm1(d-h), math.Expm1(d+h)
		ch.PValue = finite(1 - tAbsCDF(math.Abs(d)/dr.se(), dr.df))
	} else {
		// Nothing succeeded: a change of -100% whatever the drift.
		ch.Change, ch.ChangeLow, ch.ChangeHigh, ch.PValue = -1, -1, -1, 0
	}
	ch.Significant = ch.PValue <= j.alpha
	decide(&ch, g)
	if ch.Status == results.CheckPass && ch.Significant && ch.Note == "no significant change" {
		ch.Note = "significant"
	}
	ch.Note += fmt.Sprintf(" (judged per session against %d baseline sessions, drift sd %s pooled with the %s default; resolves changes ≥ %s)",
		dr.k, num.Percent(dr.seen, 1), pct(j.prior), num.Percent(ch.ResolvableChange, 0))
	return ch
}

// SessionDrift is the drift between measuring sessions assumed before
// any is recorded: gates.session_drift, or DefaultSessionDrift. A
// dedicated, quiet benchmark host may set it lower (0% judges a baseline
// of one session run against run at face value).
func SessionDrift(g config.Gates) float64 {
	if g.SessionDrift != nil && *g.SessionDrift >= 0 {
		return float64(*g.SessionDrift)
	}
	return DefaultSessionDrift
}

// belowResolution keeps a stored-baseline check from failing on a change
// smaller than what the comparison itself says it can resolve: a baseline
// of one session cannot tell this machine's drift between sessions from a
// regression below that size. Such a check is inconclusive, and says what
// would decide it.
func belowResolution(ch *results.Check, g metricGate, prior float64) {
	bad := ch.Change
	if g.lowerBad {
		bad = -bad
	}
	if ch.Status != results.CheckFail || ch.ResolvableChange <= 0 || bad >= ch.ResolvableChange {
		return
	}
	ch.Status = results.CheckInconclusive
	ch.Note = fmt.Sprintf("changed %+.1f%%, but a baseline of one measuring session resolves only changes of about %s or more "+
		"(assuming a drift of %s between sessions, gates.session_drift), so this is not judged a regression; "+
		"record the drift with `perfgate baseline update --sessions 3`, or use paired mode (`perfgate run --base REF`)",
		100*ch.Change, num.Percent(ch.ResolvableChange, 0), pct(prior))
}
