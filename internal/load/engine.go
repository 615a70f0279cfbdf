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
// templated ones appended into a reused buffer, a request is one write and
// its response is parsed straight from the connection's read buffer, the
// client timeout is the connection's deadline; a pass allocates nothing per
// request and costs about what the system calls cost (bench/engine.sh
// compares it with wrk). Otherwise (https, HTTP/2, custom transports) it
// uses net/http (ClientNetHTTP). Both behave the same: statuses and 3xx
// (never followed), keep-alive off (Connection: close, a connection per
// request), Host override, timeouts, error classes.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/metrics"
	loadshard "github.com/perfgate/perfgate/internal/shard"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// Models.
const (
	Closed = "closed"
	Open   = "open"
)

// UserAgent is the User-Agent header of requests whose scenario sets none.
const UserAgent = "perfgate"

// Defaults applied by New when Options leave a field zero.
const (
	DefaultWorkers     = 10
	DefaultMaxInFlight = 1000
)

// Scenario is one kind of request.
type Scenario struct {
	Name   string
	Method string // default GET
	// URL has its endpoints resolved; its path and query may still be a
	// template (see internal/tmpl), rendered per request within the same
	// request as the headers and body (same seq). A URL without actions is
	// sent as is, serialized once.
	URL string
	// Headers are header values; each may be a template (see internal/tmpl),
	// rendered per request within the same request as the body (same seq).
	Headers map[string]string
	Body    *tmpl.Template // nil: no body
	// Expect lists the statuses that count as success (default 200-399).
	Expect []int
	Weight int // share in the mix (0: default 1; see Off)
	// Off: the scenario sends nothing (weight 0 in the config). It keeps
	// its place in the results, with no requests.
	Off bool
	// Steps make the scenario a flow: an iteration sends them in order on
	// one worker and its connections (Method, URL, Headers, Body and
	// Expect of the scenario are then unused). A pass's request bound and
	// an open-model slot count iterations. Flow (required then) holds the
	// vars, the captures (Flow's steps match Steps one to one) and the
	// data rows.
	Steps []Step
	// Flow: the vars, captures and data rows (see internal/flow); on a
	// scenario without Steps it gives each request a data row.
	Flow *flow.Flow
}

// Options configure an Engine.
type Options struct {
	Model       string  // Closed (default) or Open
	Workers     int     // closed: concurrent workers (default 10)
	Rate        float64 // open: requests per second (required)
	MaxInFlight int     // open: cap on concurrent requests (default 1000)
	// Client holds the HTTP client settings: Timeout (whole request,
	// including reading the body; default 10s) and, unless Transport is
	// set, everything NewTransport tunes.
	Client config.Client
	// Transport sends the requests; nil: NewTransport(Client, concurrency)
	// or perfgate's own HTTP/1.1 client (see HTTPClient).
	Transport http.RoundTripper
	// HTTPClient picks the HTTP client: ClientAuto ("" too) uses
	// ClientH1 (perfgate's own HTTP/1.1 client, the cheapest per request)
	// when every scenario is plain http://, HTTP/2 is off, no Transport is
	// given and max_conns_per_host does not cap connections; ClientNetHTTP
	// otherwise. Engine.Client says which one runs.
	HTTPClient string
	// Seed makes template randomness reproducible; 0 picks one from the clock.
	Seed uint64
	// Shard makes this engine shard I of N of the load (see internal/shard):
	// open model, every N-th arrival slot of Rate (slot k is shard k mod
	// N's, at its own due time); closed model, the shard's part of a
	// request bound (the caller splits Workers); seq values disjoint. The
	// zero value: the whole load.
	Shard loadshard.Spec
}

// PassSpec bounds a pass: Requests, Duration or both, whichever comes first.
type PassSpec struct {
	Requests int64
	Duration time.Duration
}

func (s PassSpec) valid() error {
	if s.Requests < 0 || s.Duration < 0 {
		return fmt.Errorf("pass bounds must not be negative (requests %d, duration %s)", s.Requests, s.Duration)
	}
	if s.Requests == 0 && s.Duration == 0 {
		return errNoBound
	}
	return nil
}

