package load

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// mix derives a worker's seed (splitmix64 over the inputs).
func mix(vals ...uint64) uint64 {
	var h uint64 = 0x9e3779b97f4a7c15
	for _, v := range vals {
		h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// batchSize is the most samples a worker keeps before taking its shard's
// lock; with thousands of workers, fewer: the batches of all workers
// together hold at most batchSamples (but at least 2 each). A flush costs
// one uncontended lock, little next to a request even every 2.
const (
	batchSize    = 128
	batchSamples = 16 << 10
)

// batchCap is the batch of each of n workers.
func batchCap(n int) int { return min(batchSize, max(2, batchSamples/max(n, 1))) }

type sample struct {
	lat    time.Duration
	lag    time.Duration // open model: sent this late after its due time; -1: n/a
	err    error
	scn    int32
	status int32
	class  metrics.Class
}

// worker is one sender of a pass. There may be tens of thousands, so what
// only some requests need hangs off pointers, made when first needed: the
// worker itself stays within 128 bytes.
type worker struct {
	p     *Pass
	e     *Engine
	shard *shard
	st    *tmpl.State // nil without templates
	batch []sample
	// ClientH1
	conns  []*h1Conn // per address: the connection this worker holds
	active atomic.Pointer[h1Conn]
	inFlow bool // within a flow's iteration: it keeps its connections (open model too)

	rb *renderBufs // templated requests
	nh *nhWorker   // ClientNetHTTP (see renew)
	fl *flowWorker // flows
}

// renderBufs are a worker's buffers for templated requests, reused from
// one request to the next.
type renderBufs struct {
	wbuf  []byte // ClientH1: the request being sent
	bbuf  []byte // ClientH1: its rendered body
	ubuf  []byte // a rendered URL path (templated URLs)
	ubuf2 []byte // net/http: ubuf escaped
	hbuf  []byte // net/http: a rendered header value
}

// bufs returns the worker's render buffers.
func (w *worker) bufs() *renderBufs {
	if w.rb == nil {
		w.rb = &renderBufs{}
	}
	return w.rb
}

func (w *worker) flush() {
	if len(w.batch) == 0 {
		return
	}
	w.shard.mu.Lock()
	for i := range w.batch {
		s := &w.batch[i]
		if s.class == metrics.ClassDropped {
			w.shard.recs[s.scn].RecordDropped(1)
			w.shard.sec[s.scn].RecordDropped(1)
			continue
		}
		w.shard.recs[s.scn].Record(s.lat, int(s.status), s.class, s.err)
		w.shard.sec[s.scn].Record(s.lat, s.class)
		if s.lag >= 0 {
			metrics.RecordLatency(w.shard.lag, s.lag)
		}
	}
	if w.nh != nil && w.nh.proto != "" {
		w.shard.proto = w.nh.proto
	}
	w.shard.mu.Unlock()
	clear(w.batch) // drop error references
	w.batch = w.batch[:0]
}

// do sends one request of scenario si (or one iteration of a flow) and
// records it, its latency counted from start.
func (w *worker) do(ctx context.Context, si int, start time.Time, lag time.Duration) {
	sc := w.e.scs[si]
	if sc.isFlow {
		w.doFlow(ctx, si, start, lag)
		return
	}
	if sc.flow != nil { // vars or a data file: this request is the iteration
		if err := sc.flow.Begin(w.iter(si), w.st); err != nil {
			w.record(si, time.Since(start), 0, metrics.ClassClient, err, lag)
			return
		}
	} else if w.st != nil {
		w.st.SetValues(nil) // no other scenario's vars or row
	}
	o := w.send(ctx, si, start, lag, nil)
	if !o.canceled {
		w.record(si, o.lat, o.status, o.class, o.err, lag)
	}
}

// outcome is one sent request: what record takes, or canceled (aborted
// by cancellation, already counted, not a measurement).
type outcome struct {
	lat      time.Duration
	status   int
	class    metrics.Class
	err      error
	canceled bool
}

func (w *worker) record(si int, lat time.Duration, status int, class metrics.Class, err error, lag time.Duration) {
	w.p.requests.Add(1)
	if class != metrics.ClassNone {
		w.p.errs.Add(1)
	}
	if w.e.scs[si].parent >= 0 { // a flow's step
		w.p.stepReqs.Add(1)
		if class != metrics.ClassNone {
			w.p.stepErrs.Add(1)
		}
	}
	w.batch = append(w.batch, sample{lat: lat, lag: lag, err: err, scn: int32(si), status: int32(status), class: class})
	if len(w.batch) == cap(w.batch) {
		w.flush()
	}
}

// run is a worker's life in a pass: set up, report ready, wait for the
// gate, send until the pass's bound, flush its batch and hand its
// connections back for the next pass.
func (w *worker) run(ctx context.Context, ready func(), gate <-chan struct{}) {
	p, e := w.p, w.e
	if e.h1 == nil {
		w.renew(ctx)
	}
	ready()
	<-gate
	var stopped bool
	if e.opt.Model == Open {
		stopped = w.runOpen(ctx)
	} else {
		stopped = w.runClosed(ctx)
	}
	if stopped {
		p.interrupted.Store(true)
	}
	w.flush()
	if w.nh != nil {
		w.nh.dl.timer.Stop()
		w.nh.dl.cancel()
	}
	for i, cn := range w.conns {
		e.h1.put(cn) // kept for the next pass
		w.conns[i] = nil
	}
}
