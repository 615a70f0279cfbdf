// Package publish reports a perfgate run where people look: a single pull
// request comment per configuration (created, then edited in place), the
// job summary, step outputs and annotations when running in GitHub Actions,
// and plain Markdown on a writer everywhere else.
//
// Publishing is best effort: a missing token, a fork's read-only token, a
// 403/404, a rate limit that outlasts the retry budget or a GitHub outage
// become warnings in the Report and never change the verdict. Publish
// returns an error only for bad input or a cancelled context.
package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/internal/publish/ghactions"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// Options configure one Publish. Only Results is required.
type Options struct {
	Results *results.Results
	// ResultsPath is the results file, reported (made absolute) as the
	// results-path output.
	ResultsPath string
	// ConfigPath names the config in the "refresh the baseline" hint
	// (default: Results.ConfigPath).
	ConfigPath string
	// Token authenticates to GitHub; when empty GITHUB_TOKEN is used.
	Token string
	// NoComment skips the PR comment (job summary, outputs and annotations
	// are still written). PERFGATE_COMMENT=false in the environment does the
	// same, so the Action's `comment` input needs no flag.
	NoComment bool
	// PullRequest overrides the number read from the event payload.
	PullRequest int
	// ExpectHeadSHA, when set, is the commit the results were measured for
	// (in a workflow_run job: github.event.workflow_run.head_sha). Before
	// anything is written, Publish asks GitHub for the pull request
	// (GET /repos/{owner}/{repo}/pulls/{n}) and refuses, with an error
	// wrapping ErrRefused and nothing posted, unless its head is this
	// commit. See PRMetadata for the fork workflow.
	ExpectHeadSHA string
	// CommentAuthor is the login whose marked comment Publish edits (e.g.
	// "github-actions[bot]"); a marked comment by anyone else is never
	// edited. When empty, PERFGATE_COMMENT_AUTHOR is used, else the token's
	// own login: GET /user for a person's token, github-actions[bot] for the
	// workflow's GITHUB_TOKEN (GET /user answers it 403). When the login
	// cannot be known (another installation token), a new comment is posted
	// every time, with a warning.
	CommentAuthor string
	// CommentFile, when set, also receives the comment's Markdown, as it
	// would be posted (perfgate publish -o); a failed write is a warning.
	CommentFile string

	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// Stdout receives workflow commands in Actions, and the Markdown that
	// would be posted outside Actions (default io.Discard).
	Stdout io.Writer
	// Log receives progress and warning lines for people (default io.Discard).
	Log io.Writer
	// HTTPClient is the base client for GitHub calls (default: 30s timeout).
	HTTPClient *http.Client
	Retry      RetryPolicy
	// Timeout bounds all GitHub calls of one Publish together (default 2m);
	// when it runs out the comment is given up with a warning.
	Timeout time.Duration
	// Sleep waits between retries (default: a ctx-aware timer). Tests make it instant.
	Sleep SleepFunc
	// Now is the clock for rate-limit resets (default time.Now).
	Now func() time.Time
}

// Comment outcomes.
const (
	CommentCreated   = "created"   // a new comment was posted
	CommentUpdated   = "updated"   // our marked comment was edited
	CommentUnchanged = "unchanged" // our marked comment already said this
	CommentPrinted   = "printed"   // outside Actions: written to Stdout
	CommentSkipped   = "skipped"   // not asked for, or no pull request
	CommentFailed    = "failed"    // tried and gave up; see Warnings
)

// Report says what Publish did. Nothing in it carries the token.
type Report struct {
	Actions     bool   // ran inside GitHub Actions
	Verdict     string // the results' verdict, unchanged
	PullRequest int    // 0 when there was none
	Comment     string // one of the Comment* outcomes
	CommentID   int64
	CommentURL  string
	// CommentPages is how many pages of comments were listed.
	CommentPages   int
	Truncated      bool // the comment body was cut to fit GitHub's limit
	SummaryWritten bool // GITHUB_STEP_SUMMARY appended
	OutputsWritten bool // GITHUB_OUTPUT appended
	Annotations    int  // ::error:: / ::warning:: / ::notice:: lines written
	// Warnings are publishing problems (already logged and annotated).
	Warnings []string
}

