package compare

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// runSpec is one run's figures.
type runSpec struct {
	rps, er, p50 float64
}

// scen is resultstest.Scenario: a throughput drop is a latency rise.
var scen = resultstest.Scenario

func run(scs ...results.Scenario) *results.Results {
	return &results.Results{
		Schema: results.Schema, Name: "auth", PerfgateVersion: "v1", ConfigHash: "sha256:aaa",
		Client:     "net/http",
		FinishedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Host:       results.Host{CPUModel: "Xeon", CPUCount: 4, GOMAXPROCS: 4},
		Scenarios:  scs,
	}
}

func base(scs ...results.Scenario) *baseline.Baseline { return baseline.FromResults(run(scs...)) }

func find(t *testing.T, c *results.Comparison, scenario, gate, metric string) results.Check {
	t.Helper()
	for _, ch := range c.Checks {
		if ch.Scenario == scenario && ch.Gate == gate && ch.Metric == metric {
			return ch
		}
	}
	t.Fatalf("no check %s/%s/%s in %+v", scenario, gate, metric, c.Checks)
	return results.Check{}
}

// exactP is the two-sided Mann-Whitney p-value by enumerating every
// assignment of the pooled values to the two groups (no ties assumed):
// 2·min(P(U ≤ u), P(U ≥ u)), capped at 1.
func exactP(xs, ys []float64) float64 {
	pool := append(append([]float64(nil), xs...), ys...)
	sort.Float64s(pool)
	u := func(a, b []float64) int {
		n := 0
		for _, x := range a {
			for _, y := range b {
				if y < x {
					n++
				}
			}
		}
		return n
	}
	obs := u(xs, ys)
	n, n1 := len(pool), len(xs)
	le, ge, total := 0, 0, 0
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != n1 {
			continue
		}
		var a, b []float64
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				a = append(a, pool[i])
			} else {
				b = append(b, pool[i])
			}
		}
		v := u(a, b)
		if v <= obs {
			le++
		}
		if v >= obs {
			ge++
		}
		total++
	}
	return math.Min(1, 2*float64(min(le, ge))/float64(total))
}

func TestJudgeKnownAnswers(t *testing.T) {
	baseRPS := []float64{1000, 1012, 995, 1006, 990}
	tests := []struct {
		name     string
		cur      []float64
		wantTP   string // throughput_drop status
		wantP50  string // latency_rise p50 status
		wantNote string // in the throughput note
	}{
		{"A/A identical", baseRPS, results.CheckPass, results.CheckPass, "no significant change"},
		{"A/A reordered noise", []float64{1003, 993, 1010, 998, 1001}, results.CheckPass, results.CheckPass, "no significant change"},
		{"25% drop", []float64{752, 748, 760, 745, 755}, results.CheckFail, results.CheckFail, "dropped by 24.8%"},
		{"3% drop, significant but within 5%", []float64{970, 968, 975, 972, 966}, results.CheckPass, results.CheckPass, "within the threshold"},
		{"improvement", []float64{1200, 1210, 1190, 1205, 1199}, results.CheckPass, results.CheckPass, "improved"},
		{"6% drop with overlap, not significant", []float64{1011, 900, 940, 1001, 930}, results.CheckPass, results.CheckPass, "no significant change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base(scen("login", 0, baseRPS...))
			cur := run(scen("login", 0, tt.cur...))
			c := Judge(runToRun, b, cur, Options{BaselinePath: "baselines/auth.json"})
			tp := find(t, c, "login", GateThroughputDrop, "throughput_rps")
			if tp.Status != tt.wantTP || !strings.Contains(tp.Note, tt.wantNote) {
				t.Errorf("throughput: status %s note %q, want %s / %q", tp.Status, tp.Note, tt.wantTP, tt.wantNote)
			}
			if p := find(t, c, "login", GateLatencyRise, "p50"); p.Status != tt.wantP50 {
				t.Errorf("p50: %s (%s), want %s", p.Status, p.Note, tt.wantP50)
			}
			// p-value matches an independent exact computation.
			if want := exactP(baseRPS, tt.cur); tt.name != "A/A identical" && math.Abs(tp.PValue-want) > 1e-9 {
				t.Errorf("p = %v, want exact %v", tp.PValue, want)
			}
			if tp.Significant != (tp.PValue <= 0.05) {
				t.Errorf("significant = %v with p = %v", tp.Significant, tp.PValue)
			}
			// The change is median vs median, inside its interval.
			want := baseline.Median(tt.cur)/baseline.Median(baseRPS) - 1
			if math.Abs(tp.Change-want) > 1e-12 {
				t.Errorf("change = %v, want %v", tp.Change, want)
			}
			if tp.ChangeLow > tp.Change+1e-9 || tp.ChangeHigh < tp.Change-1e-9 {
				t.Errorf("change %v outside [%v, %v]", tp.Change, tp.ChangeLow, tp.ChangeHigh)
			}
			if tp.Confidence < 0.95 {
				t.Errorf("confidence %v", tp.Confidence)
			}
			if tp.SamplesBase != 5 || tp.SamplesCur != 5 || tp.Rule != "drop <= 5%" || tp.Threshold != 0.05 {
				t.Errorf("check fields: %+v", tp)
			}
			if _, err := json.Marshal(c); err != nil {
				t.Errorf("comparison not encodable: %v", err)
			}
		})
	}
}

