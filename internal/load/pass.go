package load

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// Progress is a cheap, live view of a running pass.
type Progress struct {
	Requests int64         // completed (measured) requests; a flow's iteration counts once
	Errors   int64         // of which failed (a failed iteration counts once)
	Elapsed  time.Duration // since the pass started
	Done     bool
}

// Pass is a running pass.
type Pass struct {
	e       *Engine
	spec    PassSpec
	index   int64
	start   time.Time
	usage   clientUsage // the client's CPU and scheduling delay at the start
	stop    atomic.Bool // the context was cancelled (ClientH1 aborts I/O)
	workers []*worker
	// Written by every worker: each on its own cache line, away from the
	// read-mostly fields above.
	_           [64]byte
	requests    atomic.Int64
	_           [56]byte
	claimed     atomic.Int64 // slots / request numbers handed out
	_           [56]byte
	errs        atomic.Int64
	dropped     atomic.Int64 // open model: due in the window, never sent
	canceled    atomic.Int64
	capDelayed  atomic.Int64
	interrupted atomic.Bool // a worker stopped on cancellation, before the bound
	// Flows: their steps' requests and errors, and their iterations and
	// failed iterations, so that Progress counts an iteration once.
	stepReqs, stepErrs, iters, iterErrs atomic.Int64
	endNanos                            atomic.Int64 // elapsed at the end, once done
	shards                              []*shard
	timeline                            *timeline
	base                                []*http.Request // per scenario, bound to the pass's context
	done                                chan struct{}
	res                                 *Result
	err                                 error
}

type shard struct {
	mu    sync.Mutex
	recs  []*metrics.Recorder // per scenario
	sec   []*metrics.Tick     // per scenario: the current second (timeline)
	lag   *hdrhistogram.Histogram
	proto string // the protocol of a response ("HTTP/1.1", "HTTP/2.0")
}

// Progress reads the pass's counters (safe from any goroutine).
func (p *Pass) Progress() Progress {
	// A flow counts once per iteration, as the pass's bound does.
	pr := Progress{Requests: p.requests.Load() - p.stepReqs.Load() + p.iters.Load(), Errors: p.errs.Load() - p.stepErrs.Load() + p.iterErrs.Load()}
	if end := p.endNanos.Load(); end > 0 {
		pr.Elapsed, pr.Done = time.Duration(end), true
	} else {
		pr.Elapsed = time.Since(p.start)
	}
	return pr
}

// Spec returns the pass's bounds.
func (p *Pass) Spec() PassSpec { return p.spec }

// Done is closed when the pass has finished.
func (p *Pass) Done() <-chan struct{} { return p.done }

// Wait waits for the pass to finish and returns what it measured. On
// cancellation the result holds everything measured until then (Interrupted
// is set) and the error is the context's.
func (p *Pass) Wait() (*Result, error) {
	<-p.done
	return p.res, p.err
}

// Run runs one pass and waits for it.
func (e *Engine) Run(ctx context.Context, spec PassSpec) (*Result, error) {
	p, err := e.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	return p.Wait()
}

// Start starts a pass and returns at once. Passes of one Engine run one at a
// time: Start blocks while another pass is running.
func (e *Engine) Start(ctx context.Context, spec PassSpec) (*Pass, error) {
	if err := spec.valid(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	p := e.newPass(spec)
	base, err := e.baseRequests(ctx)
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	p.base = base
	var wg, ready sync.WaitGroup
	gate := make(chan struct{}) // workers start together, once all are set up
	for i := range Concurrency(e.opt) {
		w := p.newWorker(i)
		p.workers = append(p.workers, w)
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx, ready.Done, gate)
		}()
	}
	stopAbort := p.abortOnCancel(ctx)
	ready.Wait()
	restoreGC := func() {}
	if e.lowersGC() {
		restoreGC = lowerGC() // see gctarget.go
	}
	p.usage = readClientUsage()
	p.start = time.Now()
	p.timeline = newTimeline(p)
	go p.timeline.run()
	close(gate)
	go func() {
		wg.Wait()
		restoreGC()
		stopAbort()
		p.finish(ctx)
		e.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// newPass makes a pass and its shards: the recorders the workers flush
// their batches into, a few workers to each.
func (e *Engine) newPass(spec PassSpec) *Pass {
	p := &Pass{e: e, spec: spec, index: e.passes.Add(1), done: make(chan struct{})}
	nShards := min(Concurrency(e.opt), max(2, 2*runtime.GOMAXPROCS(0)))
	for range nShards {
		s := &shard{lag: metrics.NewHistogram()}
		for range e.scs {
			s.recs = append(s.recs, metrics.NewRecorder())
			s.sec = append(s.sec, metrics.NewTick())
		}
		p.shards = append(p.shards, s)
	}
	return p
}

// baseRequests prepares, for net/http, each scenario's request bound to the
// pass's context (nil for a flow's entry, and none at all for ClientH1).
func (e *Engine) baseRequests(ctx context.Context) ([]*http.Request, error) {
	if e.h1 != nil {
		return nil, nil
	}
	base := make([]*http.Request, 0, len(e.scs))
	for _, sc := range e.scs {
		if sc.isFlow {
			base = append(base, nil)
			continue
		}
		r, err := http.NewRequestWithContext(ctx, sc.method, sc.url.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", sc.name, err)
		}
		r.URL = sc.url
		if sc.host != "" {
			r.Host = sc.host
		}
		base = append(base, r)
	}
	return base, nil
}

// newWorker makes the pass's i-th worker. Per-worker memory matters with
// thousands of workers: the batch shrinks as workers grow, and a template
// State only exists if templates do.
func (p *Pass) newWorker(i int) *worker {
	e := p.e
	w := &worker{
		p:     p,
		e:     e,
		shard: p.shards[i%len(p.shards)],
		batch: make([]sample, 0, batchCap(Concurrency(e.opt))),
	}
	if e.templated() {
		w.st = tmpl.NewState(mix(e.opt.Seed, uint64(p.index), uint64(i)), &e.seq)
		if e.opt.Shard.Sharded() {
			w.st.MapSeq(e.opt.Shard.Seq)
		}
	}
	return w
}

// abortOnCancel: ClientH1 blocks in reads and writes, not on the context;
// on cancellation, expire the deadline of every worker's connection. The
// returned func stops watching.
func (p *Pass) abortOnCancel(ctx context.Context) (stop func() bool) {
	if p.e.h1 == nil {
		return func() bool { return false }
	}
	return context.AfterFunc(ctx, func() {
		p.stop.Store(true)
		for _, w := range p.workers {
			if cn := w.active.Load(); cn != nil {
				_ = cn.nc.SetDeadline(time.Unix(1, 0))
			}
		}
	})
}

// finish ends the pass once every worker has: its elapsed time, its result
// and, when interrupted, the context's error.
func (p *Pass) finish(ctx context.Context) {
	elapsed := time.Since(p.start)
	p.timeline.finish(elapsed)
	p.endNanos.Store(int64(max(elapsed, 1)))
	// Interrupted: cancelled before the pass's bound, or with requests
	// in flight (a cancellation just after the end changes nothing).
	interrupted := p.interrupted.Load() || p.canceled.Load() > 0
	p.res = p.result(elapsed, interrupted)
	if interrupted {
		p.err = ctx.Err()
		if p.err == nil {
			p.err = context.Canceled
		}
	}
}
