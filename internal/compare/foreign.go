package compare

import (
	"fmt"
	"math"
	"sort"
)

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

// IdleTolerance is how far apart (cores, per slice) the two sides' idle
// CPU may be for them to count as leaving the same CPU idle.
const IdleTolerance = 0.05

// idleBalance is how the CPU the machine left idle beside base's slices
// compares with head's, from the signed-rank interval (at BalanceAlpha) of
// the rounds' head − base differences.
type idleBalance int

const (
	// idleUnclear: not read, or an interval that neither lies within
	// ±IdleTolerance nor excludes 0.
	idleUnclear idleBalance = iota
	// idleEven: the interval lies within ±IdleTolerance cores.
	idleEven
	// idleUneven: the interval excludes 0 (and is not within the
	// tolerance): one side leaves CPU idle that the other uses.
	idleUneven
)

// idleOf compares the idle CPU beside each side's slices.
//
// This is what tells a neighbour's chance imbalance from one the head
// caused. A side can only make room for a neighbour by not using the CPU
// itself: a head that blocks or sleeps leaves cores idle whenever the
// neighbour is away, and hands them over when it comes. Two sides that
// keep every core they are given busy leave the same idle CPU, and then
// the foreign CPU beside a slice was taken from it, not given away:
// adjusting for it is right however unevenly it fell (idleEven: no
// guard). A side that leaves more idle than the other may be giving its
// CPU away, and every check is judged on the span of the adjusted and
// unadjusted intervals (idleUneven), whether or not the foreign CPU itself
// already looks unbalanced. Unclear, the balance test on the foreign CPU
// alone decides (Balanced).
func idleOf(rounds []Round) idleBalance {
	if len(rounds) < 6 {
		return idleUnclear
	}
	d := make([]float64, len(rounds))
	for i, r := range rounds {
		if !r.IdleRead || r.BaseIdle < 0 || r.HeadIdle < 0 {
			return idleUnclear
		}
		d[i] = r.HeadIdle - r.BaseIdle
	}
	_, lo, hi, ok := SignedRankInterval(d, BalanceAlpha)
	switch {
	case !ok:
		return idleUnclear
	case lo >= -IdleTolerance && hi <= IdleTolerance:
		return idleEven
	case lo > 0 || hi < 0:
		return idleUneven
	}
	return idleUnclear
}

// guardNote says why a check was judged on the span of the adjusted and
// unadjusted intervals; left is the mean CPU left to head's slices over
// base's, in percent.
func guardNote(idle idleBalance, left float64) string {
	if idle == idleUneven {
		return fmt.Sprintf("; one side left more CPU idle than the other, so foreign CPU may follow the side (head's slices had %+.1f%% of the CPU left to them on average): judged on the span of the adjusted and unadjusted intervals", left)
	}
	return fmt.Sprintf("; foreign CPU followed the side (head's slices had %+.1f%% of the CPU left to them on average), so judged on the span of the adjusted and unadjusted intervals", left)
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