func TestJudge25PercentDropExact(t *testing.T) {
	b := base(scen("s", 0, 100, 101, 102, 103, 104))
	c := Judge(runToRun, b, run(scen("s", 0, 75, 76, 77, 78, 79)), Options{})
	tp := find(t, c, "s", GateThroughputDrop, "throughput_rps")
	// Complete separation with 5+5: p = 2/C(10,5) = 2/252.
	if math.Abs(tp.PValue-2.0/252) > 1e-12 || tp.Status != results.CheckFail {
		t.Fatalf("p = %v status %s, want 2/252 fail", tp.PValue, tp.Status)
	}
	// Ratios y/x-1, k = 3: 3rd smallest 76/104-1... computed independently.
	var r []float64
	for _, x := range []float64{100, 101, 102, 103, 104} {
		for _, y := range []float64{75, 76, 77, 78, 79} {
			r = append(r, y/x-1)
		}
	}
	sort.Float64s(r)
	if tp.ChangeLow != r[2] || tp.ChangeHigh != r[22] {
		t.Errorf("CI [%v, %v], want [%v, %v]", tp.ChangeLow, tp.ChangeHigh, r[2], r[22])
	}
	if math.Abs(tp.Change-(77.0/102-1)) > 1e-12 {
		t.Errorf("change %v", tp.Change)
	}
	if Verdict(c) != results.VerdictFail || len(Failures(c)) == 0 {
		t.Errorf("verdict %s", Verdict(c))
	}
}

func TestJudgeInsufficient(t *testing.T) {
	// 3+3 runs: even a 50% drop cannot be significant at 0.05.
	b := base(scen("s", 0, 100, 101, 102))
	c := Judge(config.Gates{}, b, run(scen("s", 0, 50, 51, 52)), Options{BaselinePath: "b.json"})
	for _, ch := range c.Checks {
		if ch.Gate == GateErrorRateMax {
			continue
		}
		if ch.Status != results.CheckInsufficient {
			t.Errorf("%s/%s: %s, want insufficient", ch.Gate, ch.Metric, ch.Status)
		}
	}
	tp := find(t, c, "s", GateThroughputDrop, "throughput_rps")
	if !strings.Contains(tp.Note, "3 baseline + 3 current runs cannot show a change") || !strings.Contains(tp.Note, "0.100") || !strings.Contains(tp.Note, "load.repeat ≥ 4") {
		t.Errorf("note %q", tp.Note)
	}
	if tp.Change > -0.49 || tp.Change < -0.51 {
		t.Errorf("change still reported: %v", tp.Change)
	}
	// Insufficient is not a failure, but not a pass either: nothing was
	// judged against the baseline.
	if v := Verdict(c); v != results.VerdictNoBaseline {
		t.Errorf("verdict %s, want no-baseline (nothing judged against the baseline)", v)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, "no statistical check could be judged") || !strings.Contains(w, "not pass") {
		t.Errorf("warnings do not say why the verdict is no-baseline: %q", w)
	}
	// 3 baseline runs: the run alone can make up for it with 5.
	c = Judge(config.Gates{}, b, run(scen("s", 0, 50, 51, 52, 53, 54)), Options{})
	if tp := find(t, c, "s", GateThroughputDrop, "throughput_rps"); tp.Status != results.CheckFail {
		t.Errorf("3+5 with a 50%% drop: %s (%s)", tp.Status, tp.Note)
	}
	c = Judge(config.Gates{}, b, run(scen("s", 0, 50, 51, 52, 53)), Options{})
	if tp := find(t, c, "s", GateThroughputDrop, "throughput_rps"); !strings.Contains(tp.Note, "this run needs ≥ 5 runs") {
		t.Errorf("3+4 note: %q", tp.Note)
	}
	// A run with no completed request.
	empty := scen("s", 1)
	c = Judge(config.Gates{}, b, run(empty), Options{})
	if tp := find(t, c, "s", GateThroughputDrop, "throughput_rps"); tp.Status != results.CheckInsufficient || !strings.Contains(tp.Note, "no run") {
		t.Errorf("empty run: %+v", tp)
	}
}