// ErrBadInput marks errors caused by what the caller passed.
var ErrBadInput = errors.New("bad input")

// Publish publishes res. Outside GitHub Actions (GITHUB_ACTIONS unset) it
// writes the comment's Markdown to Stdout and returns. Inside, it emits
// annotations, creates or updates the PR comment, appends the job summary and
// writes the verdict and results-path outputs.
//
// The error is non-nil only for bad input (wrapping ErrBadInput, no Report),
// for a refused or unverifiable ExpectHeadSHA (wrapping ErrRefused or
// ErrUnverified, no Report, nothing written) or when ctx was cancelled (the Report says what was done); everything else
// is a warning in the Report. Stdout must be the process's stdout in Actions:
// the runner reads annotations there.
func Publish(ctx context.Context, o Options) (*Report, error) {
	if err := validate(o.Results); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	env := ghactions.ReadEnv(getenv)
	token := strings.TrimSpace(o.Token)
	if token == "" {
		token = env.Token
	}
	p := &publisher{o: o, getenv: getenv, env: env, rep: &Report{Actions: env.Actions, Verdict: o.Results.Verdict}}
	p.scrub = newScrubber(token)
	p.stdout = p.scrub.writer(orDiscard(o.Stdout))
	p.log = p.scrub.writer(orDiscard(o.Log))

	if strings.TrimSpace(o.ExpectHeadSHA) != "" {
		if err := p.verifyHead(ctx, token); err != nil {
			// The caller prints the error; the annotation puts it on the run's page.
			err = p.scrubErr(err)
			if env.Actions {
				p.annotation(ghactions.Annotation{Level: ghactions.LevelError, Title: "perfgate publish", Message: err.Error()})
			}
			return nil, err
		}
	}

	res := o.Results
	bo := BodyOptions{RunURL: env.RunURL(), ConfigPath: o.ConfigPath, Workspace: env.Workspace, Exit: exitCode(getenv("PERFGATE_EXIT")), ReportURL: getenv("PERFGATE_REPORT_URL")}
	if o.CommentFile != "" {
		body, _ := Body(res, bo)
		if err := atomicfile.Write(o.CommentFile, []byte(p.scrub.s(body)), 0o644); err != nil {
			p.warn("could not write the comment to %s: %v", o.CommentFile, err)
		}
	}
	if !env.Actions {
		body, cut := Body(res, bo)
		p.rep.Truncated = cut
		p.rep.Comment = CommentPrinted
		if _, err := io.WriteString(p.stdout, body); err != nil {
			p.warn("could not write the report: %v", err)
		}
		return p.rep, nil
	}

	p.annotate(res)
	if o.NoComment || strings.EqualFold(strings.TrimSpace(getenv("PERFGATE_COMMENT")), "false") {
		p.rep.Comment = CommentSkipped
		p.logf("not commenting on the pull request (comment disabled)")
	} else {
		p.comment(ctx, res, bo, token)
	}

	sb := bo
	sb.NoMarker = true
	sb.Limit = MaxSummaryBytes
	summary, _ := Body(res, sb)
	if env.Summary == "" {
		p.warn("GITHUB_STEP_SUMMARY is not set; no job summary written")
	} else if err := ghactions.AppendFile(env.Summary, p.scrub.s(summary)+"\n"); err != nil {
		p.warn("could not write the job summary: %v", err)
	} else {
		p.rep.SummaryWritten = true
	}

	resultsPath := o.ResultsPath
	if resultsPath != "" && !filepath.IsAbs(resultsPath) {
		if abs, err := filepath.Abs(resultsPath); err == nil {
			resultsPath = abs
		}
	}
	outs, err := ghactions.FormatOutputs([]ghactions.Output{
		{Name: "verdict", Value: res.Verdict},
		{Name: "results-path", Value: resultsPath},
		{Name: "comment-url", Value: p.rep.CommentURL},
	})
	switch {
	case err != nil:
		p.warn("could not format step outputs: %v", err)
	case env.OutputPath == "":
		p.warn("GITHUB_OUTPUT is not set; no step outputs written")
	default:
		if err := ghactions.AppendFile(env.OutputPath, p.scrub.s(outs)); err != nil {
			p.warn("could not write step outputs: %v", err)
		} else {
			p.rep.OutputsWritten = true
		}
	}
	// The summary and outputs are local files, written even when ctx was
	// cancelled during the GitHub calls.
	return p.rep, ctx.Err()
}

