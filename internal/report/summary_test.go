package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

func TestSummaryTable(t *testing.T) {
	res := &results.Results{
		Name: "demo", Load: results.LoadInfo{Model: "closed", Workers: 20, Repeat: 2}, Interrupted: true,
		Scenarios: []results.Scenario{{
			Name: "signup",
			Figures: results.Figures{Requests: 2000, ThroughputRPS: 1000.04, ErrorRate: 0.005,
				StatusCounts: map[string]int64{"200": 1990, "409": 10}, Errors: results.Errors{Status: 10},
				LatencyMS: results.Latency{P50: 1.234, P90: 12.34, P95: 123.4, P99: 200, Max: 350}},
			Runs: []results.Run{{Index: 1, Figures: results.Figures{ThroughputRPS: 990}}, {Index: 2, Figures: results.Figures{ThroughputRPS: 1010}}},
		}},
	}
	var b bytes.Buffer
	if err := SummaryTable(&b, res, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"perfgate demo — closed model, 20 workers, 2 measured run(s) — INTERRUPTED", "signup", "2000", "1000.0", "990..1010",
		"0.50% (status 10)", "1.23", "12.3", "123", "200×1990 409×10"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
