package report_test

import (
	"fmt"

	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// The chart of the PR comment for a paired run: the base's goodput as
// bars, the head's as a line, one point per round.
func ExampleGoodputChart() {
	res := &results.Results{
		Scenarios: []results.Scenario{{Name: "signup"}},
		Paired: &results.Paired{BaseCommit: "4f1c2a9e8b7d", HeadCommit: "9a8b7c6d5e4f", RoundLog: []results.PairedRound{
			{Round: 1, Base: map[string]float64{"signup": 1010}, Head: map[string]float64{"signup": 905.5}},
			{Round: 2, Base: map[string]float64{"signup": 995}, Head: map[string]float64{"signup": 898}},
			{Round: 3, Base: map[string]float64{"signup": 1002}, Head: map[string]float64{"signup": 910}},
		}},
	}
	if c, ok := report.GoodputChart(res); ok {
		fmt.Print(c.Mermaid())
	}
	// Output:
	// xychart-beta
	//     title "signup: goodput per paired round, req/s (bars: base 4f1c2a9, line: head 9a8b7c6)"
	//     x-axis "round" ["1", "2", "3"]
	//     y-axis "req/s" 0 --> 1200
	//     bar "base" [1010, 995, 1002]
	//     line "head" [905.5, 898, 910]
}
