package load

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// authServer issues a token at login and checks it on /me; it counts the
// users it saw at /me with a valid token.
type authServer struct {
	mu     sync.Mutex
	users  map[string]string // user → password
	tokens map[string]string // token → user
	seq    int
	meOK   int
	conns  map[string]map[string]bool // user → remote addresses it came from
}

func (a *authServer) saw(user, addr string) {
	if a.conns == nil {
		a.conns = map[string]map[string]bool{}
	}
	if a.conns[user] == nil {
		a.conns[user] = map[string]bool{}
	}
	a.conns[user][addr] = true
}

func (a *authServer) handler(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var in struct{ User, Pw string }
	switch r.URL.Path {
	case "/signup":
		_ = json.NewDecoder(r.Body).Decode(&in)
		if in.User == "" || a.users[in.User] != "" {
			w.WriteHeader(http.StatusConflict)
			return
		}
		a.users[in.User] = in.Pw
		a.saw(in.User, r.RemoteAddr)
		w.Header().Set("X-User-Id", "u-"+in.User)
		w.WriteHeader(http.StatusCreated)
	case "/login":
		_ = json.NewDecoder(r.Body).Decode(&in)
		if in.Pw == "" || a.users[in.User] != in.Pw {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		a.saw(in.User, r.RemoteAddr)
		a.seq++
		tok := fmt.Sprintf("t%d", a.seq)
		a.tokens[tok] = in.User
		fmt.Fprintf(w, `{"data":{"token":%q},"n":%d}`, tok, a.seq)
	default: // /me/<user>?id=<id>
		user := strings.TrimPrefix(r.URL.Path, "/me/")
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if a.tokens[tok] != user || r.URL.Query().Get("id") != "u-"+user {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		a.meOK++
		a.saw(user, r.RemoteAddr)
		fmt.Fprintf(w, "<p>hello %s, session=%s;</p>", user, tok)
	}
}

func authFlow(t *testing.T, base string, tokenPath string) Scenario {
	t.Helper()
	caps := func(specs ...flow.CaptureSpec) []flow.Capture {
		var out []flow.Capture
		for _, s := range specs {
			c, err := flow.ParseCapture(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	f, err := flow.New(flow.Spec{
		Name: "auth",
		Vars: map[string]*tmpl.Template{
			"user": tmpl.MustCompile("user", "{{ letters 8 }}{{ seq }}"),
			"pw":   tmpl.MustCompile("pw", "{{ alnum 12 }}"),
		},
		Steps: []flow.StepSpec{
			{Name: "signup", Captures: caps(flow.CaptureSpec{Header: "x-user-id", As: "id"})},
			{Name: "login", Captures: caps(flow.CaptureSpec{JSON: tokenPath, As: "token"})},
			{Name: "me", Captures: caps(flow.CaptureSpec{Regexp: `session=(\w+);`, As: "session"})},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := tmpl.MustCompile("b", `{"user":"{{ var "user" }}","pw":"{{ var "pw" }}"}`)
	return Scenario{Name: "auth", Flow: f, Steps: []Step{
		{Name: "signup", Method: "POST", URL: base + "/signup", Body: body, Expect: []int{201}},
		{Name: "login", Method: "POST", URL: base + "/login", Body: body},
		{Name: "me", URL: base + `/me/{{ var "user" }}?id={{ var "id" }}`, Headers: map[string]string{"Authorization": `Bearer {{ var "token" }}`}, Expect: []int{200}},
	}}
}

func TestFlow(t *testing.T) { forClients(t, testFlow) }

// A signup → login → me flow: the header, JSON and regexp captures carry
// the user id, the token and the session to the later steps; every
// iteration succeeds and each step is counted on its own.
func testFlow(t *testing.T, client string) {
	a := &authServer{users: map[string]string{}, tokens: map[string]string{}}
	srv := newServer(t, a.handler)
	const n = 200
	res := runPass(t, []Scenario{authFlow(t, srv.URL, "data.token")}, Options{HTTPClient: client, Workers: 4}, PassSpec{Requests: n})
	if len(res.Scenarios) != 1 || len(res.Scenarios[0].Steps) != 3 {
		t.Fatalf("scenarios %+v; want one flow with 3 steps", res.Scenarios)
	}
	fl := res.Scenarios[0]
	if fl.Metrics.Requests() != n || fl.Metrics.Errors().Total() != 0 {
		t.Fatalf("iterations %d, errors %+v (%q); want %d, none", fl.Metrics.Requests(), fl.Metrics.Errors(), fl.Metrics.SampleErrors(), n)
	}
	for _, st := range fl.Steps {
		if st.Metrics.Requests() != n || st.Metrics.Errors().Total() != 0 {
			t.Errorf("step %s: requests %d, errors %+v (%q); want %d, none", st.Name, st.Metrics.Requests(), st.Metrics.Errors(), st.Metrics.SampleErrors(), n)
		}
	}
	if res.Requests != 3*n || res.Errors != 0 {
		t.Errorf("pass: requests %d, errors %d; want %d, 0", res.Requests, res.Errors, 3*n)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.meOK != n || len(a.users) != n {
		t.Errorf("server: %d users, %d good /me; want %d, %d", len(a.users), a.meOK, n, n)
	}
}

func TestFlowMissingCapture(t *testing.T) { forClients(t, testFlowMissingCapture) }

// A JSON path that the login response lacks fails the login step (class
// capture) and ends each iteration there: me is never sent.
func testFlowMissingCapture(t *testing.T, client string) {
	a := &authServer{users: map[string]string{}, tokens: map[string]string{}}
	srv := newServer(t, a.handler)
	const n = 40
	res := runPass(t, []Scenario{authFlow(t, srv.URL, "data.tokn")}, Options{HTTPClient: client, Workers: 2}, PassSpec{Requests: n})
	fl := res.Scenarios[0]
	if got := fl.Metrics.Errors().Capture; got != n {
		t.Errorf("flow: %d capture errors; want %d (%+v)", got, n, fl.Metrics.Errors())
	}
	want := []struct {
		reqs, capture int64
	}{{n, 0}, {n, n}, {0, 0}}
	for i, st := range fl.Steps {
		if st.Metrics.Requests() != want[i].reqs || st.Metrics.Errors().Capture != want[i].capture {
			t.Errorf("step %s: requests %d, capture errors %d; want %d, %d", st.Name, st.Metrics.Requests(), st.Metrics.Errors().Capture, want[i].reqs, want[i].capture)
		}
	}
	if s := fl.Steps[1].Metrics.SampleErrors(); len(s) == 0 || !strings.Contains(s[0], `json "data.tokn"`) {
		t.Errorf("login's errors %q; want the capture named", s)
	}
	if a.meOK != 0 {
		t.Errorf("me answered %d times; want 0", a.meOK)
	}
}

// A failing status ends the iteration at that step.
func TestFlowStatusEndsIteration(t *testing.T) {
	a := &authServer{users: map[string]string{}, tokens: map[string]string{}}
	srv := newServer(t, a.handler)
	sc := authFlow(t, srv.URL, "data.token")
	sc.Steps[0].Expect = []int{200} // signup answers 201
	res := runPass(t, []Scenario{sc}, Options{Workers: 2}, PassSpec{Requests: 20})
	fl := res.Scenarios[0]
	if fl.Metrics.Errors().Status != 20 || fl.Steps[0].Metrics.Errors().Status != 20 || fl.Steps[1].Metrics.Requests() != 0 {
		t.Errorf("flow %+v, signup %+v, login requests %d; want 20 status errors on both and no login",
			fl.Metrics.Errors(), fl.Steps[0].Metrics.Errors(), fl.Steps[1].Metrics.Requests())
	}
}

func rowsOf(t *testing.T, csv, order string) *flow.Rows {
	t.Helper()
	tb, err := flow.ParseTable("users.csv", []byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	r, err := flow.NewRows(tb, order, flow.Shard{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDataRows(t *testing.T) { forClients(t, testDataRows) }

// A single-request scenario with a data file: each request takes a row;
// sequential uses every row alike, random uses rows of the file only.
func testDataRows(t *testing.T, client string) {
	for _, order := range []string{flow.Sequential, flow.Random} {
		t.Run(order, func(t *testing.T) {
			var c counter
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { c.add(r.URL.Path + "|" + r.Header.Get("X-Name")) })
			f, err := flow.New(flow.Spec{Name: "u", Rows: rowsOf(t, "id,name\n1,a\n2,b\n3,c\n4,d\n", order)})
			if err != nil {
				t.Fatal(err)
			}
			res := runPass(t, []Scenario{{Name: "u", Flow: f, URL: srv.URL + `/users/{{ row "id" }}`, Headers: map[string]string{"X-Name": `{{ row "name" }}`}}},
				Options{HTTPClient: client, Workers: 3}, PassSpec{Requests: 200})
			if res.Requests != 200 || res.Errors != 0 {
				t.Fatalf("requests %d errors %d (%q)", res.Requests, res.Errors, res.Scenarios[0].Metrics.SampleErrors())
			}
			total := 0
			for i, name := range []string{"a", "b", "c", "d"} {
				n := c.get(fmt.Sprintf("/users/%d|%s", i+1, name))
				total += n
				if order == flow.Sequential && n != 50 {
					t.Errorf("row %d sent %d times; want 50", i+1, n)
				}
				if order == flow.Random && n == 0 {
					t.Errorf("row %d never drawn in 200", i+1)
				}
			}
			if total != 200 {
				t.Errorf("%d requests matched a row (id and name together); want 200", total)
			}
		})
	}
}

func TestFlowChunkedAndLarge(t *testing.T) { forClients(t, testFlowChunkedAndLarge) }

// Captures read a chunked body and one larger than the read buffer, and a
// header, and the connection stays in step for the next request.
func testFlowChunkedAndLarge(t *testing.T, client string) {
	pad := strings.Repeat("x", 10<<10)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			w.Header().Set("X-Id", "h1")
			fmt.Fprintf(w, `{"pad":"%s",`, pad)
			w.(http.Flusher).Flush() // chunked from here
			fmt.Fprint(w, `"deep":{"v":"j1"}}`)
		default:
			if r.URL.Path != "/b/h1/j1" {
				w.WriteHeader(400)
			}
		}
	})
	ch, _ := flow.ParseCapture(flow.CaptureSpec{Header: "X-Id", As: "h"})
	cj, _ := flow.ParseCapture(flow.CaptureSpec{JSON: "deep.v", As: "j"})
	f, err := flow.New(flow.Spec{Name: "f", Steps: []flow.StepSpec{{Name: "a", Captures: []flow.Capture{ch, cj}}, {Name: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	res := runPass(t, []Scenario{{Name: "f", Flow: f, Steps: []Step{{Name: "a", URL: srv.URL + "/a"}, {Name: "b", URL: srv.URL + `/b/{{ var "h" }}/{{ var "j" }}`}}}},
		Options{HTTPClient: client, Workers: 2}, PassSpec{Requests: 30})
	fl := res.Scenarios[0]
	if fl.Metrics.Requests() != 30 || fl.Metrics.Errors().Total() != 0 || fl.Steps[1].Metrics.Requests() != 30 {
		t.Fatalf("iterations %d errors %+v (%q), b %d", fl.Metrics.Requests(), fl.Metrics.Errors(), fl.Metrics.SampleErrors(), fl.Steps[1].Metrics.Requests())
	}
}

func TestFlowOpenModel(t *testing.T) { forClients(t, testFlowOpenModel) }

// In the open model an arrival slot starts an iteration; Progress counts
// iterations, as the pass's bound does.
func testFlowOpenModel(t *testing.T, client string) {
	a := &authServer{users: map[string]string{}, tokens: map[string]string{}}
	// A slow server keeps many iterations in flight (some 18: 600/s of
	// 30 ms iterations), so a shared pool would hand a step another
	// iteration's connection. The 100 ms window leaves a busy machine time
	// to start the workers before slots not yet claimed are dropped.
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
		a.handler(w, r)
	})
	e := newEngine(t, []Scenario{authFlow(t, srv.URL, "data.token")}, Options{HTTPClient: client, Model: Open, Rate: 600})
	p, err := e.Start(ctxFor(t, 30*time.Second), PassSpec{Requests: 60})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	fl := res.Scenarios[0]
	if fl.Metrics.Requests() != 60 || fl.Metrics.Errors().Total() != 0 || res.Requests != 180 {
		t.Fatalf("iterations %d errors %+v (%q) requests %d; want 60, none, 180", fl.Metrics.Requests(), fl.Metrics.Errors(), fl.Metrics.SampleErrors(), res.Requests)
	}
	if pr := p.Progress(); pr.Requests != 60 || pr.Errors != 0 || !pr.Done {
		t.Errorf("progress %+v; want 60 iterations", pr)
	}
	if client == ClientH1 { // net/http picks connections itself
		a.mu.Lock()
		defer a.mu.Unlock()
		for user, addrs := range a.conns {
			if len(addrs) != 1 {
				t.Fatalf("iteration of %s used %d connections: %v", user, len(addrs), addrs)
			}
		}
	}
}
