package resultstest

import (
	"time"

	"github.com/perfgate/perfgate/internal/results"
)

// Synthetic is a run of config name with one scenario, signup, whose runs
// have the given throughputs (one second each; latency scales inversely),
// not yet judged: for command tests that need no load.
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

// Throughputs returns n values around center, spread evenly over
// center ± spread.
func Throughputs(center, spread float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = center + spread*(float64(i)/float64(max(n-1, 1))*2-1)
	}
	return out
}

// Sample is a run of config api (perfgate.yaml) with one scenario, login,
// on an EPYC host. Unless verdict is no-baseline it carries a comparison
// against baselines/api.json of two checks: p99 rose 25% (failed when
// verdict is fail, else passed) and goodput held.
func Sample(verdict string) *results.Results {
	r := &results.Results{
		Schema: results.Schema, Name: "api", Verdict: verdict, PerfgateVersion: "v0.1.0",
		ConfigPath: "perfgate.yaml", ConfigHash: "abc123",
		Host: results.Host{OS: "linux", Arch: "amd64", CPUModel: "AMD EPYC 7763", CPUCount: 4, GOMAXPROCS: 4,
			GoVersion: "go1.26.8", Somaxconn: 4096, OpenFilesSoft: 1024, OpenFilesHard: 524288},
		Scenarios: []results.Scenario{{Name: "login"}},
	}
	if verdict != results.VerdictNoBaseline {
		st := results.CheckPass
		if verdict == results.VerdictFail {
			st = results.CheckFail
		}
		r.Comparison = &results.Comparison{Baseline: "baselines/api.json", Alpha: 0.05, Checks: []results.Check{
			{Scenario: "login", Metric: "p99", Gate: "latency_rise", Baseline: 12, Current: 15, Change: 0.25, Rule: "rise <= 10%", Status: st, Significant: true, PValue: 0.008, SamplesBase: 5, SamplesCur: 5},
			{Scenario: "login", Metric: "throughput_rps", Gate: "throughput_drop", Baseline: 900, Current: 895, Change: -0.005, Rule: "drop <= 5%", Status: results.CheckPass, PValue: 0.4, SamplesBase: 5, SamplesCur: 5},
		}}
	}
	return r
}

// SamplePaired is Sample as a paired session against origin/main with the
// given verdict: 12 rounds of 32, decided; a fail fails the p99 check; an
// inconclusive one ran out of budget with goodput undecided.
func SamplePaired(verdict string) *results.Results {
	r := Sample(results.VerdictPass)
	r.Verdict = verdict
	r.Mode = results.ModePaired
	r.Comparison.Baseline = ""
	r.Paired = &results.Paired{
		BaseRef: "origin/main", BaseCommit: "4f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a098",
		HeadCommit: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
		Rounds:     12, MaxRounds: 32, Order: "ABBA", SliceS: 3, LoadS: 72, Looks: []int{8, 12},
		StoppedBy: "decided",
	}
	switch verdict {
	case results.VerdictFail:
		r.Comparison.Checks[0].Status = results.CheckFail
	case results.VerdictInconclusive:
		r.Paired.Rounds, r.Paired.LoadS, r.Paired.StoppedBy, r.Paired.Detectable = 32, 192, "budget", 0.072
		r.Paired.Looks = []int{8, 12, 16, 20, 24, 28, 32}
		ch := &r.Comparison.Checks[1]
		ch.Status, ch.Change, ch.ChangeLow, ch.ChangeHigh = results.CheckInconclusive, -0.04, -0.09, 0.01
	}
	return r
}

// AuthRun is a run of config auth, not judged: login with four runs (the
// third completed nothing) and the given histogram, and health with
// merged figures only (no runs).
func AuthRun(histogram string) *results.Results {
	fig := Fig
	return &results.Results{
		Schema:          results.Schema,
		Name:            "auth",
		PerfgateVersion: "v0.1.0",
		ConfigHash:      "sha256:abc",
		StartedAt:       time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
		FinishedAt:      time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC),
		Client:          "net/http",
		Host:            results.Host{OS: "linux", Arch: "amd64", CPUModel: "Xeon", CPUCount: 4, GOMAXPROCS: 4, GoVersion: "go1.26.8"},
		Scenarios: []results.Scenario{{
			Name:      "login",
			Figures:   fig(1000, 0.001, 2),
			Histogram: histogram,
			Runs: []results.Run{
				{Index: 1, Figures: fig(990, 0, 2.1)},
				{Index: 2, Figures: fig(1010, 0.002, 1.9)},
				{Index: 3, Figures: results.Figures{}}, // completed nothing
				{Index: 4, Figures: fig(1000, 0.001, 2)},
			},
		}, {
			Name:    "health",
			Figures: fig(5000, 0, 0.5), // no runs: one sample
		}},
	}
}

// Fig is the figures of 1000 requests, all 200, at rps requests a second
// with error rate er, and latencies that scale with p50 (ms): p90 twice
// it, p95 three times, p99 four times, max ten times.
func Fig(rps, er, p50 float64) results.Figures {
	return results.Figures{
		Requests:      1000,
		ThroughputRPS: rps,
		ErrorRate:     er,
		StatusCounts:  map[string]int64{"200": 1000},
		LatencyMS:     results.Latency{P50: p50, P90: p50 * 2, P95: p50 * 3, P99: p50 * 4, Max: p50 * 10},
	}
}
