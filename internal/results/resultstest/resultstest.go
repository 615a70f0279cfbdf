// Package resultstest builds results for tests: scenarios from per-run
// throughputs, results around them, and the foreign CPU a neighbour took
// (here); canned runs and judged samples (samples.go); scenarios with
// timelines and histograms, paired sessions and shards (timed.go). It is
// the one place tests build results from scratch.
package resultstest

import (
	"time"

	"github.com/perfgate/perfgate/internal/results"
)

// Scenario is a scenario whose runs have the given throughputs (2000
// requests each, over 2 s) and error rate. Latency follows throughput:
// p50 is 10000/rps ms (about 10 ms at 1000 req/s, above the 1 ms latency
// floor), p90, p95, p99 and max 1.5, 2, 3 and 9 times it, so a throughput
// drop shows as a latency rise.
func Scenario(name string, errRate float64, rps ...float64) results.Scenario {
	sc := results.Scenario{Name: name}
	var sum float64
	for i, r := range rps {
		sc.Runs = append(sc.Runs, results.Run{Index: i + 1, Figures: figures(2000, 2, r, errRate)})
		sum += r
	}
	n := float64(max(1, len(rps)))
	sc.Figures = figures(int64(2000*len(rps)), 2*n, sum/n, errRate)
	if errRate > 0 {
		sc.Errors.Status = int64(errRate * float64(sc.Requests))
	}
	return sc
}

func figures(requests int64, seconds, rps, errRate float64) results.Figures {
	p := 10000 / rps
	return results.Figures{
		Requests: requests, DurationS: seconds, ThroughputRPS: rps, ErrorRate: errRate,
		StatusCounts: map[string]int64{"200": requests},
		LatencyMS:    results.Latency{P50: p, P90: p * 1.5, P95: p * 2, P99: p * 3, Max: p * 9, Mean: p * 1.1},
	}
}

// Results is a run of config name measuring scs on a fixed host, at a fixed
// time, not yet judged (verdict no-baseline).
func Results(name string, scs ...results.Scenario) *results.Results {
	return &results.Results{
		Schema: results.Schema, Name: name, Verdict: results.VerdictNoBaseline,
		PerfgateVersion: "v0.1.0", ConfigHash: "sha256:0123456789abcdef", Client: "net/http",
		StartedAt:  time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC),
		FinishedAt: time.Date(2026, 11, 2, 9, 1, 0, 0, time.UTC),
		Load:       results.LoadInfo{Model: "closed", Workers: 8, Repeat: 5, MeasureRequests: 2000, KeepAlive: true},
		Host:       results.Host{OS: "linux", Arch: "amd64", CPUModel: "Xeon", CPUCount: 4, GOMAXPROCS: 4, GoVersion: "go1.26.8"},
		Scenarios:  scs,
	}
}

// WithForeign sets, on every run of r, that other processes took cores of
// CPU beside it, and makes r's service one perfgate started (a process),
// as the foreign-CPU measurement needs. It returns r.
func WithForeign(r *results.Results, cores float64) *results.Results {
	if len(r.Services) == 0 {
		r.Services = []results.ServiceInfo{{Name: "auth", Provider: "process"}}
	}
	for i := range r.Scenarios {
		for j := range r.Scenarios[i].Runs {
			c := cores
			r.Scenarios[i].Runs[j].ForeignCPU = &c
		}
	}
	return r
}
