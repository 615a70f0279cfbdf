package clitest

import (
	"fmt"
	"time"

	"github.com/perfgate/perfgate/internal/results"
)

// Synthetic builds a results value with one scenario whose runs have the
// given throughputs (latency scales inversely), for command tests that
// need no load.
func Synthetic(name string, rps ...float64) *results.Results {
	res := &results.Results{
		Schema: results.Schema, Name: name, Verdict: results.VerdictNoBaseline, PerfgateVersion: "test",
		ConfigHash: "abc", StartedAt: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Client: "net/http",
		Load: results.LoadInfo{Model: "closed", Workers: 4, Repeat: len(rps)},
		Host: results.Host{OS: "linux", Arch: "amd64", CPUModel: "Test CPU", CPUCount: 2, GOMAXPROCS: 2, GoVersion: "go1.26"},
	}
	sc := results.Scenario{Name: "signup"}
	var total int64
	for i, r := range rps {
		n := int64(r)
		lat := 4000 / r
		f := results.Figures{Requests: n, DurationS: 1, ThroughputRPS: r, StatusCounts: map[string]int64{"200": n},
			LatencyMS: results.Latency{P50: lat, P90: lat * 1.5, P95: lat * 2, P99: lat * 3, Max: lat * 5, Mean: lat}}
		sc.Runs = append(sc.Runs, results.Run{Index: i + 1, Figures: f})
		total += n
		sc.Figures = f
	}
	sc.Requests = total
	sc.DurationS = float64(len(rps))
	sc.ThroughputRPS = float64(total) / sc.DurationS
	sc.StatusCounts = map[string]int64{"200": total}
	res.Scenarios = []results.Scenario{sc}
	return res
}

// Throughputs returns n values around center, spread by ±spread.
func Throughputs(center, spread float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = center + spread*(float64(i)/float64(max(n-1, 1))*2-1)
	}
	return out
}

// Must panics on err (test fixtures only).
func Must(err error) {
	if err != nil {
		panic(fmt.Sprint("fixture: ", err))
	}
}