func TestJudgeErrorRate(t *testing.T) {
	rps := []float64{1000, 1001, 1002, 1003, 1004}
	tests := []struct {
		name            string
		baseER, curER   float64
		curRuns         int
		gates           config.Gates
		wantMax, wantRi string
	}{
		{"clean", 0, 0, 5, config.Gates{}, results.CheckPass, results.CheckPass},
		{"above ceiling with 2 runs", 0, 0.02, 2, config.Gates{}, results.CheckFail, results.CheckInsufficient},
		{"above ceiling with 5 runs", 0, 0.02, 5, config.Gates{}, results.CheckFail, results.CheckFail},
		{"rise under ceiling", 0.001, 0.008, 5, config.Gates{}, results.CheckPass, results.CheckFail},
		{"small rise", 0.001, 0.004, 5, config.Gates{}, results.CheckPass, results.CheckPass},
		{"ceiling raised", 0, 0.02, 5, config.Gates{Default: config.Gate{ErrorRateMax: pctOf(0.05), ErrorRateRise: pctOf(0.05)}}, results.CheckPass, results.CheckPass},
		{"ceiling per scenario", 0, 0.02, 5, config.Gates{Default: config.Gate{ErrorRateMax: pctOf(0.05)}, Scenarios: map[string]config.Gate{"s": {ErrorRateMax: pctOf(0.01)}}}, results.CheckFail, results.CheckFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Vary error rates a little per run so there are no ties.
			bs := scen("s", tt.baseER, rps...)
			for i := range bs.Runs {
				if tt.baseER > 0 {
					bs.Runs[i].ErrorRate += float64(i) * 1e-5
				}
			}
			cs := scen("s", tt.curER, rps[:tt.curRuns]...)
			for i := range cs.Runs {
				if tt.curER > 0 {
					cs.Runs[i].ErrorRate += float64(i) * 1e-5
				}
			}
			c := Judge(tt.gates, base(bs), run(cs), Options{})
			mx := find(t, c, "s", GateErrorRateMax, "error_rate")
			ri := find(t, c, "s", GateErrorRateRise, "error_rate")
			if mx.Status != tt.wantMax || ri.Status != tt.wantRi {
				t.Errorf("max %s (%s), rise %s (%s); want %s, %s", mx.Status, mx.Note, ri.Status, ri.Note, tt.wantMax, tt.wantRi)
			}
			if mx.Current != tt.curER {
				t.Errorf("ceiling judged %v, want the run's overall %v", mx.Current, tt.curER)
			}
		})
	}
	// Without a baseline the ceiling still applies.
	c := Judge(config.Gates{}, nil, run(scen("s", 0.5, 10, 11)), Options{})
	if len(c.Checks) != 1 || c.Checks[0].Status != results.CheckFail || Verdict(c) != results.VerdictFail {
		t.Errorf("no baseline, 50%% errors: %+v verdict %s", c.Checks, Verdict(c))
	}
	c = Judge(config.Gates{}, nil, run(scen("s", 0, 10, 11)), Options{BaselinePath: "baselines/x.json"})
	if Verdict(c) != results.VerdictNoBaseline || len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0], "no baseline at baselines/x.json") {
		t.Errorf("no baseline, clean: verdict %s warnings %v", Verdict(c), c.Warnings)
	}
}

// runToRun judges a baseline of one session run against run at face value
// (no drift between sessions assumed), as the Mann–Whitney tests here need.
var runToRun = config.Gates{SessionDrift: pctOf(0)}

func pctOf(f float64) *config.Percent { p := config.Percent(f); return &p }

