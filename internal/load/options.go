package load

import (
	"fmt"
	"net/http"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/flow"
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

// Options returns the options in effect (after defaults).
func (e *Engine) Options() Options { return e.opt }
