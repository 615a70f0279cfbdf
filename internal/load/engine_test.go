package load

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// counter counts requests per path.
type counter struct {
	mu    sync.Mutex
	paths map[string]int
}

func (c *counter) add(p string) {
	c.mu.Lock()
	if c.paths == nil {
		c.paths = map[string]int{}
	}
	c.paths[p]++
	c.mu.Unlock()
}

func (c *counter) get(p string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths[p]
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func newEngine(t *testing.T, scs []Scenario, opt Options) *Engine {
	t.Helper()
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	e, err := New(scs, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// ctxFor bounds every load in a test in time as well as count.
// runPass runs one pass of a new engine, bounded by 30 s, and fails the
// test on an error.
func runPass(t *testing.T, scs []Scenario, opt Options, spec PassSpec) *Result {
	t.Helper()
	res, err := newEngine(t, scs, opt).Run(ctxFor(t, 30*time.Second), spec)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// clients are the HTTP clients every behaviour test runs over.
var clients = []string{ClientH1, ClientNetHTTP}

// forClients runs test once per HTTP client, as subtests.
func forClients(t *testing.T, test func(t *testing.T, client string)) {
	for _, c := range clients {
		t.Run(strings.ReplaceAll(c, "/", "-"), func(t *testing.T) { test(t, c) })
	}
}

func sumRequests(r *Result) int64 {
	var n int64
	for _, s := range r.Scenarios {
		n += s.Metrics.Requests()
	}
	return n
}

func TestClosedExactCountAndMix(t *testing.T) { forClients(t, testClosedExactCountAndMix) }

func testClosedExactCountAndMix(t *testing.T, client string) {
	var c counter
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { c.add(r.URL.Path) })
	res := runPass(t, []Scenario{
		{Name: "a", URL: srv.URL + "/a", Weight: 5},
		{Name: "b", URL: srv.URL + "/b", Weight: 3},
		{Name: "c", URL: srv.URL + "/c", Weight: 2},
	}, Options{HTTPClient: client, Workers: 8}, PassSpec{Requests: 1000})
	if res.Requests != 1000 || sumRequests(res) != 1000 || res.Errors != 0 {
		t.Fatalf("requests %d (recorded %d), errors %d; want 1000, 0", res.Requests, sumRequests(res), res.Errors)
	}
	for i, want := range map[string]int{"a": 500, "b": 300, "c": 200} {
		if got := c.get("/" + i); got != want {
			t.Errorf("server saw %d requests to /%s, want %d", got, i, want)
		}
	}
	for _, s := range res.Scenarios {
		if s.Metrics.Status(200) != s.Metrics.Requests() {
			t.Errorf("%s: %d of %d were 200", s.Name, s.Metrics.Status(200), s.Metrics.Requests())
		}
	}
	if res.Client != client || res.Model != Closed {
		t.Errorf("client %q model %q", res.Client, res.Model)
	}
}

// Memory after a pass does not grow with its length: no per-request data
// is kept.
func TestMemoryFlat(t *testing.T) { forClients(t, testMemoryFlat) }

func testMemoryFlat(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL, Body: tmpl.MustCompile("b", `{{ uuid }}`), Method: "POST"}},
		Options{HTTPClient: client, Workers: 4})
	retained := func(n int64) (uint64, *Result) {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		before := m.HeapAlloc
		res, err := e.Run(ctxFor(t, 60*time.Second), PassSpec{Requests: n})
		if err != nil || res.Requests != n {
			t.Fatalf("run %d: %v", n, err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc - min(before, m.HeapAlloc), res
	}
	small, r1 := retained(1000)
	large, r2 := retained(40000)
	t.Logf("retained after 1000 requests: %d B, after 40000: %d B", small, large)
	if large > small+512<<10 {
		t.Fatalf("memory grows with the pass: %d B after 1000 requests, %d B after 40000", small, large)
	}
	_, _ = r1, r2
}

func TestWheel(t *testing.T) {
	tests := []struct {
		weights []int
		want    string
	}{
		{[]int{1}, "0"},
		{[]int{1, 1}, "01"},
		{[]int{2, 4}, "101"}, // gcd-reduced to 1:2, interleaved
		{[]int{3, 1}, "0010"},
		{[]int{5, 3, 2}, "0120010210"},
	}
	for _, tt := range tests {
		var b strings.Builder
		for _, x := range buildWheel(tt.weights) {
			b.WriteByte(byte('0' + x))
		}
		if b.String() != tt.want {
			t.Errorf("wheel(%v) = %s, want %s", tt.weights, b.String(), tt.want)
		}
	}
	// Huge weights are scaled to a bounded wheel with proportions kept.
	w := buildWheel([]int{1_000_000, 3_000_001})
	n := 0
	for _, x := range w {
		if x == 0 {
			n++
		}
	}
	if len(w) > 1<<14+2 || n*4 < len(w)-4 || n*4 > len(w)+4 {
		t.Errorf("big wheel: len %d with %d zeros", len(w), n)
	}
}

func TestDurationBound(t *testing.T) { forClients(t, testDurationBound) }

func testDurationBound(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{HTTPClient: client, Workers: 2})
	res, err := e.Run(ctxFor(t, 20*time.Second), PassSpec{Requests: 1 << 40, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Duration < 200*time.Millisecond || res.Duration > 10*time.Second {
		t.Fatalf("duration-bound pass: %d requests in %s", res.Requests, res.Duration)
	}
}

func TestOpenModelRate(t *testing.T) { forClients(t, testOpenModelRate) }

func testOpenModelRate(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{HTTPClient: client, Model: Open, Rate: 200, MaxInFlight: 50})
	res, err := e.Run(ctxFor(t, 20*time.Second), PassSpec{Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("open 200 rps: %+v", metrics.LatencyMS(res.Scenarios[0].Metrics.Histogram()))
	// Slots due at i*5ms for i*5ms < 1s: exactly 200.
	if res.Requests != 200 {
		t.Fatalf("open model sent %d requests, want 200", res.Requests)
	}
	t.Logf("schedule lag %+v, cap-delayed %d", res.ScheduleLag, res.CapDelayed)
	if res.IntendedRate != 200 || res.AchievedRate < 100 || res.AchievedRate > 300 {
		t.Fatalf("intended %g achieved %g rps", res.IntendedRate, res.AchievedRate)
	}
	// The last request is due at 995ms: the pass cannot end before.
	if res.Duration < 995*time.Millisecond {
		t.Fatalf("pass took %s, shorter than its schedule", res.Duration)
	}
}

// With max_in_flight 1 and a server slower than the schedule, requests
// queue at the client within the pass's window, each one's latency counted
// from its due time, so it grows along the queue; those still queued when
// the window (20 requests at 100/s: 200 ms) ends are dropped, not sent late.
func TestOpenModelCapQueues(t *testing.T) { forClients(t, testOpenModelCapQueues) }

func testOpenModelCapQueues(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(20 * time.Millisecond) })
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{HTTPClient: client, Model: Open, Rate: 100, MaxInFlight: 1})
	res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 20})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Scenarios[0].Metrics
	// At most one request per 20 ms fits in the 200 ms window.
	if res.Requests > 11 || res.Requests < 3 || res.Dropped != 20-res.Requests || res.Errors != res.Dropped ||
		m.Errors().Dropped != res.Dropped || m.OK() != res.Requests {
		t.Fatalf("%d requests, %d dropped, %d errors, recorder %+v; want ≤ 11 sent and the rest of 20 dropped",
			res.Requests, res.Dropped, res.Errors, m.Errors())
	}
	// Request i is due at 10ms*i but served no earlier than 20ms*(i+1).
	l := metrics.LatencyMS(m.Histogram())
	if l.Max < 10*float64(res.Requests-1) {
		t.Fatalf("max latency %.1f ms over %d requests: queueing behind the cap was not counted from due times", l.Max, res.Requests)
	}
	if res.CapDelayed < res.Requests/2 || res.ScheduleLag.Max < 5*float64(res.Requests-1) {
		t.Fatalf("cap-delayed %d, schedule lag %+v", res.CapDelayed, res.ScheduleLag)
	}
	if w := res.Warnings(); len(w) == 0 || !strings.Contains(w[0], "max_in_flight") {
		t.Fatalf("warnings %q", w)
	}
}

