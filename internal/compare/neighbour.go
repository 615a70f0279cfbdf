package compare

import (
	"fmt"
	"math"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

// A neighbour's CPU, against a stored baseline.
//
// A stored baseline cannot tell a busy machine from a slower service: a
// neighbour that takes a quarter of a 2-core runner's CPU during this run
// lowers a CPU-bound service's goodput by about as much as a real
// regression would (docs/gates.md: A/A against a quiet baseline failed 14
// of 20 runs beside a noisy neighbour). The session-drift interval is for
// drift, not for that. But the neighbour is measured: every measured run
// records the CPU that processes outside perfgate's tree took during it
// (results.Run.ForeignCPU, internal/foreigncpu), and so does every run of
// the baseline (baseline.Samples.ForeignCPU).
//
// When this run's neighbour took at least MinForeignExcess cores more
// than the baseline's (medians over runs), the CPU left to the measured
// side shrank by x = ln((N − f_cur)/(N − f_base)) in log units (N CPUs).
// Paired mode fits how a metric follows x; a stored baseline has one run's
// worth of x, so it cannot, and takes the largest effect physics allows
// instead, the same bounds the paired fit is clamped to: goodput can drop
// by up to e^(1.5·x) − 1, latency rise by up to e^(−3·x) − 1. A check that
// failed stays failed only when its whole interval, moved by that much
// toward no change, is still beyond the threshold (a regression the
// neighbour cannot explain: a service that answers nothing, a drop of
// 60% beside a neighbour taking 0.2 cores). Otherwise the check is
// inconclusive — not passed, since a real regression may be hidden under
// the neighbour's share — and the verdict is `inconclusive` when nothing
// else failed, with a note naming the cores taken. A check that passed is
// left as it is.
//
// The converse — a baseline measured beside a neighbour, this run quiet —
// makes this run look faster than the service is, which could hide a
// regression; it is said in a warning, and the fix is a baseline measured
// on a quiet machine.

// MinForeignExcess is how many more cores (median over runs) this run's
// neighbour must take than the baseline's before the guard applies: the
// meter reads ≤ 0.06 cores beside a quiet slice on the 2-core machine of
// docs/gates.md, whose noisy neighbour takes 0.3–0.5.
const MinForeignExcess = 0.05

// foreignCPUs is the number of CPUs foreign CPU is out of: the machine's
// online CPUs as the meter counted them, else (older files) cpu_count.
func foreignCPUs(h results.Host) int {
	if h.CPUsOnline > 0 {
		return h.CPUsOnline
	}
	return h.CPUCount
}

// neighbour is this comparison's foreign CPU, baseline and current.
type neighbour struct {
	base, cur float64 // cores, median over runs
	cpus      int
	ok        bool // both measured, and cpus known
	// external: perfgate started none of the services, so theirs is
	// among the foreign CPU; the guard then does not apply (a regression
	// that makes the service busier would read as a neighbour).
	external bool
}

// neighbourOf reads the foreign CPU of a baseline scenario and of this
// run's scenario; cpus is the machine's CPU count (0: unknown).
func neighbourOf(bs *baseline.Scenario, sc results.Scenario, cpus int) neighbour {
	if bs == nil || cpus <= 0 {
		return neighbour{}
	}
	fb := bs.Samples.ForeignCPU
	fc := baseline.SamplesOf(sc).ForeignCPU
	if len(fb) == 0 || len(fc) == 0 {
		return neighbour{}
	}
	return neighbour{base: baseline.Median(fb), cur: baseline.Median(fc), cpus: cpus, ok: true}
}

// x is ln of the share of the CPU left to this run over the baseline's:
// negative when this run's neighbour took more.
func (n neighbour) x() float64 {
	c := float64(n.cpus)
	// At least 1% of the CPU is taken to be left, as in the paired fit.
	left := func(f float64) float64 { return math.Max(0.01*c, c-f) }
	return math.Log(left(n.cur) / left(n.base))
}

// busier reports whether the guard applies: this run's neighbour took at
// least MinForeignExcess cores more than the baseline's.
func (n neighbour) busier() bool { return n.ok && !n.external && n.cur-n.base >= MinForeignExcess }

// quieter reports whether the baseline's neighbour took at least
// MinForeignExcess cores more than this run's.
func (n neighbour) quieter() bool { return n.ok && !n.external && n.base-n.cur >= MinForeignExcess }

// explained is the largest change of g's metric, in log units toward its
// bad direction (≥ 0), that losing CPU by x (< 0) could cause by itself.
func explained(g metricGate, x float64) float64 {
	if x >= 0 {
		return 0
	}
	if g.lowerBad {
		return maxGoodputSlope * -x
	}
	return -minLatencySlope * -x
}

// guard turns a failed relative check into an inconclusive one when the
// CPU this run's neighbour took beyond the baseline's could explain the
// failure by itself (see the comment at the top of this file).
func guard(ch *results.Check, g metricGate, n neighbour) {
	if g.absolute || ch.Status != results.CheckFail || !n.busier() {
		return
	}
	e := explained(g, n.x())
	var stillBad bool
	var could string
	if g.lowerBad {
		stillBad = math.Expm1(math.Log1p(ch.ChangeHigh)+e) < -g.threshold
		could = "lower it by up to " + num.Percent(-math.Expm1(-e), 0)
	} else {
		stillBad = math.Expm1(math.Log1p(ch.ChangeLow)-e) > g.threshold &&
			!(g.floor > 0 && ch.Current-ch.Baseline*math.Exp(e) <= g.floor)
		could = "raise it by up to " + num.Percent(math.Expm1(e), 0)
	}
	took := fmt.Sprintf("other processes took %.2f of %d cores during this run against %.2f in the baseline's runs, which alone could %s",
		n.cur, n.cpus, n.base, could)
	if stillBad {
		ch.Note += "; " + took + ", and the change is beyond that"
		return
	}
	word := "rose"
	if g.lowerBad {
		word = "dropped"
	}
	ch.Status = results.CheckInconclusive
	ch.Note = fmt.Sprintf("%s %s by %s, but %s: not judged (a busy machine, or a slower service, or both); "+
		"rerun on a quiet machine, or use paired mode (`perfgate run --base REF`), which runs both sides beside the same neighbour. As measured: %s",
		g.metric, word, pct(math.Abs(ch.Change)), took, ch.Note)
}

// neighbourWarnings says what the comparison's foreign CPU means.
func neighbourWarnings(c *results.Comparison) []string {
	f := c.ForeignCPU
	if f == nil {
		return nil
	}
	n := neighbour{base: f.Baseline, cur: f.Current, cpus: f.CPUs, ok: true}
	switch {
	case f.External:
		if f.Current-f.Baseline < MinForeignExcess {
			return nil
		}
		return []string{fmt.Sprintf("other processes took %.2f of %d cores during this run's measured runs, %.2f during the baseline's; "+
			"perfgate did not start the services, so their own CPU is among those processes and cannot be told from a neighbour's: "+
			"judged as measured (a busy machine can fail this run); let perfgate start the services, or use paired mode (`perfgate run --base REF`)",
			f.Current, f.CPUs, f.Baseline)}
	case f.Guarded:
		undecided, failed := 0, 0
		for _, ch := range c.Checks {
			switch ch.Status {
			case results.CheckInconclusive:
				undecided++
			case results.CheckFail:
				failed++
			}
		}
		msg := fmt.Sprintf("a neighbour was busy: other processes took %.2f of %d cores during this run's measured runs, %.2f during the baseline's", f.Current, f.CPUs, f.Baseline)
		switch {
		case undecided > 0:
			msg += fmt.Sprintf("; %d check(s) that failed could be explained by that alone and are inconclusive, not failed: rerun on a quiet machine, or use paired mode (`perfgate run --base REF`)", undecided)
		case failed > 0:
			msg += "; what failed is beyond what that could explain"
		default:
			msg += "; nothing failed"
		}
		return []string{msg}
	case n.quieter():
		e := explained(metricGate{lowerBad: true}, -n.x())
		return []string{fmt.Sprintf("the baseline was measured beside a busy neighbour (other processes took %.2f of %d cores during its runs, %.2f during this run's), "+
			"so this run looks faster than the service is and a throughput drop of up to about %s could hide; refresh the baseline on a quiet machine with `perfgate baseline update`",
			f.Baseline, f.CPUs, f.Current, num.Percent(-math.Expm1(-e), 0))}
	}
	return nil
}
