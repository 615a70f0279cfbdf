package load

import (
	"runtime/debug"
	"sync"
)

// The GC target while thousands of perfgate-h1 workers run.
//
// Go lets the heap grow, between two collections, by GOGC percent of the
// live heap plus the goroutines' stacks in use (a collection scans them
// too). 10,000 workers use some 22 MB of their 40 MB of stacks and hold
// about 15 MB of heap, so the heap may grow by 35 MB of garbage before the
// next collection: the garbage dialing leaves (about 1 KB per connection)
// is then seldom collected during the pass, and is up to 10 MB of its peak
// memory.
// Such a pass divides the target by gcDivisor once its workers are set up
// (so not for the many small collections their creation would bring): the
// heap then grows by about its own size between collections, as it did
// before stacks counted. Its requests allocate nothing once connected, so
// the extra collections (a few, some 30 ms of CPU each at 10,000 workers)
// come while it dials; a pass whose requests allocate (flows, data rows,
// net/http) keeps the target. The target is the process's, so it is
// changed in one place: lowered while at least one such pass runs, and
// given back as it was when the last one ends.

const (
	gcManyWorkers = 1000 // from this many workers, a pass lowers the target
	gcDivisor     = 4
)

// gcTarget is the process's GC target while passes hold it lowered.
var gcTarget struct {
	mu      sync.Mutex
	passes  int // passes running with the target lowered
	prev    int // the target before, given back when passes drops to 0
	lowered bool
}

// lowerGC lowers the GC target for a pass with many workers; restore
// gives it back (call it once).
func lowerGC() (restore func()) {
	gcTarget.mu.Lock()
	defer gcTarget.mu.Unlock()
	if gcTarget.passes == 0 {
		prev := debug.SetGCPercent(100 / gcDivisor)
		gcTarget.prev, gcTarget.lowered = prev, prev > gcDivisor
		switch {
		case !gcTarget.lowered:
			debug.SetGCPercent(prev) // GC off, or a target already tiny: left as is
		case prev != 100:
			debug.SetGCPercent(prev / gcDivisor)
		}
	}
	gcTarget.passes++
	return func() {
		gcTarget.mu.Lock()
		defer gcTarget.mu.Unlock()
		gcTarget.passes--
		if gcTarget.passes == 0 && gcTarget.lowered {
			debug.SetGCPercent(gcTarget.prev)
		}
	}
}

// lowersGC says whether a pass of e lowers the GC target: perfgate-h1,
// thousands of workers, and requests that allocate nothing (no flows, no
// data rows).
func (e *Engine) lowersGC() bool {
	if e.h1 == nil || Concurrency(e.opt) < gcManyWorkers {
		return false
	}
	for _, sc := range e.scs {
		if sc.flow != nil {
			return false
		}
	}
	return true
}
