package run_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// tokenServer is an auth service in the test: signup stores a user (its
// contact must be the user's id @example.com), login issues a token,
// GET /auth/user/{id} answers only with that user's token.
type tokenServer struct {
	mu       sync.Mutex
	users    map[string]string
	tokens   map[string]string
	emails   map[string]int // signups per data-file email
	contacts int            // signups whose contact was built from their id
	n        int
}

func newTokenServer(t *testing.T) (*tokenServer, string) {
	ts := &tokenServer{users: map[string]string{}, tokens: map[string]string{}, emails: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(srv.Close)
	return ts, srv.URL
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var in struct {
		UserID string `json:"userId"`
		UserPw string `json:"userPw"`
		Email  string `json:"email"`
		// Contact is a var made of another var: {{ var "user" }}@example.com.
		Contact string `json:"contact"`
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/auth/user":
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.UserID == "" || ts.users[in.UserID] != "" {
			http.Error(w, "bad signup", http.StatusBadRequest)
			return
		}
		if in.Contact != in.UserID+"@example.com" {
			http.Error(w, fmt.Sprintf("contact %q is not %s@example.com", in.Contact, in.UserID), http.StatusBadRequest)
			return
		}
		ts.contacts++
		ts.users[in.UserID] = in.UserPw
		if in.Email != "" {
			ts.emails[in.Email]++
		}
		w.WriteHeader(http.StatusCreated)
	case r.Method == "POST" && r.URL.Path == "/auth/login":
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.UserPw == "" || ts.users[in.UserID] != in.UserPw {
			http.Error(w, "bad login", http.StatusUnauthorized)
			return
		}
		ts.n++
		tok := fmt.Sprintf("tok%d", ts.n)
		ts.tokens[tok] = in.UserID
		fmt.Fprintf(w, `{"token":%q}`, tok)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/auth/user/"):
		id := strings.TrimPrefix(r.URL.Path, "/auth/user/")
		if ts.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] != id {
			http.Error(w, "bad token", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, `{"userId":%q}`, id)
	default:
		http.NotFound(w, r)
	}
}

const flowYAML = `name: flow
scenarios:
  - name: login-me
    vars: {user: '{{ letters 8 }}{{ seq }}', pw: '{{ alnum 12 }}', contact: '{{ var "user" }}@example.com'}
    data: {file: users.csv, order: sequential}
    steps:
      - name: signup
        method: POST
        url: %[1]s/auth/user
        body: '{"userId":"{{ var "user" }}","userPw":"{{ var "pw" }}","email":"{{ row "email" }}","contact":"{{ var "contact" }}"}'
        expect: [201]
      - name: login
        method: POST
        url: %[1]s/auth/login
        body: '{"userId":"{{ var "user" }}","userPw":"{{ var "pw" }}"}'
        capture: [{json: token, as: token}]
      - name: me
        url: %[1]s/auth/user/{{ var "user" }}
        headers: {Authorization: 'Bearer {{ var "token" }}'}
        expect: [200]
load:
  workers: 4
  warmup: {requests: 20}
  measure: {requests: 90}
  repeat: 3
`

func writeFlowConfig(t *testing.T, url string) string {
	dir := t.TempDir()
	csv := "email,name\n"
	for i := range 10 {
		csv += fmt.Sprintf("u%d@example.com,User %d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "perfgate.yaml")
	if err := os.WriteFile(p, []byte(fmt.Sprintf(flowYAML, url)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The signup → login → me flow against a service that issues
// and checks tokens: 0 errors, each step its own row, the flow's figures
// counting iterations, every data-file row used alike (sequential), and a
// var built from the var declared before it (contact from user) sent.
func TestRunFlow(t *testing.T) {
	ts, url := newTokenServer(t)
	cfg := writeFlowConfig(t, url)
	out := filepath.Join(filepath.Dir(cfg), "results.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	if r.Code != 0 {
		t.Fatalf("exit %d: %v\nstdout:\n%s\nstderr:\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Scenarios) != 1 || len(res.Scenarios[0].Steps) != 3 {
		t.Fatalf("scenarios %+v; want one flow of 3 steps", res.Scenarios)
	}
	fl := res.Scenarios[0]
	if fl.Requests != 3*90 || fl.Errors.Total() != 0 || len(fl.Runs) != 3 || fl.LatencyMS.P50 <= 0 {
		t.Errorf("flow: iterations %d errors %+v runs %d latency %+v; want 270, none, 3", fl.Requests, fl.Errors, len(fl.Runs), fl.LatencyMS)
	}
	for i, name := range []string{"signup", "login", "me"} {
		st := fl.Steps[i]
		if st.Name != name || st.Requests != 3*90 || st.Errors.Total() != 0 || len(st.Runs) != 3 {
			t.Errorf("step %d: %s requests %d errors %+v (%q) runs %d; want %s, 270, none, 3", i, st.Name, st.Requests, st.Errors, st.SampleErrors, len(st.Runs), name)
		}
	}
	if fl.Steps[0].StatusCounts["201"] != 270 || fl.Steps[2].StatusCounts["200"] != 270 {
		t.Errorf("statuses signup %v me %v", fl.Steps[0].StatusCounts, fl.Steps[2].StatusCounts)
	}
	ts.mu.Lock()
	if ts.contacts != 20+270 {
		t.Errorf("%d signups with contact = user@example.com; want 290", ts.contacts)
	}
	// 20 warm-up and 270 measured iterations over 10 rows in order: each
	// row 29 times.
	for i := range 10 {
		if n := ts.emails[fmt.Sprintf("u%d@example.com", i)]; n != 29 {
			t.Errorf("row %d used %d times; want 29 (%v)", i, n, ts.emails)
			break
		}
	}
	ts.mu.Unlock()
	for _, want := range []string{"login-me (flow)", "└ signup", "└ login", "└ me"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("table lacks %q:\n%s", want, r.Out)
		}
	}
}

// validate names the file and line of a {{ var }} no vars: or earlier
// capture defines, of a var that reads a later var or a capture, and of a
// bad data file's line.
func TestValidateFlowErrors(t *testing.T) {
	tests := []struct {
		name, old, new string
		csv            string
		want           []string
	}{
		{"var typo", `Bearer {{ var "token" }}`, `Bearer {{ var "tokn" }}`, "", []string{"perfgate.yaml:19:", `{{ var "tokn" }} is not defined`, "scenarios[0].steps[2].headers.Authorization"}},
		{"capture used too early", `url: %[1]s/auth/user
`, `url: %[1]s/auth/user?t={{ var "token" }}
`, "", []string{"perfgate.yaml:9:", `{{ var "token" }} is not defined`}},
		{"var uses a later var", `pw: '{{ alnum 12 }}'`, `pw: '{{ var "contact" }}'`, "", []string{"perfgate.yaml:4:", "scenarios[0].vars.pw", `var "pw" uses "contact", declared after it on line 4: move "contact" above "pw"`}},
		{"var uses a capture", `contact: '{{ var "user" }}@`, `contact: '{{ var "token" }}@`, "", []string{"perfgate.yaml:4:", `var "contact" uses "token", which step "login" captures: vars are rendered before the first step`}},
		{"bad capture", `{json: token, as: token}`, `{json: token, header: x, as: token}`, "", []string{"scenarios[0].steps[1].capture[0]", "exactly one of json"}},
		{"unknown column", `{{ row "email" }}`, `{{ row "mail" }}`, "", []string{`{{ row "mail" }}: users.csv has no such column`}},
		{"bad data file", "", "", "email,name\na@x,A\nb@x\n", []string{"users.csv:3:", "number of fields"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeFlowConfig(t, "http://127.0.0.1:1")
			if tt.old != "" {
				b, _ := os.ReadFile(cfg)
				u := "http://127.0.0.1:1"
				s := strings.Replace(string(b), strings.ReplaceAll(tt.old, "%[1]s", u), strings.ReplaceAll(tt.new, "%[1]s", u), 1)
				if s == string(b) {
					t.Fatalf("%q not in the config", tt.old)
				}
				os.WriteFile(cfg, []byte(s), 0o644)
			}
			if tt.csv != "" {
				os.WriteFile(filepath.Join(filepath.Dir(cfg), "users.csv"), []byte(tt.csv), 0o644)
			}
			r := clitest.Run(t, context.Background(), nil, "validate", "-c", cfg)
			if r.Code != 2 || r.Err == nil {
				t.Fatalf("exit %d err %v; want 2", r.Code, r.Err)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, r.Err)
				}
			}
		})
	}
}

// A flow in paired mode (--base): both sides run it (sign up, log in with
// the token captured, read the user with it), rounds judge the flow and
// each step (flow/step), the results keep the steps of both sides.
func TestRunPairedFlow(t *testing.T) {
	dir := pairedRepo(t, "", "", "", "")
	cfg := filepath.Join(dir, "app", "perfgate.yaml")
	b, _ := os.ReadFile(cfg)
	s := string(b)
	i, j := strings.Index(s, "scenarios:\n"), strings.Index(s, "load:\n")
	s = s[:i] + `scenarios:
  - name: user
    vars: {id: '{{ letters 8 }}{{ seq }}', pw: '{{ alnum 12 }}'}
    steps:
      - name: signup
        method: POST
        url: http://{{ endpoint "auth" "8080" }}/auth/user
        headers: {Content-Type: application/json}
        body: '{"userId":"{{ var "id" }}","userName":"n","email":"{{ email }}","userPw":"{{ var "pw" }}"}'
        expect: [200]
      - name: login
        method: POST
        url: http://{{ endpoint "auth" "8080" }}/auth/login
        headers: {Content-Type: application/json}
        body: '{"userId":"{{ var "id" }}","userPw":"{{ var "pw" }}"}'
        capture: [{json: token, as: token}]
      - name: get
        url: http://{{ endpoint "auth" "8080" }}/auth/user/{{ var "id" }}
        headers: {Authorization: 'Bearer {{ var "token" }}'}
        expect: [200]
        capture: [{json: email, as: email}, {regexp: '"userId":"([^"]+)"', as: again}]
` + s[j:]
	os.WriteFile(cfg, []byte(s), 0o644)
	out := filepath.Join(t.TempDir(), "r.json")
	r := clitest.RunAA(t, context.Background(), nil, "run", "-c", cfg, "--base", "base", "--out", out)
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("%v (exit %d: %v)\n%s", err, r.Code, r.Err, r.ErrOut)
	}
	if r.Code != 0 || res.Verdict == results.VerdictFail {
		t.Fatalf("exit %d verdict %q: %v\n%s\n%s", r.Code, res.Verdict, r.Err, r.Out, r.ErrOut)
	}
	if len(res.Scenarios) != 1 || len(res.Scenarios[0].Steps) != 3 || res.Paired == nil || len(res.Paired.BaseScenarios) != 1 || len(res.Paired.BaseScenarios[0].Steps) != 3 {
		t.Fatalf("scenarios %+v paired %+v", res.Scenarios, res.Paired)
	}
	for _, sc := range [][]results.Scenario{res.Scenarios, res.Paired.BaseScenarios} {
		for _, st := range sc[0].Steps {
			if st.Requests == 0 || st.Errors.Total() != 0 {
				t.Errorf("step %s: %d requests, errors %+v (%q)", st.Name, st.Requests, st.Errors, st.SampleErrors)
			}
		}
	}
	judged := map[string]bool{}
	for _, c := range res.Comparison.Checks {
		judged[c.Scenario] = true
	}
	for _, name := range []string{"user", "user/signup", "user/login", "user/get"} {
		if !judged[name] {
			t.Errorf("%s not judged (checks on %v)", name, judged)
		}
	}
}

// A baseline of a flow holds each step (flow/step); a step that regressed
// fails the gate under its own name.
func TestRunFlowStepRegressionExit1(t *testing.T) {
	_, url := newTokenServer(t)
	cfg := writeFlowConfig(t, url)
	dir := filepath.Dir(cfg)
	yb, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(yb), "repeat: 3", "repeat: 4", 1)), 0o644) // 4+4 runs can show a change
	first := filepath.Join(dir, "first.json")
	if r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", first); r.Code != 0 {
		t.Fatalf("first run: exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	res, err := results.Read(first)
	if err != nil {
		t.Fatal(err)
	}
	me := &res.Scenarios[0].Steps[2]
	for j := range me.Runs {
		me.Runs[j].ThroughputRPS *= 10 // the baseline's "me" was ten times faster
	}
	b := baseline.FromResults(res)
	if b.Scenario("login-me/me") == nil || b.Scenario("login-me") == nil {
		t.Fatalf("baseline scenarios %+v; want the flow and each step", b.Scenarios)
	}
	if err := baseline.Write(filepath.Join(dir, "baselines", "flow.json"), b); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1: %v\n%s", r.Code, r.Err, r.Out)
	}
	judged, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	failed := false
	for _, c := range judged.Comparison.Checks {
		if c.Scenario == "login-me/me" && c.Metric == "throughput_rps" && c.Status == results.CheckFail {
			failed = true
		}
	}
	if !failed {
		t.Errorf("no failed throughput check on login-me/me: %+v", judged.Comparison.Checks)
	}
}
