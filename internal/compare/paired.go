package compare

// Paired judgement: base and head measured in alternating slices on the
// same machine in the same window (internal/paired). Each round holds one
// slice of each side; the unit of evidence is the round's paired change —
// ln(head/base) for throughput and latency, head-base for the error rate —
// so drift over the session (CPU frequency, a neighbour, thermal state)
// cancels within a round instead of landing on one side.
//
// The interval is the exact Wilcoxon signed-rank confidence interval of
// the pseudo-median of the paired changes (the sorted Walsh averages):
// distribution-free, needs only symmetry of the paired changes (true under
// A/A by exchangeability, close to it otherwise), and far more efficient
// than a sign test (about 95% of a t-interval's on normal data). Rounds are
// looked at repeatedly (PairedLooks); each look uses alpha/looks
// (Bonferroni), so the chance of any false decision over all looks stays
// below alpha whatever the stopping rule.
//
// A gate is decided once its interval lies wholly on one side of its
// threshold: beyond it is a fail, inside it a pass; straddling it, another
// round is needed. When the budget is spent with a gate still straddling,
// the verdict is inconclusive, and the interval's half-width says the
// smallest change this machine resolved in that time.

import (
	"fmt"
	"math"
	"sort"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

// Paired defaults.
const (
	DefaultMinRounds = 10 // the first look: an exact interval at alpha/looks exists from 10 pairs
	DefaultMaxRounds = 48 // the budget of rounds
)

// CheckInconclusive is a paired check whose interval still straddles its
// threshold when the budget is spent.
const CheckInconclusive = results.CheckInconclusive

// PairedLooks lists the rounds after which the paired session looks:
// minRounds, then half as many again each time (10, 15, 22, 33, 49, …),
// and maxRounds. Geometric spacing keeps the looks few (each costs alpha
// a share) while a clear answer still comes early.
func PairedLooks(minRounds, maxRounds int) []int {
	minRounds = max(1, min(minRounds, maxRounds))
	var out []int
	for r := minRounds; r < maxRounds; r = r * 3 / 2 {
		out = append(out, r)
		if r*3/2 == r {
			r++
		}
	}
	return append(out, maxRounds)
}

// Round is one round's figures per scenario name, each side's slice, and
// the foreign CPU (cores, internal/foreigncpu) each slice ran beside; a
// negative foreign figure means it could not be read. CPUs is the
// machine's CPU count (0: no foreign-CPU adjustment).
type Round struct {
	Base, Head               map[string]results.Figures
	BaseForeign, HeadForeign float64
	CPUs                     int
}

// PairedOutcome is one look's judgement.
type PairedOutcome struct {
	Checks []results.Check
	// Decided: every gate is decided (pass or fail), or one failed:
	// collecting more rounds cannot change the verdict.
	Decided bool
	// Resolution is the largest half-width (relative) of the undecided
	// throughput/latency intervals: the smallest change this look could
	// tell from noise. 0 when all are decided.
	Resolution float64
	// Adjusted: the paired changes were adjusted for foreign CPU (see
	// AdjustForeign), which the rounds' spread of it called for.
	Adjusted bool
}

// JudgePaired judges the rounds so far under gates at level alpha/looks.
// Scenarios come from the head's config (cfgScenarios); ones switched off
// are skipped.
func JudgePaired(gates config.Gates, scenarios []string, rounds []Round, looks int) PairedOutcome {
	alpha := Alpha(gates)
	level := alpha / float64(max(1, looks))
	var out PairedOutcome
	x := foreignDiffs(rounds)
	out.Adjusted = x != nil
	failed, open := false, 0
	for _, name := range scenarios {
		th := Resolve(gates, name)
		var base, head []results.Figures
		var xs []float64
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
		for _, g := range pairedGates(th) {
			ch := pairedCheck(name, g, base, head, xs, level)
			switch ch.Status {
			case results.CheckFail:
				failed = true
			case CheckInconclusive:
				open++
				if !g.absolute {
					out.Resolution = max(out.Resolution, (math.Exp(ch.ChangeHigh0)-math.Exp(ch.ChangeLow0))/2)
				}
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
	out.Decided = failed || open == 0
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
	ChangeLow0, ChangeHigh0 float64 // the interval in log units (relative gates)
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

// pairedCheck judges one gate over the rounds; foreign holds each round's
// covariate x (nil: no foreign-CPU adjustment).
func pairedCheck(scenario string, g metricGate, base, head []results.Figures, foreign []float64, level float64) pairedResult {
	ch := results.Check{Scenario: scenario, Metric: g.metric, Gate: g.gate, Threshold: g.threshold,
		Confidence: 1 - level, SamplesBase: len(base), SamplesCur: len(head), Test: results.TestPairedSignedRank}
	switch {
	case g.absolute:
		ch.Rule = "rise <= " + pp(g.threshold)
	case g.lowerBad:
		ch.Rule = "drop <= " + pct(g.threshold)
	default:
		ch.Rule = "rise <= " + pct(g.threshold)
	}
	var bs, hs, d, xs []float64
	for i := range base {
		b, h := metricOf(base[i], g.metric), metricOf(head[i], g.metric)
		if math.IsNaN(b) || math.IsNaN(h) {
			continue
		}
		if !g.absolute && (b <= 0 || h <= 0) {
			continue // a slice that completed nothing has no ratio
		}
		bs, hs = append(bs, b), append(hs, h)
		if g.absolute {
			d = append(d, h-b)
		} else {
			d = append(d, math.Log(h/b))
		}
		if foreign != nil {
			xs = append(xs, foreign[i])
		}
	}
	ch.Baseline, ch.Current = baseline.Median(bs), baseline.Median(hs)
	var est, lo, hi float64
	var ok bool
	adjusted := ""
	if !g.absolute && xs != nil {
		sLo, sHi, what := 0.0, maxGoodputSlope, "goodput"
		if !g.lowerBad {
			sLo, sHi, what = minLatencySlope, 0, g.metric
		}
		adj, slope := AdjustForeign(d, xs, sLo, sHi)
		est, lo, hi, ok = signedRankInterval(adj, level, 1)
		adjusted = fmt.Sprintf("; adjusted for foreign CPU (%s ∝ CPU left^%.2f)", what, slope)
		if !Balanced(xs) && ok {
			// The neighbour's CPU followed the side: the adjustment may be
			// explaining the head's own change away, or correcting a chance
			// imbalance. Judge on both intervals' hull, estimate unadjusted.
			e0, lo0, hi0, ok0 := SignedRankInterval(d, level)
			if ok0 {
				est, lo, hi = e0, min(lo, lo0), max(hi, hi0)
				adjusted = fmt.Sprintf("; foreign CPU followed the side (head's slices had %+.1f%% of the CPU left to them on average), so judged on the span of the adjusted and unadjusted intervals", 100*math.Expm1(mean(xs)))
			}
		}
	} else {
		est, lo, hi, ok = SignedRankInterval(d, level)
	}
	res := pairedResult{}
	if !ok {
		ch.Status = CheckInconclusive
		ch.Note = fmt.Sprintf("%d usable rounds: too few for a %.2f%% interval", len(d), 100*(1-level))
		// No interval: left at 0 (JSON has no infinity), the note and the
		// inconclusive status say why.
		res.ChangeLow0, res.ChangeHigh0 = -1, 1
		res.Check = ch
		return res
	}
	res.ChangeLow0, res.ChangeHigh0 = lo, hi
	conv := func(x float64) float64 { return math.Expm1(x) }
	if g.absolute {
		conv = func(x float64) float64 { return x }
	}
	ch.Change, ch.ChangeLow, ch.ChangeHigh = conv(est), conv(lo), conv(hi)
	ch.Significant = ch.ChangeLow > 0 || ch.ChangeHigh < 0
	unit := pct
	if g.absolute {
		unit = pp
	}
	interval := fmt.Sprintf("[%s, %s]", signed(ch.ChangeLow, unit), signed(ch.ChangeHigh, unit))
	switch {
	case g.lowerBad && ch.ChangeHigh < -g.threshold:
		ch.Status = results.CheckFail
		ch.Note = fmt.Sprintf("dropped by %s %s over %d paired rounds, beyond the %s allowed", unit(-ch.Change), interval, len(d), unit(g.threshold))
	case g.lowerBad && ch.ChangeLow > -g.threshold:
		ch.Status = results.CheckPass
		ch.Note = fmt.Sprintf("%s %s over %d paired rounds: within the %s allowed", signed(ch.Change, unit), interval, len(d), unit(g.threshold))
	case !g.lowerBad && ch.ChangeLow > g.threshold && (g.floor <= 0 || ch.Baseline*ch.ChangeLow > g.floor):
		ch.Status = results.CheckFail
		ch.Note = fmt.Sprintf("rose by %s %s over %d paired rounds, beyond the %s allowed", unit(ch.Change), interval, len(d), unit(g.threshold))
	case !g.lowerBad && (ch.ChangeHigh < g.threshold || (g.floor > 0 && ch.Baseline*ch.ChangeHigh < g.floor)):
		ch.Status = results.CheckPass
		ch.Note = fmt.Sprintf("%s %s over %d paired rounds: within the %s allowed", signed(ch.Change, unit), interval, len(d), unit(g.threshold))
		if g.floor > 0 && ch.ChangeHigh >= g.threshold {
			ch.Note += fmt.Sprintf(" (any rise is below the %g ms floor)", g.floor)
		}
	default:
		ch.Status = CheckInconclusive
		ch.Note = fmt.Sprintf("%s %s over %d paired rounds: the interval still straddles the %s threshold", signed(ch.Change, unit), interval, len(d), unit(g.threshold))
	}
	ch.Note += adjusted
	res.Check = ch
	return res
}

// Foreign CPU adjustment.
//
// In alternating slices a neighbour that comes and goes (a burst on one
// core for a second, then quiet) lands on one side's slice and not the
// other's, and on a CPU-bound service a slice that lost 0.4 of a core to
// it serves about a fifth less: far more than the 10% the gate must see,
// and random in sign, so the interval widens until nothing is decided.
// ABBA cancels drift, not bursts. But the burst is measured: each slice
// knows the foreign CPU f it ran beside (internal/foreigncpu), so the
// round's paired change d = ln(head/base) is modelled as
//
//	d = δ + β·x,   x = ln((N − f_head) / (N − f_base))
//
// with N the machine's CPUs: x is the log ratio of the CPU left to each
// slice, and a CPU-bound service's goodput follows it (β ≈ 1; an idle or
// I/O-bound one's does not, β ≈ 0, and the fit finds that too). In a
// pilot under a bursty neighbour this covariate left a per-round spread
// (MAD) of 8–11% where foreign CPU itself, linearly, left 11–14% and the
// raw changes 18–47%.
// β is fitted by Theil–Sen (the median of the pairwise slopes: robust to
// the odd wild round, no distribution assumed), every d is moved to x = 0
// (d − β·x), and the signed-rank interval is that of the adjusted changes.
// Under A/A the adjusted changes stay symmetric about 0 whatever β is, so
// the test keeps its level; estimating β costs about one round's worth of
// evidence. Applied only when the rounds' x vary enough to fit a slope
// (MinForeignSpread): on a quiet machine nothing changes. When they are
// not balanced around 0 (Balanced), foreign CPU may be following the
// side, caused by the head, and adjusting for it alone could hide the
// change: then the interval spans both the adjusted and unadjusted ones.

// MinForeignSpread is the spread (standard deviation, cores) of the
// rounds' foreign-CPU differences from which the paired changes are
// adjusted for it: several times the rounding of /proc's 1/100 s ticks
// over a 1 s slice of a few busy processes, so rounding alone does not
// trigger it (a bursty neighbour's differences spread by 0.3 cores and
// more).
const MinForeignSpread = 0.08

// foreignDiffs is each round's covariate x (above), or nil when any
// round's foreign CPU could not be read, its head − base differences vary
// less than MinForeignSpread, or there are too few rounds to fit a slope.
func foreignDiffs(rounds []Round) []float64 {
	if len(rounds) < 6 {
		return nil
	}
	x := make([]float64, len(rounds))
	diff := make([]float64, len(rounds))
	for i, r := range rounds {
		if r.BaseForeign < 0 || r.HeadForeign < 0 || r.CPUs <= 0 {
			return nil
		}
		n := float64(r.CPUs)
		left := func(f float64) float64 { return max(n-f, 0.05*n) } // never quite none: a tick's rounding
		x[i] = math.Log(left(r.HeadForeign) / left(r.BaseForeign))
		diff[i] = r.HeadForeign - r.BaseForeign
	}
	m := mean(diff)
	var ss float64
	for _, v := range diff {
		ss += (v - m) * (v - m)
	}
	if math.Sqrt(ss/float64(len(diff)-1)) < MinForeignSpread {
		return nil
	}
	return x
}

// BalanceAlpha is the level of the balance test on the foreign-CPU
// differences: liberal on purpose, since a false alarm only widens the
// interval to the span of the adjusted and unadjusted ones.
const BalanceAlpha = 0.2

// Balanced says whether the head − base foreign-CPU differences x are
// centred on 0, as they are when the neighbour does not know which side is
// running: their signed-rank interval at BalanceAlpha contains 0. When the
// head itself changes how much CPU a neighbour gets — a head that sleeps
// or blocks leaves cores idle, and a greedy neighbour takes them — foreign
// CPU is a consequence of the change, not noise, and adjusting for it
// would explain the change away. Unbalanced, a check is judged on the span
// of its adjusted and unadjusted intervals: it decides only where both
// agree (a chance imbalance under A/A biases the unadjusted interval, a
// caused one the adjusted, and the span covers whichever is right).
func Balanced(x []float64) bool {
	_, lo, hi, ok := SignedRankInterval(x, BalanceAlpha)
	return !ok || (lo <= 0 && hi >= 0)
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(max(1, len(x)))
}

// AdjustForeign returns d − β·x with β the Theil–Sen slope of d on x (the
// median of the slopes of every pair of points whose x differ by more
// than 0.01, about 1% of the CPU left), clamped to [lo, hi], and β. With
// no such pair d is returned as it is.
func AdjustForeign(d, x []float64, lo, hi float64) ([]float64, float64) {
	if len(d) != len(x) {
		return d, 0
	}
	var slopes []float64
	for i := range d {
		for j := i + 1; j < len(d); j++ {
			if dx := x[j] - x[i]; math.Abs(dx) > 0.01 {
				slopes = append(slopes, (d[j]-d[i])/dx)
			}
		}
	}
	if len(slopes) == 0 {
		return d, 0
	}
	sort.Float64s(slopes)
	m := len(slopes)
	beta := slopes[m/2]
	if m%2 == 0 {
		beta = (slopes[m/2-1] + slopes[m/2]) / 2
	}
	beta = min(max(beta, lo), hi)
	out := make([]float64, len(d))
	for i := range d {
		out[i] = d[i] - beta*x[i]
	}
	return out, beta
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
