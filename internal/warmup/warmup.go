// Package warmup tells whether a run's warm-up was long enough, from what
// the run recorded: the seed posts' lesson (the first run paid the
// server's warm-up: JIT, caches, connection pools, 110 s → 49 s) caught by
// the tool instead of by a second run a week later.
//
// Two signs, per scenario, on goodput and on p99:
//
//   - the warm-up was still trending at its end: the mean of its last
//     third of seconds is further than Tolerance from the measured runs'
//     median, and its first third to its last third moved toward that
//     median (rising to it, or falling to it);
//   - the first measured run differs from the others beyond their noise:
//     further than Tolerance and than 3 times the others' median absolute
//     deviation from their median.
//
// Either gives a warning with the figures and a longer warm-up to try.
package warmup

import (
	"fmt"
	"math"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/results"
)

// Tolerance is the relative difference below which nothing is said.
const Tolerance = 0.10

// Check returns the warnings for res (nil when the warm-up looks enough).
// warmupLen is the configured warm-up duration (0 when bounded by
// requests), used to suggest a longer one.
func Check(res *results.Results, warmupLen time.Duration) []string {
	var out []string
	warm := map[string]results.Scenario{}
	for _, w := range res.Warmup {
		warm[w.Name] = w
	}
	suggest := "lengthen load.warmup"
	if warmupLen > 0 {
		suggest = fmt.Sprintf("lengthen load.warmup (now %s; try %s)", warmupLen, 2*warmupLen)
	}
	for _, sc := range res.Scenarios {
		var good, p99 []float64
		for _, r := range sc.Runs {
			if r.Incomplete || r.OK == 0 {
				continue
			}
			good = append(good, r.ThroughputRPS)
			p99 = append(p99, r.LatencyMS.P99)
		}
		if len(good) == 0 {
			continue
		}
		if w, ok := warm[sc.Name]; ok {
			if msg := trending(w.Timeline, good, func(p results.TimelinePoint) float64 { return p.OKPerS }, "goodput", "%.0f/s"); msg != "" {
				out = append(out, fmt.Sprintf("scenario %q: the warm-up was still warming up: %s; %s", sc.Name, msg, suggest))
			} else if msg := trending(w.Timeline, p99, func(p results.TimelinePoint) float64 { return p.P99MS }, "p99", "%.2f ms"); msg != "" {
				out = append(out, fmt.Sprintf("scenario %q: the warm-up was still warming up: %s; %s", sc.Name, msg, suggest))
			}
		}
		if len(good) >= 3 {
			if msg := firstRun(good, "goodput", "%.0f/s"); msg != "" {
				out = append(out, fmt.Sprintf("scenario %q: %s; the service was still warming up when it began: %s", sc.Name, msg, suggest))
			} else if msg := firstRun(p99, "p99", "%.2f ms"); msg != "" {
				out = append(out, fmt.Sprintf("scenario %q: %s; the service was still warming up when it began: %s", sc.Name, msg, suggest))
			}
		}
	}
	return out
}

// trending compares the warm-up's last third with the measured median.
func trending(tl []results.TimelinePoint, measured []float64, val func(results.TimelinePoint) float64, what, unit string) string {
	// Whole seconds only: the last point may be a sliver.
	var xs []float64
	for i, p := range tl {
		if i == len(tl)-1 && i > 0 && p.T-tl[i-1].T < 0.5 {
			continue
		}
		if p.OK > 0 {
			xs = append(xs, val(p))
		}
	}
	if len(xs) < 3 {
		return ""
	}
	k := len(xs) / 3
	first, last := mean(xs[:k]), mean(xs[len(xs)-k:])
	med := baseline.Median(measured)
	if med <= 0 || last <= 0 {
		return ""
	}
	gap := last/med - 1
	moving := last/first - 1
	if math.Abs(gap) <= Tolerance || math.Signbit(gap) == math.Signbit(moving) {
		// Already there, or moving away from the measured level (not warming up).
		return ""
	}
	return fmt.Sprintf("its %s went from "+unit+" to "+unit+" and ended %+.0f%% off the measured runs' "+unit,
		what, first, last, 100*gap, med)
}

// firstRun compares run 1 with the others' median and spread.
func firstRun(xs []float64, what, unit string) string {
	rest := xs[1:]
	med := baseline.Median(rest)
	if med <= 0 {
		return ""
	}
	dev := make([]float64, len(rest))
	for i, x := range rest {
		dev[i] = math.Abs(x - med)
	}
	mad := baseline.Median(dev)
	d := xs[0] - med
	if math.Abs(d)/med <= Tolerance || math.Abs(d) <= 3*mad {
		return ""
	}
	return fmt.Sprintf("measured run 1's %s ("+unit+") is %+.0f%% off the other runs' median ("+unit+", spread ±"+unit+")",
		what, xs[0], 100*d/med, med, mad)
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
