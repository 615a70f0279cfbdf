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

// timeline collects a pass's points. The newest second is held back as
// ticks (pending) until the next one is collected, so that the sliver
// after the pass's bound — requests in flight at the bound, and batches
// workers flush only at the end — joins the last whole second instead of
// becoming a point of its own whose tiny span makes its rate meaningless.
type timeline struct {
	p       *Pass
	points  [][]results.TimelinePoint // per scenario
	pending []*metrics.Tick           // per scenario: the newest second, not yet a point
	from    time.Duration             // start of the pending second
	last    time.Duration             // end of the last collected second
	stop    chan struct{}
	done    chan struct{}
}

// minLastSpan is the shortest last point: a shorter remainder of the pass
// is folded into the second before it.
const minLastSpan = 250 * time.Millisecond

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
// elapsed, once every worker has flushed: a point of its own if it spans
// at least minLastSpan, else folded into the second before.
func (tl *timeline) finish(elapsed time.Duration) {
	close(tl.stop)
	<-tl.done
	if elapsed > tl.last {
		if tl.pending != nil && elapsed-tl.last < minLastSpan {
			for i, t := range tl.swap() {
				tl.pending[i].Merge(t)
			}
			tl.last = elapsed
		} else {
			tl.collect(elapsed)
		}
	}
	tl.flush()
}

// collect ends the second at at: the pending one becomes points, the
// ticks gathered since become pending.
func (tl *timeline) collect(at time.Duration) {
	tl.flush()
	tl.pending, tl.from, tl.last = tl.swap(), tl.last, at
}

// swap takes every shard's ticks gathered since the last swap, merged per
// scenario.
func (tl *timeline) swap() []*metrics.Tick {
	out := make([]*metrics.Tick, len(tl.points))
	for i := range tl.points {
		t := metrics.NewTick()
		for _, s := range tl.p.shards {
			s.mu.Lock()
			t.Merge(s.sec[i])
			s.sec[i].Reset()
			s.mu.Unlock()
		}
		out[i] = t
	}
	return out
}

// flush turns the pending second into points.
func (tl *timeline) flush() {
	if tl.pending == nil {
		return
	}
	span := (tl.last - tl.from).Seconds()
	for i, t := range tl.pending {
		tl.points[i] = append(tl.points[i], t.Point(tl.last.Seconds(), span))
	}
	tl.pending = nil
}
