package resultstest

import (
	"fmt"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
)

// Histogram encodes n latencies rising from lo to hi (cubically, so the
// tail is long).
func Histogram(tb testing.TB, n int, lo, hi time.Duration) string {
	tb.Helper()
	h := metrics.NewHistogram()
	for i := 0; i < n; i++ {
		f := float64(i) / float64(n)
		metrics.RecordLatency(h, lo+time.Duration(f*f*f*float64(hi-lo)))
	}
	s, err := metrics.EncodeHistogram(h)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Timeline is seconds one-second points at about rps (a status error every
// errEvery seconds, none for 0), then the drain after the bound: a sliver
// of a second with a towering rate.
func Timeline(seconds int, rps float64, errEvery int) []results.TimelinePoint {
	var out []results.TimelinePoint
	for i := 1; i <= seconds; i++ {
		p := results.TimelinePoint{T: float64(i), Requests: int64(rps), OK: int64(rps), OKPerS: rps + float64(i%3)*10, P50MS: 2 + float64(i%2), P99MS: 9 + float64(i%4)}
		if errEvery > 0 && i%errEvery == 0 {
			p.Errors.Status = 5
			p.OK -= 5
		}
		out = append(out, p)
	}
	out = append(out, results.TimelinePoint{T: float64(seconds) + 0.002, Requests: 20, OK: 20, OKPerS: 10000, P50MS: 2, P99MS: 40})
	return out
}

// Timed is a scenario at rps over runs runs of 3 s, each with a Timeline,
// and a histogram of 5000 latencies from 0.5 to 80 ms.
func Timed(tb testing.TB, name string, rps float64, runs int) results.Scenario {
	tb.Helper()
	sc := results.Scenario{Name: name, Histogram: Histogram(tb, 5000, 500*time.Microsecond, 80*time.Millisecond)}
	sc.Requests, sc.OK, sc.ThroughputRPS = int64(rps)*int64(runs)*3, int64(rps)*int64(runs)*3, rps
	sc.LatencyMS = results.Latency{P50: 2, P90: 5, P95: 7, P99: 12, Max: 80, Mean: 3}
	sc.StatusCounts = map[string]int64{"200": sc.OK}
	for i := 1; i <= runs; i++ {
		r := results.Run{Index: i, Timeline: Timeline(3, rps, 2)}
		r.ThroughputRPS = rps + float64(i)
		sc.Runs = append(sc.Runs, r)
	}
	return sc
}

// PairedSession is a paired session of config "paired <demo>", decided
// after 4 rounds: the scenario failing (a name that may try to break the
// page) lost 10% of its goodput, health held; both have a warm-up, and
// the round log has every round.
func PairedSession(tb testing.TB, failing string) *results.Results {
	tb.Helper()
	res := &results.Results{
		Schema: results.Schema, Name: "paired <demo>", Verdict: results.VerdictFail, PerfgateVersion: "test",
		StartedAt: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 12, 1, 20, 1, 30, 0, time.UTC),
		Client: "net/http", Protocol: "HTTP/1.1", Mode: results.ModePaired,
		Load:     results.LoadInfo{Model: "closed", Workers: 8, Repeat: 4, WarmupDuration: "2s", MeasureDuration: "3s", KeepAlive: true},
		Host:     results.Host{OS: "linux", Arch: "amd64", CPUModel: `CPU <b>bold</b>`, CPUCount: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8"},
		Warnings: []string{`warm-up still trending for ` + failing},
	}
	for _, n := range []string{failing, "health"} {
		res.Scenarios = append(res.Scenarios, Timed(tb, n, 900, 4))
		w := results.Scenario{Name: n, Timeline: Timeline(2, 600, 0), Histogram: Histogram(tb, 1000, time.Millisecond, 200*time.Millisecond)}
		res.Warmup = append(res.Warmup, w)
	}
	p := &results.Paired{BaseRef: "main", BaseCommit: "0123456789abcdef0123456789abcdef01234567", HeadCommit: "fedcba9876543210fedcba9876543210fedcba98",
		Rounds: 4, MaxRounds: 10, Order: "ABBA", SliceS: 3, LoadS: 24, StoppedBy: "decided"}
	for _, n := range []string{failing, "health"} {
		p.BaseScenarios = append(p.BaseScenarios, Timed(tb, n, 1000, 4))
	}
	for r := 1; r <= 4; r++ {
		p.RoundLog = append(p.RoundLog, results.PairedRound{Round: r, First: "base",
			Base: map[string]float64{failing: 1000 + float64(r), "health": 1500},
			Head: map[string]float64{failing: 900 - float64(r), "health": 1510}})
	}
	res.Paired = p
	res.Comparison = &results.Comparison{Alpha: 0.05, Checks: []results.Check{
		{Scenario: "health", Metric: "throughput_rps", Gate: "throughput_drop", Baseline: 1500, Current: 1510, Change: 0.006, ChangeLow: -0.01, ChangeHigh: 0.02,
			Confidence: 0.975, Threshold: 0.05, Rule: "drop <= 5%", Status: results.CheckPass, SamplesBase: 4, SamplesCur: 4, Test: results.TestPairedSignedRank},
		{Scenario: failing, Metric: "throughput_rps", Gate: "throughput_drop", Baseline: 1002, Current: 898, Change: -0.1, ChangeLow: -0.12, ChangeHigh: -0.08,
			Confidence: 0.975, Threshold: 0.05, Rule: "drop <= 5%", Status: results.CheckFail, SamplesBase: 4, SamplesCur: 4, Test: results.TestPairedSignedRank,
			Note: "goodput fell 10% <script>"},
	}}
	return res
}

// Bare is a run of config old with one scenario that has neither timeline
// nor histogram (an old results file), not judged.
func Bare() *results.Results {
	return &results.Results{Schema: results.Schema, Name: "old", Verdict: results.VerdictNoBaseline,
		Load:      results.LoadInfo{Model: "open", Rate: 100, MaxInFlight: 10, Repeat: 1},
		Scenarios: []results.Scenario{{Name: "only", Figures: results.Figures{Requests: 10, OK: 10}}}}
}

// Shard is shard i of n of config demo, started at start: two runs of one
// scenario, get, whose latencies are 1+r*3+i*7+k%50 ms for the k-th of
// count requests of run r (so shards differ), and one 503 per run.
func Shard(tb testing.TB, start time.Time, i, n, count int) *results.Results {
	tb.Helper()
	res := &results.Results{
		Schema: results.Schema, Name: "demo", Verdict: results.VerdictNoBaseline, ConfigHash: "abc123",
		Shard: &results.ShardRun{Index: i, Count: n, StartAt: start, LoadStartedAt: start, ClockSource: "Date header of http://x", ClockUncertaintyS: 0.05, CPUUtil: 0.2},
		Host:  results.Host{Hostname: fmt.Sprintf("h%d", i), CPUCount: 2},
	}
	sc := results.Scenario{Name: "get"}
	all := metrics.NewRecorder()
	for r := range 2 {
		rec := metrics.NewRecorder()
		for k := range count {
			rec.Record(time.Duration(1+r*3+i*7+k%50)*time.Millisecond, 200, metrics.ClassNone, nil)
		}
		rec.Record(time.Millisecond, 503, metrics.ClassStatus, nil)
		all.Merge(rec)
		h, err := metrics.EncodeHistogram(rec.Histogram())
		if err != nil {
			tb.Fatal(err)
		}
		sc.Runs = append(sc.Runs, results.Run{Index: r + 1, Figures: rec.Figures(time.Duration(1000+10*i) * time.Millisecond), Histogram: h})
	}
	sc.Figures = all.Figures(time.Duration(2*(1000+10*i)) * time.Millisecond)
	h, err := metrics.EncodeHistogram(all.Histogram())
	if err != nil {
		tb.Fatal(err)
	}
	sc.Histogram = h
	res.Scenarios = []results.Scenario{sc}
	return res
}