func TestResolve(t *testing.T) {
	g := config.Gates{
		Default: config.Gate{ThroughputDrop: pctOf(0.1), LatencyRise: map[string]*config.Percent{"p90": pctOf(0.2)}},
		Scenarios: map[string]config.Gate{
			"slow": {LatencyRise: map[string]*config.Percent{"p99": pctOf(0.5)}, ErrorRateMax: pctOf(0.1)},
		},
	}
	d := Resolve(config.Gates{}, "x")
	if d.ThroughputDrop != 0.05 || d.ErrorRateMax != 0.01 || d.ErrorRateRise != 0.005 || len(d.LatencyRise) != 3 || d.LatencyRise["p99"] != 0.15 {
		t.Errorf("defaults: %+v", d)
	}
	x := Resolve(g, "x")
	if x.ThroughputDrop != 0.1 || x.LatencyRise["p90"] != 0.2 || x.LatencyRise["p50"] != 0.1 || x.ErrorRateMax != 0.01 {
		t.Errorf("default override: %+v", x)
	}
	s := Resolve(g, "slow")
	if s.ThroughputDrop != 0.1 || s.LatencyRise["p99"] != 0.5 || s.LatencyRise["p90"] != 0.2 || s.ErrorRateMax != 0.1 {
		t.Errorf("scenario override: %+v", s)
	}
	// A flow's step takes its flow's gates, then its own.
	g.Scenarios["slow/login"] = config.Gate{ErrorRateMax: pctOf(0.2)}
	if st := Resolve(g, "slow/login"); st.LatencyRise["p99"] != 0.5 || st.ErrorRateMax != 0.2 || st.ThroughputDrop != 0.1 {
		t.Errorf("step of slow: %+v", st)
	}
	if st := Resolve(g, "slow/me"); st.LatencyRise["p99"] != 0.5 || st.ErrorRateMax != 0.1 {
		t.Errorf("step without its own gates: %+v", st)
	}
	// Resolving must not leak one scenario's override into another.
	if again := Resolve(g, "x"); again.LatencyRise["p99"] != 0.15 {
		t.Errorf("override leaked: %+v", again)
	}
	for _, tt := range []struct{ in, want float64 }{{0, 0.05}, {0.01, 0.01}, {-1, 0.05}, {0.7, 0.05}} {
		if got := Alpha(config.Gates{Alpha: tt.in}); got != tt.want {
			t.Errorf("Alpha(%v) = %v", tt.in, got)
		}
	}
	// A configured p90 gate is judged; an unconfigured one is not.
	b := base(scen("x", 0, 1, 2, 3, 4, 5))
	c := Judge(g, b, run(scen("x", 0, 1, 2, 3, 4, 5)), Options{})
	find(t, c, "x", GateLatencyRise, "p90")
	for _, ch := range Judge(config.Gates{}, b, run(scen("x", 0, 1, 2, 3, 4, 5)), Options{}).Checks {
		if ch.Metric == "p90" {
			t.Errorf("p90 judged without a gate")
		}
	}
}

func TestJudgeAlphaChangesDecision(t *testing.T) {
	// 4+4 complete separation: p = 2/70 ≈ 0.029: significant at 0.05, not at 0.01
	// (where 4+4 is even insufficient: min p 0.029 > 0.01).
	b := base(scen("s", 0, 100, 101, 102, 103))
	cur := run(scen("s", 0, 80, 81, 82, 83))
	if tp := find(t, Judge(runToRun, b, cur, Options{}), "s", GateThroughputDrop, "throughput_rps"); tp.Status != results.CheckFail {
		t.Errorf("alpha 0.05: %s", tp.Status)
	}
	if tp := find(t, Judge(config.Gates{Alpha: 0.01, SessionDrift: pctOf(0)}, b, cur, Options{}), "s", GateThroughputDrop, "throughput_rps"); tp.Status != results.CheckInsufficient {
		t.Errorf("alpha 0.01: %s", tp.Status)
	}
}

