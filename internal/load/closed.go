package load

import (
	"context"
	"time"
)

// claimBatch is how many request numbers a closed-model worker claims at once.
const claimBatch = 16

// runClosed loops until the pass's bound; it reports whether it stopped
// on cancellation instead.
func (w *worker) runClosed(ctx context.Context) (cancelled bool) {
	p := w.p
	spec := p.spec
	deadline := p.start.Add(spec.Duration)
	// Request numbers are claimed a few at a time: one contended atomic
	// per k requests. Each number is still sent exactly once (the mix and
	// the count stay exact); small passes claim one at a time so that all
	// workers take part.
	k := int64(claimBatch)
	if spec.Requests > 0 {
		spec.Requests = w.e.opt.Shard.Share(spec.Requests) // this shard's part
		k = min(k, max(1, spec.Requests/int64(64*Concurrency(w.e.opt))))
	}
	var next, end int64
	for ctx.Err() == nil {
		if next == end {
			end = p.claimed.Add(k)
			next = end - k
		}
		i := next
		next++
		if spec.Requests > 0 && i >= spec.Requests {
			return
		}
		start := time.Now()
		if spec.Duration > 0 && !start.Before(deadline) {
			return
		}
		w.do(ctx, int(w.e.wheel[w.e.opt.Shard.Global(i)%int64(len(w.e.wheel))]), start, -1)
	}
	return true
}
