package compare

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

func TestSignedRankCritical(t *testing.T) {
	// Published two-sided 5% critical values of the signed-rank test.
	for n, want := range map[int]int{5: -1, 6: 0, 7: 2, 8: 3, 10: 8, 15: 25, 20: 52} {
		if got := signedRankCritical(n, 0.025); got != want {
			t.Errorf("n=%d: critical %d, want %d", n, got, want)
		}
	}
}

func TestSignedRankInterval(t *testing.T) {
	d := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	est, lo, hi, ok := SignedRankInterval(d, 0.05)
	// Walsh averages of 1..8 sorted: the 4th smallest is 2, the 4th largest 7.
	if !ok || est != 4.5 || lo != 2 || hi != 7 {
		t.Fatalf("est %g [%g, %g] ok %v", est, lo, hi, ok)
	}
	if _, _, _, ok := SignedRankInterval(d[:5], 0.05); ok {
		t.Fatal("5 pairs gave a 95% interval")
	}
}

// Coverage: over many simulated sessions the interval holds the true
// shift at least 1-alpha of the time.
func TestSignedRankCoverage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	miss := 0
	const trials = 2000
	for range trials {
		d := make([]float64, 12)
		for i := range d {
			d[i] = 0.1 + 0.05*r.NormFloat64()
		}
		_, lo, hi, ok := SignedRankInterval(d, 0.05)
		if !ok {
			t.Fatal("no interval")
		}
		if lo > 0.1 || hi < 0.1 {
			miss++
		}
	}
	if rate := float64(miss) / trials; rate > 0.065 {
		t.Fatalf("missed the true shift %.1f%% of the time at 95%%", 100*rate)
	}
}

func rounds(n int, baseRPS, headRPS, noise float64, seed uint64) []Round {
	r := rand.New(rand.NewPCG(seed, 7))
	var out []Round
	for range n {
		drift := 1 + 0.15*(r.Float64()-0.5) // the machine drifts ±7.5%, both sides alike
		f := func(rps float64) results.Figures {
			x := rps * drift * (1 + noise*r.NormFloat64())
			return results.Figures{Requests: int64(x * 3), ThroughputRPS: x,
				LatencyMS: results.Latency{P50: 8000 / x, P90: 9000 / x, P95: 10000 / x, P99: 12000 / x}}
		}
		out = append(out, Round{Base: map[string]results.Figures{"s": f(baseRPS)}, Head: map[string]results.Figures{"s": f(headRPS)}})
	}
	return out
}

func TestJudgePaired(t *testing.T) {
	tests := []struct {
		name    string
		head    float64
		n       int
		verdict string // of the throughput check
		decided bool
	}{
		{"A/A decided pass", 1000, 16, results.CheckPass, true},
		{"10% slower fails", 900, 16, results.CheckFail, true},
		{"4% slower passes", 960, 32, results.CheckPass, true},
		{"5% slower: a regression of the threshold", 950, 8, results.CheckFail, true},
		{"3.5% slower, too close to call", 965, 8, results.CheckInconclusive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := JudgePaired(config.Gates{}, []string{"s"}, rounds(tt.n, 1000, tt.head, 0.01, 3), lookOf(1))
			ch := out.Checks[0]
			if ch.Metric != "throughput_rps" || ch.Status != tt.verdict {
				t.Fatalf("throughput check %+v", ch)
			}
			if tt.decided && !out.Decided {
				t.Fatalf("not decided: %+v", out.Checks)
			}
			if want := tt.head/1000 - 1; math.Abs(ch.Change-want) > 0.02 {
				t.Fatalf("change %g, want ~%g", ch.Change, want)
			}
		})
	}
}

