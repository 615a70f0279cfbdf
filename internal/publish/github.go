package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/perfgate/perfgate/internal/loopback"
)

// RetryPolicy bounds the retries of GitHub calls that were rate limited
// (403 or 429 with rate-limit headers, secondary limits with Retry-After),
// failed on the server (500, 502, 503, 504) or on the network.
type RetryPolicy struct {
	// MaxAttempts is the number of tries of one request (default 4).
	MaxAttempts int
	// BaseDelay is the first backoff (default 1s); it doubles on every try.
	BaseDelay time.Duration
	// MaxDelay caps one wait (default 30s). When GitHub asks for a longer
	// wait (a primary rate limit resetting later), perfgate gives up instead.
	MaxDelay time.Duration
	// MaxTotalWait caps all waits of one Publish together (default 60s).
	MaxTotalWait time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxTotalWait <= 0 {
		p.MaxTotalWait = 60 * time.Second
	}
	return p
}

// SleepFunc waits d or until ctx is done, whichever comes first.
type SleepFunc func(ctx context.Context, d time.Duration) error

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryTransport retries below go-github, so go-github only ever sees the
// final answer (and its own rate-limit bookkeeping never blocks a retry).
type retryTransport struct {
	base   http.RoundTripper
	policy RetryPolicy
	sleep  SleepFunc
	now    func() time.Time
	logf   func(format string, args ...any)

	mu     sync.Mutex
	waited time.Duration
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		if attempt >= t.policy.MaxAttempts || ctx.Err() != nil {
			return resp, err
		}
		if attempt == 1 && req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return resp, err // cannot replay the body
		}
		wait, why, ok := t.classify(req.Method, resp, err, attempt)
		if !ok || !t.reserve(wait) {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		if t.logf != nil {
			t.logf("GitHub API %s %s: %s; retrying in %s (try %d of %d)",
				req.Method, req.URL.Path, why, wait.Round(time.Millisecond), attempt+1, t.policy.MaxAttempts)
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// reserve takes wait from the total budget; false when it would overrun it.
func (t *retryTransport) reserve(wait time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waited+wait > t.policy.MaxTotalWait {
		return false
	}
	t.waited += wait
	return true
}

func (t *retryTransport) backoff(attempt int) time.Duration { return t.policy.backoff(attempt) }

// backoff is the wait after the attempt-th try: BaseDelay, doubling, at
// most MaxDelay.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay << (attempt - 1)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d
}

// classify says whether to retry, after how long, and why.
func (t *retryTransport) classify(method string, resp *http.Response, err error, attempt int) (time.Duration, string, bool) {
	if err != nil {
		// A lost answer to a POST may still have created the comment:
		// only idempotent requests are sent again after a network error.
		if method == http.MethodPost {
			return 0, "", false
		}
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return t.backoff(attempt), "network error", true
		}
		return 0, "", false
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests:
		return t.serverWait(resp, attempt, "rate limited (429)")
	case code >= 500 && method == http.MethodPost:
		// The comment may have been created all the same: the caller lists
		// the comments again before it tries another create.
		return 0, "", false
	case code == http.StatusForbidden:
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			return t.serverWait(resp, attempt, "rate limit exhausted (403)")
		}
		if resp.Header.Get("Retry-After") != "" || mentionsSecondaryLimit(resp) {
			return t.serverWait(resp, attempt, "secondary rate limit (403)")
		}
		return 0, "", false
	case code == http.StatusInternalServerError || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		return t.serverWait(resp, attempt, "server error ("+strconv.Itoa(code)+")")
	}
	return 0, "", false
}

// serverWait honours Retry-After, then X-RateLimit-Reset (when nothing
// remains), then exponential backoff. A wait longer than MaxDelay is not
// taken.
func (t *retryTransport) serverWait(resp *http.Response, attempt int, why string) (time.Duration, string, bool) {
	wait := t.backoff(attempt)
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			wait = time.Duration(n) * time.Second
		} else if when, err := http.ParseTime(s); err == nil {
			wait = when.Sub(t.now())
		}
	} else if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if n, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			wait = time.Unix(n, 0).Sub(t.now()) + time.Second
		}
	}
	if wait < 0 {
		wait = 0
	}
	if wait > t.policy.MaxDelay {
		return 0, "", false
	}
	return wait, why, true
}

// mentionsSecondaryLimit peeks at a 403 body for GitHub's secondary rate
// limit message and puts the body back.
func mentionsSecondaryLimit(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), resp.Body))
	low := strings.ToLower(string(b))
	return strings.Contains(low, "secondary rate limit") || strings.Contains(low, "abuse")
}

