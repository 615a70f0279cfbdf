package runner

import (
	"github.com/perfgate/perfgate/internal/foreigncpu"
	"github.com/perfgate/perfgate/internal/results"
)

// foreignMeter records, for each measured pass, the CPU that processes
// outside perfgate's tree (and a VM's steal) took during it, so that a
// comparison against a stored baseline can tell a busy machine from a
// slower service (results.Run.ForeignCPU, compare's neighbour guard).
type foreignMeter struct {
	m     *foreigncpu.Meter
	start foreigncpu.Reading
	runs  map[int]float64 // measured run (from 1) → cores
	cpus  int             // CPUs online, as the meter counted them
	// kept counts the measured passes that become runs: load numbers a
	// run by its place among the passes that completed a request, so a
	// pass that completed none shifts the later runs' indexes.
	kept int
}

// newForeignMeter meters this machine; pids are the host pids of the
// services that do not descend from perfgate (containers' init processes).
func newForeignMeter(pids []int) *foreignMeter {
	return &foreignMeter{m: foreigncpu.New(func() []int { return pids }), runs: map[int]float64{}}
}

func (f *foreignMeter) started() { f.start = f.m.Read() }

// done ends a pass; counted says whether load keeps it as a run (it
// completed a request).
func (f *foreignMeter) done(kind string, counted bool) {
	if kind == "warmup" {
		return
	}
	end := f.m.Read()
	if !counted {
		return
	}
	f.kept++
	if cores, ok := foreigncpu.Foreign(f.start, end); ok {
		f.runs[f.kept] = cores
		f.cpus = end.CPUs
	}
}

// record sets Run.ForeignCPU on every scenario's runs (and a flow's
// steps') that were metered.
func (f *foreignMeter) record(scs []results.Scenario) {
	for i := range scs {
		for j := range scs[i].Runs {
			if c, ok := f.runs[scs[i].Runs[j].Index]; ok {
				scs[i].Runs[j].ForeignCPU = &c // c is new each iteration
			}
		}
		f.record(scs[i].Steps)
	}
}