// At a low rate against a fast server, workers are ready before each due
// time and wait on a timer: the client's own lateness after the timer (here
// made large on purpose) is schedule lag, not the server's latency.
func TestOpenModelTimerLatenessNotLatency(t *testing.T) {
	forClients(t, func(t *testing.T, client string) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
		e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{HTTPClient: client, Model: Open, Rate: 20, MaxInFlight: 4})
		e.lateTimer = 20 * time.Millisecond
		res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 10})
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests != 10 || res.Errors != 0 {
			t.Fatalf("%d requests, %d errors; want 10, 0", res.Requests, res.Errors)
		}
		l := metrics.LatencyMS(res.Scenarios[0].Metrics.Histogram())
		t.Logf("latency %+v, schedule lag %+v", l, res.ScheduleLag)
		// The lag is still reported; the latency no longer contains it.
		if res.ScheduleLag.P50 < 19 {
			t.Fatalf("schedule lag p50 %.3f ms, want the client's 20 ms lateness", res.ScheduleLag.P50)
		}
		if l.P50 >= res.ScheduleLag.P50/2 {
			t.Fatalf("latency p50 %.3f ms includes the client's schedule lag (p50 %.3f ms)", l.P50, res.ScheduleLag.P50)
		}
	})
}

// stallServer answers at once, except during one 1 s stall that starts
// with the first request after 300 ms: every request arriving during the
// stall waits for its end (a GC pause, a full queue).
func stallServer(t *testing.T) *httptest.Server {
	var (
		mu    sync.Mutex
		first time.Time
		until time.Time
	)
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		if until.IsZero() && now.Sub(first) > 300*time.Millisecond {
			until = now.Add(time.Second)
		}
		wait := until.Sub(now)
		mu.Unlock()
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-r.Context().Done():
			}
		}
	})
}

