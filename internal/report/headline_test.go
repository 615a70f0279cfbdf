package report

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

// The inconclusive headline says why: a paired run's resolution, or the
// cores a neighbour took against a stored baseline.
func TestInconclusiveHeadline(t *testing.T) {
	guarded := &results.Comparison{Baseline: "b.json", ForeignCPU: &results.ForeignCPUComparison{Baseline: 0.02, Current: 0.45, CPUs: 2, Guarded: true},
		Checks: []results.Check{{Scenario: "s", Metric: "throughput_rps", Gate: "throughput_drop", Status: results.CheckInconclusive}}}
	for _, tt := range []struct {
		name string
		res  *results.Results
		want string
	}{
		{"stored, neighbour", &results.Results{Verdict: results.VerdictInconclusive, Comparison: guarded},
			"a neighbour took 0.45 of 2 cores (baseline: 0.02), enough to explain what failed"},
		{"paired", &results.Results{Verdict: results.VerdictInconclusive, Mode: results.ModePaired, Paired: &results.Paired{Rounds: 48, Detectable: 0.061}, Comparison: guarded},
			"undecided within the budget: this run could tell a 6.1% change from none"},
		{"paired, no resolution", &results.Results{Verdict: results.VerdictInconclusive, Mode: results.ModePaired, Paired: &results.Paired{Rounds: 48}, Comparison: guarded},
			"the budget was spent before every gate was decided"},
		{"stored, no reason recorded", &results.Results{Verdict: results.VerdictInconclusive, Comparison: &results.Comparison{Baseline: "b.json"}},
			"a check could not be decided"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := VerdictHeadline(tt.res)
			if h.Title != "INCONCLUSIVE" || !strings.Contains(h.Summary, tt.want) {
				t.Errorf("headline %q: %q, want %q", h.Title, h.Summary, tt.want)
			}
		})
	}
}

// Results that carry no verdict get compare's: an undecided check is never
// drawn as a pass.
func TestHeadlineDerivesInconclusive(t *testing.T) {
	res := &results.Results{Mode: results.ModePaired, Paired: &results.Paired{Rounds: 10, StoppedBy: "budget"},
		Comparison: &results.Comparison{Checks: []results.Check{
			{Scenario: "s", Metric: "throughput_rps", Gate: "throughput_drop", Status: results.CheckPass},
			{Scenario: "s", Metric: "latency_p99_ms", Gate: "latency_rise", Status: results.CheckInconclusive},
		}}}
	if h := VerdictHeadline(res); h.Verdict != results.VerdictInconclusive || h.Icon == "✅" {
		t.Errorf("headline %+v, want inconclusive", h)
	}
}
