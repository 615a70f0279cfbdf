package merge

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

var start = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)

func shards(t testing.TB, n int) []Input {
	var in []Input
	for i := range n {
		in = append(in, Input{File: fmt.Sprintf("shard-%d.json", i), Res: resultstest.Shard(t, start, i, n, 100+i)})
	}
	return in
}

func TestMerge(t *testing.T) {
	in := shards(t, 4)
	out, err := Merge(in)
	if err != nil {
		t.Fatal(err)
	}
	var req, ok int64
	all := metrics.NewHistogram()
	for _, x := range in {
		req += x.Res.Scenarios[0].Requests
		ok += x.Res.Scenarios[0].OK
		h, err := metrics.DecodeHistogram(x.Res.Scenarios[0].Histogram)
		if err != nil {
			t.Fatal(err)
		}
		all.Merge(h)
	}
	sc := out.Scenarios[0]
	if sc.Requests != req || sc.OK != ok {
		t.Errorf("merged requests %d ok %d, want %d %d", sc.Requests, sc.OK, req, ok)
	}
	want := metrics.LatencyMS(all)
	if sc.LatencyMS.P50 != want.P50 || sc.LatencyMS.P99 != want.P99 || sc.LatencyMS.Max != want.Max {
		t.Errorf("merged latency %+v, want that of all samples %+v", sc.LatencyMS, want)
	}
	if len(sc.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(sc.Runs))
	}
	// Goodput: all shards' successes over the common (longest) window.
	var runOK int64
	for _, x := range in {
		runOK += x.Res.Scenarios[0].Runs[0].OK
	}
	if got, want := sc.Runs[0].ThroughputRPS, float64(runOK)/1.03; abs(got-want) > 1e-9 {
		t.Errorf("run 1 goodput %v, want %v", got, want)
	}
	if sc.Runs[0].StatusCounts["503"] != 4 || sc.Runs[0].Errors.Status != 4 {
		t.Errorf("run 1 status counts %v errors %+v, want four 503s", sc.Runs[0].StatusCounts, sc.Runs[0].Errors)
	}
	if len(out.Shards) != 4 || out.Shards[3].Host.Hostname != "h3" || out.Shards[2].Requests != in[2].Res.Scenarios[0].Requests {
		t.Errorf("shards %+v", out.Shards)
	}
	if out.Shard != nil || out.Verdict != results.VerdictNoBaseline {
		t.Errorf("merged results must be a normal, unjudged file: shard %v verdict %q", out.Shard, out.Verdict)
	}
	// The merged file is a results file any command reads.
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := results.Parse("merged.json", data); err != nil {
		t.Fatal(err)
	}
}

func TestCheckRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(in []Input) []Input
		want   string
	}{
		{"none", func([]Input) []Input { return nil }, "no shard results"},
		{"not a shard", func(in []Input) []Input { in[1].Res.Shard = nil; return in }, "shard-1.json is not a shard"},
		{"other config", func(in []Input) []Input { in[2].Res.ConfigHash = "zzz"; return in }, "shard-2.json ran config zzz"},
		{"other N", func(in []Input) []Input { in[3].Res.Shard.Count = 5; return in }, "same N"},
		{"other start", func(in []Input) []Input { in[1].Res.Shard.StartAt = start.Add(time.Minute); return in }, "same --start-at"},
		{"twice", func(in []Input) []Input { in[2].Res.Shard.Index = 1; return in }, "shard 1/4 is given twice: shard-1.json and shard-2.json"},
		{"missing", func(in []Input) []Input { return in[:3] }, "shard(s) 3 of 4 missing"},
		{"index out of range", func(in []Input) []Input { in[0].Res.Shard.Index = 4; return in }, "impossible"},
		{"scenarios", func(in []Input) []Input { in[1].Res.Scenarios[0].Name = "post"; return in }, "measured scenarios [post]"},
		{"run histogram", func(in []Input) []Input { in[0].Res.Scenarios[0].Runs[1].Histogram = "!!"; return in }, "run 2: histogram"},
		{"no run histogram", func(in []Input) []Input { in[0].Res.Scenarios[0].Runs[0].Histogram = ""; return in }, "has no histogram"},
		{"paired", func(in []Input) []Input { in[0].Res.Mode = results.ModePaired; return in }, "paired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.mutate(shards(t, 4))
			_, err := Merge(in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Merge error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBottleneckAndClocks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(s *results.ShardRun)
		bott    string
		warning string
	}{
		{"cpu", func(s *results.ShardRun) { s.CPUUtil = 0.97 }, "cpu", "97% busy"},
		{"cap", func(s *results.ShardRun) { s.CapDelayed, s.MaxInFlight = 12, 8 }, "connections", "max_in_flight cap of 8"},
		{"lag", func(s *results.ShardRun) { s.ScheduleLagP99MS = 40 }, "cpu", "40.0 ms late"},
		{"clock", func(s *results.ShardRun) { s.ClockOffsetS = 2 }, "", "shard 1/2's clock is 2.00s ahead of shard 0/2's"},
		{"late start", func(s *results.ShardRun) { s.LoadStartedAt = start.Add(3 * time.Second) }, "", "began up to 3.0s apart"},
		{"fine", func(s *results.ShardRun) {}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := shards(t, 2)
			tc.mutate(in[1].Res.Shard)
			out, err := Merge(in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Shards[1].Bottleneck != tc.bott || out.Shards[0].Bottleneck != "" {
				t.Errorf("bottlenecks %q, %q; want \"\", %q", out.Shards[0].Bottleneck, out.Shards[1].Bottleneck, tc.bott)
			}
			joined := strings.Join(out.Warnings, "\n")
			if tc.warning == "" && joined != "" {
				t.Errorf("warnings %q, want none", joined)
			}
			if !strings.Contains(joined, tc.warning) {
				t.Errorf("warnings %q, want %q", joined, tc.warning)
			}
		})
	}
}

func TestFewerRuns(t *testing.T) {
	in := shards(t, 2)
	in[1].Res.Scenarios[0].Runs = in[1].Res.Scenarios[0].Runs[:1]
	out, err := Merge(in)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Scenarios[0].Runs); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
	want := in[0].Res.Scenarios[0].Runs[0].Requests + in[1].Res.Scenarios[0].Runs[0].Requests
	if out.Scenarios[0].Requests != want {
		t.Errorf("requests %d, want %d (the kept run's)", out.Scenarios[0].Requests, want)
	}
	if !strings.Contains(strings.Join(out.Warnings, " "), "different numbers of measured runs") {
		t.Errorf("no warning about the missing run: %q", out.Warnings)
	}
}

// FuzzMerge feeds two shard files, mutated, through Parse and Merge: bad
// input is refused with an error, never a panic, and whatever merges is a
// valid results file with the requests of its parts.
func FuzzMerge(f *testing.F) {
	in := shards(f, 2)
	a, _ := json.Marshal(in[0].Res)
	b, _ := json.Marshal(in[1].Res)
	f.Add(a, b)
	f.Add(a, a)
	f.Add([]byte(`{"schema":"perfgate/results/v1","verdict":"pass","scenarios":[],"shard":{"index":0,"count":1}}`), []byte(`{}`))
	f.Add([]byte(`{"schema":"perfgate/results/v1","verdict":"pass","scenarios":[{"name":"x","runs":[{"histogram":"HISTFAAAA"}]}],"shard":{"index":1,"count":2}}`), b)
	f.Fuzz(func(t *testing.T, da, db []byte) {
		var in []Input
		for i, d := range [][]byte{da, db} {
			r, err := results.Parse(fmt.Sprintf("f%d", i), d)
			if err != nil {
				continue
			}
			in = append(in, Input{File: fmt.Sprintf("f%d", i), Res: r})
		}
		out, err := Merge(in)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if err := out.Validate(); err != nil {
			t.Fatalf("merged results invalid: %v", err)
		}
		for i, sc := range out.Scenarios {
			var sum int64
			for _, run := range sc.Runs {
				sum += run.Requests
			}
			if sum != sc.Requests {
				t.Fatalf("scenario %d: runs sum to %d requests, the scenario says %d", i, sum, sc.Requests)
			}
		}
	})
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
