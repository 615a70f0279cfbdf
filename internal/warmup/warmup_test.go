package warmup

import (
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/results"
)

func timeline(okps ...float64) []results.TimelinePoint {
	var tl []results.TimelinePoint
	for i, x := range okps {
		tl = append(tl, results.TimelinePoint{T: float64(i + 1), OK: int64(x), OKPerS: x, P99MS: 10})
	}
	return tl
}

func runs(good ...float64) []results.Run {
	var rs []results.Run
	for i, g := range good {
		rs = append(rs, results.Run{Index: i + 1, Figures: results.Figures{OK: 100, ThroughputRPS: g, LatencyMS: results.Latency{P99: 10}}})
	}
	return rs
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		warm []results.TimelinePoint
		runs []results.Run
		want string // "" no warning
	}{
		{"warm and steady", timeline(950, 1000, 1010, 990, 1000, 1005), runs(1000, 990, 1010, 1000, 995), ""},
		{"still rising at the end (the seed posts' story)", timeline(200, 300, 420, 500, 560, 610), runs(1000, 1010, 990, 1000, 1005), "still warming up: its goodput went from 250/s to 585/s"},
		{"first run slow, the rest steady", timeline(900, 950, 980, 990, 1000, 1000), runs(700, 1000, 1010, 990, 1000), "measured run 1's goodput (700/s) is -30%"},
		{"first run within the noise of a noisy rest", timeline(900, 950, 980, 990, 1000, 1000), runs(850, 1000, 700, 1200, 900), ""},
		{"still falling toward the measured level is trending too", timeline(1500, 1400, 1300, 1200, 1150, 1100), runs(900, 910, 900, 905, 900), "went from 1450/s to 1125/s"},
		{"moving away from the measured level is not warming up", timeline(800, 850, 900, 950, 1000, 1050), runs(900, 910, 900, 905, 900), ""},
		{"too short a warm-up to say", timeline(100, 900), runs(1000, 1000, 1000), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &results.Results{
				Warmup:    []results.Scenario{{Name: "s", Timeline: tt.warm}},
				Scenarios: []results.Scenario{{Name: "s", Runs: tt.runs}},
			}
			got := strings.Join(Check(res, 5*time.Second), "\n")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if got != "" && !strings.Contains(got, "now 5s; try 10s") {
				t.Fatalf("no suggestion: %q", got)
			}
		})
	}
}
