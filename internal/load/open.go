package load

import (
	"context"
	"math"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
)

// capLateness: an open-model request claimed later than this after its due
// time waited for the max_in_flight cap (below it, scheduling noise).
const capLateness = time.Millisecond

// runOpen sends the requests it claims at their due times until the pass's
// bound; it reports whether it stopped on cancellation instead.
func (w *worker) runOpen(ctx context.Context) (cancelled bool) {
	p := w.p
	spec := p.spec
	interval := float64(time.Second) / w.e.opt.Rate
	slots, window := w.e.openSlots(spec)
	end := p.start.Add(window)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for ctx.Err() == nil {
		i := p.claimed.Add(1) - 1
		if i >= slots {
			return
		}
		g := w.e.opt.Shard.Global(i) // the slot's number in the whole load
		offset := time.Duration(float64(g) * interval)
		due := p.start.Add(offset)
		if time.Since(end) > capLateness {
			// The window is over and this request was never sent: every
			// slot was busy (a stalled service). It and every request not
			// yet claimed are dropped; the pass ends on time.
			w.dropped(int(w.e.wheel[g%int64(len(w.e.wheel))]))
			return
		}
		// Latency counts from the due time when the slot was claimed late
		// (every worker busy: the request queued behind slow responses or
		// the in-flight cap, which is the server's doing: coordinated
		// omission corrected); from the send when the worker was ready and
		// waited, since the timer's lateness is the client's own.
		start := due
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return true
			case <-timer.C:
			}
			if w.e.lateTimer > 0 {
				time.Sleep(w.e.lateTimer)
			}
			start = time.Now()
		} else if d < -capLateness {
			// Claimed late: every worker was busy, max_in_flight reached.
			p.capDelayed.Add(1)
		}
		w.do(ctx, int(w.e.wheel[g%int64(len(w.e.wheel))]), start, time.Since(due))
	}
	return true
}

// openWindow is an open-model pass's number of request slots and the span
// they are due in: Duration (or Requests/Rate), at most Requests slots.
func openWindow(spec PassSpec, rate float64) (slots int64, window time.Duration) {
	interval := float64(time.Second) / rate
	slots = math.MaxInt64
	if spec.Duration > 0 {
		slots = int64(math.Ceil(float64(spec.Duration) / interval))
	}
	if spec.Requests > 0 {
		slots = min(slots, spec.Requests)
	}
	window = spec.Duration
	if w := time.Duration(float64(slots) * interval); window == 0 || w < window {
		window = w
	}
	return slots, window
}

// openSlots is openWindow for this engine's shard: how many of the
// window's slots are its own (every N-th), and the window.
func (e *Engine) openSlots(spec PassSpec) (slots int64, window time.Duration) {
	all, window := openWindow(spec, e.opt.Rate)
	return e.opt.Shard.Share(all), window
}

// dropped counts one open-model request of scenario si as dropped.
func (w *worker) dropped(si int) {
	w.p.dropped.Add(1)
	w.p.errs.Add(1)
	w.batch = append(w.batch, sample{lag: -1, scn: int32(si), class: metrics.ClassDropped})
	if len(w.batch) == cap(w.batch) {
		w.flush()
	}
}

// droppedTail counts, per scenario, the open-model slots of [from, slots)
// that no worker claimed before the pass ended.
func (e *Engine) droppedTail(from, slots int64) []int64 {
	out := make([]int64, len(e.scs))
	if from >= slots {
		return out
	}
	n := slots - from
	l := int64(len(e.wheel))
	if e.opt.Shard.Sharded() {
		for i := from; i < slots; i++ {
			out[e.wheel[e.opt.Shard.Global(i)%l]]++
		}
		return out
	}
	if full := n / l; full > 0 {
		for _, si := range e.wheel {
			out[si] += full
		}
	}
	for i := from + (n/l)*l; i < slots; i++ {
		out[e.wheel[i%l]]++
	}
	return out
}