func TestStallCoordinatedOmission(t *testing.T) { forClients(t, testStallCoordinatedOmission) }

func testStallCoordinatedOmission(t *testing.T, client string) {
	// Open model: requests due during the stall count their wait.
	open := newEngine(t, []Scenario{{Name: "a", URL: stallServer(t).URL}},
		Options{HTTPClient: client, Model: Open, Rate: 200, MaxInFlight: 1000})
	ro, err := open.Run(ctxFor(t, 30*time.Second), PassSpec{Duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	lo := metrics.LatencyMS(ro.Scenarios[0].Metrics.Histogram())

	// Closed model, one worker: the stall delays one request only.
	closed := newEngine(t, []Scenario{{Name: "a", URL: stallServer(t).URL}}, Options{HTTPClient: client, Workers: 1})
	rc, err := closed.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 100_000, Duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	lc := metrics.LatencyMS(rc.Scenarios[0].Metrics.Histogram())
	t.Logf("open: %d requests %+v", ro.Requests, lo)
	t.Logf("closed: %d requests %+v", rc.Requests, lc)

	if lo.P99 < 500 || lo.Max < 900 {
		t.Errorf("open model hides the 1 s stall: p99 %.1f ms, max %.1f ms", lo.P99, lo.Max)
	}
	if lc.Max < 900 {
		t.Errorf("closed model lost the stalled request: max %.1f ms", lc.Max)
	}
	if rc.Requests > 200 && lc.P99 >= 500 {
		t.Errorf("closed model p99 %.1f ms: expected the stall to be hidden in p99 over %d requests", lc.P99, rc.Requests)
	}
}

func TestKeepAlive(t *testing.T) { forClients(t, testKeepAlive) }

func testKeepAlive(t *testing.T, client string) {
	for _, keep := range []bool{true, false} {
		var conns atomic.Int64
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		srv.Start()
		t.Cleanup(srv.Close)
		k := keep
		e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{HTTPClient: client, Workers: 4, Client: config.Client{KeepAlive: &k}})
		res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 200})
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 0 {
			t.Fatalf("keepalive=%v: %d errors", keep, res.Errors)
		}
		n := conns.Load()
		// net/http may dial a spare connection while a used one is on its way
		// back to the pool, so "reused" means far fewer than one per request.
		if keep && n > 20 {
			t.Errorf("keepalive on: %d connections for 200 requests from 4 workers, want <= 20", n)
		}
		if !keep && n != 200 {
			t.Errorf("keepalive off: %d connections for 200 requests, want 200", n)
		}
	}
}

// The server answers 400 to an empty body (nginx in seed 000) and 409 to an
// id it has seen (seed 001): fresh bodies per request give neither.
func TestFreshBodies(t *testing.T) { forClients(t, testFreshBodies) }