// HTTP clients (Options.HTTPClient, Engine.Client, Result.Client).
const (
	ClientAuto    = "auto"
	ClientNetHTTP = "net/http"
	ClientH1      = "perfgate-h1"
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

type scenario struct {
	name      string
	method    string
	url       *url.URL
	path      *tmpl.Template // per-request path and query; nil: url is constant
	header    http.Header    // constant headers, shared read-only by requests
	host      string         // a constant Host header ("" = the URL's host)
	hdrTmpl   []hdrTemplate
	body      *tmpl.Template
	constBody []byte // body when constant
	getBody   func() (io.ReadCloser, error)
	expect    [10]uint64 // bitset over statuses 0..639
	h1        *h1Target  // the pre-serialized request (ClientH1)
	// A flow: isFlow marks the entry that records iterations (it sends
	// nothing itself); steps are its steps' indexes in Engine.scs, and
	// parent is a step's flow (-1: a top-level scenario).
	flow   *flow.Flow
	isFlow bool
	steps  []int
	parent int
}

type hdrTemplate struct {
	key string
	t   *tmpl.Template
}

func (s *scenario) expected(code int) bool {
	if code < 0 || code >= 640 {
		return false
	}
	return s.expect[code/64]&(1<<(code%64)) != 0
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

// pickClient sets up the HTTP client Options.HTTPClient asks for.
func (e *Engine) pickClient() error {
	why := "" // why the fast path cannot be used
	switch {
	case e.opt.Transport != nil:
		why = "a custom Transport is set"
	case e.opt.Client.HTTP2:
		why = "HTTP/2 is asked for"
	case e.opt.Client.MaxConnsPerHost > 0 && e.opt.Client.MaxConnsPerHost < Concurrency(e.opt):
		why = "max_conns_per_host caps connections below the concurrency"
	}
	for _, sc := range e.scs {
		if why == "" && !sc.isFlow && sc.url.Scheme != "http" {
			why = fmt.Sprintf("scenario %q is %s", sc.name, sc.url.Scheme)
		}
	}
	switch e.opt.HTTPClient {
	case "", ClientAuto:
		if why == "" {
			e.client = ClientH1
		} else {
			e.client = ClientNetHTTP
		}
	case ClientH1:
		if why != "" {
			return fmt.Errorf("http client %q cannot be used: %s; use %q or %q", ClientH1, why, ClientAuto, ClientNetHTTP)
		}
		e.client = ClientH1
	case ClientNetHTTP:
		e.client = ClientNetHTTP
	default:
		return fmt.Errorf("unknown http client %q: use %q, %q or %q", e.opt.HTTPClient, ClientAuto, ClientH1, ClientNetHTTP)
	}
	if e.client == ClientNetHTTP {
		if e.rt == nil {
			e.rt = NewTransport(e.opt.Client, Concurrency(e.opt))
		}
		return nil
	}
	dial := e.opt.Client.DialTimeout.D()
	if dial <= 0 {
		dial = DefaultDialTimeout
	}
	e.h1 = newH1Client(dial, e.opt.Client.KeepAliveOn())
	for _, sc := range e.scs {
		if sc.isFlow {
			continue
		}
		t, err := e.h1.addTarget(sc)
		if err != nil {
			return err
		}
		sc.h1 = t
	}
	return nil
}

// Client names the HTTP client the Engine uses: ClientH1 or ClientNetHTTP.
func (e *Engine) Client() string { return e.client }

func compileScenario(sc Scenario) (*scenario, error) {
	if sc.Name == "" {
		return nil, errors.New("a scenario has no name")
	}
	origin, pathText, err := tmpl.SplitURL(sc.URL)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %v", sc.Name, err)
	}
	var path *tmpl.Template
	if pathText != "" {
		path, err = tmpl.Compile(sc.Name+" url", pathText)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: url: %w", sc.Name, err)
		}
		if path.Constant() { // only comments or empty actions
			origin, path = origin+string(path.Bytes()), nil
		} else {
			origin += "/"
		}
	}
	u, err := url.Parse(origin)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: url %q: %v", sc.Name, sc.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("scenario %q: url %q must be absolute http:// or https://", sc.Name, sc.URL)
	}
	method := strings.ToUpper(sc.Method)
	if method == "" {
		method = http.MethodGet
	}
	c := &scenario{name: sc.Name, method: method, url: u, path: path, header: http.Header{}, body: sc.Body}
	keys := make([]string, 0, len(sc.Headers))
	for k := range sc.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t, err := tmpl.Compile(sc.Name+" header "+k, sc.Headers[k])
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
		}
		if t.Constant() {
			if http.CanonicalHeaderKey(k) == "Host" {
				c.host = string(t.Bytes()) // net/http sends req.Host, not Header["Host"]
				continue
			}
			c.header.Set(k, string(t.Bytes()))
		} else {
			c.hdrTmpl = append(c.hdrTmpl, hdrTemplate{key: http.CanonicalHeaderKey(k), t: t})
		}
	}
	// Both HTTP clients introduce themselves the same way.
	uaSet := c.header.Get("User-Agent") != ""
	for _, h := range c.hdrTmpl {
		uaSet = uaSet || h.key == "User-Agent"
	}
	if !uaSet {
		c.header.Set("User-Agent", UserAgent)
	}
	if sc.Body != nil && sc.Body.Constant() {
		b := sc.Body.Bytes()
		c.constBody = b
		c.getBody = func() (io.ReadCloser, error) { return &bodyReader{b: b}, nil }
	}
	expect := sc.Expect
	if len(expect) == 0 {
		for code := 200; code <= 399; code++ {
			c.expect[code/64] |= 1 << (code % 64)
		}
	}
	for _, code := range expect {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("scenario %q: expected status %d is not an HTTP status (100-599)", sc.Name, code)
		}
		c.expect[code/64] |= 1 << (code % 64)
	}
	return c, nil
}