func TestJudgeMissingAndWarnings(t *testing.T) {
	b := base(scen("a", 0, 1, 2, 3, 4, 5), scen("gone", 0, 1, 2, 3, 4, 5))
	cur := run(scen("a", 0, 1, 2, 3, 4, 5), scen("new", 0.5, 1, 2, 3, 4, 5))
	cur.Host.CPUModel = "EPYC"
	cur.Host.CPUCount = 8
	cur.ConfigHash = "sha256:bbb"
	cur.PerfgateVersion = "v2"
	cur.Interrupted = true
	c := Judge(config.Gates{}, b, cur, Options{BaselinePath: "baselines/auth.json"})
	var missing []string
	for _, ch := range c.Checks {
		if ch.Status == results.CheckMissing {
			missing = append(missing, ch.Scenario+": "+ch.Note)
		}
	}
	// A new scenario is noted, not failed; a baselined one that was not
	// measured fails.
	if len(missing) != 1 || !strings.HasPrefix(missing[0], "new: new scenario, not in the baseline") {
		t.Errorf("missing: %v", missing)
	}
	var gone []results.Check
	for _, ch := range Failures(c) {
		if ch.Scenario == "gone" {
			gone = append(gone, ch)
		}
	}
	if len(gone) != 1 || !strings.Contains(gone[0].Note, "in the baseline but not measured") || gone[0].SamplesBase != 5 {
		t.Errorf("gone: %+v", gone)
	}
	// The new scenario still gets the ceiling, and fails it.
	if ch := find(t, c, "new", GateErrorRateMax, "error_rate"); ch.Status != results.CheckFail {
		t.Errorf("new scenario ceiling: %s", ch.Status)
	}
	all := strings.Join(c.Warnings, "\n")
	for _, want := range []string{`CPU "Xeon", this run on "EPYC"`, "4 CPUs, this run with 8", "config changed", "perfgate v1, this run by v2", "interrupted"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if c.Baseline != "baselines/auth.json" || !c.BaselineDate.Equal(b.CreatedAt) || c.Alpha != 0.05 {
		t.Errorf("header %+v", c)
	}
	same := Judge(config.Gates{}, b, run(scen("a", 0, 1, 2, 3, 4, 5), scen("gone", 0, 1, 2, 3, 4, 5)), Options{})
	// A fair comparison warns only that a one-session baseline cannot
	// know the drift between sessions.
	if len(same.Warnings) != 1 || !strings.Contains(same.Warnings[0], "holds one measuring session") {
		t.Errorf("warnings on a fair comparison: %v", same.Warnings)
	}
}

// TestGateBypass: renaming every scenario, or measuring nothing the
// baseline holds, must not pass the gate.
func TestGateBypass(t *testing.T) {
	fast := base(scen("login", 0, 10000, 10010, 10020, 10030, 10040), scen("health", 0, 50000, 50010, 50020, 50030, 50040))
	tests := []struct {
		name string
		cur  *results.Results
		want string
	}{
		{"renamed, 10x slower", run(scen("login2", 0, 1000, 1001, 1002, 1003, 1004), scen("health2", 0, 5000, 5001, 5002, 5003, 5004)), results.VerdictFail},
		{"nothing measured", run(), results.VerdictFail},
		{"one of two measured, unchanged", run(scen("login", 0, 10000, 10010, 10020, 10030, 10040)), results.VerdictFail},
		{"both measured, unchanged", run(scen("login", 0, 10000, 10010, 10020, 10030, 10040), scen("health", 0, 50000, 50010, 50020, 50030, 50040)), results.VerdictPass},
		{"both measured plus a new one", run(scen("login", 0, 10000, 10010, 10020, 10030, 10040), scen("health", 0, 50000, 50010, 50020, 50030, 50040), scen("new", 0, 1, 2, 3, 4, 5)), results.VerdictPass},
		{"all insufficient", run(scen("login", 0, 1000, 1001), scen("health", 0, 5000, 5001)), results.VerdictNoBaseline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v := Apply(config.Gates{}, fast, tt.cur, Options{BaselinePath: "baselines/auth.json"}); v != tt.want {
				t.Errorf("verdict %s, want %s; checks %+v", v, tt.want, tt.cur.Comparison.Checks)
			}
		})
	}
}

// TestCurrentZero: a current throughput of 0 against a positive baseline is
// a drop of 100%, judged like any other; only a baseline of 0 makes a
// relative change impossible.
func TestCurrentZero(t *testing.T) {
	dead := func(n int) results.Scenario {
		sc := results.Scenario{Name: "s", Figures: results.Figures{Requests: int64(100 * n), ErrorRate: 0}}
		for i := range n {
			sc.Runs = append(sc.Runs, results.Run{Index: i + 1, Figures: results.Figures{
				Requests: 100, ThroughputRPS: 0, LatencyMS: results.Latency{P50: 1 + float64(i), P90: 2, P95: 3, P99: 4},
			}})
		}
		return sc
	}
	b := base(scen("s", 0, 100, 101, 102, 103, 104))
	c := Judge(config.Gates{}, b, run(dead(5)), Options{BaselinePath: "b"})
	tp := find(t, c, "s", GateThroughputDrop, "throughput_rps")
	if tp.Status != results.CheckFail || tp.Change != -1 || !strings.Contains(tp.Note, "dropped by 100%") {
		t.Errorf("current 0: %+v", tp)
	}
	if v := Verdict(c); v != results.VerdictFail {
		t.Errorf("verdict %s", v)
	}
	// The other way round, a relative change has no meaning.
	zb := baseline.FromResults(run(dead(5)))
	c = Judge(config.Gates{}, zb, run(scen("s", 0, 100, 101, 102, 103, 104)), Options{BaselinePath: "b"})
	if tp := find(t, c, "s", GateThroughputDrop, "throughput_rps"); tp.Status != results.CheckInsufficient || !strings.Contains(tp.Note, "baseline") {
		t.Errorf("baseline 0: %+v", tp)
	}
}

