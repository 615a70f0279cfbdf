package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

// limitsJudged is a run with no baseline judged against limits: login's
// p95 is over its ceiling and its goodput above its floor, health's error
// rate over its limit (but under the 1% error-rate ceiling) and its p99
// within its limit.
func limitsJudged(t *testing.T) *results.Results {
	t.Helper()
	res := resultsOf(scenario("login", 0, 1000, 1012, 995, 1006, 990), scenario("health", 0.008, 5000, 5020, 4990, 5010, 4980))
	for i := range res.Scenarios {
		sc := &res.Scenarios[i]
		sc.OK = sc.Requests - sc.Errors.Total()
	}
	limits := map[string]config.Limits{}
	for _, l := range []struct{ scenario, metric, bound string }{
		{"login", "p95", "< 15ms"}, {"login", "goodput", ">= 500/s"},
		{"health", "error_rate", "< 0.5%"}, {"health", "p99", "<= 10ms"},
	} {
		lim, err := config.ParseLimit(l.metric, l.bound)
		if err != nil {
			t.Fatal(err)
		}
		limits[l.scenario] = append(limits[l.scenario], lim)
	}
	compare.Apply(config.Gates{}, nil, res, compare.Options{Limits: limits})
	return res
}

// Limit checks in every format: a row per limit (metric "p95 (limit)",
// the rule as written, no baseline, change or p-value), the broken ones
// said in the headline and the overview.
func TestLimitsGolden(t *testing.T) {
	res := limitsJudged(t)
	if res.Verdict != results.VerdictFail {
		t.Fatalf("verdict %s", res.Verdict)
	}
	for _, format := range []string{"table", "markdown", "junit"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, res, format); err != nil {
				t.Fatal(err)
			}
			golden(t, format+"_limits", buf.Bytes())
		})
	}
	h := VerdictHeadline(res).Text()
	if h != "perfgate: FAIL — 2 limits not met" {
		t.Errorf("headline %q", h)
	}
	md := Markdown(res)
	for _, want := range []string{"❌ login **p95**: 20.0 ms (limit &lt; 15ms)", "❌ health **error rate**: 0.80% (limit &lt; 0.5%)", "| p99 (limit) |", "| ≤ 10ms |", "| goodput (limit) |", "| ≥ 500/s |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
