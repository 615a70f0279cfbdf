package load

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// cannedServer answers every request on 127.0.0.1 with resp (raw bytes),
// closing the connection afterwards if closeAfter. It counts connections
// and keeps the last request it read.
type cannedServer struct {
	ln    net.Listener
	conns atomic.Int64
	mu    sync.Mutex
	last  string
}

func startCanned(t *testing.T, resp string, closeAfter bool) *cannedServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &cannedServer{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				r := bufio.NewReader(c)
				for {
					var req strings.Builder
					clen := 0
					for {
						line, err := r.ReadString('\n')
						if err != nil {
							return
						}
						req.WriteString(line)
						if line == "\r\n" {
							break
						}
						if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
							clen, _ = strconv.Atoi(strings.TrimSpace(v))
						}
					}
					body := make([]byte, clen)
					if _, err := io.ReadFull(r, body); err != nil {
						return
					}
					req.Write(body)
					s.mu.Lock()
					s.last = req.String()
					s.mu.Unlock()
					if _, err := io.WriteString(c, resp); err != nil || closeAfter {
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *cannedServer) url() string { return "http://" + s.ln.Addr().String() }

func (s *cannedServer) lastRequest() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// The HTTP/1.1 client parses the response forms servers send, and reuses
// the connection exactly when it may.
func TestH1Responses(t *testing.T) {
	long := strings.Repeat("a", 10_000)
	tests := []struct {
		name       string
		resp       string
		closeAfter bool
		method     string
		status     int
		class      metrics.Class
		reused     bool // all requests on one connection per worker
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, "", 200, metrics.ClassNone, true},
		{"chunked with trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n", false, "", 200, metrics.ClassNone, true},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true, "", 200, metrics.ClassNone, false},
		{"http/1.0 close-delimited", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close", true, "", 200, metrics.ClassNone, false},
		{"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false, "", 200, metrics.ClassNone, true},
		{"100 continue first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", false, "", 201, metrics.ClassNone, true},
		{"204 no body", "HTTP/1.1 204 No Content\r\n\r\n", false, "", 204, metrics.ClassNone, true},
		{"head has no body", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", false, "HEAD", 200, metrics.ClassNone, true},
		{"header longer than the buffer", "HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\nContent-Length: 2\r\n\r\nok", false, "", 200, metrics.ClassNone, true},
		{"unexpected status", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", false, "", 503, metrics.ClassStatus, true},
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n", true, "", 0, metrics.ClassOther, false},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", true, "", 0, metrics.ClassReset, false},
		{"bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", true, "", 0, metrics.ClassOther, false},
		// Bytes after the response are not the next request's response:
		// the connection is closed, not parsed further.
		{"body longer than content-length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", false, "", 200, metrics.ClassNone, false},
		{"unsolicited response after the response", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", false, "", 200, metrics.ClassNone, false},
		{"conflicting content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\nokEXTRA", false, "", 0, metrics.ClassOther, false},
		{"bare LF, no reason phrase", "HTTP/1.1 200\nContent-Length: 2\n\nok", false, "", 200, metrics.ClassNone, true},
		{"bare LF with reason phrase", "HTTP/1.1 201 Created\nContent-Length: 0\n\n", false, "", 201, metrics.ClassNone, true},
		{"repeated equal content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false, "", 200, metrics.ClassNone, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startCanned(t, tt.resp, tt.closeAfter)
			res := runPass(t, []Scenario{{Name: "a", Method: tt.method, URL: srv.url() + "/x"}},
				Options{Workers: 2, HTTPClient: ClientH1, Client: config.Client{Timeout: config.Duration(5 * time.Second)}}, PassSpec{Requests: 20})
			m := res.Scenarios[0].Metrics
			if res.Requests != 20 {
				t.Fatalf("%d requests, want 20", res.Requests)
			}
			wantErrs := int64(0)
			if tt.class != metrics.ClassNone {
				wantErrs = 20
			}
			var byClass int64
			switch tt.class {
			case metrics.ClassStatus:
				byClass = m.Errors().Status
			case metrics.ClassOther:
				byClass = m.Errors().Other
			case metrics.ClassReset:
				byClass = m.Errors().Reset
			}
			if res.Errors != wantErrs || (wantErrs > 0 && byClass != 20) {
				t.Fatalf("errors %+v (%d), want 20 of class %s; samples %q", m.Errors(), res.Errors, tt.class, m.SampleErrors())
			}
			if tt.status != 0 && m.Status(tt.status) != 20 {
				t.Fatalf("status %d counted %d times, want 20", tt.status, m.Status(tt.status))
			}
			// A response that failed after its status line (body cut
			// short, bad framing) counts no status: only completed
			// responses do, as with net/http.
			if f := m.Figures(time.Second); tt.status == 0 && len(f.StatusCounts) != 0 {
				t.Fatalf("status counts %v for a response that did not complete", f.StatusCounts)
			}
			n := srv.conns.Load()
			if tt.reused && n > 2 {
				t.Errorf("%d connections for 2 workers: not reused", n)
			}
			if !tt.reused && n != 20 {
				t.Errorf("%d connections for 20 requests, want a new one per request", n)
			}
		})
	}
}

// A server that closes a keep-alive connection between requests (idle
// timeout, request limit) without saying so: the request is sent on a new
// connection, not counted as an error. GET may simply be sent again; POST
// is not sent on a connection the server has closed (checked before
// writing; the open model leaves the close time to arrive).
func TestH1RetriesIdleClosed(t *testing.T) {
	tests := []struct {
		name string
		sc   Scenario
		opt  Options
	}{
		{"get, sent again", Scenario{Method: "GET"}, Options{Workers: 1}},
		{"post, checked before sending", Scenario{Method: "POST", Body: tmpl.MustCompile("b", `{{ seq }}`)},
			Options{Model: Open, Rate: 200, MaxInFlight: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startCanned(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)
			sc, opt := tt.sc, tt.opt
			sc.Name, sc.URL, opt.HTTPClient = "a", srv.url(), ClientH1
			res := runPass(t, []Scenario{sc}, opt, PassSpec{Requests: 20})
			if res.Errors != 0 || res.Requests != 20 {
				t.Fatalf("%d requests, errors %+v %q", res.Requests, res.Scenarios[0].Metrics.Errors(), res.Scenarios[0].Metrics.SampleErrors())
			}
			if n := srv.conns.Load(); n != 20 {
				t.Fatalf("%d connections, want 20", n)
			}
		})
	}
}

// A server that reads the second request on each connection and closes
// without answering it: a POST it received is not sent again (that would
// hide the failure and double the server's work); it is recorded as a
// reset, as net/http does. A GET may be sent again.
func TestH1NoReplayOfNonIdempotent(t *testing.T) {
	tests := []struct {
		method   string
		wantErrs int64
		wantRecv int64
	}{
		{"POST", 5, 10}, // connections: ok, lost; ok, lost; ...
		{"GET", 0, 19},  // ok, lost then sent again on a new connection, ...
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var recv atomic.Int64
			var wg sync.WaitGroup
			t.Cleanup(func() { ln.Close(); wg.Wait() })
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						defer c.Close()
						_ = c.SetDeadline(time.Now().Add(20 * time.Second))
						r := bufio.NewReader(c)
						for i := 0; i < 2; i++ {
							req, err := http.ReadRequest(r)
							if err != nil {
								return
							}
							_, _ = io.Copy(io.Discard, req.Body)
							recv.Add(1)
							if i == 0 {
								_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
							}
						}
					}()
				}
			}()
			res := runPass(t, []Scenario{{Name: "a", Method: tt.method, URL: "http://" + ln.Addr().String() + "/"}},
				Options{Workers: 1, HTTPClient: ClientH1}, PassSpec{Requests: 10})
			m := res.Scenarios[0].Metrics
			if res.Requests != 10 || res.Errors != tt.wantErrs || m.Errors().Reset != tt.wantErrs || m.Status(200) != 10-tt.wantErrs {
				t.Fatalf("%d requests, %d with 200, errors %+v %q; want %d resets", res.Requests, m.Status(200), m.Errors(), m.SampleErrors(), tt.wantErrs)
			}
			if n := recv.Load(); n != tt.wantRecv {
				t.Fatalf("server received %d requests, want %d", n, tt.wantRecv)
			}
		})
	}
}

