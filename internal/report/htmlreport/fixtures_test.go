package htmlreport

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
)

// evilName is a scenario name that breaks out of every context it could
// land in: text, attribute, <title>, a URL fragment.
const evilName = `</title></svg><script>alert("x")</script><img src=x onerror=alert(1)>'"&amp;`

// quickstart is a real run of examples/quickstart (warm-up 2 s, 5 × 3 s
// measured, no baseline), its machine path and hostname removed.
func quickstart(t *testing.T) *results.Results {
	t.Helper()
	res, err := results.Read(filepath.Join("testdata", "quickstart.json"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// histogram encodes n latencies rising from lo to hi (microseconds).
func histogram(t *testing.T, n int, lo, hi time.Duration) string {
	t.Helper()
	h := metrics.NewHistogram()
	for i := 0; i < n; i++ {
		f := float64(i) / float64(n)
		metrics.RecordLatency(h, lo+time.Duration(f*f*f*float64(hi-lo)))
	}
	s, err := metrics.EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func timeline(seconds int, rps float64, errEvery int) []results.TimelinePoint {
	var out []results.TimelinePoint
	for i := 1; i <= seconds; i++ {
		p := results.TimelinePoint{T: float64(i), Requests: int64(rps), OK: int64(rps), OKPerS: rps + float64(i%3)*10, P50MS: 2 + float64(i%2), P99MS: 9 + float64(i%4)}
		if errEvery > 0 && i%errEvery == 0 {
			p.Errors.Status = 5
			p.OK -= 5
		}
		out = append(out, p)
	}
	// The drain after the bound: a sliver of a second.
	out = append(out, results.TimelinePoint{T: float64(seconds) + 0.002, Requests: 20, OK: 20, OKPerS: 10000, P50MS: 2, P99MS: 40})
	return out
}

func scenario(t *testing.T, name string, rps float64, runs int) results.Scenario {
	sc := results.Scenario{Name: name, Histogram: histogram(t, 5000, 500*time.Microsecond, 80*time.Millisecond)}
	sc.Requests, sc.OK, sc.ThroughputRPS = int64(rps)*int64(runs)*3, int64(rps)*int64(runs)*3, rps
	sc.LatencyMS = results.Latency{P50: 2, P90: 5, P95: 7, P99: 12, Max: 80, Mean: 3}
	sc.StatusCounts = map[string]int64{"200": sc.OK}
	for i := 1; i <= runs; i++ {
		r := results.Run{Index: i, Timeline: timeline(3, rps, 2)}
		r.ThroughputRPS = rps + float64(i)
		sc.Runs = append(sc.Runs, r)
	}
	return sc
}

// paired is a paired session with a failing scenario whose name is evil,
// a passing one, a warm-up and a round log.
func paired(t *testing.T) *results.Results {
	t.Helper()
	res := &results.Results{
		Schema: results.Schema, Name: "paired <demo>", Verdict: results.VerdictFail, PerfgateVersion: "test",
		StartedAt: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 12, 1, 20, 1, 30, 0, time.UTC),
		Client: "net/http", Protocol: "HTTP/1.1", Mode: results.ModePaired,
		Load:     results.LoadInfo{Model: "closed", Workers: 8, Repeat: 4, WarmupDuration: "2s", MeasureDuration: "3s", KeepAlive: true},
		Host:     results.Host{OS: "linux", Arch: "amd64", CPUModel: `CPU <b>bold</b>`, CPUCount: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8"},
		Warnings: []string{`warm-up still trending for ` + evilName},
	}
	for _, n := range []string{evilName, "health"} {
		res.Scenarios = append(res.Scenarios, scenario(t, n, 900, 4))
		w := results.Scenario{Name: n, Timeline: timeline(2, 600, 0), Histogram: histogram(t, 1000, time.Millisecond, 200*time.Millisecond)}
		res.Warmup = append(res.Warmup, w)
	}
	p := &results.Paired{BaseRef: "main", BaseCommit: "0123456789abcdef0123456789abcdef01234567", HeadCommit: "fedcba9876543210fedcba9876543210fedcba98",
		Rounds: 4, MaxRounds: 10, Order: "ABBA", SliceS: 3, LoadS: 24, StoppedBy: "decided"}
	for _, n := range []string{evilName, "health"} {
		p.BaseScenarios = append(p.BaseScenarios, scenario(t, n, 1000, 4))
	}
	for r := 1; r <= 4; r++ {
		p.RoundLog = append(p.RoundLog, results.PairedRound{Round: r, First: "base",
			Base: map[string]float64{evilName: 1000 + float64(r), "health": 1500},
			Head: map[string]float64{evilName: 900 - float64(r), "health": 1510}})
	}
	res.Paired = p
	res.Comparison = &results.Comparison{Alpha: 0.05, Checks: []results.Check{
		{Scenario: "health", Metric: "throughput_rps", Gate: "throughput_drop", Baseline: 1500, Current: 1510, Change: 0.006, ChangeLow: -0.01, ChangeHigh: 0.02,
			Confidence: 0.975, Threshold: 0.05, Rule: "drop <= 5%", Status: results.CheckPass, SamplesBase: 4, SamplesCur: 4, Test: results.TestPairedSignedRank},
		{Scenario: evilName, Metric: "throughput_rps", Gate: "throughput_drop", Baseline: 1002, Current: 898, Change: -0.1, ChangeLow: -0.12, ChangeHigh: -0.08,
			Confidence: 0.975, Threshold: 0.05, Rule: "drop <= 5%", Status: results.CheckFail, SamplesBase: 4, SamplesCur: 4, Test: results.TestPairedSignedRank,
			Note: "goodput fell 10% <script>"},
	}}
	return res
}

// bare has one scenario with neither timeline nor histogram (an old
// results file).
func bare() *results.Results {
	return &results.Results{Schema: results.Schema, Name: "old", Verdict: results.VerdictNoBaseline,
		Load:      results.LoadInfo{Model: "open", Rate: 100, MaxInFlight: 10, Repeat: 1},
		Scenarios: []results.Scenario{{Name: "only", Figures: results.Figures{Requests: 10, OK: 10}}}}
}