func testFreshBodies(t *testing.T, client string) {
	var mu sync.Mutex
	ids := map[string]bool{}
	reqIDs := map[string]bool{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var v struct {
			ID   string `json:"id"`
			Seq  int64  `json:"seq"`
			Name string `json:"name"`
		}
		if err != nil || len(b) == 0 || json.Unmarshal(b, &v) != nil || v.ID == "" || v.Name == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		hdr := r.Header.Get("X-Request-Id")
		if ids[v.ID] || reqIDs[hdr] || hdr != "req-"+jsonNum(v.Seq) || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusConflict)
			return
		}
		ids[v.ID], reqIDs[hdr] = true, true
	})
	body := tmpl.MustCompile("signup", `{"id":"{{ uuid }}","seq":{{ seq }},"name":"{{ koreanName }}","email":"{{ email }}"}`)
	res := runPass(t, []Scenario{{
		Name: "signup", Method: "post", URL: srv.URL,
		Headers: map[string]string{"Content-Type": "application/json", "X-Request-Id": "req-{{ seq }}"},
		Body:    body,
	}}, Options{HTTPClient: client, Workers: 10}, PassSpec{Requests: 500})
	m := res.Scenarios[0].Metrics
	if m.Status(200) != 500 || res.Errors != 0 {
		t.Fatalf("200: %d, 400: %d, 409: %d, errors %d %v", m.Status(200), m.Status(400), m.Status(409), res.Errors, m.SampleErrors())
	}
	if len(ids) != 500 {
		t.Fatalf("server stored %d distinct ids, want 500", len(ids))
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestHostHeader(t *testing.T) { forClients(t, testHostHeader) }

func testHostHeader(t *testing.T, client string) {
	var hosts sync.Map
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { hosts.Store(r.Host, true) })
	e := newEngine(t, []Scenario{
		{Name: "const", URL: srv.URL, Headers: map[string]string{"host": "auth.example"}},
		{Name: "tmpl", URL: srv.URL, Headers: map[string]string{"Host": "n{{ seq }}.example"}},
	}, Options{HTTPClient: client, Workers: 1})
	if _, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 4}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"auth.example", "n1.example", "n2.example"} {
		if _, ok := hosts.Load(h); !ok {
			t.Errorf("server never saw Host %s", h)
		}
	}
}

func TestConstantBodyResent(t *testing.T) { forClients(t, testConstantBodyResent) }