// A user's Connection header is sent as given; with close, each
// connection carries one request (net/http does the same).
func TestH1ConnectionHeader(t *testing.T) {
	off := false
	tests := []struct {
		name   string
		header string
		client config.Client
		want   string // the request's Connection lines
		conns  int64  // for 5 requests on one worker
	}{
		{"close", "close", config.Client{}, "Connection: close\r\n", 5},
		{"close, keep-alive off", "close", config.Client{KeepAlive: &off}, "Connection: close\r\n", 5},
		{"keep-alive", "keep-alive", config.Client{}, "Connection: keep-alive\r\n", 1},
		{"keep-alive, keep-alive off", "keep-alive", config.Client{KeepAlive: &off}, "Connection: keep-alive\r\nConnection: close\r\n", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startCanned(t, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false)
			e := newEngine(t, []Scenario{{Name: "a", URL: srv.url(), Headers: map[string]string{"connection": tt.header}}},
				Options{Workers: 1, HTTPClient: ClientH1, Client: tt.client})
			res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 5})
			if err != nil || res.Errors != 0 || res.Requests != 5 {
				t.Fatalf("%v, %d requests, %d errors %q", err, res.Requests, res.Errors, res.Scenarios[0].Metrics.SampleErrors())
			}
			var got strings.Builder
			for _, l := range strings.SplitAfter(srv.lastRequest(), "\r\n") {
				if strings.HasPrefix(strings.ToLower(l), "connection:") {
					got.WriteString(l)
				}
			}
			if got.String() != tt.want {
				t.Errorf("Connection lines %q, want %q", got.String(), tt.want)
			}
			if n := srv.conns.Load(); n != tt.conns {
				t.Errorf("%d connections for 5 requests, want %d", n, tt.conns)
			}
		})
	}
}

