package load

import (
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
)

// The timeline: every second of a pass, each scenario's requests,
// successes, errors by class and success p50/p99 (results.TimelinePoint).
// Workers add to their shard's per-second metrics.Tick when they flush a
// batch (under the lock they already take); a ticker goroutine swaps the
// ticks out once a second and turns them into points, so memory stays flat
// however long the pass. A sample lands in the second its batch was
// flushed in: at most one batch (≤ 128 requests of one worker) late.

// timeline collects a pass's points.
type timeline struct {
	p      *Pass
	points [][]results.TimelinePoint // per scenario
	last   time.Duration             // end of the last point
	stop   chan struct{}
	done   chan struct{}
}

func newTimeline(p *Pass) *timeline {
	return &timeline{p: p, points: make([][]results.TimelinePoint, len(p.e.scs)), stop: make(chan struct{}), done: make(chan struct{})}
}

// run ticks every second from the pass's start until stopped.
func (tl *timeline) run() {
	defer close(tl.done)
	timer := time.NewTimer(time.Second)
	defer timer.Stop()
	for k := 1; ; k++ {
		timer.Reset(time.Until(tl.p.start.Add(time.Duration(k) * time.Second)))
		select {
		case <-tl.stop:
			return
		case <-timer.C:
			tl.collect(time.Duration(k) * time.Second)
		}
	}
}

// finish stops the ticker and adds the last (partial) second ending at
// elapsed, once every worker has flushed.
func (tl *timeline) finish(elapsed time.Duration) {
	close(tl.stop)
	<-tl.done
	if elapsed > tl.last {
		tl.collect(elapsed)
	}
}

func (tl *timeline) collect(at time.Duration) {
	span := (at - tl.last).Seconds()
	tl.last = at
	for i := range tl.points {
		t := metrics.NewTick()
		for _, s := range tl.p.shards {
			s.mu.Lock()
			t.Merge(s.sec[i])
			s.sec[i].Reset()
			s.mu.Unlock()
		}
		tl.points[i] = append(tl.points[i], t.Point(at.Seconds(), span))
	}
}
