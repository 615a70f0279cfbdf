package publish

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// A broken limit is annotated as a limit, with its note (the figure and
// the bound), not as a regression from a baseline it never had.
func TestAnnotationsLimit(t *testing.T) {
	h := newHarness(t, "/api/v3")
	res := resultstest.Sample(results.VerdictNoBaseline)
	res.Verdict = results.VerdictFail
	res.Comparison = &results.Comparison{Alpha: 0.05, Checks: []results.Check{
		{Scenario: "login", Metric: "p95", Gate: "limit", Current: 250, Threshold: 200, Rule: "< 200ms", Status: results.CheckFail,
			Note: "p95 is 250 ms over 900 requests: outside the limit p95 < 200ms", SamplesCur: 5},
	}}
	h.publish(res)
	want := "::error title=perfgate api%3A limit::login: p95 is 250 ms over 900 requests: outside the limit p95 < 200ms"
	if got := strings.Split(h.stdout.String(), "\n")[0]; got != want {
		t.Errorf("annotation\n%s\nwant\n%s", got, want)
	}
}

// What to do next after a broken limit: meet it or change it, not
// "refresh the baseline" (which would not change it).
func TestBodyNextLimit(t *testing.T) {
	res := resultstest.Sample(results.VerdictNoBaseline)
	res.Verdict = results.VerdictFail
	res.Comparison = &results.Comparison{Alpha: 0.05, Checks: []results.Check{
		{Scenario: "login", Metric: "p95", Gate: "limit", Current: 250, Threshold: 200, Rule: "< 200ms", Status: results.CheckFail, SamplesCur: 5},
	}}
	next := func(res *results.Results) string {
		body, _ := Body(res, BodyOptions{})
		return body
	}
	got := next(res)
	if !strings.Contains(got, "A limit not met? Make the scenario meet it, or change its `limits:` in `perfgate.yaml`") || strings.Contains(got, "baseline update") {
		t.Errorf("next steps after a broken limit:\n%s", got)
	}
	// A limit and a regression: both pieces of advice.
	res = resultstest.Sample(results.VerdictFail)
	res.Comparison.Checks = append(res.Comparison.Checks, results.Check{Scenario: "login", Metric: "p95", Gate: "limit", Status: results.CheckFail})
	if got := next(res); !strings.Contains(got, "A limit not met?") || !strings.Contains(got, "perfgate baseline update") {
		t.Errorf("next steps after a broken limit and a regression:\n%s", got)
	}
}