// validate applies the same checks as results.Parse, for results that did
// not come from a file.
func validate(res *results.Results) error {
	if res == nil {
		return errors.New("no results to publish")
	}
	if err := res.Validate(); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

type publisher struct {
	o      Options
	getenv func(string) string
	env    ghactions.Env
	rep    *Report
	scrub  scrubber
	stdout io.Writer
	log    io.Writer
}

// logf writes one log line; line breaks inside it are flattened so nothing
// it quotes can start a workflow command line.
func (p *publisher) logf(format string, args ...any) {
	line := strings.NewReplacer("\r", " ", "\n", " ").Replace(fmt.Sprintf(format, args...))
	fmt.Fprintf(p.log, "perfgate: %s\n", line)
}

// warn records a publishing problem, logs it and annotates it.
func (p *publisher) warn(format string, args ...any) {
	msg := p.scrub.s(fmt.Sprintf(format, args...))
	p.rep.Warnings = append(p.rep.Warnings, msg)
	p.logf("warning: %s", msg)
	if p.env.Actions {
		p.annotation(ghactions.Annotation{Level: ghactions.LevelWarning, Title: "perfgate publish", Message: msg})
	}
}

func (p *publisher) annotation(a ghactions.Annotation) {
	if a.Write(p.stdout) == nil {
		p.rep.Annotations++
	}
}

// maxAnnotations bounds the lines written (GitHub shows 10 per level per step).
const maxAnnotations = 50

// annotate writes an ::error:: per failed check and a ::warning:: per warning.
func (p *publisher) annotate(res *results.Results) {
	name := res.Name
	if name == "" {
		name = "perfgate"
	}
	var as []ghactions.Annotation
	if c := res.Comparison; c != nil {
		for _, ch := range c.Checks {
			if ch.Status != results.CheckFail {
				continue
			}
			kind, msg := "regression", ch.Scenario+": "+ch.Note
			switch {
			case ch.Gate == "limit": // an absolute limit of the config: the note names the figure and the bound
				kind = "limit"
			case ch.Metric != "":
				msg = fmt.Sprintf("%s %s regressed: %s", ch.Scenario, ch.Metric, report.ChangeLine(ch, " -> "))
				if ch.Rule != "" {
					msg += " (gate: " + ch.Rule + ")"
				}
			}
			as = append(as, ghactions.Annotation{Level: ghactions.LevelError, Title: "perfgate " + name + ": " + kind, Message: msg})
		}
	}
	ws := append([]string(nil), res.Warnings...)
	if res.Comparison != nil {
		ws = append(ws, res.Comparison.Warnings...)
	}
	for _, w := range ws {
		as = append(as, ghactions.Annotation{Level: ghactions.LevelWarning, Title: "perfgate " + name, Message: w})
	}
	if res.Verdict == results.VerdictFail && len(as) == 0 {
		as = append(as, ghactions.Annotation{Level: ghactions.LevelError, Title: "perfgate " + name, Message: "verdict: fail"})
	}
	if res.Verdict == results.VerdictNoBaseline {
		as = append(as, ghactions.Annotation{Level: ghactions.LevelNotice, Title: "perfgate " + name,
			Message: "no baseline to compare against; run `perfgate baseline update` and commit baselines/"})
	}
	for i, a := range as {
		if i == maxAnnotations {
			p.annotation(ghactions.Annotation{Level: ghactions.LevelWarning, Title: "perfgate " + name,
				Message: fmt.Sprintf("%d more annotations left out; see the job summary", len(as)-maxAnnotations)})
			break
		}
		a.Title, a.Message = p.scrub.s(a.Title), p.scrub.s(a.Message)
		p.annotation(a)
	}
}

// comment creates or updates the PR comment; every failure is a warning.
func (p *publisher) comment(ctx context.Context, res *results.Results, bo BodyOptions, token string) {
	p.rep.Comment = CommentSkipped
	pr := p.o.PullRequest
	if pr <= 0 {
		n, err := p.env.PullRequest()
		switch {
		case errors.Is(err, ghactions.ErrNoPullRequest):
			p.logf("the %s event is not a pull request; writing the job summary only", orUnknownEvent(p.env.EventName))
			return
		case err != nil:
			p.warn("cannot tell which pull request to comment on (%v); writing the job summary only", err)
			return
		}
		pr = n
	}
	p.rep.PullRequest = pr
	owner, repo, ok := p.env.OwnerName()
	if !ok {
		p.warn("GITHUB_REPOSITORY %q is not owner/name; writing the job summary only", p.env.Repository)
		return
	}
	if token == "" {
		p.warn("no GitHub token (set GITHUB_TOKEN or pass a token); writing the job summary only")
		return
	}
	p.rep.Comment = CommentFailed
	gh, ctx, cancel, err := p.client(ctx, token)
	if err != nil {
		p.warn("%v; writing the job summary only", err)
		return
	}
	defer cancel()
	body, cut := Body(res, bo)
	body = p.scrub.s(body)
	p.rep.Truncated = cut
	t := thread{gh: gh, owner: owner, repo: repo, pr: pr, marker: Marker(res.Name)}
	t.author = p.commentAuthor(ctx, gh, token)
	if t.author == "" {
		p.create(ctx, t, body)
		return
	}
	existing, pages, err := findComment(ctx, gh, owner, repo, pr, t.marker, t.author)
	p.rep.CommentPages = pages
	if err != nil {
		p.apiWarn("list the comments of pull request #"+fmt.Sprint(pr), err)
		return
	}
	if existing != nil {
		p.update(ctx, t, existing, body)
		return
	}
	p.create(ctx, t, body)
}

func orUnknownEvent(s string) string {
	if s == "" {
		return "triggering"
	}
	return s
}

// apiWarn turns a GitHub API error into a warning with what to do about it.
func (p *publisher) apiWarn(what string, err error) {
	hint := ""
	var er *github.ErrorResponse
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rl), errors.As(err, &ab):
		hint = "GitHub's rate limit outlasted the retries"
	case errors.As(err, &er) && er.Response != nil:
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			hint = "the token was rejected"
		case http.StatusForbidden, http.StatusNotFound:
			hint = "the token may not write to pull requests: grant `permissions: pull-requests: write` " +
				"(pull requests from forks get a read-only token; the job summary still has the report)"
		default:
			if er.Response.StatusCode >= 500 {
				hint = "GitHub is failing; the retries ran out"
			}
		}
	}
	msg := fmt.Sprintf("could not %s: %v", what, err)
	if hint != "" {
		msg += " — " + hint
	}
	p.warn("%s; writing the job summary only", msg)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// scrubber removes the token from anything perfgate writes.
