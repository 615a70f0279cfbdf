package compare

// The paired gate's sequential design.
//
// A gate's threshold T names the change that must be blocked. The test
// separates two hypotheses about the true change Δ (in the bad direction):
//
//	"no change that matters"  Δ ≤ T/2
//	"a regression of T"       Δ ≥ T
//
// with both error rates designed in: a change of T/2 or less fails with
// probability at most alpha (gates.alpha, 5%), and a change of T fails with
// probability at least power (gates.power, 80%); between T/2 and T either
// answer is acceptable (the indifference zone). A change of 1.3·T then
// fails about 99% of the time, and an A/A run practically never.
//
// At each look two one-sided bounds of Δ come from the exact signed-rank
// interval of the rounds' paired changes (distribution-free, robust to
// bursty noise):
//
//	fail when the lower bound at level FailLevel is above T/2,
//	pass when the upper bound at level PassLevel is below T,
//
// and when both hold (the interval lies inside the zone) the estimate
// decides, against the zone's midpoint. The per-look levels follow a
// Wang–Tsiatis boundary (shape WangTsiatisShape, between Pocock's constant
// boundary and O'Brien–Fleming's) whose constant is chosen, for the actual
// look schedule, so that the chance of ever crossing the fail boundary
// when Δ = T/2 is alpha and of ever crossing the pass boundary when Δ = T
// is 1 − power, under the Brownian-motion limit of the running estimate.
// Each look's bound is exact; the boundary's constant is computed by a
// seeded simulation of that limit, so a design is reproducible. The
// operating characteristic on the noise shapes seen on shared runners is
// pinned by seeded simulation tests (sequential_test.go).

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/perfgate/perfgate/internal/config"
)

// Sequential design defaults.
const (
	DefaultPower = 0.80 // P(fail) at a regression of exactly the threshold
	// DefaultFirstLook is the first round looked at: enough rounds for an
	// exact one-sided bound at the first look's level.
	DefaultFirstLook = 10
	// LookEvery is the spacing of later looks, in rounds.
	LookEvery = 6
	// WangTsiatisShape is Δ of the Wang–Tsiatis boundary family: the
	// boundary at information fraction t is C·t^(Δ−1/2). 0.5 is Pocock's
	// (equal at every look: decides early, pays at the last look), 0 is
	// O'Brien–Fleming's (strict early, nearly a fixed-sample test at the
	// last look). 0.25 was chosen by the operating-characteristic
	// simulation (docs/gates.md): it keeps the last look close to a
	// fixed-sample test, where changes near the threshold are decided,
	// while A/A runs and large changes still stop at the first looks.
	WangTsiatisShape = 0.25
	boundarySeed     = 20261207
	boundaryPaths    = 1 << 14
)

// Paired budget defaults.
const (
	DefaultSlice   = time.Second     // one side's measured slice
	DefaultMaxTime = 2 * time.Minute // measured load, both sides together
)

// PairedDesign returns a paired session's slice and sequential design
// from the config's gates: a round is one slice per side (both at once
// under duet pairing), the budget is as many rounds as gates.max_time
// holds (at least the first look's), capped by gates.max_rounds.
func PairedDesign(g config.Gates) (time.Duration, Design) {
	slice := g.Slice.D()
	if slice <= 0 {
		slice = DefaultSlice
	}
	budget := g.MaxTime.D()
	if budget <= 0 {
		budget = DefaultMaxTime
	}
	perRound := 2 * slice
	if g.Pairing == config.PairingDuet {
		perRound = slice
	}
	rounds := max(int(budget/perRound), DefaultFirstLook)
	if g.MaxRounds > 0 {
		rounds = min(rounds, max(g.MaxRounds, DefaultFirstLook))
	}
	return slice, NewDesign(Alpha(g), float64(g.Power), rounds)
}

// Look is one look of the sequential design: after Round rounds, the
// one-sided levels of the fail-side and pass-side bounds.
type Look struct {
	Round     int     `json:"round"`
	FailLevel float64 `json:"fail_level"`
	PassLevel float64 `json:"pass_level"`
}

// Design is a paired session's sequential test: its error rates and looks.
type Design struct {
	Alpha, Power float64
	Looks        []Look
}

// MaxRounds is the design's budget: its last look.
func (d Design) MaxRounds() int {
	if len(d.Looks) == 0 {
		return 0
	}
	return d.Looks[len(d.Looks)-1].Round
}

// LookAt returns the look after round r, if there is one.
func (d Design) LookAt(r int) (Look, bool) {
	for _, l := range d.Looks {
		if l.Round == r {
			return l, true
		}
	}
	return Look{}, false
}

// LookRounds lists the rounds after which a session of maxRounds looks:
// the first at DefaultFirstLook (or maxRounds if smaller), then every
// LookEvery rounds, and maxRounds.
func LookRounds(maxRounds int) []int {
	maxRounds = max(1, maxRounds)
	first := min(DefaultFirstLook, maxRounds)
	var out []int
	for r := first; r < maxRounds; r += LookEvery {
		out = append(out, r)
	}
	// A last look only a couple of rounds after the one before adds a
	// look's cost for little evidence: fold it into the budget's end.
	if n := len(out); n > 0 && maxRounds-out[n-1] < LookEvery/2 {
		out = out[:n-1]
	}
	return append(out, maxRounds)
}

// NewDesign builds the sequential design for a budget of maxRounds at
// the given false-fail rate (at Δ = T/2) and power (at Δ = T).
func NewDesign(alpha, power float64, maxRounds int) Design {
	if !(alpha > 0 && alpha < 0.5) {
		alpha = DefaultAlpha
	}
	if !(power > 0.5 && power < 1) {
		power = DefaultPower
	}
	rounds := LookRounds(maxRounds)
	t := make([]float64, len(rounds))
	for i, r := range rounds {
		t[i] = float64(r) / float64(rounds[len(rounds)-1])
	}
	cFail, cPass := boundaryConstants(t, WangTsiatisShape, alpha, 1-power)
	d := Design{Alpha: alpha, Power: power}
	for i, r := range rounds {
		s := math.Pow(t[i], WangTsiatisShape-0.5)
		d.Looks = append(d.Looks, Look{Round: r, FailLevel: upperTail(cFail * s), PassLevel: upperTail(cPass * s)})
	}
	return d
}

// boundaryConstants returns, for each tail probability p, the constant C
// with P(max_k Z(t_k)/t_k^(shape−1/2) > C) = p, Z(t) = W(t)/√t the
// standardized running estimate of a Brownian motion W observed at the
// information fractions t (increasing, the last 1). Seeded: the same
// schedule always gets the same constants.
func boundaryConstants(t []float64, shape float64, ps ...float64) (float64, float64) {
	rng := rand.New(rand.NewPCG(boundarySeed, uint64(len(t))))
	m := make([]float64, boundaryPaths)
	scale := make([]float64, len(t))
	for k, tk := range t {
		scale[k] = 1 / (math.Sqrt(tk) * math.Pow(tk, shape-0.5))
	}
	for i := range m {
		w, prev, best := 0.0, 0.0, math.Inf(-1)
		for k, tk := range t {
			w += rng.NormFloat64() * math.Sqrt(tk-prev)
			prev = tk
			best = max(best, w*scale[k])
		}
		m[i] = best
	}
	sort.Float64s(m)
	q := func(p float64) float64 {
		i := int(math.Ceil((1-p)*float64(len(m)))) - 1
		return m[min(max(i, 0), len(m)-1)]
	}
	return q(ps[0]), q(ps[1])
}

// upperTail is P(Z > z) for a standard normal Z.
func upperTail(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }
