package run_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/foreigncpu/foreigncputest"
	"github.com/perfgate/perfgate/internal/results"
)

// Against a stored baseline, a drop that a busy neighbour could explain
// by itself is inconclusive (exit 0, said in the output and the results),
// while the same drop on a quiet machine fails (exit 1). The load is an
// open model at a fixed rate, so this run's throughput does not depend on
// the machine; the baseline claims 1.5× of it, measured quiet (0 cores
// taken).
func TestRunNeighbourMakesStoredFailInconclusive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("foreign CPU is read from /proc (Linux)")
	}
	dir := t.TempDir()
	// Throughput only: beside a spinning core a trivial handler's p99
	// rises by scheduler time slices, not in proportion to the CPU left.
	cfg, _ := clitest.AuthConfig(t, dir, "load:\n  model: open\n  rate: 150\n  max_in_flight: 8\n  warmup: {requests: 50}\n  measure: {duration: 1s}\n  repeat: 3\n"+
		"gates:\n  default:\n    latency_rise: {p50: off, p90: off, p95: off, p99: off}\n")
	first := filepath.Join(dir, "first.json")
	if r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", first); r.Code != 0 {
		t.Fatalf("first run: exit %d: %v", r.Code, r.Err)
	}
	var sessions []*results.Results
	for i, f := range []float64{1.5, 1.52, 1.48} {
		res, err := results.Read(first)
		if err != nil {
			t.Fatal(err)
		}
		for j := range res.Scenarios {
			for k := range res.Scenarios[j].Runs {
				run := &res.Scenarios[j].Runs[k]
				if run.ForeignCPU == nil {
					t.Fatalf("run %d of %s: no foreign CPU recorded", run.Index, res.Scenarios[j].Name)
				}
				run.ThroughputRPS *= f
				// A baseline measured on a quiet machine. (What this
				// machine measured may not be: go test runs other
				// packages beside this one.)
				quiet := 0.0
				run.ForeignCPU = &quiet
			}
		}
		res.FinishedAt = res.FinishedAt.Add(time.Duration(i) * time.Minute)
		sessions = append(sessions, res)
	}
	b, err := baseline.FromSessions(sessions)
	if err != nil {
		t.Fatal(err)
	}
	if err := baseline.Write(filepath.Join(dir, "baselines", "e2e.json"), b); err != nil {
		t.Fatal(err)
	}

	// Without a neighbour of ours the drop fails — unless the machine
	// was busy anyway (other test packages run beside this one), which
	// the results then say, and the run is inconclusive instead.
	quiet := filepath.Join(dir, "quiet.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", quiet)
	qres, err := results.Read(quiet)
	if err != nil {
		t.Fatalf("exit %d: %v\n%s", r.Code, err, r.ErrOut)
	}
	if qf := qres.Comparison.ForeignCPU; qf == nil || !qf.Guarded {
		if r.Code != 1 || qres.Verdict != results.VerdictFail || !strings.Contains(r.Out, "FAIL") {
			t.Fatalf("quiet (foreign CPU %+v): exit %d, verdict %s, want 1 and fail (a 33%% drop): %v\n%s", qf, r.Code, qres.Verdict, r.Err, r.Out)
		}
	} else {
		// Busy anyway: the guard applied, and either the few cores
		// taken explain the drop (inconclusive, exit 0) or they do not
		// (fail, exit 1, said in the note).
		switch {
		case qres.Verdict == results.VerdictInconclusive && r.Code == 0:
		case qres.Verdict == results.VerdictFail && r.Code == 1 && strings.Contains(r.Out, "and the change is beyond that"):
		default:
			t.Fatalf("busy without our neighbour (foreign CPU %+v): exit %d, verdict %s\n%s", qf, r.Code, qres.Verdict, r.Out)
		}
		t.Logf("the machine was busy without our neighbour (%.2f cores): verdict %s", qf.Current, qres.Verdict)
	}

	foreigncputest.Busy(t, 60*time.Second)
	busy := filepath.Join(dir, "busy.json")
	r = clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", busy)
	if r.Code != 0 {
		t.Fatalf("beside a neighbour: exit %d, want 0 (inconclusive): %v\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(busy)
	if err != nil {
		t.Fatal(err)
	}
	f := res.Comparison.ForeignCPU
	if res.Verdict != results.VerdictInconclusive || f == nil || !f.Guarded || f.Current < 0.5 {
		t.Fatalf("verdict %s, foreign CPU %+v; warnings %v", res.Verdict, f, res.Comparison.Warnings)
	}
	var undecided int
	for _, ch := range res.Comparison.Checks {
		if ch.Status == results.CheckFail {
			t.Errorf("failed beside the neighbour: %+v", ch)
		}
		if ch.Status == results.CheckInconclusive {
			undecided++
			if !strings.Contains(ch.Note, "other processes took") {
				t.Errorf("an inconclusive check does not name the neighbour: %s", ch.Note)
			}
		}
	}
	if undecided == 0 || !strings.Contains(r.Out, "INCONCLUSIVE") || !strings.Contains(r.Out+r.ErrOut, "a neighbour was busy") {
		t.Errorf("%d undecided checks; output:\n%s\n%s", undecided, r.Out, r.ErrOut)
	}
}
