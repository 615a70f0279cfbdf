package compare

import (
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

func TestVerdictOf(t *testing.T) {
	check := func(status string) results.Check {
		return results.Check{Scenario: "s", Metric: "throughput_rps", Gate: GateThroughputDrop, Status: status, SamplesBase: 5, SamplesCur: 5}
	}
	stored := func(cs ...results.Check) *results.Comparison {
		return &results.Comparison{Baseline: "b.json", Checks: cs}
	}
	paired := Judging{Paired: true, Decided: true}
	for _, tt := range []struct {
		name string
		c    *results.Comparison
		j    Judging
		want string
	}{
		{"stored, nothing compared", nil, Judging{}, results.VerdictNoBaseline},
		{"stored, pass", stored(check(results.CheckPass)), Judging{}, results.VerdictPass},
		{"stored, fail wins", stored(check(results.CheckPass), check(results.CheckInconclusive), check(results.CheckFail)), Judging{}, results.VerdictFail},
		{"stored, inconclusive", stored(check(results.CheckPass), check(results.CheckInconclusive)), Judging{}, results.VerdictInconclusive},
		{"stored, only insufficient", stored(check(results.CheckInsufficient)), Judging{}, results.VerdictNoBaseline},
		{"stored, no baseline named", &results.Comparison{Checks: []results.Check{check(results.CheckPass)}}, Judging{}, results.VerdictNoBaseline},
		{"paired, decided pass", &results.Comparison{Checks: []results.Check{check(results.CheckPass)}}, paired, results.VerdictPass},
		{"paired, fail", &results.Comparison{Checks: []results.Check{check(results.CheckFail)}}, Judging{Paired: true}, results.VerdictFail},
		{"paired, budget spent", &results.Comparison{Checks: []results.Check{check(results.CheckPass)}}, Judging{Paired: true}, results.VerdictInconclusive},
		{"paired, decided but a check open", &results.Comparison{Checks: []results.Check{check(results.CheckInconclusive)}}, paired, results.VerdictInconclusive},
		{"paired, no checks", &results.Comparison{}, paired, results.VerdictInconclusive},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerdictOf(tt.c, tt.j); got != tt.want {
				t.Errorf("VerdictOf = %q, want %q", got, tt.want)
			}
		})
	}
}