type scrubber struct{ secret string }

func newScrubber(token string) scrubber { return scrubber{secret: token} }

func (s scrubber) s(text string) string {
	if s.secret == "" {
		return text
	}
	return strings.ReplaceAll(text, s.secret, "***")
}

func (s scrubber) writer(w io.Writer) io.Writer {
	if s.secret == "" {
		return w
	}
	return scrubWriter{w: w, s: s}
}

// scrubWriter scrubs each Write on its own; perfgate writes whole lines.
type scrubWriter struct {
	w io.Writer
	s scrubber
}

func (w scrubWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.s.s(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// String says in one line what happened, for the CLI's log.
func (r *Report) String() string {
	if r == nil {
		return "nothing published"
	}
	var s string
	switch r.Comment {
	case CommentPrinted:
		return "not in GitHub Actions: printed the report"
	case CommentCreated, CommentUpdated, CommentUnchanged:
		s = fmt.Sprintf("pull request #%d comment %s: %s", r.PullRequest, r.Comment, r.CommentURL)
	case CommentFailed:
		s = fmt.Sprintf("pull request #%d comment failed", r.PullRequest)
	default:
		s = "no pull request comment"
	}
	if r.SummaryWritten {
		s += "; job summary written"
	}
	if n := len(r.Warnings); n > 0 {
		s += fmt.Sprintf("; %d warning(s)", n)
	}
	return s
}

// exitCode keeps a one-digit exit code (the action's PERFGATE_EXIT), else "".
func exitCode(s string) string {
	if len(s) == 1 && '0' <= s[0] && s[0] <= '9' {
		return s
	}
	return ""
}
