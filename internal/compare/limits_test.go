package compare

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

func mustLimits(t *testing.T, kv ...string) config.Limits {
	t.Helper()
	var ls config.Limits
	for i := 0; i+1 < len(kv); i += 2 {
		l, err := config.ParseLimit(kv[i], kv[i+1])
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	return ls
}

// limited is a scenario of 5 runs with merged figures: 1000 requests of
// which ok succeeded, at rps goodput, with p95 ms.
func limited(name string, ok int64, rps, p95 float64) results.Scenario {
	sc := scen(name, 0, rps, rps, rps, rps, rps)
	sc.Requests, sc.OK = 1000, ok
	sc.ErrorRate = float64(1000-ok) / 1000
	sc.LatencyMS = results.Latency{P50: p95 / 2, P90: p95 * 0.9, P95: p95, P99: p95 * 1.5, Max: p95 * 3, Mean: p95 / 1.8}
	return sc
}

func TestJudgeLimits(t *testing.T) {
	healthy := limited("api", 995, 800, 120)
	tests := []struct {
		name   string
		sc     results.Scenario
		limits []string
		metric string // Check.Metric
		status string
		note   string
	}{
		{"p95 under its ceiling", healthy, []string{"p95", "< 200ms"}, "p95", results.CheckPass, ""},
		{"p95 over its ceiling", healthy, []string{"p95", "< 100ms"}, "p95", results.CheckFail, "p95 is 120 ms over 1000 requests: outside the limit p95 < 100ms"},
		{"p95 at its ceiling, strict", healthy, []string{"p95", "< 120ms"}, "p95", results.CheckFail, "outside"},
		{"p95 at its ceiling, inclusive", healthy, []string{"p95", "<= 120ms"}, "p95", results.CheckPass, ""},
		{"p95 impossible", healthy, []string{"p95", "< 1us"}, "p95", results.CheckFail, "p95 < 1µs"},
		{"p99 in seconds", healthy, []string{"p99", "< 1s"}, "p99", results.CheckPass, ""},
		{"max", healthy, []string{"max", "< 300ms"}, "max", results.CheckFail, "max is 360 ms"},
		{"mean floor", healthy, []string{"mean", "> 50ms"}, "mean", results.CheckPass, ""},
		{"p50", healthy, []string{"p50", "<= 60ms"}, "p50", results.CheckPass, ""},
		{"p90", healthy, []string{"p90", "< 100ms"}, "p90", results.CheckFail, "p90 is 108 ms"},
		{"error rate under", healthy, []string{"error_rate", "< 1%"}, "error_rate", results.CheckPass, ""},
		{"error rate over", healthy, []string{"error_rate", "< 0.1%"}, "error_rate", results.CheckFail, "error_rate is 0.5% over 1000 requests"},
		{"goodput over its floor", healthy, []string{"goodput", "> 500/s"}, "throughput_rps", results.CheckPass, ""},
		{"goodput under its floor", healthy, []string{"goodput", ">= 1000/s"}, "throughput_rps", results.CheckFail, "goodput is 800.0 req/s over 1000 requests: outside the limit goodput >= 1000/s"},
		{"nothing succeeded: no latency", limited("api", 0, 0, 0), []string{"p95", "< 200ms"}, "p95", results.CheckFail, "no request succeeded"},
		{"nothing succeeded: goodput 0", limited("api", 0, 0, 0), []string{"goodput", "> 1/s"}, "throughput_rps", results.CheckFail, "goodput is 0.0 req/s"},
		{"nothing measured", results.Scenario{Name: "api"}, []string{"error_rate", "< 1%"}, "error_rate", results.CheckFail, "no request was measured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := JudgeLimits(map[string]config.Limits{"api": mustLimits(t, tt.limits...)}, []results.Scenario{tt.sc})
			if len(checks) != 1 {
				t.Fatalf("%d checks: %+v", len(checks), checks)
			}
			ch := checks[0]
			if ch.Gate != GateLimit || ch.Scenario != "api" || ch.Metric != tt.metric || ch.Status != tt.status || ch.Rule != mustLimits(t, tt.limits...)[0].Text {
				t.Errorf("check %+v", ch)
			}
			if !strings.Contains(ch.Note, tt.note) || (tt.note == "") != (ch.Note == "") {
				t.Errorf("note %q; want %q", ch.Note, tt.note)
			}
		})
	}
}

