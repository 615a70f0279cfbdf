package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/publish/ghactions"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// harness is one Actions job step: event payload, env, output files.
type harness struct {
	t        *testing.T
	gh       *fakeGitHub
	dir      string
	env      map[string]string
	stdout   bytes.Buffer
	log      bytes.Buffer
	mu       sync.Mutex
	sleeps   []time.Duration
	pr       int
	summary  string
	outputs  string
	eventRaw string
}

func newHarness(t *testing.T, prefix string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), pr: 42}
	h.gh = newFakeGitHub(t, prefix)
	h.summary = filepath.Join(h.dir, "summary.md")
	h.outputs = filepath.Join(h.dir, "output.txt")
	h.setEvent("pull_request", fmt.Sprintf(`{"action":"synchronize","number":%d,"pull_request":{"number":%d,"head":{"ref":"feature"}}}`, h.pr, h.pr))
	h.env = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_EVENT_NAME":   "pull_request",
		"GITHUB_EVENT_PATH":   filepath.Join(h.dir, "event.json"),
		"GITHUB_REPOSITORY":   "acme/shop",
		"GITHUB_API_URL":      h.gh.apiURL(),
		"GITHUB_SERVER_URL":   "https://github.example",
		"GITHUB_RUN_ID":       "777",
		"GITHUB_TOKEN":        h.gh.token,
		"GITHUB_OUTPUT":       h.outputs,
		"GITHUB_STEP_SUMMARY": h.summary,
		"GITHUB_WORKSPACE":    "/home/runner/work/shop/shop",
	}
	return h
}

func (h *harness) setEvent(name, payload string) {
	h.eventRaw = payload
	if err := os.WriteFile(filepath.Join(h.dir, "event.json"), []byte(payload), 0o644); err != nil {
		h.t.Fatal(err)
	}
	if h.env != nil {
		h.env["GITHUB_EVENT_NAME"] = name
	}
}

func (h *harness) opts(res *results.Results) Options {
	return Options{
		Results: res, ResultsPath: "/tmp/perfgate/results.json",
		Getenv: func(k string) string { return h.env[k] },
		Stdout: &h.stdout, Log: &h.log,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			return ctx.Err()
		},
	}
}

