// Package load sends the HTTP load and measures it.
//
// An Engine holds the scenarios (compiled requests) and the HTTP client. Each
// pass (Engine.Start or Engine.Run) is bounded by a request count, a
// duration, or both (whichever comes first) and runs one of two models:
//
//   - closed: Workers goroutines each loop send → wait for the response;
//   - open: requests are due at a constant Rate (the i-th at t0 + i/Rate)
//     whether or not earlier ones have answered, at most MaxInFlight at
//     once. A request that had to wait for a free worker (a server stall,
//     the in-flight cap) counts its latency from the time it was due, not
//     from when it could be sent, so a stall shows in full (no coordinated
//     omission). A request whose worker was ready and waited for its due
//     time counts from its send: the timer's lateness is the client's,
//     reported as ScheduleLag, not the server's latency. A pass ends on
//     time: the window is Duration (or Requests/Rate); a request due in it
//     that could not be sent by its end (every slot still busy) is dropped
//     (counted, class dropped, never sent), and requests in flight at the
//     end get their client timeout, so a stalled service holds a pass for
//     at most its window plus the timeout.
//
// Throughput is goodput (see internal/metrics): only successful responses
// count in it and in the latency percentiles.
//
// A scenario's URL path and query may be a template too, rendered per
// request within the same request as its headers and body; a constant URL
// stays serialized once. A scenario with Steps is a flow (see
// internal/flow, flow.go): the mix picks it like any scenario, and one pick
// (a closed-model turn, an open-model arrival slot, a unit of the request
// bound) runs one iteration, its steps in order on one worker and its
// connection; each step is recorded as a request kind of its own, the
// iteration on the flow's row.
//
// Every request gets a fresh body rendered from its template; responses are
// read to the end so connections are reused. Measurements go to per-worker
// batches flushed into a few sharded metrics.Recorders, so memory stays flat
// however long the pass. Cancelling the context stops a pass promptly; what
// was measured so far is returned with the context's error.
//
// Two HTTP clients send the requests (Options.HTTPClient, Engine.Client,
// Result.Client). For plain http:// without HTTP/2, a custom Transport or a
// connection cap, perfgate uses its own HTTP/1.1 client (ClientH1): each
// worker holds its connection, constant requests are serialized once and
// templated ones appended into a reused buffer, a request is one write made
// inside the wait for its response (h1sendsock.go) and its response is
// parsed straight from a read buffer lent while it is read, the
// client timeout is the connection's deadline; a pass allocates nothing per
// request and costs about what the system calls cost (bench/engine.sh
// compares it with wrk). Otherwise (https, HTTP/2, custom transports) it
// uses net/http (ClientNetHTTP). Both behave the same: statuses and 3xx
// (never followed), keep-alive off (Connection: close, a connection per
// request), Host override, timeouts, error classes.
//
// The files, one concept each: options.go (Options, Scenario, defaults),
// engine.go (New), client.go (which HTTP client), compile.go (scenarios and
// the mix), pass.go (a pass and its Start), worker.go (a worker's life and
// records), closed.go and open.go (the two models), flow.go (flows),
// nethttp.go (the net/http path), h1.go, h1send.go, h1read.go, h1buf.go,
// h1sendsock.go, h1sock_*.go and h1raw_*.go (ClientH1),
// deadline.go (timeouts and bodies for net/http), timeline.go, result.go
// (what a pass measured), clientload.go (the client's own saturation),
// plan.go (warm-up and repeats) and fromconfig.go (from a config).
package load

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Engine runs passes over a fixed set of scenarios. Passes run one at a time.
type Engine struct {
	opt     Options
	rt      http.RoundTripper // ClientNetHTTP
	h1      *h1Client         // ClientH1
	client  string
	timeout time.Duration
	scs     []*scenario
	wheel   []int32
	seq     atomic.Int64 // template seq: unique over the Engine's whole life
	passes  atomic.Int64
	mu      sync.Mutex // one pass at a time
	// lateTimer (tests only) makes the client late after a timer wait by
	// this much, as a busy scheduler would.
	lateTimer time.Duration
}

// New checks the scenarios and options and builds an Engine. Errors name
// the scenario and the field at fault.
func New(scs []Scenario, opt Options) (*Engine, error) {
	if len(scs) == 0 {
		return nil, errors.New("no scenarios to run")
	}
	switch opt.Model {
	case "", Closed:
		opt.Model = Closed
		if opt.Workers < 0 {
			return nil, fmt.Errorf("workers must be positive, got %d", opt.Workers)
		}
		if opt.Workers == 0 {
			opt.Workers = DefaultWorkers
		}
	case Open:
		if !(opt.Rate > 0) || opt.Rate > 1e7 {
			return nil, fmt.Errorf("the open model needs a rate between 0 and 1e7 requests per second, got %g", opt.Rate)
		}
		if opt.MaxInFlight < 0 {
			return nil, fmt.Errorf("max_in_flight must be positive, got %d", opt.MaxInFlight)
		}
		if opt.MaxInFlight == 0 {
			opt.MaxInFlight = DefaultMaxInFlight
		}
	default:
		return nil, fmt.Errorf("unknown load model %q: use %q or %q", opt.Model, Closed, Open)
	}
	if err := opt.Shard.Valid(); err != nil {
		return nil, fmt.Errorf("shard %s: %w", opt.Shard, err)
	}
	if opt.Seed == 0 {
		opt.Seed = uint64(time.Now().UnixNano())
	}
	e := &Engine{opt: opt, rt: opt.Transport, timeout: opt.Client.Timeout.D()}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	var weights []int // per entry of e.scs: steps get 0, they are sent by their flow
	seen := map[string]bool{}
	for _, sc := range scs {
		if seen[sc.Name] {
			return nil, fmt.Errorf("scenario %q: the name is used twice", sc.Name)
		}
		seen[sc.Name] = true
		if sc.Weight < 0 {
			return nil, fmt.Errorf("scenario %q: weight must not be negative, got %d", sc.Name, sc.Weight)
		}
		wt := sc.Weight
		if wt == 0 {
			wt = 1
		}
		if sc.Off {
			wt = 0
		}
		if len(sc.Steps) > 0 {
			if err := e.addFlow(sc, wt, &weights); err != nil {
				return nil, err
			}
			continue
		}
		c, err := compileScenario(sc)
		if err != nil {
			return nil, err
		}
		c.flow, c.parent = sc.Flow, -1
		e.scs = append(e.scs, c)
		weights = append(weights, wt)
	}
	if slices.Max(weights) == 0 {
		return nil, errors.New("every scenario is switched off (weight 0): nothing would be sent")
	}
	e.wheel = buildWheel(weights)
	if err := e.pickClient(); err != nil {
		return nil, err
	}
	return e, nil
}

// Close releases idle connections.
func (e *Engine) Close() {
	if e.h1 != nil {
		e.h1.closeIdle()
	}
	if c, ok := e.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
