package publish

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub serves the REST shapes GitHub serves for issue comments:
// listing with Link-header pagination, create, edit, and GitHub's JSON error
// bodies. Faults queued per method are answered before normal handling.
type fakeGitHub struct {
	t      *testing.T
	srv    *httptest.Server
	prefix string // "/api/v3" for GitHub Enterprise Server, "" for api.github.com shapes
	owner  string
	repo   string
	token  string
	bot    string // login that comments created through the API get
	// userLogin is what GET /user answers; "" answers 403 as GitHub does for
	// installation tokens (GITHUB_TOKEN).
	userLogin string

	mu        sync.Mutex
	comments  map[int][]*fakeComment // by issue number, oldest first
	nextID    int64
	faults    map[string][]fault // by method, for the comment endpoints
	userCalls int
	requests  []fakeRequest
}

type fakeComment struct {
	ID    int64
	Body  string
	Login string
	Type  string
}

type fakeRequest struct {
	Method, Path, Query, Auth, Body string
}

type fault struct {
	after   bool // handle the request as usual (create, edit), then answer with the fault
	hangup  bool // close the connection without an answer
	status  int
	headers map[string]string
	body    string
}

func newFakeGitHub(t *testing.T, prefix string) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{
		t: t, prefix: prefix, owner: "acme", repo: "shop", token: "ghs_FAKEtoken1234567890abcdefSECRET",
		bot: "github-actions[bot]", comments: map[int][]*fakeComment{}, nextID: 1000, faults: map[string][]fault{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// apiURL is what GITHUB_API_URL would hold.
func (f *fakeGitHub) apiURL() string { return f.srv.URL + f.prefix }

func (f *fakeGitHub) addComment(issue int, login, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	f.comments[issue] = append(f.comments[issue], &fakeComment{ID: f.nextID, Body: body, Login: login, Type: typ})
	return f.nextID
}

func (f *fakeGitHub) queue(method string, fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = append(f.faults[method], fs...)
}

func (f *fakeGitHub) list(issue int) []fakeComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeComment
	for _, c := range f.comments[issue] {
		out = append(out, *c)
	}
	return out
}

func (f *fakeGitHub) reqs() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

func (f *fakeGitHub) count(method string) int {
	n := 0
	for _, r := range f.reqs() {
		if r.Method == method {
			n++
		}
	}
	return n
}

func ghError(status int, msg, doc string) fault {
	b, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": doc, "status": strconv.Itoa(status)})
	return fault{status: status, body: string(b)}
}

func (f *fakeGitHub) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeGitHub) commentJSON(issue int, c *fakeComment) map[string]any {
	base := f.srv.URL + f.prefix
	return map[string]any{
		"id":                 c.ID,
		"node_id":            "IC_" + strconv.FormatInt(c.ID, 10),
		"url":                fmt.Sprintf("%s/repos/%s/%s/issues/comments/%d", base, f.owner, f.repo, c.ID),
		"html_url":           fmt.Sprintf("https://github.example/%s/%s/pull/%d#issuecomment-%d", f.owner, f.repo, issue, c.ID),
		"issue_url":          fmt.Sprintf("%s/repos/%s/%s/issues/%d", base, f.owner, f.repo, issue),
		"body":               c.Body,
		"user":               map[string]any{"login": c.Login, "id": 41898282, "type": c.Type},
		"created_at":         "2026-11-27T04:00:00Z",
		"updated_at":         "2026-11-27T04:00:00Z",
		"author_association": "NONE",
	}
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		body = make([]byte, 0, 1024)
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
	}
	if r.URL.Path == f.prefix+"/user" && r.Method == http.MethodGet {
		f.mu.Lock()
		login := f.userLogin
		f.userCalls++
		f.mu.Unlock()
		if login == "" || r.Header.Get("Authorization") != "Bearer "+f.token {
			f.writeJSON(w, 403, map[string]any{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user", "status": "403"})
			return
		}
		f.writeJSON(w, 200, map[string]any{"login": login, "id": 7, "type": "User"})
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: string(body)})
	var ft *fault
	if q := f.faults[r.Method]; len(q) > 0 {
		ft = &q[0]
		f.faults[r.Method] = q[1:]
	}
	f.mu.Unlock()

	if ft != nil && ft.after {
		// The request takes effect; its answer is replaced by the fault.
		real, answer := w, *ft
		w, ft = httptest.NewRecorder(), nil
		defer f.answer(real, &answer)
	}
	if ft != nil {
		f.answer(w, ft)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		e := ghError(401, "Bad credentials", "https://docs.github.com/rest")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(401)
		_, _ = w.Write([]byte(e.body))
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, f.prefix+"/repos/"+f.owner+"/"+f.repo+"/issues/")
	if !ok {
		f.notFound(w)
		return
	}
	parts := strings.Split(path, "/")
	switch {
	case len(parts) == 2 && parts[1] == "comments" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		issue, err := strconv.Atoi(parts[0])
		if err != nil {
			f.notFound(w)
			return
		}
		if r.Method == http.MethodGet {
			f.listComments(w, r, issue)
			return
		}
		var in struct {
			Body *string `json:"body"`
		}
		if json.Unmarshal(body, &in) != nil || in.Body == nil {
			f.writeJSON(w, 422, map[string]any{"message": "Invalid request.\n\n\"body\" wasn't supplied.", "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment", "status": "422"})
			return
		}
		if len(*in.Body) > 65536 {
			f.writeJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"}}, "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment", "status": "422"})
			return
		}
		id := f.addComment(issue, f.bot, *in.Body)
		f.mu.Lock()
		c := *f.comments[issue][len(f.comments[issue])-1]
		f.mu.Unlock()
		_ = id
		f.writeJSON(w, http.StatusCreated, f.commentJSON(issue, &c))
	case len(parts) == 2 && parts[0] == "comments" && r.Method == http.MethodPatch:
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			f.notFound(w)
			return
		}
		var in struct {
			Body *string `json:"body"`
		}
		if json.Unmarshal(body, &in) != nil || in.Body == nil {
			f.writeJSON(w, 422, map[string]any{"message": "Invalid request.", "status": "422"})
			return
		}
		f.mu.Lock()
		for issue, cs := range f.comments {
			for _, c := range cs {
				if c.ID == id {
					if c.Login != f.bot {
						f.mu.Unlock()
						// GitHub refuses to let an integration edit a person's comment.
						f.writeJSON(w, 403, map[string]any{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/issues/comments#update-an-issue-comment", "status": "403"})
						return
					}
					c.Body = *in.Body
					cp := *c
					f.mu.Unlock()
					f.writeJSON(w, 200, f.commentJSON(issue, &cp))
					return
				}
			}
		}
		f.mu.Unlock()
		f.notFound(w)
	default:
		f.notFound(w)
	}
}

// answer writes fault ft instead of GitHub's answer.
func (f *fakeGitHub) answer(w http.ResponseWriter, ft *fault) {
	if ft.hangup {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range ft.headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(ft.status)
	_, _ = w.Write([]byte(ft.body))
}

func (f *fakeGitHub) notFound(w http.ResponseWriter) {
	f.writeJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
}

func (f *fakeGitHub) listComments(w http.ResponseWriter, r *http.Request, issue int) {
	perPage := 30
	if v, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	page := 1
	if v, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && v > 0 {
		page = v
	}
	f.mu.Lock()
	all := f.comments[issue]
	last := max(1, (len(all)+perPage-1)/perPage)
	var out []map[string]any
	for i := (page - 1) * perPage; i < min(len(all), page*perPage); i++ {
		c := *all[i]
		out = append(out, f.commentJSON(issue, &c))
	}
	f.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	link := func(p int, rel string) string {
		return fmt.Sprintf(`<%s%s?per_page=%d&page=%d>; rel="%s"`, f.srv.URL, r.URL.Path, perPage, p, rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	f.writeJSON(w, 200, out)
}