func TestApplyAndVerdict(t *testing.T) {
	if Verdict(nil) != results.VerdictNoBaseline {
		t.Error("nil comparison")
	}
	if c := Judge(config.Gates{}, nil, nil, Options{}); c == nil || len(c.Checks) != 0 {
		t.Errorf("nil run: %+v", c)
	}
	b := base(scen("s", 0, 100, 101, 102, 103, 104))
	cur := run(scen("s", 0, 100, 101, 102, 103, 104))
	if v := Apply(config.Gates{}, b, cur, Options{BaselinePath: "x"}); v != results.VerdictPass || cur.Verdict != v || cur.Comparison == nil {
		t.Errorf("Apply: %s %+v", v, cur)
	}
}

// TestQuietAndSensitive runs many simulated comparisons with a fixed seed:
// A/A runs with ±3% noise must never fail; a 12% drop with the same noise
// and 5 runs a side must nearly always fail.
func TestQuietAndSensitive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(center float64) []float64 {
		out := make([]float64, 5)
		for i := range out {
			out[i] = center * (1 + 0.03*(2*rng.Float64()-1))
		}
		return out
	}
	const trials = 300
	falseFails, caught := 0, 0
	for i := 0; i < trials; i++ {
		b := base(scen("s", 0, draw(1000)...))
		if Verdict(Judge(runToRun, b, run(scen("s", 0, draw(1000)...)), Options{BaselinePath: "b"})) == results.VerdictFail {
			falseFails++
		}
		if Verdict(Judge(runToRun, b, run(scen("s", 0, draw(880)...)), Options{BaselinePath: "b"})) == results.VerdictFail {
			caught++
		}
	}
	if falseFails != 0 {
		t.Errorf("A/A: %d of %d comparisons failed", falseFails, trials)
	}
	if caught < trials*95/100 {
		t.Errorf("12%% drop caught in %d of %d comparisons", caught, trials)
	}
	t.Logf("A/A false failures %d/%d; 12%% drop caught %d/%d", falseFails, trials, caught, trials)
}

func TestCheckCandidate(t *testing.T) {
	ok := run(scen("s", 0.001, 1, 2, 3))
	if err := CheckCandidate(config.Gates{}, ok); err != nil {
		t.Errorf("clean run rejected: %v", err)
	}
	bad := run(scen("s", 0.2, 1, 2, 3), scen("dead", 1))
	bad.Interrupted = true
	err := CheckCandidate(config.Gates{}, bad)
	var ce *CandidateError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"interrupted", `"s" has error rate 20%, above its 1% ceiling`, `"dead" completed no request`, "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if err := CheckCandidate(config.Gates{Default: config.Gate{ErrorRateMax: pctOf(0.5)}}, run(scen("s", 0.2, 1, 2))); err != nil {
		t.Errorf("raised ceiling: %v", err)
	}
}

func TestGateOff(t *testing.T) {
	baseRPS := []float64{1000, 1012, 995, 1006, 990}
	slow := []float64{752, 748, 760, 745, 755}
	off := config.PercentOff
	g := config.Gates{Default: config.Gate{ThroughputDrop: &off, LatencyRise: map[string]*config.Percent{"p50": &off, "p95": &off, "p99": &off}}}
	c := Judge(g, base(scen("login", 0, baseRPS...)), run(scen("login", 0, slow...)), Options{BaselinePath: "b.json"})
	for _, ch := range c.Checks {
		if ch.Metric == "throughput_rps" || ch.Gate == GateLatencyRise {
			t.Errorf("gate switched off but judged: %+v", ch)
		}
	}
	if v := Verdict(c); v != results.VerdictPass {
		t.Errorf("verdict %s, want pass (the error-rate rise is still judged)", v)
	}
}

