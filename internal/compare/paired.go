package compare

// Paired judgement: base and head measured in alternating slices on the
// same machine in the same window (internal/paired). Each round holds one
// slice of each side; the unit of evidence is the round's paired change —
// ln(head/base) for throughput and latency, head-base for the error rate —
// so drift over the session (CPU frequency, a neighbour, thermal state)
// cancels within a round instead of landing on one side.
//
// The bounds come from the exact Wilcoxon signed-rank confidence interval
// of the pseudo-median of the paired changes (the sorted Walsh averages):
// distribution-free, needs only symmetry of the paired changes (true under
// A/A by exchangeability, close to it otherwise), and far more efficient
// than a sign test (about 95% of a t-interval's on normal data). The
// rounds are looked at repeatedly; the sequential design (sequential.go)
// sets each look's levels and says when a gate is decided: it separates
// "no change that matters" (half the threshold or less) from "a regression
// of the threshold", with both error rates designed in, and stops as soon
// as every gate is decided or one failed. When the budget is spent with a
// gate undecided, the verdict is inconclusive.

import (
	"fmt"
	"math"
	"sort"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

// CheckInconclusive is a paired check still undecided when the budget is
// spent.
const CheckInconclusive = results.CheckInconclusive

// Round is one round's figures per scenario name, each side's slice, and
// the foreign CPU (cores, internal/foreigncpu) each slice ran beside; a
// negative foreign figure means it could not be read. CPUs is the
// machine's CPU count (0: no foreign-CPU adjustment).
type Round struct {
	Base, Head               map[string]results.Figures
	BaseForeign, HeadForeign float64
	CPUs                     int
	// BaseIdle and HeadIdle are the CPU (cores) the machine left idle
	// beside each slice; IdleRead says both were read.
	BaseIdle, HeadIdle float64
	IdleRead           bool
}

// PairedOutcome is one look's judgement.
type PairedOutcome struct {
	Checks []results.Check
	// Decided: every gate is decided (pass or fail), or one failed:
	// collecting more rounds cannot change the verdict.
	Decided bool
	// Detectable is the smallest goodput change (relative) this look could
	// tell from none at the design's error rates: the distance between
	// the fail-side and pass-side bounds of the least resolved goodput
	// gate; 0 when no goodput gate had bounds.
	Detectable float64
	// Undecided lists the checks still undecided, with how much longer a
	// session would likely need to decide each.
	Undecided []Undecided
	// Adjusted: the paired changes were adjusted for foreign CPU (see
	// AdjustForeign), which the rounds' spread of it called for.
	Adjusted bool
}

// Undecided is a check the look could not decide, and Factor, how many
// times the rounds so far would likely decide it (the bounds narrow as
// 1/√rounds; 0 when unknown).
type Undecided struct {
	Scenario, Metric string
	Factor           float64
}

// JudgePaired judges the rounds so far at one look of the sequential
// design. Scenarios come from the head's config; ones switched off are
// skipped.
func JudgePaired(gates config.Gates, scenarios []string, rounds []Round, look Look) PairedOutcome {
	var out PairedOutcome
	x := foreignDiffs(rounds)
	out.Adjusted = x != nil
	idle := idleOf(rounds)
	failed := false
	for _, name := range scenarios {
		th := Resolve(gates, name)
		base, head, xs := scenarioRounds(rounds, x, name)
		for _, g := range pairedGates(th) {
			ch := pairedCheck(name, g, base, head, xs, idle, look)
			if ch.Status == results.CheckFail {
				failed = true
			}
			if g.metric == baseline.MetricThroughput && ch.detect > 0 {
				out.Detectable = max(out.Detectable, ch.ResolvableChange)
			}
			if ch.undecided {
				u := Undecided{Scenario: name, Metric: g.metric}
				if z0, z1 := zone(g); ch.detect > 0 {
					// Decided once the bounds are at most the zone's width apart.
					u.Factor = math.Pow(ch.detect/(z1-z0), 2)
				}
				out.Undecided = append(out.Undecided, u)
			}
			out.Checks = append(out.Checks, ch.Check)
		}
		// The head's own error-rate ceiling, absolute as in Judge.
		var reqs, errs int64
		for _, f := range head {
			reqs += f.Requests + f.Errors.Dropped
			errs += f.Errors.Total()
		}
		rate := 0.0
		if reqs > 0 {
			rate = float64(errs) / float64(reqs)
		}
		c := results.Check{Scenario: name, Metric: baseline.MetricErrorRate, Gate: GateErrorRateMax,
			Current: rate, Threshold: th.ErrorRateMax, Rule: "<= " + pct(th.ErrorRateMax), Status: results.CheckPass, SamplesCur: len(head)}
		if rate > th.ErrorRateMax {
			c.Status = results.CheckFail
			c.Note = fmt.Sprintf("head's error rate %s over %d requests is above the %s ceiling", pct(rate), reqs, pct(th.ErrorRateMax))
			failed = true
		}
		out.Checks = append(out.Checks, c)
	}
	out.Decided = failed || len(out.Undecided) == 0
	return out
}

func pairedGates(th Thresholds) []metricGate {
	var gs []metricGate
	if th.ThroughputDrop >= 0 {
		gs = append(gs, metricGate{metric: baseline.MetricThroughput, gate: GateThroughputDrop, threshold: th.ThroughputDrop, lowerBad: true})
	}
	if th.ErrorRateRise >= 0 {
		gs = append(gs, metricGate{metric: baseline.MetricErrorRate, gate: GateErrorRateRise, threshold: th.ErrorRateRise, absolute: true})
	}
	for _, p := range []string{baseline.MetricP50, baseline.MetricP90, baseline.MetricP95, baseline.MetricP99} {
		if t, ok := th.LatencyRise[p]; ok && t >= 0 {
			gs = append(gs, metricGate{metric: p, gate: GateLatencyRise, threshold: t, floor: th.LatencyFloorMS})
		}
	}
	return gs
}

type pairedResult struct {
	results.Check
	undecided bool
	detect    float64 // bad-direction distance between the two bounds (0: none)
}

func metricOf(f results.Figures, metric string) float64 {
	switch metric {
	case baseline.MetricThroughput:
		return f.ThroughputRPS
	case baseline.MetricErrorRate:
		return f.ErrorRate
	case baseline.MetricP50:
		return f.LatencyMS.P50
	case baseline.MetricP90:
		return f.LatencyMS.P90
	case baseline.MetricP95:
		return f.LatencyMS.P95
	case baseline.MetricP99:
		return f.LatencyMS.P99
	}
	return math.NaN()
}

// Slope bounds of the foreign-CPU adjustment: less CPU left can only lower
// goodput (at most a little more than in proportion: 1.5) and only raise
// latency (queues grow faster than the CPU shrinks: up to −3). A fitted
// slope outside is noise, or the measure following the side's own
// throughput (work the slice causes outside perfgate's tree), and is
// clamped: a negative goodput slope would subtract the change itself.
const (
	maxGoodputSlope = 1.5
	minLatencySlope = -3
)

// pairedCheck judges one gate over the rounds at one look of the
// sequential design (sequential.go); foreign holds each round's covariate
// x (nil: no foreign-CPU adjustment), and idle says how the CPU each side
// left idle compares (idleOf).
func pairedCheck(scenario string, g metricGate, base, head []results.Figures, foreign []float64, idle idleBalance, look Look) pairedResult {
	ch := results.Check{Scenario: scenario, Metric: g.metric, Gate: g.gate, Threshold: g.threshold,
		Confidence: 1 - look.FailLevel - look.PassLevel, SamplesBase: len(base), SamplesCur: len(head), Test: results.TestPairedSignedRank}
	switch {
	case g.absolute:
		ch.Rule = "rise <= " + pp(g.threshold)
	case g.lowerBad:
		ch.Rule = "drop <= " + pct(g.threshold)
	default:
		ch.Rule = "rise <= " + pct(g.threshold)
	}
	bs, hs, bad, xs := badChanges(g, base, head, foreign)
	ch.Baseline, ch.Current = baseline.Median(bs), baseline.Median(hs)
	b, ok := badBounds(g, bad, xs, idle, look)
	res := pairedResult{}
	if !ok {
		ch.Status = CheckInconclusive
		ch.Note = fmt.Sprintf("%d usable rounds: too few for the first look's bounds", len(bad))
		// No interval: left at 0 (JSON has no infinity), the note and the
		// inconclusive status say why.
		res.Check = ch
		res.undecided = true
		return res
	}
	// Back to the metric's own direction and unit.
	conv := func(x float64) float64 { return math.Expm1(x) }
	if g.absolute {
		conv = func(x float64) float64 { return x }
	}
	if g.lowerBad {
		ch.Change, ch.ChangeLow, ch.ChangeHigh = conv(-b.est), conv(-b.pass), conv(-b.fail)
	} else {
		ch.Change, ch.ChangeLow, ch.ChangeHigh = conv(b.est), conv(b.fail), conv(b.pass)
	}
	ch.Significant = ch.ChangeLow > 0 || ch.ChangeHigh < 0
	res.detect = b.pass - b.fail
	ch.ResolvableChange = badChange(g, res.detect)
	zone0, zone1 := zone(g)
	abs := func(x float64) float64 { return ch.Baseline * math.Expm1(x) } // a latency bound in ms
	failOK := b.fail > zone0 && (g.floor <= 0 || abs(b.fail) > g.floor)
	passOK := b.pass < zone1 || (g.floor > 0 && abs(b.pass) < g.floor)
	if failOK && passOK {
		// The interval lies inside the zone, wholly within the threshold:
		// either answer is allowed, and the user's threshold says pass.
		failOK = false
	}
	unit := pct
	if g.absolute {
		unit = pp
	}
	interval := fmt.Sprintf("[%s, %s]", signed(ch.ChangeLow, unit), signed(ch.ChangeHigh, unit))
	word := "rose"
	if g.lowerBad {
		word = "dropped"
	}
	half := unit(badChange(g, zone0))
	switch {
	case failOK:
		ch.Status = results.CheckFail
		ch.Note = fmt.Sprintf("%s by %s %s over %d paired rounds: fails the %s gate (more than %s, half of it, even at the interval's edge)",
			word, unit(math.Abs(ch.Change)), interval, len(bad), unit(g.threshold), half)
	case passOK:
		ch.Status = results.CheckPass
		ch.Note = fmt.Sprintf("%s %s over %d paired rounds: within the %s allowed", signed(ch.Change, unit), interval, len(bad), unit(g.threshold))
		if g.floor > 0 && b.pass >= zone1 {
			ch.Note += fmt.Sprintf(" (any rise is below the %g ms floor)", g.floor)
		}
	default:
		ch.Status = CheckInconclusive
		res.undecided = true
		ch.Note = fmt.Sprintf("%s %s over %d paired rounds: not yet told apart from either no change that matters (%s or less) or the %s threshold",
			signed(ch.Change, unit), interval, len(bad), half, unit(g.threshold))
	}
	ch.Note += b.adjusted
	res.Check = ch
	return res
}

// scenarioRounds are one scenario's figures on each side over the rounds
// that measured it on both, and those rounds' foreign-CPU covariates (nil
// when x is).
func scenarioRounds(rounds []Round, x []float64, name string) (base, head []results.Figures, xs []float64) {
	for i, r := range rounds {
		b, okb := r.Base[name]
		h, okh := r.Head[name]
		if okb && okh {
			base, head = append(base, b), append(head, h)
			if x != nil {
				xs = append(xs, x[i])
			}
		}
	}
	return base, head, xs
}

// badChanges returns the usable rounds' base and head values of a gate's
// metric, each round's change oriented so that positive is worse (a log
// ratio, or the absolute difference), and their foreign-CPU covariates.
func badChanges(g metricGate, base, head []results.Figures, foreign []float64) (bs, hs, bad, xs []float64) {
	for i := range base {
		b, h := metricOf(base[i], g.metric), metricOf(head[i], g.metric)
		if math.IsNaN(b) || math.IsNaN(h) {
			continue
		}
		if !g.absolute && (b <= 0 || h <= 0) {
			continue // a slice that completed nothing has no ratio
		}
		bs, hs = append(bs, b), append(hs, h)
		switch {
		case g.absolute:
			bad = append(bad, h-b)
		case g.lowerBad:
			bad = append(bad, math.Log(b/h))
		default:
			bad = append(bad, math.Log(h/b))
		}
		if foreign != nil {
			xs = append(xs, foreign[i])
		}
	}
	return bs, hs, bad, xs
}

// bounds are a gate's look in bad-direction units (log ratio, or the
// absolute difference): the estimate, the fail-side (lower) bound and the
// pass-side (upper) bound.
type bounds struct {
	est, fail, pass float64
	adjusted        string // what the foreign-CPU adjustment did, for the note
}

// badBounds computes a gate's bounds at the look, adjusted for foreign
// CPU when xs is given, with the confounding guard (foreign.go: Balanced,
// idleOf).
func badBounds(g metricGate, bad, xs []float64, idle idleBalance, look Look) (bounds, bool) {
	at := func(d []float64, lost int) (bounds, bool) {
		est, lo, _, ok1 := signedRankInterval(d, 2*look.FailLevel, lost)
		_, _, hi, ok2 := signedRankInterval(d, 2*look.PassLevel, lost)
		return bounds{est: est, fail: lo, pass: hi}, ok1 && ok2
	}
	if g.absolute || xs == nil {
		return at(bad, 0)
	}
	// The slope bounds are in the metric's direction: goodput (ln head/base)
	// follows the CPU left with a slope in [0, 1.5], latency in [−3, 0];
	// the bad-direction change of goodput is its negative.
	sLo, sHi, what, sign := 0.0, maxGoodputSlope, "goodput", -1.0
	if !g.lowerBad {
		sLo, sHi, what, sign = minLatencySlope, 0, g.metric, 1
	}
	d := make([]float64, len(bad))
	for i, v := range bad {
		d[i] = sign * v
	}
	adj, slope := AdjustForeign(d, xs, sLo, sHi)
	for i := range adj {
		adj[i] *= sign
	}
	b, ok := at(adj, 1)
	b.adjusted = fmt.Sprintf("; adjusted for foreign CPU (%s ∝ CPU left^%.2f)", what, slope)
	if (Balanced(xs) && idle != idleUneven) || !ok {
		return b, ok
	}
	left := 100 * math.Expm1(mean(xs))
	if idle == idleEven {
		// Uneven foreign CPU, but neither side made room for it: both
		// left the same CPU idle, so the neighbour's share fell by chance.
		b.adjusted += fmt.Sprintf("; the neighbour's CPU fell unevenly (head's slices had %+.1f%% of the CPU left to them on average) while both sides left the same CPU idle: chance, adjusted", left)
		return b, ok
	}
	// The neighbour's CPU followed the side, or a side left more CPU idle
	// than the other: the adjustment may be explaining the head's own
	// change away, or correcting a chance imbalance. Judge on both
	// intervals' hull, estimate unadjusted.
	if raw, ok0 := at(bad, 0); ok0 {
		b = bounds{est: raw.est, fail: min(b.fail, raw.fail), pass: max(b.pass, raw.pass),
			adjusted: guardNote(idle, left)}
	}
	return b, ok
}

// zone is the gate's indifference zone in bad-direction units: a change
// up to half the threshold is "no change that matters", the threshold
// itself "a regression".
func zone(g metricGate) (float64, float64) {
	switch {
	case g.absolute:
		return g.threshold / 2, g.threshold
	case g.lowerBad:
		t := min(g.threshold, 0.999)
		return -math.Log1p(-t / 2), -math.Log1p(-t)
	default:
		return math.Log1p(g.threshold / 2), math.Log1p(g.threshold)
	}
}

// badChange turns a bad-direction amount back into the gate's unit: a
// relative drop or rise, or an absolute difference.
func badChange(g metricGate, x float64) float64 {
	switch {
	case g.absolute:
		return x
	case g.lowerBad:
		return -math.Expm1(-x)
	default:
		return math.Expm1(x)
	}
}

func signed(x float64, unit func(float64) string) string {
	if x >= 0 {
		return "+" + unit(x)
	}
	return "-" + unit(-x)
}

// SignedRankInterval is the Hodges–Lehmann estimate of the pseudo-median
// of d and its exact Wilcoxon signed-rank confidence interval at level
// 1-alpha (two-sided): the k-th smallest and largest Walsh averages, k
// from the exact null distribution of the signed-rank statistic. ok is
// false when n is too small for that level.
func SignedRankInterval(d []float64, alpha float64) (est, lo, hi float64, ok bool) {
	return signedRankInterval(d, alpha, 0)
}

// signedRankInterval is SignedRankInterval with the critical value of
// len(d)-lost pairs: lost > 0 widens the interval for parameters fitted
// from the same d (AdjustForeign's slope costs one).
func signedRankInterval(d []float64, alpha float64, lost int) (est, lo, hi float64, ok bool) {
	n := len(d)
	if n == 0 || n > 1000 {
		return 0, 0, 0, false
	}
	walsh := make([]float64, 0, n*(n+1)/2)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			walsh = append(walsh, (d[i]+d[j])/2)
		}
	}
	sort.Float64s(walsh)
	m := len(walsh)
	est = walsh[m/2]
	if m%2 == 0 {
		est = (walsh[m/2-1] + walsh[m/2]) / 2
	}
	c := signedRankCritical(n-lost, alpha/2)
	if c < 0 {
		return est, 0, 0, false
	}
	return est, walsh[c], walsh[m-1-c], true
}

// signedRankCritical is the largest c with P(W <= c) <= p under the null
// (W the signed-rank statistic of n pairs), -1 when even P(W = 0) > p.
func signedRankCritical(n int, p float64) int {
	maxW := n * (n + 1) / 2
	counts := make([]float64, maxW+1) // number of subsets of {1..n} with each sum
	counts[0] = 1
	for k := 1; k <= n; k++ {
		for w := maxW; w >= k; w-- {
			counts[w] += counts[w-k]
		}
	}
	total := math.Pow(2, float64(n))
	cum := 0.0
	c := -1
	for w := 0; w <= maxW; w++ {
		cum += counts[w] / total
		if cum > p {
			break
		}
		c = w
	}
	return c
}
