package compare

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// withForeign sets every run's ForeignCPU to cores and the machine to 2
// CPUs, with a service perfgate started.
func withForeign(r *results.Results, cores float64) *results.Results {
	r.Host.CPUCount = 2
	return resultstest.WithForeign(r, cores)
}

// foreignBase is a 3-session baseline around 1000 req/s whose runs had
// cores of foreign CPU (negative: not measured, as in an older file).
func foreignBase(t *testing.T, cores float64) *baseline.Baseline {
	t.Helper()
	var runs []*results.Results
	for _, m := range []float64{1000, 1020, 985} {
		r := run(scen("login", 0, tight(m)...))
		if cores >= 0 {
			withForeign(r, cores)
		}
		r.Host.CPUCount = 2
		runs = append(runs, r)
	}
	b, err := baseline.FromSessions(runs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNeighbourGuard(t *testing.T) {
	tests := []struct {
		name        string
		baseCores   float64 // <0: the baseline did not measure it
		cur         float64 // this run's throughput (baseline ≈ 1000)
		curCores    float64 // <0: not measured
		errRate     float64
		thr, p95    string // wanted statuses
		verdict     string
		warn        string // in the warnings ("" = none about a neighbour)
		note        string // in the throughput check's note
		guarded     bool
		wantForeign bool
		external    bool // perfgate started no service
		online      int  // Host.CPUsOnline (0: not read)
		cpus        int  // the comparison's CPUs (0: 2)
	}{
		// A/A beside a neighbour taking a quarter of the machine: the
		// drop is what the lost CPU alone would do. Not a failure. (p95's
		// interval reaches within its gate: a pass before any guard.)
		{name: "busy A/A", baseCores: 0.02, cur: 760, curCores: 0.45,
			thr: results.CheckInconclusive, p95: results.CheckPass, verdict: results.VerdictInconclusive,
			warn: "a neighbour was busy: other processes took 0.45 of 2 cores", note: "other processes took 0.45 of 2 cores during this run against 0.02",
			guarded: true, wantForeign: true},
		// A neighbour taking 0.6 cores: the latency rise that fails on
		// its own is also within what it could cause.
		{name: "busier, latency too", baseCores: 0.02, cur: 700, curCores: 0.6,
			thr: results.CheckInconclusive, p95: results.CheckInconclusive, verdict: results.VerdictInconclusive,
			warn: "check(s) that failed could be explained by that alone", guarded: true, wantForeign: true},
		// A drop far beyond what 0.45 cores could explain still fails.
		{name: "busy, service broken", baseCores: 0.02, cur: 250, curCores: 0.45,
			thr: results.CheckFail, p95: results.CheckFail, verdict: results.VerdictFail,
			warn: "what failed is beyond what that could explain", note: "and the change is beyond that", guarded: true, wantForeign: true},
		// The same drop on a quiet machine is a regression.
		{name: "quiet, same drop", baseCores: 0.02, cur: 700, curCores: 0.03,
			thr: results.CheckFail, p95: results.CheckFail, verdict: results.VerdictFail, wantForeign: true},
		// Below MinForeignExcess the guard does not apply.
		{name: "barely busier", baseCores: 0.02, cur: 700, curCores: 0.06,
			thr: results.CheckFail, p95: results.CheckFail, verdict: results.VerdictFail, wantForeign: true},
		// An old baseline without the measure: judged as before.
		{name: "old baseline", baseCores: -1, cur: 700, curCores: 0.45,
			thr: results.CheckFail, p95: results.CheckFail, verdict: results.VerdictFail},
		// The baseline was the busy one: a pass, and a warning that a
		// regression could hide.
		{name: "busy baseline", baseCores: 0.5, cur: 1000, curCores: 0.01,
			thr: results.CheckPass, p95: results.CheckPass, verdict: results.VerdictPass,
			warn: "the baseline was measured beside a busy neighbour", wantForeign: true},
		// perfgate started no service (a URL-only config): the service's
		// own CPU is among the foreign, so nothing is excused.
		{name: "external service", baseCores: 0.02, cur: 760, curCores: 0.45, external: true,
			thr: results.CheckFail, p95: results.CheckPass, verdict: results.VerdictFail, wantForeign: true,
			warn: "perfgate did not start the services, so their own CPU is among those processes"},
		// Busy, and nothing failed: said so.
		{name: "busy, all pass", baseCores: 0.02, cur: 1000, curCores: 0.45,
			thr: results.CheckPass, p95: results.CheckPass, verdict: results.VerdictPass, guarded: true, wantForeign: true,
			warn: "0.02 during the baseline's; nothing failed"},
		// A CPU count from the meter (online CPUs) wins over cpu_count
		// (the affinity mask): 2.5 cores taken of 4 online, not of 2.
		{name: "online CPUs", baseCores: 0.02, cur: 100, curCores: 2.5, online: 4,
			thr: results.CheckFail, p95: results.CheckInconclusive, verdict: results.VerdictFail, guarded: true, wantForeign: true, cpus: 4,
			note: "and the change is beyond that", warn: "other processes took 2.50 of 4 cores"},
		// Errors do not come from a neighbour: an error-rate rise fails.
		{name: "busy, errors", baseCores: 0.02, cur: 760, curCores: 0.45, errRate: 0.2,
			thr: results.CheckInconclusive, p95: results.CheckPass, verdict: results.VerdictFail, guarded: true, wantForeign: true,
			warn: "a neighbour was busy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := run(scen("login", tt.errRate, tight(tt.cur)...))
			cur.Host.CPUCount = 2
			if tt.curCores >= 0 {
				withForeign(cur, tt.curCores)
			}
			if tt.external {
				cur.Services = nil
			}
			cur.Host.CPUsOnline = tt.online
			c := Judge(config.Gates{}, foreignBase(t, tt.baseCores), cur, Options{})
			thr := find(t, c, "login", GateThroughputDrop, baseline.MetricThroughput)
			p95 := find(t, c, "login", GateLatencyRise, baseline.MetricP95)
			if thr.Status != tt.thr || p95.Status != tt.p95 {
				t.Fatalf("throughput %s (%s), p95 %s (%s); want %s, %s", thr.Status, thr.Note, p95.Status, p95.Note, tt.thr, tt.p95)
			}
			if v := Verdict(c); v != tt.verdict {
				t.Errorf("verdict %s, want %s", v, tt.verdict)
			}
			all := strings.Join(c.Warnings, "\n")
			if tt.warn != "" && !strings.Contains(all, tt.warn) {
				t.Errorf("warnings lack %q:\n%s", tt.warn, all)
			}
			if tt.warn == "" && strings.Contains(all, "neighbour") {
				t.Errorf("unexpected neighbour warning:\n%s", all)
			}
			if tt.note != "" && !strings.Contains(thr.Note, tt.note) {
				t.Errorf("throughput note lacks %q: %s", tt.note, thr.Note)
			}
			if (c.ForeignCPU != nil) != tt.wantForeign {
				t.Fatalf("comparison foreign CPU %+v, want present=%v", c.ForeignCPU, tt.wantForeign)
			}
			if tt.cpus == 0 {
				tt.cpus = 2
			}
			if c.ForeignCPU != nil && (c.ForeignCPU.Guarded != tt.guarded || c.ForeignCPU.CPUs != tt.cpus || c.ForeignCPU.External != tt.external) {
				t.Errorf("foreign CPU %+v, want guarded=%v", c.ForeignCPU, tt.guarded)
			}
			if tt.errRate > 0 {
				if er := find(t, c, "login", GateErrorRateMax, baseline.MetricErrorRate); er.Status != results.CheckFail {
					t.Errorf("error-rate ceiling %s under a neighbour, want fail", er.Status)
				}
			}
		})
	}
}

// The bounds a neighbour can explain: goodput falls by at most 1.5× the
// log share of the CPU lost, latency rises by at most 3×.
func TestExplained(t *testing.T) {
	n := neighbour{base: 0, cur: 0.5, cpus: 2, ok: true}
	x := n.x() // ln(1.5/2)
	if got, want := explained(metricGate{lowerBad: true}, x), -1.5*x; got != want {
		t.Errorf("goodput: %v, want %v", got, want)
	}
	if got, want := explained(metricGate{}, x), -3*x; got != want {
		t.Errorf("latency: %v, want %v", got, want)
	}
	if explained(metricGate{lowerBad: true}, -x) != 0 {
		t.Error("more CPU left explains no drop")
	}
	if !n.busier() || n.quieter() {
		t.Error("busier/quieter")
	}
	// All the CPU taken: at least 1% is taken to be left (finite).
	full := neighbour{base: 0, cur: 2, cpus: 2, ok: true}
	if x := full.x(); x > -4.5 || x < -4.7 {
		t.Errorf("x with every CPU taken = %v, want ln(0.01)", x)
	}
}