func TestLatencyFloor(t *testing.T) {
	// A sub-millisecond endpoint: p50 0.16 ms → 0.21 ms is +31%, clearly
	// significant, and only 0.05 ms: scheduler jitter, not a regression.
	mk := func(name string, p50s ...float64) results.Scenario {
		sc := results.Scenario{Name: name}
		for i, p := range p50s {
			sc.Runs = append(sc.Runs, results.Run{Index: i + 1, Figures: results.Figures{Requests: 1000, ThroughputRPS: 5000,
				LatencyMS: results.Latency{P50: p, P90: p, P95: p, P99: p}}})
		}
		sc.Requests = int64(1000 * len(p50s))
		return sc
	}
	b := base(mk("health", 0.160, 0.158, 0.162, 0.161, 0.159))
	cur := run(mk("health", 0.210, 0.212, 0.208, 0.211, 0.209))
	c := Judge(runToRun, b, cur, Options{BaselinePath: "b.json"})
	p50 := find(t, c, "health", GateLatencyRise, "p50")
	if p50.Status != results.CheckPass || !strings.Contains(p50.Note, "below the 1 ms floor") || !strings.Contains(p50.Rule, "or <= 1 ms") {
		t.Errorf("default floor: %s %q rule %q", p50.Status, p50.Note, p50.Rule)
	}
	zero := config.Duration(0)
	c = Judge(config.Gates{SessionDrift: pctOf(0), Default: config.Gate{LatencyFloor: &zero}}, b, cur, Options{BaselinePath: "b.json"})
	if p50 := find(t, c, "health", GateLatencyRise, "p50"); p50.Status != results.CheckFail {
		t.Errorf("floor 0: %s %q, want fail", p50.Status, p50.Note)
	}
}

func TestFailNeedsWholeIntervalBeyondThreshold(t *testing.T) {
	baseRPS := []float64{1000, 1012, 995, 1006, 990}
	// Every current run is below every baseline run (p = 0.008) and the
	// median drop is 6%, but the interval reaches within the 5% allowed.
	near := []float64{915, 935, 940, 945, 982}
	c := Judge(runToRun, base(scen("login", 0, baseRPS...)), run(scen("login", 0, near...)), Options{BaselinePath: "b.json"})
	tp := find(t, c, "login", GateThroughputDrop, "throughput_rps")
	if !tp.Significant || tp.Change > -0.05 || tp.ChangeHigh < -0.05 {
		t.Fatalf("fixture is not what the test needs: %+v", tp)
	}
	if tp.Status != results.CheckPass || !strings.Contains(tp.Note, "reaches within") {
		t.Errorf("status %s note %q, want pass with the interval note", tp.Status, tp.Note)
	}
	// A clear 25% drop still fails.
	far := []float64{752, 748, 760, 745, 755}
	c = Judge(runToRun, base(scen("login", 0, baseRPS...)), run(scen("login", 0, far...)), Options{BaselinePath: "b.json"})
	if tp := find(t, c, "login", GateThroughputDrop, "throughput_rps"); tp.Status != results.CheckFail {
		t.Errorf("25%% drop: %s %q", tp.Status, tp.Note)
	}
}

// tight returns five runs agreeing within ±1% around m (one session).
func tight(m float64) []float64 {
	return []float64{m * 0.99, m * 0.995, m, m * 1.005, m * 1.01}
}