// newClient builds a go-github client for apiURL (GITHUB_API_URL) with token.
func newClient(apiURL, token string, hc *http.Client, rt *retryTransport) (*github.Client, error) {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL", apiURL)
	}
	if u.Scheme == "http" && !loopback.Host(u.Hostname()) {
		return nil, fmt.Errorf("GITHUB_API_URL %q is plain http to a remote host; refusing to send the token", apiURL)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	if hc != nil {
		cp := *hc
		c = &cp
	}
	rt.base = c.Transport
	if rt.base == nil {
		rt.base = http.DefaultTransport
	}
	c.Transport = rt
	gh := github.NewClient(c).WithAuthToken(token)
	if strings.EqualFold(u.Host, "api.github.com") {
		return gh, nil
	}
	if p := strings.Trim(u.Path, "/"); p == "" {
		// A bare GitHub Enterprise Server host: go-github adds /api/v3/
		// (and leaves api.<host> names alone, as on GHE.com).
		return gh.WithEnterpriseURLs(apiURL, apiURL)
	}
	// GITHUB_API_URL already names the API root (GHES gives https://host/api/v3).
	base := *u
	base.Path = "/" + strings.Trim(u.Path, "/") + "/"
	up := base
	up.Path = strings.TrimSuffix(base.Path, "v3/") + "uploads/"
	gh.BaseURL = &base
	gh.UploadURL = &up
	return gh, nil
}

// maxCommentPages bounds the listing (100 per page: 20,000 comments).
const maxCommentPages = 200

// findComment pages through every comment of the issue and returns the first
// (oldest) one whose body starts with marker and that author wrote. Comments
// that merely quote or mention the marker do not count, and neither do
// anyone else's: the marker is public, anybody can post it.
func findComment(ctx context.Context, gh *github.Client, owner, repo string, pr int, marker, author string) (*github.IssueComment, int, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	pages := 0
	for {
		pages++
		cs, resp, err := gh.Issues.ListComments(ctx, owner, repo, pr, opts)
		if err != nil {
			return nil, pages, err
		}
		for _, c := range cs {
			if carriesMarker(c.GetBody(), marker) && author != "" &&
				strings.EqualFold(c.GetUser().GetLogin(), author) {
				return c, pages, nil
			}
		}
		if resp == nil || resp.NextPage == 0 || resp.NextPage == opts.Page {
			return nil, pages, nil
		}
		if pages >= maxCommentPages {
			return nil, pages, fmt.Errorf("more than %d pages of comments; not looking further", maxCommentPages)
		}
		opts.Page = resp.NextPage
	}
}

// carriesMarker: the body's first line is exactly marker.
func carriesMarker(body, marker string) bool {
	body = strings.TrimLeft(body, " \t\r\n")
	first, _, _ := strings.Cut(body, "\n")
	return strings.TrimRight(first, " \t\r") == marker
}

// GitHubTokenAuthor is the login of comments posted with the workflow's
// GITHUB_TOKEN.
const GitHubTokenAuthor = "github-actions[bot]"

// identity is whose comments perfgate may edit: the token's own login.
type identity struct {
	login string // "" when it cannot be known
	how   string // how it was found, for the log
}

// tokenIdentity finds the login the token acts as. GET /user answers for a
// person's token. Installation tokens get 403 there; for the workflow's
// GITHUB_TOKEN the author is github-actions[bot], for any other (a GitHub
// App's) it cannot be known, and login is "".
func tokenIdentity(ctx context.Context, gh *github.Client, isGitHubToken bool) identity {
	u, _, err := gh.Users.Get(ctx, "")
	if err == nil && u.GetLogin() != "" {
		return identity{login: u.GetLogin(), how: "the token's user (GET /user)"}
	}
	var er *github.ErrorResponse
	forbidden := errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden
	switch {
	case forbidden && isGitHubToken:
		return identity{login: GitHubTokenAuthor, how: "the workflow's GITHUB_TOKEN"}
	case forbidden:
		return identity{how: "GET /user answered 403 and the token is not the workflow's GITHUB_TOKEN"}
	case err != nil:
		return identity{how: fmt.Sprintf("GET /user failed: %v", err)}
	}
	return identity{how: "GET /user gave no login"}
}

// mayHaveCreated says whether a failed create may still have made the
// comment: GitHub failed (5xx) or the answer was lost on the network.
func mayHaveCreated(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		return er.Response != nil && er.Response.StatusCode >= 500
	}
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &ab) {
		return false
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