// Limits of flow steps are found under flow/step; scenarios without limits
// and scenarios switched off (in the results with no request) give no
// check.
func TestLimitsOfSteps(t *testing.T) {
	cfg := []config.Scenario{
		{Name: "flow", Weight: 1, Limits: mustLimits(t, "p99", "< 2s"), Steps: []config.Step{
			{Name: "login", Limits: mustLimits(t, "p95", "< 10ms", "error_rate", "< 1%")},
			{Name: "me"},
		}},
		{Name: "plain", Weight: 1},
		{Name: "off", Weight: 0, Limits: mustLimits(t, "p95", "< 1ms")}, // switched off
	}
	ls := LimitsOf(cfg)
	if len(ls) != 2 || len(ls["flow/login"]) != 2 || len(ls["flow"]) != 1 || ls["plain"] != nil {
		t.Fatalf("LimitsOf: %+v", ls)
	}
	flow := limited("flow", 1000, 100, 50)
	flow.Steps = []results.Scenario{limited("login", 1000, 100, 20), limited("me", 1000, 100, 5)}
	checks := JudgeLimits(ls, []results.Scenario{flow, limited("plain", 1000, 100, 50), {Name: "off"}})
	var got []string
	for _, ch := range checks {
		got = append(got, ch.Scenario+" "+ch.Metric+" "+ch.Rule+" "+ch.Status)
	}
	want := "flow p99 < 2s pass|flow/login p95 < 10ms fail|flow/login error_rate < 1% pass"
	if strings.Join(got, "|") != want {
		t.Errorf("checks\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	if got := JudgeLimits(nil, []results.Scenario{flow}); len(got) != 0 {
		t.Errorf("no limits, checks %+v", got)
	}
}

// A limit is judged in every stored mode and decides the verdict: no
// baseline (fail, or no-baseline when it holds), and a baseline against
// which the gates pass.
func TestJudgeWithLimits(t *testing.T) {
	cur := run(limited("api", 1000, 1000, 120))
	same := base(limited("api", 1000, 1000, 120))
	tight := Options{Limits: map[string]config.Limits{"api": mustLimits(t, "p95", "< 100ms")}}
	loose := Options{Limits: map[string]config.Limits{"api": mustLimits(t, "p95", "< 200ms", "goodput", "> 500/s")}}
	tests := []struct {
		name    string
		base    bool
		opts    Options
		verdict string
		limits  int
		warning string
	}{
		{"no baseline, no limits", false, Options{}, results.VerdictNoBaseline, 0, "only the error-rate ceiling was judged"},
		{"no baseline, limit broken", false, tight, results.VerdictFail, 1, "only the error-rate ceiling and the limits were judged"},
		{"no baseline, limits hold", false, loose, results.VerdictNoBaseline, 2, "only the error-rate ceiling and the limits were judged"},
		{"baseline, gates pass, limit broken", true, tight, results.VerdictFail, 1, ""},
		{"baseline, gates pass, limits hold", true, loose, results.VerdictPass, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b = same
			if !tt.base {
				b = nil
			}
			c := Judge(config.Gates{}, b, cur, tt.opts)
			n := 0
			for _, ch := range c.Checks {
				if ch.Gate == GateLimit {
					n++
				}
			}
			if v := Verdict(c); v != tt.verdict || n != tt.limits {
				t.Errorf("verdict %s with %d limit checks; want %s with %d:\n%+v", v, n, tt.verdict, tt.limits, c.Checks)
			}
			if tt.warning != "" && !strings.Contains(strings.Join(c.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings lack %q: %q", tt.warning, c.Warnings)
			}
		})
	}
	// A pass rests on a statistical check: limits that hold against a
	// baseline whose checks could not be judged (too few runs) are no pass.
	few := run(limited("api", 1000, 1000, 120))
	few.Scenarios[0].Runs = few.Scenarios[0].Runs[:2]
	if v := Verdict(Judge(config.Gates{}, same, few, loose)); v != results.VerdictNoBaseline {
		t.Errorf("limits alone made the verdict %s", v)
	}
}