// Concurrency is the most requests opt can have in flight: Workers (closed)
// or MaxInFlight (open), after defaults.
func Concurrency(opt Options) int {
	if opt.Model == Open {
		if opt.MaxInFlight > 0 {
			return opt.MaxInFlight
		}
		return DefaultMaxInFlight
	}
	if opt.Workers > 0 {
		return opt.Workers
	}
	return DefaultWorkers
}

// buildWheel spreads scenario indexes over a cycle in proportion to their
// weights (smooth weighted round-robin), so request i uses wheel[i%len].
func buildWheel(weights []int) []int32 {
	g := 0
	total := 0
	for _, w := range weights {
		g = gcd(g, w)
	}
	w := make([]int, len(weights))
	for i, x := range weights {
		w[i] = x / g
		total += w[i]
	}
	const maxWheel = 1 << 14
	if total > maxWheel { // keep the cycle short; proportions within 1/maxWheel
		total = 0
		sum := 0
		for _, x := range w {
			sum += x
		}
		for i, x := range w {
			if x > 0 {
				w[i] = max(1, int(float64(x)*maxWheel/float64(sum)+0.5))
			}
			total += w[i]
		}
	}
	wheel := make([]int32, total)
	cur := make([]int, len(w))
	for k := range wheel {
		best := 0
		for i := range w {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		wheel[k] = int32(best)
	}
	return wheel
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
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

// Options returns the options in effect (after defaults).
func (e *Engine) Options() Options { return e.opt }

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
	conc := Concurrency(e.opt)
	nShards := min(conc, max(2, 2*runtime.GOMAXPROCS(0)))
	p := &Pass{e: e, spec: spec, index: e.passes.Add(1), done: make(chan struct{})}
	for range nShards {
		s := &shard{lag: metrics.NewHistogram()}
		for range e.scs {
			s.recs = append(s.recs, metrics.NewRecorder())
			s.sec = append(s.sec, metrics.NewTick())
		}
		p.shards = append(p.shards, s)
	}
	for _, sc := range e.scs {
		if e.h1 != nil {
			break
		}
		if sc.isFlow {
			p.base = append(p.base, nil)
			continue
		}
		r, err := http.NewRequestWithContext(ctx, sc.method, sc.url.String(), nil)
		if err != nil {
			e.mu.Unlock()
			return nil, fmt.Errorf("scenario %q: %w", sc.name, err)
		}
		r.URL = sc.url
		if sc.host != "" {
			r.Host = sc.host
		}
		p.base = append(p.base, r)
	}
	// Per-worker memory matters with thousands of workers: the batch shrinks
	// as workers grow, and a template State only exists if templates do.
	batch := min(batchSize, max(8, 64<<10/conc))
	templated := false
	for _, sc := range e.scs {
		templated = templated || sc.flow != nil || sc.path != nil || len(sc.hdrTmpl) > 0 || (sc.body != nil && sc.constBody == nil)
	}
	var wg, ready sync.WaitGroup
	gate := make(chan struct{}) // workers start together, once all are set up
	for i := range conc {
		w := &worker{
			p:     p,
			e:     e,
			shard: p.shards[i%nShards],
			batch: make([]sample, 0, batch),
		}
		if templated {
			w.st = tmpl.NewState(mix(e.opt.Seed, uint64(p.index), uint64(i)), &e.seq)
			if e.opt.Shard.Sharded() {
				w.st.MapSeq(e.opt.Shard.Seq)
			}
		}
		p.workers = append(p.workers, w)
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			if e.h1 == nil {
				w.renew(ctx)
			}
			ready.Done()
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
			if w.dl != nil {
				w.dl.timer.Stop()
				w.dl.cancel()
			}
			for i, cn := range w.conns {
				e.h1.put(cn) // kept for the next pass
				w.conns[i] = nil
			}
		}()
	}
	// ClientH1 blocks in reads and writes, not on the context: on
	// cancellation, expire the deadline of every worker's connection.
	stopAbort := func() bool { return false }
	if e.h1 != nil {
		stopAbort = context.AfterFunc(ctx, func() {
			p.stop.Store(true)
			for _, w := range p.workers {
				if cn := w.active.Load(); cn != nil {
					_ = cn.nc.SetDeadline(time.Unix(1, 0))
				}
			}
		})
	}
	ready.Wait()
	p.start = time.Now()
	p.timeline = newTimeline(p)
	go p.timeline.run()
	close(gate)
	go func() {
		wg.Wait()
		stopAbort()
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
		e.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

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
// lock (fewer with thousands of workers).
const batchSize = 128

// claimBatch is how many request numbers a closed-model worker claims at once.
const claimBatch = 16

// capLateness: an open-model request claimed later than this after its due
// time waited for the max_in_flight cap (below it, scheduling noise).
const capLateness = time.Millisecond

type sample struct {
	lat    time.Duration
	lag    time.Duration // open model: sent this late after its due time; -1: n/a
	err    error
	scn    int32
	status int32
	class  metrics.Class
}

type worker struct {
	p     *Pass
	e     *Engine
	shard *shard
	st    *tmpl.State
	batch []sample
	hbuf  []byte
	dl    *deadline
	base  []http.Request // per scenario, bound to dl.ctx
	bsize int            // last rendered body size, to size the next buffer
	// ClientH1
	conns  []*h1Conn // per address: the connection this worker holds
	active atomic.Pointer[h1Conn]
	proto  string       // net/http: the protocol of the last response
	wbuf   []byte       // the request being sent
	bbuf   []byte       // its rendered body
	ubuf   []byte       // a rendered URL path (templated URLs)
	iters  []*flow.Iter // per scenario with a flow: this worker's iteration
	resp   respBuf      // a flow step's response, for its captures
	inFlow bool         // within a flow's iteration: it keeps its connections (open model too)
	ubuf2  []byte       // ubuf escaped
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
	if w.proto != "" {
		w.shard.proto = w.proto
	}
	w.shard.mu.Unlock()
	clear(w.batch) // drop error references
	w.batch = w.batch[:0]
}

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

// send sends one request of scenario si, its latency counted from start;
// rb, when not nil, keeps what a flow step's captures read of the response.
func (w *worker) send(ctx context.Context, si int, start time.Time, lag time.Duration, rb *respBuf) outcome {
	sc := w.e.scs[si]
	if w.st != nil {
		w.st.Next()
	}
	if sc.h1 != nil {
		return w.doH1(ctx, sc, start, lag, rb)
	}
	// net/http needs a fresh *http.Request per send; a shallow copy of the
	// pass's prepared request (URL parsed once, context bound) is enough.
	req := new(http.Request)
	*req = w.base[si]
	req.Header = sc.header // shared, read-only
	if sc.path != nil {
		u, err := w.renderURL(sc)
		if err != nil {
			return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: err}
		}
		req.URL = u
	}
	if len(sc.hdrTmpl) > 0 {
		req.Header = sc.header.Clone()
		for _, h := range sc.hdrTmpl {
			var err error
			w.hbuf, err = h.t.Append(w.hbuf[:0], w.st)
			if err != nil {
				return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render header %s: %w", h.key, err)}
			}
			if h.key == "Host" {
				req.Host = string(w.hbuf)
				continue
			}
			req.Header[h.key] = []string{string(w.hbuf)}
		}
	}
	switch {
	case sc.body == nil:
	case sc.constBody != nil:
		req.Body, req.GetBody, req.ContentLength = &bodyReader{b: sc.constBody}, sc.getBody, int64(len(sc.constBody))
	default:
		// A fresh buffer per request: the transport may still read a body
		// after the response arrived, so a buffer is never reused.
		b, err := sc.body.Append(make([]byte, 0, w.bsize+16), w.st)
		if err != nil {
			return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render body: %w", err)}
		}
		w.bsize = len(b)
		req.Body, req.ContentLength = &bodyReader{b: b}, int64(len(b))
		req.GetBody = func() (io.ReadCloser, error) { return &bodyReader{b: b}, nil }
		if len(b) == 0 {
			req.Body, req.GetBody = http.NoBody, nil
		}
	}
	dl := w.dl
	dl.timer.Reset(w.e.timeout)
	resp, err := w.e.rt.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
		if w.proto != resp.Proto {
			w.proto = resp.Proto
		}
		if rb != nil {
			err = rb.readStd(resp)
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
	}
	lat := time.Since(start)
	timedOut := !dl.timer.Stop() && dl.fired.Load()
	if timedOut {
		w.renew(ctx) // this deadline's context is spent
	}
	if err != nil && ctx.Err() != nil {
		// Aborted by cancellation: not a measurement of the service.
		w.p.canceled.Add(1)
		return outcome{canceled: true}
	}
	class := metrics.Classify(err)
	if err != nil && timedOut {
		class = metrics.ClassTimeout
		err = &timeoutError{timeout: w.e.timeout, err: err}
	}
	if err == nil && !sc.expected(status) {
		class = metrics.ClassStatus
	}
	return outcome{lat: lat, status: status, class: class, err: err}
}

// renderURL renders a templated scenario URL for net/http.
func (w *worker) renderURL(sc *scenario) (*url.URL, error) {
	var err error
	w.ubuf, err = sc.path.Append(w.ubuf[:0], w.st)
	if err != nil {
		return nil, fmt.Errorf("render url: %w", err)
	}
	w.ubuf2 = tmpl.AppendPathEscaped(w.ubuf2[:0], w.ubuf)
	u, err := url.ParseRequestURI(string(w.ubuf2))
	if err != nil {
		return nil, fmt.Errorf("render url: %q is not a valid path and query: %v", w.ubuf2, err)
	}
	u.Scheme, u.Host = sc.url.Scheme, sc.url.Host
	return u, nil
}

// deadline enforces the client timeout without allocating per request: a
// context and a timer reused until the timer fires, then replaced.
type deadline struct {
	ctx    context.Context
	cancel context.CancelFunc
	timer  *time.Timer
	fired  atomic.Bool
}

// renew gives the worker a fresh deadline under the pass's context and
// rebinds its prepared requests to it.
func (w *worker) renew(passCtx context.Context) {
	if w.dl != nil {
		w.dl.cancel()
	}
	d := &deadline{}
	d.ctx, d.cancel = context.WithCancel(passCtx)
	d.timer = time.AfterFunc(time.Hour, func() {
		d.fired.Store(true)
		d.cancel()
	})
	d.timer.Stop()
	w.dl = d
	w.base = w.base[:0]
	for _, r := range w.p.base {
		if r == nil { // a flow's own entry sends nothing
			w.base = append(w.base, http.Request{})
			continue
		}
		w.base = append(w.base, *r.WithContext(d.ctx))
	}
}

// timeoutError is a request cut off by the client timeout.
type timeoutError struct {
	timeout time.Duration
	err     error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no complete response within the client timeout of %s (%v)", e.timeout, e.err)
}
func (e *timeoutError) Unwrap() error { return e.err }
func (e *timeoutError) Timeout() bool { return true }

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

// bodyReader reads a request body from an immutable byte slice.
type bodyReader struct {
	b   []byte
	off int
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error { return nil }

// WriteTo lets the transport copy the body without an intermediate buffer.
func (r *bodyReader) WriteTo(dst io.Writer) (int64, error) {
	if r.off >= len(r.b) {
		return 0, nil
	}
	n, err := dst.Write(r.b[r.off:])
	r.off += n
	return int64(n), err
}