func (h *harness) publish(res *results.Results) *Report {
	h.t.Helper()
	rep, err := Publish(context.Background(), h.opts(res))
	if err != nil {
		h.t.Fatalf("Publish: %v", err)
	}
	return rep
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// parseOutputs reads GITHUB_OUTPUT's heredoc form.
func parseOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("output line %q is not in heredoc form", lines[i])
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("output %s: delimiter %s never closes", name, delim)
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func TestFirstPublishCreatesSecondEdits(t *testing.T) {
	for _, bare := range []bool{false, true} {
		t.Run(fmt.Sprintf("bare host=%v", bare), func(t *testing.T) {
			h := newHarness(t, "/api/v3")
			if bare {
				// A GitHub Enterprise host without the API path: go-github adds /api/v3/.
				h.env["GITHUB_API_URL"] = h.gh.srv.URL
			}
			rep := h.publish(resultstest.Sample(results.VerdictFail))
			if rep.Comment != CommentCreated || rep.PullRequest != 42 || rep.CommentID == 0 {
				t.Fatalf("first publish: %+v", rep)
			}
			cs := h.gh.list(42)
			if len(cs) != 1 || !strings.HasPrefix(cs[0].Body, "<!-- perfgate:api -->\n") {
				t.Fatalf("comments after first publish: %+v", cs)
			}
			if !strings.Contains(cs[0].Body, "perfgate api: FAIL — 1 regression") || !strings.Contains(cs[0].Body, "https://github.example/acme/shop/actions/runs/777") {
				t.Errorf("body lacks verdict or run link:\n%s", cs[0].Body)
			}

			rep2 := h.publish(resultstest.Sample(results.VerdictPass))
			if rep2.Comment != CommentUpdated || rep2.CommentID != rep.CommentID {
				t.Fatalf("second publish: %+v (first id %d)", rep2, rep.CommentID)
			}
			cs = h.gh.list(42)
			if len(cs) != 1 || !strings.Contains(cs[0].Body, "perfgate api: PASS") {
				t.Fatalf("comments after second publish: %+v", cs)
			}
			if n := h.gh.count("POST"); n != 1 {
				t.Errorf("POSTs = %d, want 1", n)
			}
			if n := h.gh.count("PATCH"); n != 1 {
				t.Errorf("PATCHes = %d, want 1", n)
			}
			rep3 := h.publish(resultstest.Sample(results.VerdictPass))
			if rep3.Comment != CommentUnchanged || h.gh.count("PATCH") != 1 {
				t.Errorf("third identical publish: %+v, PATCHes %d", rep3, h.gh.count("PATCH"))
			}
			for _, r := range h.gh.reqs() {
				if !strings.HasPrefix(r.Path, "/api/v3/") {
					t.Errorf("request %s %s is not under /api/v3 (GitHub Enterprise base URL)", r.Method, r.Path)
				}
			}
		})
	}
}

func TestAPIURLWithPathIsUsedAsIs(t *testing.T) {
	h := newHarness(t, "/custom/api")
	rep := h.publish(resultstest.Sample(results.VerdictPass))
	if rep.Comment != CommentCreated {
		t.Fatalf("report %+v; warnings %v", rep, rep.Warnings)
	}
}

func TestForeignCommentsAreNeverTouched(t *testing.T) {
	h := newHarness(t, "/api/v3")
	foreign := map[int64]string{}
	add := func(login, body string) { foreign[h.gh.addComment(42, login, body)] = body }
	add("alice", "This looks slow to me.")
	add("bob", "Quoting the bot:\n<!-- perfgate:api -->\n> regression")     // marker not on the first line
	add("github-actions[bot]", "<!-- perfgate:other -->\n### other config") // another config
	add("github-actions[bot]", "<!-- perfgate:api-v2 -->\n### api-v2")      // a name with our name as prefix
	add("github-actions[bot]", "<!-- perfgate:API -->\n### API")            // case differs
	add("mallory", "<!-- perfgate:api --> but not alone on its line")

	opts := h.opts(resultstest.Sample(results.VerdictFail))
	rep, err := Publish(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Comment != CommentCreated {
		t.Fatalf("want a new comment, got %+v", rep)
	}
	cs := h.gh.list(42)
	if len(cs) != len(foreign)+1 {
		t.Fatalf("%d comments, want %d", len(cs), len(foreign)+1)
	}
	for _, c := range cs {
		if want, ok := foreign[c.ID]; ok && c.Body != want {
			t.Errorf("comment %d by %s was changed:\n%s", c.ID, c.Login, c.Body)
		}
	}
	if n := h.gh.count("PATCH"); n != 0 {
		t.Errorf("%d PATCH requests, want none", n)
	}
}

func TestCommentAuthorFilter(t *testing.T) {
	h := newHarness(t, "/api/v3")
	human := h.gh.addComment(42, "mallory", "<!-- perfgate:api -->\nplanted by a person")
	opts := h.opts(resultstest.Sample(results.VerdictPass))
	opts.CommentAuthor = "github-actions[bot]"
	rep, err := Publish(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Comment != CommentCreated || rep.CommentID == human {
		t.Fatalf("report %+v", rep)
	}
	if got := h.gh.list(42)[0]; got.Body != "<!-- perfgate:api -->\nplanted by a person" {
		t.Errorf("the person's comment changed: %q", got.Body)
	}
}

func TestTokenIdentityFiltersAuthors(t *testing.T) {
	h := newHarness(t, "/api/v3")
	h.gh.userLogin = "perf-bot"
	h.gh.bot = "perf-bot"
	planted := h.gh.addComment(42, "mallory", Marker("api")+"\nplanted by someone else")
	rep := h.publish(resultstest.Sample(results.VerdictFail))
	if rep.Comment != CommentCreated || rep.CommentID == planted {
		t.Fatalf("first publish %+v", rep)
	}
	rep2 := h.publish(resultstest.Sample(results.VerdictPass))
	if rep2.Comment != CommentUpdated || rep2.CommentID != rep.CommentID {
		t.Fatalf("second publish %+v, want an update of %d", rep2, rep.CommentID)
	}
	if c := h.gh.list(42)[0]; c.ID != planted || c.Body != Marker("api")+"\nplanted by someone else" {
		t.Errorf("someone else's comment changed: %+v", c)
	}
	if h.gh.userCalls != 2 {
		t.Errorf("GET /user called %d times", h.gh.userCalls)
	}

	// The Action passes the bot's login when the token is github.token.
	h2 := newHarness(t, "/api/v3")
	h2.env["PERFGATE_COMMENT_AUTHOR"] = "github-actions[bot]"
	planted = h2.gh.addComment(42, "mallory", Marker("api")+"\nplanted")
	if rep := h2.publish(resultstest.Sample(results.VerdictPass)); rep.Comment != CommentCreated || rep.CommentID == planted {
		t.Errorf("with PERFGATE_COMMENT_AUTHOR: %+v", rep)
	}
	if h2.gh.userCalls != 0 {
		t.Error("GET /user called although the author was given")
	}
}

func TestMarkerOnPageThreeIsFound(t *testing.T) {
	h := newHarness(t, "/api/v3")
	var ours int64
	for i := range 250 {
		if i == 230 {
			ours = h.gh.addComment(42, "github-actions[bot]", Marker("api")+"\nold report")
			continue
		}
		h.gh.addComment(42, "user"+strconv.Itoa(i%7), fmt.Sprintf("comment %d", i))
	}
	rep := h.publish(resultstest.Sample(results.VerdictPass))
	if rep.Comment != CommentUpdated || rep.CommentID != ours {
		t.Fatalf("report %+v, want an update of %d", rep, ours)
	}
	if rep.CommentPages != 3 {
		t.Errorf("listed %d pages, want 3", rep.CommentPages)
	}
	var pages []string
	for _, r := range h.gh.reqs() {
		if r.Method == "GET" {
			pages = append(pages, r.Query)
			if !strings.Contains(r.Query, "per_page=100") {
				t.Errorf("listing without per_page=100: %q", r.Query)
			}
		}
	}
	if len(pages) != 3 || !strings.Contains(pages[2], "page=3") {
		t.Errorf("listing requests: %v", pages)
	}
	if h.gh.count("POST") != 0 {
		t.Error("a new comment was created although ours was on page 3")
	}
}

func TestPermissionErrorsFallBackToSummary(t *testing.T) {
	cases := []struct {
		name   string
		method string
		f      fault
	}{
		{"403 on create (fork PR, read-only token)", "POST", ghError(403, "Resource not accessible by integration", "https://docs.github.com/rest/issues/comments#create-an-issue-comment")},
		{"404 on list", "GET", ghError(404, "Not Found", "https://docs.github.com/rest/issues/comments#list-issue-comments")},
		{"401 bad credentials", "GET", ghError(401, "Bad credentials", "https://docs.github.com/rest")},
		{"422 validation", "POST", ghError(422, "Validation Failed", "https://docs.github.com/rest/issues/comments#create-an-issue-comment")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, "/api/v3")
			h.gh.queue(c.method, c.f)
			res := resultstest.Sample(results.VerdictFail)
			rep := h.publish(res)
			if rep.Comment != CommentFailed || rep.Verdict != results.VerdictFail {
				t.Fatalf("report %+v", rep)
			}
			if len(rep.Warnings) == 0 || !strings.Contains(h.stdout.String(), "::warning title=perfgate publish::could not") {
				t.Errorf("no warning annotation; stdout:\n%s", h.stdout.String())
			}
			if !rep.SummaryWritten || !strings.Contains(readFile(t, h.summary), "perfgate api: FAIL — 1 regression") {
				t.Errorf("summary not written: %+v", rep)
			}
			if got := parseOutputs(t, readFile(t, h.outputs))["verdict"]; got != "fail" {
				t.Errorf("verdict output %q", got)
			}
			if n := h.gh.count(c.method); n != 1 {
				t.Errorf("%s was tried %d times; permission errors must not be retried", c.method, n)
			}
			if len(h.sleeps) != 0 {
				t.Errorf("slept %v", h.sleeps)
			}
		})
	}
	t.Run("403 hint names the permission", func(t *testing.T) {
		h := newHarness(t, "/api/v3")
		h.gh.queue("POST", cases[0].f)
		rep := h.publish(resultstest.Sample(results.VerdictPass))
		if !strings.Contains(strings.Join(rep.Warnings, "\n"), "pull-requests: write") {
			t.Errorf("warnings %q lack the permission hint", rep.Warnings)
		}
	})
}

func TestRetries(t *testing.T) {
	reset := strconv.FormatInt(time.Now().Add(5*time.Second).Unix(), 10)
	cases := []struct {
		name      string
		method    string
		faults    []fault
		want      string
		tries     int // requests of method
		minSleeps int
	}{
		{"500 then success", "GET", []fault{ghError(500, "Server Error", "")}, CommentCreated, 2, 1},
		{"502, 503 on create then success", "POST", []fault{ghError(502, "Bad Gateway", ""), ghError(503, "Unavailable", "")}, CommentCreated, 3, 2},
		{"429 with Retry-After", "GET", []fault{withHeaders(ghError(429, "Too Many Requests", ""), "Retry-After", "3")}, CommentCreated, 2, 1},
		{"403 primary rate limit", "POST", []fault{withHeaders(ghError(403, "API rate limit exceeded for installation ID 1.", "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"),
			"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset)}, CommentCreated, 2, 1},
		{"403 secondary rate limit", "POST", []fault{withHeaders(ghError(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"),
			"Retry-After", "2")}, CommentCreated, 2, 1},
		{"500 forever gives up after 4 tries", "GET", []fault{ghError(500, "x", ""), ghError(500, "x", ""), ghError(500, "x", ""), ghError(500, "x", ""), ghError(500, "x", "")}, CommentFailed, 4, 3},
		{"Retry-After beyond the cap is not waited", "GET", []fault{withHeaders(ghError(429, "Too Many Requests", ""), "Retry-After", "3600")}, CommentFailed, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, "/api/v3")
			h.gh.queue(c.method, c.faults...)
			rep := h.publish(resultstest.Sample(results.VerdictFail))
			if rep.Comment != c.want {
				t.Fatalf("comment %q, want %q; warnings %v", rep.Comment, c.want, rep.Warnings)
			}
			if n := h.gh.count(c.method); n != c.tries {
				t.Errorf("%s tried %d times, want %d", c.method, n, c.tries)
			}
			if len(h.sleeps) < c.minSleeps || len(h.sleeps) > 3 {
				t.Errorf("sleeps %v, want between %d and 3", h.sleeps, c.minSleeps)
			}
			var total time.Duration
			for _, s := range h.sleeps {
				total += s
				if s < 0 || s > 30*time.Second {
					t.Errorf("sleep %v outside 0..30s", s)
				}
			}
			if total > 60*time.Second {
				t.Errorf("total wait %v over the 60s budget", total)
			}
			if rep.Verdict != results.VerdictFail {
				t.Errorf("verdict changed to %q", rep.Verdict)
			}
			if c.want == CommentFailed && !rep.SummaryWritten {
				t.Error("summary not written after giving up")
			}
		})
	}
	t.Run("Retry-After is honoured", func(t *testing.T) {
		h := newHarness(t, "/api/v3")
		h.gh.queue("GET", withHeaders(ghError(429, "Too Many Requests", ""), "Retry-After", "3"))
		h.publish(resultstest.Sample(results.VerdictPass))
		if len(h.sleeps) != 1 || h.sleeps[0] != 3*time.Second {
			t.Errorf("sleeps %v, want [3s]", h.sleeps)
		}
	})
	t.Run("backoff doubles", func(t *testing.T) {
		h := newHarness(t, "/api/v3")
		h.gh.queue("GET", ghError(500, "x", ""), ghError(500, "x", ""), ghError(500, "x", ""))
		h.publish(resultstest.Sample(results.VerdictPass))
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
		if fmt.Sprint(h.sleeps) != fmt.Sprint(want) {
			t.Errorf("sleeps %v, want %v", h.sleeps, want)
		}
	})
}

func withHeaders(f fault, kv ...string) fault {
	f.headers = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.headers[kv[i]] = kv[i+1]
	}
	return f
}

func TestNetworkErrors(t *testing.T) {
	t.Run("a dropped GET is retried", func(t *testing.T) {
		h := newHarness(t, "/api/v3")
		h.gh.queue("GET", fault{hangup: true})
		if rep := h.publish(resultstest.Sample(results.VerdictPass)); rep.Comment != CommentCreated || h.gh.count("GET") != 2 {
			t.Errorf("report %+v, GETs %d", rep, h.gh.count("GET"))
		}
	})
	t.Run("a dropped POST is sent again only after the listing shows no comment", func(t *testing.T) {
		h := newHarness(t, "/api/v3")
		h.gh.queue("POST", fault{hangup: true})
		rep := h.publish(resultstest.Sample(results.VerdictPass))
		var order []string
		for _, r := range h.gh.reqs() {
			order = append(order, r.Method)
		}
		if rep.Comment != CommentCreated || strings.Join(order, " ") != "GET POST GET POST" || len(h.gh.list(42)) != 1 {
			t.Errorf("report %+v, requests %v", rep, order)
		}
	})
}

func TestTimeoutGivesUpTheComment(t *testing.T) {
	h := newHarness(t, "/api/v3")
	h.gh.queue("GET", ghError(503, "Unavailable", ""))
	opts := h.opts(resultstest.Sample(results.VerdictFail))
	opts.Timeout = 50 * time.Millisecond
	opts.Sleep = func(ctx context.Context, d time.Duration) error { <-ctx.Done(); return ctx.Err() }
	rep, err := Publish(context.Background(), opts)
	if err != nil {
		t.Fatalf("Publish: %v (a publishing timeout is not an error)", err)
	}
	if rep.Comment != CommentFailed || len(rep.Warnings) == 0 || !rep.SummaryWritten || !rep.OutputsWritten {
		t.Errorf("report %+v", rep)
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	h := newHarness(t, "/api/v3")
	h.gh.queue("GET", ghError(500, "x", ""), ghError(500, "x", ""))
	ctx, cancel := context.WithCancel(context.Background())
	opts := h.opts(resultstest.Sample(results.VerdictPass))
	opts.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	rep, err := Publish(ctx, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if h.gh.count("GET") != 1 || rep.Comment != CommentFailed || !rep.SummaryWritten || !rep.OutputsWritten {
		t.Errorf("GETs %d, report %+v", h.gh.count("GET"), rep)
	}
}

func TestTokenNeverAppears(t *testing.T) {
	h := newHarness(t, "/api/v3")
	tok := h.gh.token
	// A server (or proxy) that echoes the credentials in its error message,
	// and a result that carries the token from a misconfigured header.
	h.gh.queue("GET", ghError(500, "upstream said Bearer "+tok, ""))
	h.gh.queue("POST", ghError(403, "Resource not accessible by integration for token "+tok, "https://docs.github.com/rest"))
	res := resultstest.Sample(results.VerdictFail)
	res.Warnings = []string{"scenario login: header Authorization: Bearer " + tok}
	res.Comparison.Checks[0].Scenario = "login " + tok
	rep := h.publish(res)

	// Second case: the comment is created with a body that would carry it.
	h2 := newHarness(t, "/api/v3")
	h2.publish(res)

	// Third: an explicit token option instead of GITHUB_TOKEN, outside Actions.
	h3 := newHarness(t, "/api/v3")
	delete(h3.env, "GITHUB_ACTIONS")
	delete(h3.env, "GITHUB_TOKEN")
	o := h3.opts(res)
	o.Token = tok
	if _, err := Publish(context.Background(), o); err != nil {
		t.Fatal(err)
	}

	places := map[string]string{
		"stdout": h.stdout.String(), "log": h.log.String(), "summary": readFile(t, h.summary), "outputs": readFile(t, h.outputs),
		"warnings": strings.Join(rep.Warnings, "\n"), "report": fmt.Sprintf("%+v", *rep),
		"stdout2": h2.stdout.String(), "log2": h2.log.String(), "summary2": readFile(t, h2.summary),
		"stdout3": h3.stdout.String(), "log3": h3.log.String(),
	}
	for _, c := range h2.gh.list(42) {
		places["posted comment"] += c.Body
	}
	for where, s := range places {
		if strings.Contains(s, tok) {
			t.Errorf("the token appears in %s:\n%s", where, s)
		}
	}
	if !strings.Contains(places["warnings"], "***") {
		t.Errorf("warnings were expected to carry the scrubbed server message: %q", places["warnings"])
	}
	if places["posted comment"] == "" {
		t.Error("no comment was posted in the second case")
	}
	// The token did reach the server, in the Authorization header only.
	for _, r := range h2.gh.reqs() {
		if r.Auth != "Bearer "+tok {
			t.Errorf("request %s %s had Authorization %q", r.Method, r.Path, r.Auth)
		}
	}
}

func TestOutputsAndSummary(t *testing.T) {
	h := newHarness(t, "/api/v3")
	if err := os.WriteFile(h.summary, []byte("# earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.outputs, []byte("other<<EOF\nx\nEOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := h.publish(resultstest.Sample(results.VerdictFail))
	if !rep.SummaryWritten || !rep.OutputsWritten {
		t.Fatalf("report %+v", rep)
	}
	sum := readFile(t, h.summary)
	if !strings.HasPrefix(sum, "# earlier step\n") {
		t.Errorf("summary was not appended to:\n%s", sum)
	}
	if strings.Contains(sum, "<!-- perfgate:") {
		t.Error("the summary carries the comment marker")
	}
	for _, want := range []string{"perfgate api: FAIL — 1 regression in 1 scenario", "login **p99**: 12.0 ms → 15.0 ms", "AMD EPYC 7763", "somaxconn", "4096", "1024 soft / 524288 hard", "go1.26.8",
		"perfgate baseline update -c perfgate.yaml", "git add baselines/", "actions/runs/777"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	outs := parseOutputs(t, readFile(t, h.outputs))
	want := map[string]string{"other": "x", "verdict": "fail", "results-path": "/tmp/perfgate/results.json", "comment-url": rep.CommentURL}
	if fmt.Sprint(outs) != fmt.Sprint(want) {
		t.Errorf("outputs %v, want %v", outs, want)
	}
	if rep.CommentURL == "" {
		t.Error("no comment URL")
	}
}

func TestAnnotations(t *testing.T) {
	h := newHarness(t, "/api/v3")
	res := resultstest.Sample(results.VerdictFail)
	res.Name = "api,v2: main"
	res.Comparison.Checks[0].Scenario = "log%in\r\n::error::injected"
	res.Warnings = []string{"only 2 runs:\nnot enough"}
	h.publish(res)
	lines := strings.Split(strings.TrimRight(h.stdout.String(), "\n"), "\n")
	want := []string{
		"::error title=perfgate api%2Cv2%3A main%3A regression::log%25in%0A::error::injected p99 regressed: 12.0 ms -> 15.0 ms (+25.0%25) (gate: rise <= 10%25)",
		"::warning title=perfgate api%2Cv2%3A main::only 2 runs:%0Anot enough",
	}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("annotations:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestPushEventWritesSummaryOnly(t *testing.T) {
	for _, ev := range []struct{ name, payload string }{
		{"push", `{"ref":"refs/heads/main","after":"abc","commits":[]}`},
		{"workflow_dispatch", `{"inputs":{}}`},
		{"issue_comment", `{"issue":{"number":9},"comment":{"body":"hi"}}`},
	} {
		t.Run(ev.name, func(t *testing.T) {
			h := newHarness(t, "/api/v3")
			h.setEvent(ev.name, ev.payload)
			rep := h.publish(resultstest.Sample(results.VerdictPass))
			if rep.Comment != CommentSkipped || rep.PullRequest != 0 || len(rep.Warnings) != 0 {
				t.Fatalf("report %+v", rep)
			}
			if len(h.gh.reqs()) != 0 {
				t.Errorf("%d API requests for a %s event", len(h.gh.reqs()), ev.name)
			}
			if !rep.SummaryWritten || !rep.OutputsWritten {
				t.Errorf("summary/outputs not written: %+v", rep)
			}
		})
	}
}

func TestMissingTokenOrRepoWarns(t *testing.T) {
	cases := []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"no token", func(e map[string]string) { delete(e, "GITHUB_TOKEN") }, "no GitHub token"},
		{"bad repository", func(e map[string]string) { e["GITHUB_REPOSITORY"] = "acme" }, "not owner/name"},
		{"plain http remote API", func(e map[string]string) { e["GITHUB_API_URL"] = "http://ghe.example.com/api/v3" }, "refusing to send the token"},
		{"unreadable event", func(e map[string]string) { e["GITHUB_EVENT_PATH"] = "/nonexistent/event.json" }, "cannot tell which pull request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, "/api/v3")
			c.edit(h.env)
			rep := h.publish(resultstest.Sample(results.VerdictFail))
			if !strings.Contains(strings.Join(rep.Warnings, "\n"), c.want) {
				t.Errorf("warnings %q lack %q", rep.Warnings, c.want)
			}
			if len(h.gh.reqs()) != 0 {
				t.Errorf("%d API requests", len(h.gh.reqs()))
			}
			if !rep.SummaryWritten {
				t.Error("no summary")
			}
		})
	}
	t.Run("ref fallback when the event file is unreadable", func(t *testing.T) {
		h := newHarness(t, "/api/v3")
		h.env["GITHUB_EVENT_PATH"] = "/nonexistent/event.json"
		h.env["GITHUB_REF"] = "refs/pull/42/merge"
		if rep := h.publish(resultstest.Sample(results.VerdictPass)); rep.Comment != CommentCreated {
			t.Errorf("report %+v", rep)
		}
	})
}

func TestCommentDisabled(t *testing.T) {
	h := newHarness(t, "/api/v3")
	h.env["PERFGATE_COMMENT"] = "false"
	rep := h.publish(resultstest.Sample(results.VerdictPass))
	if rep.Comment != CommentSkipped || len(h.gh.reqs()) != 0 || !rep.SummaryWritten {
		t.Errorf("report %+v, %d requests", rep, len(h.gh.reqs()))
	}
}

func TestOutsideActionsPrintsMarkdown(t *testing.T) {
	h := newHarness(t, "/api/v3")
	delete(h.env, "GITHUB_ACTIONS")
	rep := h.publish(resultstest.Sample(results.VerdictFail))
	if rep.Actions || rep.Comment != CommentPrinted {
		t.Fatalf("report %+v", rep)
	}
	out := h.stdout.String()
	if !strings.HasPrefix(out, "<!-- perfgate:api -->\n") || !strings.Contains(out, "perfgate api: FAIL — 1 regression") {
		t.Errorf("stdout:\n%s", out)
	}
	if strings.Contains(out, "::") {
		t.Errorf("workflow commands outside Actions:\n%s", out)
	}
	if len(h.gh.reqs()) != 0 || readFile(t, h.summary) != "" || readFile(t, h.outputs) != "" {
		t.Error("touched GitHub or the runner files outside Actions")
	}
}

func TestBadInput(t *testing.T) {
	negative := resultstest.Sample(results.VerdictPass)
	negative.Scenarios[0].Runs = []results.Run{{Index: 1, Figures: results.Figures{ErrorRate: 2}}}
	for name, res := range map[string]*results.Results{"nil": nil, "bad verdict": {Verdict: "maybe"}, "bad run": negative} {
		_, err := Publish(context.Background(), Options{Results: res})
		if !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: err %v, want ErrBadInput", name, err)
		}
	}
}

func TestEventPayloads(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, payload, ref string
		want               int
		err                error
	}{
		{"pull_request", `{"number":5,"pull_request":{"number":5}}`, "", 5, nil},
		{"pull_request_target", `{"action":"opened","pull_request":{"number":6}}`, "", 6, nil},
		{"issue_comment on a PR", `{"issue":{"number":7,"pull_request":{"url":"x"}}}`, "", 7, nil},
		{"issue_comment on an issue", `{"issue":{"number":7}}`, "", 0, ghactions.ErrNoPullRequest},
		{"push", `{"ref":"refs/heads/main"}`, "refs/heads/main", 0, ghactions.ErrNoPullRequest},
		{"garbage with PR ref", `{not json`, "refs/pull/8/merge", 8, nil},
	}
	for i, c := range cases {
		p := filepath.Join(dir, strconv.Itoa(i)+".json")
		if err := os.WriteFile(p, []byte(c.payload), 0o644); err != nil {
			t.Fatal(err)
		}
		e := ghactions.Env{EventPath: p, Ref: c.ref}
		n, err := e.PullRequest()
		if n != c.want || (c.err != nil && !errors.Is(err, c.err)) || (c.err == nil && err != nil) {
			t.Errorf("%s: got %d, %v; want %d, %v", c.name, n, err, c.want, c.err)
		}
	}
	if _, err := (ghactions.Env{EventPath: filepath.Join(dir, "missing.json")}).PullRequest(); err == nil {
		t.Error("missing event file: no error")
	}
	var raw json.RawMessage
	_ = raw
}

func TestReportString(t *testing.T) {
	cases := []struct {
		r    *Report
		want string
	}{
		{nil, "nothing published"},
		{&Report{Comment: CommentPrinted}, "not in GitHub Actions: printed the report"},
		{&Report{Comment: CommentCreated, PullRequest: 3, CommentURL: "u", SummaryWritten: true}, "pull request #3 comment created: u; job summary written"},
		{&Report{Comment: CommentFailed, PullRequest: 3, Warnings: []string{"x"}}, "pull request #3 comment failed; 1 warning(s)"},
		{&Report{Comment: CommentSkipped, SummaryWritten: true}, "no pull request comment; job summary written"},
	}
	for _, c := range cases {
		if got := c.r.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
}