// The serialized request: method, target with query, Host (or its
// override), headers, framing, body; Connection: close without keep-alive.
func TestH1RequestBytes(t *testing.T) {
	off := false
	tests := []struct {
		name   string
		sc     Scenario
		client config.Client
		want   []string // lines (or the body) the request must contain
		absent []string
	}{
		{"get", Scenario{Method: "GET", URL: "/p?q=1"}, config.Client{},
			[]string{"GET /p?q=1 HTTP/1.1\r\n", "Host: 127.0.0.1:", "User-Agent: " + UserAgent + "\r\n"},
			[]string{"Content-Length", "Connection"}},
		{"post without body", Scenario{Method: "POST", URL: "/"}, config.Client{},
			[]string{"POST / HTTP/1.1\r\n", "Content-Length: 0\r\n"}, nil},
		{"constant body, keep-alive off", Scenario{Method: "PUT", URL: "/u",
			Headers: map[string]string{"content-type": "application/json", "Host": "svc.example", "User-Agent": "me"},
			Body:    tmpl.MustCompile("b", `{"a":1}`)}, config.Client{KeepAlive: &off},
			[]string{"PUT /u HTTP/1.1\r\n", "Host: svc.example\r\n", "Content-Type: application/json\r\n", "User-Agent: me\r\n",
				"Connection: close\r\n", "Content-Length: 7\r\n\r\n{\"a\":1}"},
			[]string{"User-Agent: perfgate", "127.0.0.1"}},
		{"templated header and body", Scenario{Method: "POST", URL: "/t",
			Headers: map[string]string{"X-Id": "id-{{ seq }}", "Host": "h{{ seq }}.example"},
			Body:    tmpl.MustCompile("b", `n={{ seq }}`)}, config.Client{},
			[]string{"POST /t HTTP/1.1\r\n", "X-Id: id-1\r\n", "Host: h1.example\r\n", "Content-Length: 3\r\n\r\nn=1"},
			[]string{"127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startCanned(t, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false)
			sc := tt.sc
			sc.Name = "a"
			sc.URL = srv.url() + sc.URL
			e := newEngine(t, []Scenario{sc}, Options{Workers: 1, HTTPClient: ClientH1, Client: tt.client})
			res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 1})
			if err != nil || res.Errors != 0 {
				t.Fatalf("%v, %d errors %q", err, res.Errors, res.Scenarios[0].Metrics.SampleErrors())
			}
			got := srv.lastRequest()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("request lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("request has %q:\n%s", a, got)
				}
			}
		})
	}
}

func TestClientChoice(t *testing.T) {
	tr := &http.Transport{}
	tests := []struct {
		name    string
		url     string
		opt     Options
		want    string
		wantErr string
	}{
		{"plain http: own client", "http://127.0.0.1:1/", Options{}, ClientH1, ""},
		{"auto spelled out", "http://127.0.0.1:1/", Options{HTTPClient: ClientAuto}, ClientH1, ""},
		{"https: net/http", "https://127.0.0.1:1/", Options{}, ClientNetHTTP, ""},
		{"http2: net/http", "http://127.0.0.1:1/", Options{Client: config.Client{HTTP2: true}}, ClientNetHTTP, ""},
		{"custom transport: net/http", "http://127.0.0.1:1/", Options{Transport: tr}, ClientNetHTTP, ""},
		{"connection cap: net/http", "http://127.0.0.1:1/", Options{Workers: 10, Client: config.Client{MaxConnsPerHost: 2}}, ClientNetHTTP, ""},
		{"net/http asked for", "http://127.0.0.1:1/", Options{HTTPClient: ClientNetHTTP}, ClientNetHTTP, ""},
		{"own client impossible", "https://127.0.0.1:1/", Options{HTTPClient: ClientH1}, "", "is https"},
		{"unknown client", "http://127.0.0.1:1/", Options{HTTPClient: "curl"}, "", "unknown http client"},
		{"header with newline", "http://127.0.0.1:1/", Options{HTTPClient: ClientH1}, "", "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := Scenario{Name: "a", URL: tt.url}
			if tt.name == "header with newline" {
				sc.Headers = map[string]string{"X-A": "a\nb"}
			}
			e, err := New([]Scenario{sc}, tt.opt)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if e.Client() != tt.want {
				t.Fatalf("client %q, want %q", e.Client(), tt.want)
			}
		})
	}
}

