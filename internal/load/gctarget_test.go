package load

import (
	"runtime/debug"
	"testing"
)

// A pass with many perfgate-h1 workers divides the GC target by gcDivisor
// while it runs; overlapping passes give it back once, when the last ends,
// and a target the user turned off or set tiny is left alone.
func TestLowerGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	current := func() int {
		v := debug.SetGCPercent(100)
		debug.SetGCPercent(v)
		return v
	}
	for _, tc := range []struct{ before, during int }{{100, 100 / gcDivisor}, {200, 200 / gcDivisor}, {-1, -1}, {gcDivisor, gcDivisor}} {
		debug.SetGCPercent(tc.before)
		r1 := lowerGC()
		r2 := lowerGC()
		if got := current(); got != tc.during {
			t.Errorf("GOGC %d: %d during two passes, want %d", tc.before, got, tc.during)
		}
		r1()
		if got := current(); got != tc.during {
			t.Errorf("GOGC %d: %d while one pass still runs, want %d", tc.before, got, tc.during)
		}
		r2()
		if got := current(); got != tc.before {
			t.Errorf("GOGC %d: %d after the passes, want it back", tc.before, got)
		}
	}
	debug.SetGCPercent(100)

	// Which passes lower it: perfgate-h1, thousands of workers, no flows.
	const url = "http://127.0.0.1:1/" // nothing is sent
	for _, tc := range []struct {
		name string
		scs  []Scenario
		opt  Options
		want bool
	}{
		{"h1, 1000 workers", []Scenario{{Name: "a", URL: url}}, Options{Workers: gcManyWorkers}, true},
		{"h1, 999 workers", []Scenario{{Name: "a", URL: url}}, Options{Workers: gcManyWorkers - 1}, false},
		{"net/http", []Scenario{{Name: "a", URL: url}}, Options{Workers: gcManyWorkers, HTTPClient: ClientNetHTTP}, false},
		{"open model, 1000 in flight", []Scenario{{Name: "a", URL: url}}, Options{Model: Open, Rate: 10, MaxInFlight: gcManyWorkers}, true},
	} {
		e := newEngine(t, tc.scs, tc.opt)
		if got := e.lowersGC(); got != tc.want {
			t.Errorf("%s: lowers the GC target %v, want %v", tc.name, got, tc.want)
		}
	}
}
