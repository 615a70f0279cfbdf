package htmlreport

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// A limit check is a row of the checks table: its metric marked "(limit)",
// its rule as written, no baseline, change or p-value.
func TestLimitRow(t *testing.T) {
	res := &results.Results{Schema: results.Schema, Name: "api", Verdict: results.VerdictFail,
		Scenarios: []results.Scenario{{Name: "login", Figures: results.Figures{Requests: 100, OK: 100, ThroughputRPS: 50, LatencyMS: results.Latency{P95: 250}}}}}
	res.Comparison = &results.Comparison{Alpha: 0.05, Checks: []results.Check{
		{Scenario: "login", Metric: "p95", Gate: "limit", Current: 250, Threshold: 200, Rule: "< 200ms", Status: results.CheckFail,
			Note: "p95 is 250 ms over 100 requests: outside the limit p95 < 200ms", SamplesCur: 5},
	}}
	rows, worst := checkRows(report.NewView(res, report.ViewOptions{}).Checks)
	if len(rows) != 1 || worst["login"] != results.CheckFail {
		t.Fatalf("rows %+v worst %v", rows, worst)
	}
	r := rows[0]
	if r.Metric != "p95 (limit)" || r.Rule != "< 200ms" || r.Baseline != "—" || r.Change != "—" || r.P != "—" || r.Current != "250 ms" || !r.ShowNote {
		t.Errorf("row %+v", r)
	}
	page := render(t, res).raw
	for _, want := range []string{"p95 (limit)", "&lt; 200ms", "outside the limit p95 &lt; 200ms"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