func testConstantBodyResent(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"user":"fixed"}` || r.ContentLength != int64(len(b)) {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	e := newEngine(t, []Scenario{{Name: "c", Method: "PUT", URL: srv.URL,
		Body: tmpl.MustCompile("c", `{"user":"fixed"}`)}}, Options{HTTPClient: client, Workers: 4})
	res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 200})
	if err != nil || res.Scenarios[0].Metrics.Status(200) != 200 {
		t.Fatalf("constant body: %v, 200s: %d, 400s: %d", err, res.Scenarios[0].Metrics.Status(200), res.Scenarios[0].Metrics.Status(400))
	}
}

func TestErrorsClassified(t *testing.T) { forClients(t, testErrorsClassified) }

func testErrorsClassified(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "/created":
			w.WriteHeader(http.StatusCreated)
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/"
	ln.Close()
	e := newEngine(t, []Scenario{
		{Name: "fail", URL: srv.URL + "/fail"},
		{Name: "created-not-expected", URL: srv.URL + "/created", Expect: []int{200}},
		{Name: "redirect", URL: srv.URL + "/redirect"},
		{Name: "refused", URL: dead},
	}, Options{HTTPClient: client, Workers: 4})
	res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 40})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*metrics.Recorder{}
	for _, s := range res.Scenarios {
		got[s.Name] = s.Metrics
	}
	if m := got["fail"]; m.Errors().Status != 10 || m.Status(500) != 10 {
		t.Errorf("fail: %+v", m.Errors())
	}
	if m := got["created-not-expected"]; m.Errors().Status != 10 || m.Status(201) != 10 {
		t.Errorf("created: %+v", m.Errors())
	}
	if m := got["redirect"]; m.Errors().Total() != 0 || m.Status(302) != 10 {
		t.Errorf("redirect (not followed, 3xx expected by default): %+v, 302s %d", m.Errors(), m.Status(302))
	}
	if m := got["refused"]; m.Errors().Refused != 10 || len(m.SampleErrors()) == 0 {
		t.Errorf("refused: %+v %q", m.Errors(), m.SampleErrors())
	}
	if res.Errors != 30 {
		t.Errorf("pass errors %d, want 30", res.Errors)
	}
	f, err := res.Figures()
	if err != nil || len(f) != 4 || f[0].ErrorRate != 1 || f[2].ErrorRate != 0 || f[0].Histogram == "" {
		t.Errorf("figures %+v, %v", f, err)
	}
}

func TestClientTimeout(t *testing.T) { forClients(t, testClientTimeout) }

func testClientTimeout(t *testing.T, client string) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	defer close(release)
	res := runPass(t, []Scenario{{Name: "slow", URL: srv.URL}},
		Options{HTTPClient: client, Workers: 2, Client: config.Client{Timeout: config.Duration(50 * time.Millisecond)}}, PassSpec{Requests: 4})
	if m := res.Scenarios[0].Metrics; m.Errors().Timeout != 4 {
		t.Fatalf("timeouts %+v %q", m.Errors(), m.SampleErrors())
	}
}

func TestCancelReturnsPartial(t *testing.T) { forClients(t, testCancelReturnsPartial) }

func testCancelReturnsPartial(t *testing.T, client string) {
	for _, model := range []string{Closed, Open} {
		t.Run(model, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(2 * time.Millisecond):
				case <-r.Context().Done():
				}
			})
			e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}},
				Options{HTTPClient: client, Model: model, Workers: 4, Rate: 500, MaxInFlight: 100})
			ctx, cancel := context.WithCancel(context.Background())
			p, err := e.Start(ctx, PassSpec{Requests: 1_000_000, Duration: 60 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			for p.Progress().Requests < 20 {
				select {
				case <-p.Done():
					t.Fatal("pass ended before cancellation")
				case <-time.After(5 * time.Millisecond):
				}
			}
			cancel()
			t0 := time.Now()
			res, err := p.Wait()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if time.Since(t0) > 5*time.Second {
				t.Fatalf("cancellation took %s", time.Since(t0))
			}
			if res == nil || !res.Interrupted || res.Requests < 20 || sumRequests(res) != res.Requests {
				t.Fatalf("partial result %+v", res)
			}
			pr := p.Progress()
			if !pr.Done || pr.Requests != res.Requests {
				t.Fatalf("progress %+v vs result %d", pr, res.Requests)
			}
		})
	}
}

func TestCancelledBeforeStart(t *testing.T) { forClients(t, testCancelledBeforeStart) }

func testCancelledBeforeStart(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{HTTPClient: client, Workers: 2})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := e.Run(ctx, PassSpec{Requests: 100})
	if !errors.Is(err, context.Canceled) || res == nil || !res.Interrupted || res.Requests != 0 {
		t.Fatalf("err %v, result %+v", err, res)
	}
	// The engine is usable again afterwards.
	res, err = e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 100})
	if err != nil || res.Interrupted || res.Requests != 100 {
		t.Fatalf("after a cancelled pass: err %v, result %+v", err, res)
	}
}

func TestRunPlan(t *testing.T) { forClients(t, testRunPlan) }

func testRunPlan(t *testing.T, client string) {
	var c atomic.Int64
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { c.Add(1) })
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL + "/a", Weight: 1}, {Name: "b", URL: srv.URL + "/b", Weight: 1}},
		Options{HTTPClient: client, Workers: 3})
	var started []string
	pr, err := e.RunPlan(ctxFor(t, 30*time.Second), Plan{
		Warmup:  PassSpec{Requests: 50},
		Measure: PassSpec{Requests: 100},
		Repeat:  3,
	}, Hooks{PassStarted: func(kind string, run int, p *Pass) { started = append(started, kind+string(rune('0'+run))) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(started, ",") != "warmup0,measure1,measure2,measure3" {
		t.Fatalf("passes %v", started)
	}
	if c.Load() != 350 {
		t.Fatalf("server saw %d requests, want 350", c.Load())
	}
	if len(pr.Warmup) != 2 || pr.Warmup[0].Requests != 25 {
		t.Fatalf("warmup %+v", pr.Warmup)
	}
	if len(pr.Scenarios) != 2 || pr.Passes == nil || len(pr.Passes) != 3 {
		t.Fatalf("scenarios %d passes %d", len(pr.Scenarios), len(pr.Passes))
	}
	for _, s := range pr.Scenarios {
		if s.Requests != 150 || len(s.Runs) != 3 || s.Histogram == "" {
			t.Fatalf("%s: %d requests, %d runs", s.Name, s.Requests, len(s.Runs))
		}
		var dur float64
		for i, r := range s.Runs {
			if r.Index != i+1 || r.Requests != 50 {
				t.Fatalf("run %+v", r)
			}
			dur += r.DurationS
		}
		if d := s.DurationS - dur; d > 1e-9 || d < -1e-9 {
			t.Fatalf("merged duration %g, runs sum %g", s.DurationS, dur)
		}
		h, err := metrics.DecodeHistogram(s.Histogram)
		if err != nil || h.TotalCount() != 150 {
			t.Fatalf("histogram: %v", err)
		}
	}
}

func TestRunPlanInterrupted(t *testing.T) { forClients(t, testRunPlanInterrupted) }

func testRunPlanInterrupted(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{HTTPClient: client, Workers: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, err := e.RunPlan(ctx, Plan{Measure: PassSpec{Requests: 1_000_000, Duration: 300 * time.Millisecond}, Repeat: 3},
		Hooks{PassStarted: func(kind string, run int, p *Pass) {
			if run == 2 { // interrupt the second measured pass
				go func() {
					for p.Progress().Requests < 10 {
						time.Sleep(time.Millisecond)
					}
					cancel()
				}()
			}
		}})
	if !errors.Is(err, context.Canceled) || pr == nil || !pr.Interrupted {
		t.Fatalf("err %v, result %+v", err, pr)
	}
	if len(pr.Passes) != 2 || len(pr.Scenarios) != 1 || len(pr.Scenarios[0].Runs) != 2 {
		t.Fatalf("kept %d passes, scenarios %+v", len(pr.Passes), pr.Scenarios)
	}
	if pr.Scenarios[0].Requests != pr.Passes[0].Requests+pr.Passes[1].Requests {
		t.Fatal("merged requests differ from the passes' sum")
	}
}

func TestHTTP2Cleartext(t *testing.T) {
	var protos sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
	}))
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv.Config.Protocols = &p
	srv.Start()
	t.Cleanup(srv.Close)
	e := newEngine(t, []Scenario{{Name: "h2", URL: srv.URL}},
		Options{Workers: 4, Client: config.Client{HTTP2: true}})
	res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 100})
	if err != nil || res.Errors != 0 {
		t.Fatalf("h2c: %v, %d errors %q", err, res.Errors, res.Scenarios[0].Metrics.SampleErrors())
	}
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Fatal("server saw no HTTP/2 request")
	}
	if _, ok := protos.Load("HTTP/1.1"); ok {
		t.Fatal("server saw HTTP/1.1 requests with http2 on")
	}
}

func TestTLS(t *testing.T) {
	var protos sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tests := []struct {
		name   string
		client config.Client
		proto  string // seen by the server; "" = none (TLS fails)
	}{
		{"untrusted certificate", config.Client{}, ""},
		{"insecure http1", config.Client{InsecureSkipVerify: true}, "HTTP/1.1"},
		{"insecure http2", config.Client{InsecureSkipVerify: true, HTTP2: true}, "HTTP/2.0"},
	}
	for _, tt := range tests {
		protos.Clear()
		e := newEngine(t, []Scenario{{Name: "tls", URL: srv.URL}}, Options{Workers: 2, Client: tt.client})
		res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 10})
		if err != nil {
			t.Fatal(err)
		}
		m := res.Scenarios[0].Metrics
		if tt.proto == "" {
			if m.Errors().Other != 10 || !strings.Contains(strings.Join(m.SampleErrors(), " "), "certificate") {
				t.Errorf("%s: errors %+v %q", tt.name, m.Errors(), m.SampleErrors())
			}
			continue
		}
		if res.Errors != 0 || m.Status(200) != 10 {
			t.Errorf("%s: errors %+v %q", tt.name, m.Errors(), m.SampleErrors())
		}
		n := 0
		protos.Range(func(k, _ any) bool { n++; return k == tt.proto })
		if _, ok := protos.Load(tt.proto); !ok || n != 1 {
			t.Errorf("%s: server did not see only %s", tt.name, tt.proto)
		}
	}
}

func TestNewErrors(t *testing.T) {
	ok := Scenario{Name: "a", URL: "http://127.0.0.1:1/"}
	tests := []struct {
		name string
		scs  []Scenario
		opt  Options
		want string
	}{
		{"none", nil, Options{}, "no scenarios"},
		{"bad model", []Scenario{ok}, Options{Model: "burst"}, `unknown load model "burst"`},
		{"open without rate", []Scenario{ok}, Options{Model: Open}, "needs a rate"},
		{"negative workers", []Scenario{ok}, Options{Workers: -1}, "workers"},
		{"relative url", []Scenario{{Name: "x", URL: "/path"}}, Options{}, `scenario "x": url "/path" must be absolute`},
		{"ftp url", []Scenario{{Name: "x", URL: "ftp://h/"}}, Options{}, "must be absolute http"},
		{"dup name", []Scenario{ok, ok}, Options{}, "used twice"},
		{"bad status", []Scenario{{Name: "x", URL: ok.URL, Expect: []int{42}}}, Options{}, "expected status 42"},
		{"negative weight", []Scenario{{Name: "x", URL: ok.URL, Weight: -2}}, Options{}, "weight"},
		{"bad header template", []Scenario{{Name: "x", URL: ok.URL, Headers: map[string]string{"X-A": "{{ nope }}"}}},
			Options{}, `scenario "x": x header X-A:1:4: nope`},
		{"no name", []Scenario{{URL: ok.URL}}, Options{}, "no name"},
	}
	for _, tt := range tests {
		_, err := New(tt.scs, tt.opt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	e, err := New([]Scenario{ok}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []PassSpec{{}, {Requests: -1}, {Duration: -time.Second}} {
		if _, err := e.Start(context.Background(), spec); err == nil {
			t.Errorf("Start(%+v) succeeded", spec)
		}
	}
}

func TestFromConfig(t *testing.T) {
	yes := false
	cfg := &config.Config{
		Path: "perfgate.yaml",
		Scenarios: []config.Scenario{
			{Name: "login", Method: "POST", URL: "http://{{ endpoint }}/login", Body: `{"u":"{{ letters 8 }}"}`, Weight: 3, Line: 10},
			{Name: "health", URL: "http://x/health", Weight: 1},
		},
		Load: config.Load{Model: "open", Rate: 50, MaxInFlight: 20,
			Warmup:  config.Pass{Requests: 10},
			Measure: config.Pass{Duration: config.Duration(time.Second)}, Repeat: 2},
		Client: config.Client{KeepAlive: &yes, Timeout: config.Duration(time.Second)},
	}
	scs, opt, plan, err := FromConfig(cfg, []string{"http://127.0.0.1:8080/login", "http://127.0.0.1:8080/health"})
	if err != nil {
		t.Fatal(err)
	}
	if scs[0].URL != "http://127.0.0.1:8080/login" || scs[0].Body == nil || scs[0].Body.Constant() || scs[1].Body != nil || scs[0].Weight != 3 {
		t.Fatalf("scenarios %+v", scs)
	}
	if opt.Model != Open || opt.Rate != 50 || opt.MaxInFlight != 20 || opt.Client.Timeout.D() != time.Second || opt.Client.KeepAliveOn() {
		t.Fatalf("options %+v", opt)
	}
	opt.HTTPClient = ClientNetHTTP
	e, err := New(scs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if tr := e.rt.(*http.Transport); !tr.DisableKeepAlives || tr.MaxIdleConnsPerHost != 20 || e.timeout != time.Second {
		t.Fatalf("transport keepalive off %v, idle per host %d, timeout %s", tr.DisableKeepAlives, tr.MaxIdleConnsPerHost, e.timeout)
	}
	if plan.Warmup.Requests != 10 || plan.Measure.Duration != time.Second || plan.Repeat != 2 {
		t.Fatalf("plan %+v", plan)
	}
	cfg.Scenarios[0].Body = `{{ letters }}`
	if _, _, _, err := FromConfig(cfg, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), `scenario "login" (line 10)`) {
		t.Fatalf("bad body: %v", err)
	}
	if _, _, _, err := FromConfig(cfg, []string{"a"}); err == nil {
		t.Fatal("URL count mismatch accepted")
	}
}

// A stalled service cannot hold an open-model pass beyond its window plus
// the client timeout: requests due later than the window's end are dropped
// (once: rate 200, max_in_flight 50, 2 s took 32.5 s).
func TestOpenModelStalledEndsOnTime(t *testing.T) { forClients(t, testOpenModelStalledEndsOnTime) }

func testOpenModelStalledEndsOnTime(t *testing.T, client string) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL, Weight: 3}, {Name: "b", URL: srv.URL}}, Options{
		HTTPClient: client, Model: Open, Rate: 200, MaxInFlight: 10,
		Client: config.Client{Timeout: config.Duration(700 * time.Millisecond)},
	})
	res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Duration: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// 80 slots are due in 400 ms; the 10 sent first time out after 700 ms,
	// when the window is over: every other slot is dropped, none sent late.
	var dropped int64
	for _, sc := range res.Scenarios {
		f := sc.Metrics.Figures(res.Duration)
		dropped += f.Errors.Dropped
		if f.OK != 0 || f.Errors.Timeout != f.Requests {
			t.Fatalf("scenario %s: %+v", sc.Name, f)
		}
	}
	if res.Requests != 10 || res.Dropped != 70 || dropped != 70 || res.Errors != 80 {
		t.Fatalf("%d requests, %d dropped (%d in scenarios), %d errors; want 10 sent, 70 dropped", res.Requests, res.Dropped, dropped, res.Errors)
	}
	// The mix holds for dropped requests too: 3:1 over the 80 slots.
	a := res.Scenarios[0].Metrics
	if got := a.Requests() + a.Errors().Dropped; got != 60 {
		t.Fatalf("scenario a: %d slots, want 60 of 80", got)
	}
	if w := res.Warnings(); len(w) == 0 || !strings.Contains(strings.Join(w, " "), "70 requests due within the pass could not be sent") {
		t.Fatalf("warnings %q", w)
	}
}

// weight 0 (Off) sends nothing to that scenario; all off is an error.
func TestScenarioOff(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	res := runPass(t, []Scenario{{Name: "on", URL: srv.URL}, {Name: "off", URL: srv.URL, Off: true}}, Options{Workers: 2}, PassSpec{Requests: 50})
	if res.Scenarios[0].Metrics.Requests() != 50 || res.Scenarios[1].Metrics.Requests() != 0 {
		t.Fatalf("on %d, off %d requests", res.Scenarios[0].Metrics.Requests(), res.Scenarios[1].Metrics.Requests())
	}
	if _, err := New([]Scenario{{Name: "off", URL: srv.URL, Off: true}}, Options{}); err == nil || !strings.Contains(err.Error(), "switched off") {
		t.Fatalf("all off: %v", err)
	}
	if w := buildWheel([]int{0, 20000, 1}); slices.Contains(w, 0) {
		t.Fatal("a long wheel gave a weight-0 scenario a slot")
	}
}

// The timeline has a point per second (the last one partial) whose counts
// add up to the pass's, with the goodput of each second.
func TestTimeline(t *testing.T) { forClients(t, testTimeline) }

// TestTimelineLastSliver: a pass a little past a whole second ends in a
// sliver (in-flight requests, batches flushed at the end); it joins the
// second before instead of being a point whose span of a few milliseconds
// makes its rate absurd.
func TestTimelineLastSliver(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	e := newEngine(t, []Scenario{{Name: "ok", URL: srv.URL + "/ok"}}, Options{Model: Open, Rate: 200})
	res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Duration: 2100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tl := res.Scenarios[0].Timeline
	if len(tl) != 2 || tl[0].T != 1 || tl[1].T < 2.05 || tl[1].T > 2.6 {
		t.Fatalf("timeline %+v: want 2 points, the last from 1 s to the end (≈2.1 s)", tl)
	}
	var reqs int64
	for _, p := range tl {
		reqs += p.Requests
		if p.OKPerS > 400 {
			t.Errorf("point %+v: %.0f ok/s at a rate of 200", p, p.OKPerS)
		}
	}
	if m := res.Scenarios[0].Metrics; reqs != m.Requests() {
		t.Fatalf("timeline sums %d requests, pass %d", reqs, m.Requests())
	}
}

func testTimeline(t *testing.T, client string) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(500)
		}
	})
	e := newEngine(t, []Scenario{{Name: "ok", URL: srv.URL + "/ok", Weight: 3}, {Name: "bad", URL: srv.URL + "/bad"}},
		Options{HTTPClient: client, Model: Open, Rate: 200})
	res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Duration: 2500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range res.Scenarios {
		tl := sc.Timeline
		if len(tl) != 3 || tl[0].T != 1 || tl[1].T != 2 || tl[2].T < 2.4 || tl[2].T > 3 {
			t.Fatalf("%s: timeline %+v", sc.Name, tl)
		}
		var reqs, ok, errs int64
		for _, p := range tl {
			reqs, ok, errs = reqs+p.Requests, ok+p.OK, errs+p.Errors.Total()
		}
		m := sc.Metrics
		if reqs != m.Requests() || ok != m.OK() || errs != m.Errors().Total() {
			t.Fatalf("%s: timeline sums %d/%d/%d, pass %d/%d/%d", sc.Name, reqs, ok, errs, m.Requests(), m.OK(), m.Errors().Total())
		}
		if sc.Name == "ok" && (tl[1].OKPerS < 100 || tl[1].OKPerS > 200 || tl[1].P50MS <= 0 || tl[1].P99MS < tl[1].P50MS) {
			t.Fatalf("ok: second 2 %+v (want ~150 ok/s of 200 at 3:1)", tl[1])
		}
		if sc.Name == "bad" && (tl[1].OK != 0 || tl[1].Errors.Status == 0 || tl[1].P50MS != 0) {
			t.Fatalf("bad: second 2 %+v", tl[1])
		}
	}
}