// Open model fidelity, by count: at rate R for duration D exactly R·D
// requests are due and sent (so the achieved rate over the schedule is the
// target, well within 1%), each measured from its due time (the schedule
// lag is recorded for every one of them and latency includes it).
func TestOpenModelFidelity(t *testing.T) { forClients(t, testOpenModelFidelity) }

func testOpenModelFidelity(t *testing.T, client string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		rate float64
		dur  time.Duration
	}{{1000, 2 * time.Second}, {3000, time.Second}} {
		e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{Model: Open, Rate: tc.rate, HTTPClient: client})
		res, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Duration: tc.dur})
		if err != nil {
			t.Fatal(err)
		}
		// Every due slot is accounted for: sent, or dropped when the client
		// (CPU starved on a busy machine) had not sent it by the window's
		// end; never anything else.
		want := int64(tc.rate * tc.dur.Seconds())
		if res.Requests+res.Dropped != want || res.Errors != res.Dropped || res.Dropped > want/2 {
			t.Fatalf("rate %g for %s: %d requests, %d dropped (%d errors), want exactly %d slots", tc.rate, tc.dur, res.Requests, res.Dropped, res.Errors, want)
		}
		if res.Dropped > 0 {
			t.Logf("rate %g: the client fell behind: %d dropped", tc.rate, res.Dropped)
		}
		overSchedule := float64(res.Requests+res.Dropped) / tc.dur.Seconds()
		if d := overSchedule/tc.rate - 1; d > 0.01 || d < -0.01 {
			t.Fatalf("achieved %g over the schedule, target %g", overSchedule, tc.rate)
		}
		t.Logf("rate %g: achieved %.1f over the pass (%s), schedule lag %+v, cap-delayed %d",
			tc.rate, res.AchievedRate, res.Duration, res.ScheduleLag, res.CapDelayed)
		if res.Duration < tc.dur-time.Duration(float64(time.Second)/tc.rate) {
			t.Fatalf("pass took %s: requests were sent ahead of their due times", res.Duration)
		}
	}
}

// The response parser never panics or loops, whatever the server sends.
func FuzzH1Response(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nbody",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nConnection: close, keep-alive\r\nContent-Length: 99999999999\r\n\r\n",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		cn := &h1Conn{reqs: 1}
		cn.br.init(bytes.NewReader(data), nil, newH1Bufs(64))
		status, err := cn.readResponse(head, nil)
		if err == nil && (status < 100 || status > 999) {
			t.Fatalf("status %d without an error", status)
		}
	})
}

// Both clients send perfgate's User-Agent unless the scenario sets one.
func TestUserAgent(t *testing.T) { forClients(t, testUserAgent) }

func testUserAgent(t *testing.T, client string) {
	var agents sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents.Store(r.URL.Path+" "+r.UserAgent(), true)
	}))
	t.Cleanup(srv.Close)
	e := newEngine(t, []Scenario{
		{Name: "default", URL: srv.URL + "/d"},
		{Name: "own", URL: srv.URL + "/o", Headers: map[string]string{"user-agent": "mine/{{ seq }}"}},
	}, Options{Workers: 1, HTTPClient: client})
	if _, err := e.Run(ctxFor(t, 30*time.Second), PassSpec{Requests: 2}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/d " + UserAgent, "/o mine/1"} {
		if _, ok := agents.Load(want); !ok {
			var got []any
			agents.Range(func(k, _ any) bool { got = append(got, k); return true })
			t.Errorf("server never saw %q; saw %v", want, got)
		}
	}
}

// A header line longer than the connection's read buffer is kept whole for
// a flow's captures, and the framing headers around it still count.
func TestH1LongHeaderLineKept(t *testing.T) {
	cookie := "Set-Cookie: token=" + strings.Repeat("x", 3000) + "\r\n"
	resp := "Content-Length: 2\r\n" + cookie + "Connection: close\r\n\r\nok"
	cn := &h1Conn{}
	cn.br.init(strings.NewReader(resp), nil, newH1Bufs(1<<10))
	rb := &respBuf{wantHdr: true}
	clen, _, connClose, _, err := cn.readHeader(rb)
	if err != nil || clen != 2 || !connClose {
		t.Fatalf("clen %d, close %v, err %v; want 2, true, nil", clen, connClose, err)
	}
	if !strings.Contains(string(rb.hdr), cookie) {
		t.Fatalf("kept header %d bytes, lacks the %d-byte line whole", len(rb.hdr), len(cookie))
	}
}