// noisyRounds: each slice's goodput is in proportion to the CPU left to it
// on 2 CPUs (a CPU-bound service); bursts of foreign CPU land at random on
// either side's slice.
func noisyRounds(n int, headFactor float64, seed uint64) []Round {
	r := rand.New(rand.NewPCG(seed, 11))
	var out []Round
	for range n {
		f := func(rps float64) (results.Figures, float64) {
			foreign := 0.0
			if r.Float64() < 0.5 {
				foreign = r.Float64() // part of a burst
			}
			x := rps * (2 - foreign) / 2 * (1 + 0.02*r.NormFloat64()) // CPU-bound on 2 CPUs
			return results.Figures{Requests: int64(x), ThroughputRPS: x,
				LatencyMS: results.Latency{P50: 8000 / x, P90: 9000 / x, P95: 10000 / x, P99: 12000 / x}}, foreign
		}
		b, bf := f(1000)
		h, hf := f(1000 * headFactor)
		out = append(out, Round{Base: map[string]results.Figures{"s": b}, Head: map[string]results.Figures{"s": h}, BaseForeign: bf, HeadForeign: hf, CPUs: 2})
	}
	return out
}

func TestJudgePairedForeignAdjusted(t *testing.T) {
	for _, tt := range []struct {
		name   string
		head   float64
		status string
	}{
		{"A/A", 1, results.CheckPass},
		{"10% slower", 0.9, results.CheckFail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := noisyRounds(22, tt.head, 5)
			out := JudgePaired(config.Gates{}, []string{"s"}, rs, lookOf(3))
			if !out.Adjusted || !out.Decided || out.Checks[0].Status != tt.status {
				t.Fatalf("adjusted %v decided %v: %+v", out.Adjusted, out.Decided, out.Checks[0])
			}
			if want := tt.head - 1; math.Abs(out.Checks[0].Change-want) > 0.02 {
				t.Fatalf("change %g, want ~%g", out.Checks[0].Change, want)
			}
			// The same rounds without their foreign figures: the bursts
			// widen the interval past any decision.
			for i := range rs {
				rs[i].BaseForeign, rs[i].HeadForeign = 0, 0
			}
			plain := JudgePaired(config.Gates{}, []string{"s"}, rs, lookOf(3))
			if plain.Adjusted || plain.Checks[0].Status != CheckInconclusive {
				t.Fatalf("unadjusted: %+v", plain.Checks[0])
			}
		})
	}
	// A head that leaves cores idle (it blocks) lets a greedy neighbour
	// take more in its slices: foreign CPU follows the side. Adjusting for
	// it alone would explain most of the drop (−23% in all) away; the
	// balance test sees it, and the check spans both intervals.
	rs := noisyRounds(33, 0.9, 8)
	for i := range rs {
		rs[i].HeadForeign += 0.3
		f := rs[i].Head["s"]
		f.ThroughputRPS *= 1 - 0.3/2
		rs[i].Head["s"] = f
	}
	if out := JudgePaired(config.Gates{}, []string{"s"}, rs, lookOf(1)); out.Checks[0].Status != results.CheckFail ||
		out.Checks[0].Change > -0.18 || !strings.Contains(out.Checks[0].Note, "followed the side") {
		t.Fatalf("adjusted for foreign CPU the head caused: %+v", out.Checks[0])
	}
	// Unreadable foreign CPU (negative) or too little spread: no adjustment.
	rs = noisyRounds(22, 1, 6)
	rs[3].HeadForeign = -1
	if foreignDiffs(rs) != nil {
		t.Fatal("adjusted with an unreadable round")
	}
	rs = rounds(22, 1000, 1000, 0.01, 3)
	for i := range rs {
		rs[i].HeadForeign = 0.02 * float64(i%3)
	}
	if foreignDiffs(rs) != nil {
		t.Fatal("adjusted on rounding-size differences")
	}
}