// sessionBase is a baseline of one session per median, each of tight runs.
func sessionBase(t *testing.T, medians ...float64) *baseline.Baseline {
	t.Helper()
	var runs []*results.Results
	for i, m := range medians {
		r := run(scen("login", 0, tight(m)...))
		r.FinishedAt = r.FinishedAt.Add(time.Duration(i) * 10 * time.Minute)
		runs = append(runs, r)
	}
	b, err := baseline.FromSessions(runs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTQuantile(t *testing.T) {
	for _, tt := range []struct {
		df   int
		want float64
	}{{1, 12.706}, {2, 4.303}, {3, 3.182}, {4, 2.776}, {5, 2.571}, {6, 2.447}, {10, 2.228}, {30, 2.042}} {
		if got := tQuantile(0.975, tt.df); math.Abs(got-tt.want) > 0.001 {
			t.Errorf("t(0.975, %d) = %.4f, want %.3f", tt.df, got, tt.want)
		}
	}
	if got := 1 - tAbsCDF(2.447, 6); math.Abs(got-0.05) > 0.0005 {
		t.Errorf("two-sided p at t=2.447, df 6 = %.4f", got)
	}
}

func TestJudgeSessions(t *testing.T) {
	drifted := sessionBase(t, 1000, 1150, 900)
	tests := []struct {
		name     string
		base     *baseline.Baseline
		cur      float64
		want     string // throughput check status
		sessions int    // SessionsBase of the throughput check
		warn     string
	}{
		// (a) this machine's own drift: never a failure.
		{"drift -12%", drifted, 880, results.CheckPass, 3, "judged per session against the baseline's 3 measuring sessions"},
		{"drift -6%", drifted, 950, results.CheckPass, 3, "judged per session"},
		{"same", drifted, 1000, results.CheckPass, 3, "judged per session"},
		{"drift +5%", drifted, 1060, results.CheckPass, 3, "judged per session"},
		{"drift +11%", drifted, 1120, results.CheckPass, 3, "judged per session"},
		// (b) a clear 30% drop fails, drift or not.
		{"30% drop", drifted, 700, results.CheckFail, 3, "judged per session"},
		{"improved", drifted, 1500, results.CheckPass, 3, "judged per session"},
		// (c) one session: today's run-level test, plus the warning.
		// A change below what one session can resolve is not a regression.
		{"one session, -12%", sessionBase(t, 1000), 880, results.CheckInconclusive, 0, "holds one measuring session"},
		{"one session, same", sessionBase(t, 1000), 1000, results.CheckPass, 0, "holds one measuring session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Judge(config.Gates{}, tt.base, run(scen("login", 0, tight(tt.cur)...)), Options{})
			ch := find(t, c, "login", GateThroughputDrop, baseline.MetricThroughput)
			if ch.Status != tt.want || ch.SessionsBase != tt.sessions {
				t.Fatalf("status %s (sessions %d), want %s (%d): %s [%v, %v]", ch.Status, ch.SessionsBase, tt.want, tt.sessions, ch.Note, ch.ChangeLow, ch.ChangeHigh)
			}
			if !strings.Contains(strings.Join(c.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings lack %q: %v", tt.warn, c.Warnings)
			}
			if c.ResolvableChange <= 0.05 || c.ResolvableChange >= 0.5 || ch.ResolvableChange != c.ResolvableChange {
				t.Errorf("resolvable change: comparison %v, check %v", c.ResolvableChange, ch.ResolvableChange)
			}
			if tt.sessions > 0 {
				if ch.Test != results.TestSessionDrift || !(ch.ChangeLow <= ch.Change && ch.Change <= ch.ChangeHigh) {
					t.Errorf("session check: test %q, change %v [%v, %v]", ch.Test, ch.Change, ch.ChangeLow, ch.ChangeHigh)
				}
				// The latency checks are judged per session too; error
				// rate stays over runs.
				if p50 := find(t, c, "login", GateLatencyRise, baseline.MetricP50); p50.SessionsBase != 3 {
					t.Errorf("p50 not judged per session: %+v", p50)
				}
				if er := find(t, c, "login", GateErrorRateRise, baseline.MetricErrorRate); er.SessionsBase != 0 {
					t.Errorf("error rate judged per session: %+v", er)
				}
			}
			if want := map[string]string{results.CheckFail: results.VerdictFail, results.CheckPass: results.VerdictPass, results.CheckInconclusive: results.VerdictInconclusive}[tt.want]; Verdict(c) != want {
				t.Errorf("verdict %s, want %s", Verdict(c), want)
			}
		})
	}
	// The resolvable change shrinks with more, quieter sessions.
	quiet := Judge(config.Gates{}, sessionBase(t, 1000, 1010, 995, 1005, 990), run(scen("login", 0, tight(1000)...)), Options{})
	loud := Judge(config.Gates{}, drifted, run(scen("login", 0, tight(1000)...)), Options{})
	if !(quiet.ResolvableChange < loud.ResolvableChange) {
		t.Errorf("resolvable: quiet %v, drifted %v", quiet.ResolvableChange, loud.ResolvableChange)
	}
}

// Sessions drawn with a ±15% drift between them (as measured on a shared 2-core runner): A/A
// against a 3-session baseline must (almost) never fail, and a 40% drop
// must (almost) always. Seeded, so the counts are exact.
func TestSessionDriftTrials(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 5))
	draw := func() float64 { return 1000 * (1 + 0.15*(2*rng.Float64()-1)) }
	const trials = 400
	var aaFail, dropFail int
	for i := 0; i < trials; i++ {
		b := sessionBase(t, draw(), draw(), draw())
		if Verdict(Judge(config.Gates{}, b, run(scen("login", 0, tight(draw())...)), Options{})) == results.VerdictFail {
			aaFail++
		}
		if Verdict(Judge(config.Gates{}, b, run(scen("login", 0, tight(0.6*draw())...)), Options{})) == results.VerdictFail {
			dropFail++
		}
	}
	t.Logf("A/A failed %d/%d, 40%% drop failed %d/%d", aaFail, trials, dropFail, trials)
	if aaFail > trials/40 {
		t.Errorf("A/A failed %d of %d trials (allowed %d)", aaFail, trials, trials/40)
	}
	if dropFail < trials*9/10 {
		t.Errorf("a 40%% drop failed only %d of %d trials", dropFail, trials)
	}
}
