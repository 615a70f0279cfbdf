package paired

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/results"
)

// An inconclusive session names the undecided gates and how much load
// would likely decide them, in the config's own terms.
func TestUndecidedAdvice(t *testing.T) {
	p := &results.Paired{Rounds: 60, LoadS: 120}
	for _, tt := range []struct {
		factor float64
		want   string
	}{
		{2.5, "about 5m of load would likely decide it (gates.max_time: 5m)"},
		{1.2, "about 150s of load would likely decide it (gates.max_time: 150s)"},
		{0, "a quieter runner decides sooner"},
	} {
		out := compare.PairedOutcome{Undecided: []compare.Undecided{{Scenario: "login", Metric: "throughput_rps", Factor: tt.factor}}}
		got := undecidedAdvice(out, p)
		if !strings.Contains(got, tt.want) || !strings.Contains(got, "login goodput") || !strings.Contains(got, "after 60 rounds (120 s of load)") {
			t.Errorf("factor %v: %q lacks %q", tt.factor, got, tt.want)
		}
	}
}