// TestForeignAdjustedLevel: under A/A with bursts, the adjusted interval
// still covers 0 at its level (the fitted slope must not make the test
// anti-conservative).
func TestForeignAdjustedLevel(t *testing.T) {
	for _, n := range []int{15, 33} {
		const trials = 400
		miss := 0
		for s := range trials {
			rs := noisyRounds(n, 1, uint64(100+s))
			out := JudgePaired(config.Gates{}, []string{"s"}, rs, lookOf(1))
			ch := out.Checks[0]
			if ch.ChangeLow > 0 || ch.ChangeHigh < 0 {
				miss++
			}
		}
		t.Logf("%d rounds: A/A miss rate %.1f%%", n, 100*float64(miss)/trials)
		if rate := float64(miss) / trials; rate > 0.065 {
			t.Errorf("%d rounds: the adjusted 95%% interval missed 0 in %.1f%% of A/A trials", n, 100*rate)
		}
	}
}

func TestAdjustForeign(t *testing.T) {
	d := []float64{0.1, -0.3, 0.5, 0.1}
	x := []float64{0, 1, -1, 0}
	got, beta := AdjustForeign(d, x, -1, 1)
	if math.Abs(beta+0.4) > 1e-9 || !slices.EqualFunc(got, []float64{0.1, 0.1, 0.1, 0.1}, func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }) {
		t.Fatalf("got %v β %v", got, beta)
	}
	if got, beta := AdjustForeign([]float64{1, 2}, []float64{0, 0.005}, -1, 1); beta != 0 || got[1] != 2 {
		t.Fatalf("no usable pair: %v %v", got, beta)
	}
	// Clamped: a goodput slope cannot be negative.
	if _, beta := AdjustForeign(d, x, 0, 1.5); beta != 0 {
		t.Fatalf("slope %v not clamped to [0, 1.5]", beta)
	}
}

// A scenario whose slices completed nothing (every ratio undefined) is
// inconclusive with a note, and its checks still encode as JSON.
func TestJudgePairedNoUsableRounds(t *testing.T) {
	rs := rounds(12, 1000, 1000, 0.01, 3)
	for i := range rs {
		rs[i].Head["s"] = results.Figures{}
	}
	out := JudgePaired(config.Gates{}, []string{"s"}, rs, lookOf(1))
	ch := out.Checks[0]
	if ch.Status != CheckInconclusive || !strings.Contains(ch.Note, "too few") {
		t.Fatalf("%+v", ch)
	}
	if _, err := json.Marshal(out.Checks); err != nil {
		t.Fatalf("checks do not encode: %v", err)
	}
}

// Work the slice itself causes outside perfgate's tree (a proxy copying
// its bytes) makes "foreign" CPU follow the side's own goodput: the fitted
// slope comes out negative, which would subtract the change itself. It is
// clamped, and a 10% slowdown still fails.
func TestForeignFollowingGoodputClamped(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 4))
	var rs []Round
	for range 33 {
		f := func(rps float64) (results.Figures, float64) {
			x := rps * (1 + 0.15*r.NormFloat64()) // noise that is not CPU
			return results.Figures{Requests: int64(x), ThroughputRPS: x,
				LatencyMS: results.Latency{P50: 8000 / x, P90: 9000 / x, P95: 10000 / x, P99: 12000 / x}}, 0.6*x/1000 + 0.005*r.NormFloat64()
		}
		b, bf := f(1000)
		h, hf := f(900)
		rs = append(rs, Round{Base: map[string]results.Figures{"s": b}, Head: map[string]results.Figures{"s": h}, BaseForeign: max(0, bf), HeadForeign: max(0, hf), CPUs: 2})
	}
	if foreignDiffs(rs) == nil {
		t.Fatal("the simulated foreign CPU spread is below MinForeignSpread: the test shows nothing")
	}
	out := JudgePaired(config.Gates{}, []string{"s"}, rs, lookOf(1))
	if ch := out.Checks[0]; ch.Status == results.CheckPass || ch.Change > -0.05 {
		t.Fatalf("a 10%% slowdown with self-caused foreign CPU: %+v", ch)
	}
}

// lookOf is a look whose two bounds together make a two-sided interval at
// DefaultAlpha shared among looks (Bonferroni), as the tests here need.
func lookOf(looks int) Look {
	a := DefaultAlpha / float64(looks) / 2
	return Look{FailLevel: a, PassLevel: a}
}
