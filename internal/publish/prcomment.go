package publish

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// thread is the comment thread of one pull request, and whose comment
// carrying the marker is ours.
type thread struct {
	gh          *github.Client
	owner, repo string
	pr          int
	marker      string
	author      string // the login whose marked comment may be edited; "" none
}

// commentAuthor is the login whose marked comment perfgate may edit:
// CommentAuthor, PERFGATE_COMMENT_AUTHOR, else the token's own identity.
// "" when it cannot be known: then a new comment is posted, as a comment
// carrying the marker may be anybody's.
func (p *publisher) commentAuthor(ctx context.Context, gh *github.Client, token string) string {
	if a := strings.TrimSpace(p.o.CommentAuthor); a != "" {
		p.logf("editing only perfgate comments written by %s (as asked)", a)
		return a
	}
	if a := strings.TrimSpace(p.getenv("PERFGATE_COMMENT_AUTHOR")); a != "" {
		p.logf("editing only perfgate comments written by %s (PERFGATE_COMMENT_AUTHOR)", a)
		return a
	}
	id := tokenIdentity(ctx, gh, token == p.env.Token)
	if id.login == "" {
		p.warn("cannot tell which account the token comments as (%s): posting a new comment instead of editing a marked one, which may be someone else's; "+
			"set PERFGATE_COMMENT_AUTHOR to the token's login (a GitHub App comments as APP-SLUG[bot]) so that later runs edit it in place", id.how)
		return ""
	}
	p.logf("editing only perfgate comments written by %s (%s)", id.login, id.how)
	return id.login
}

// update edits our comment to body, unless it already says so.
func (p *publisher) update(ctx context.Context, t thread, existing *github.IssueComment, body string) {
	p.rep.CommentID = existing.GetID()
	p.rep.CommentURL = existing.GetHTMLURL()
	if existing.GetBody() == body {
		p.rep.Comment = CommentUnchanged
		p.logf("pull request #%d comment %d is up to date", t.pr, existing.GetID())
		return
	}
	c, _, err := t.gh.Issues.EditComment(ctx, t.owner, t.repo, existing.GetID(), &github.IssueComment{Body: github.String(body)})
	if err != nil {
		p.apiWarn(fmt.Sprintf("update comment %d on pull request #%d", existing.GetID(), t.pr), err)
		return
	}
	p.rep.Comment = CommentUpdated
	if u := c.GetHTMLURL(); u != "" {
		p.rep.CommentURL = u
	}
	p.logf("updated the perfgate comment on pull request #%d: %s", t.pr, p.rep.CommentURL)
}

// create posts the comment. A create that failed in a way that may still
// have posted it (GitHub answered 5xx, the answer was lost) is not sent
// again blindly: the comments are listed again first, and when ours is
// there, it is the one kept.
func (p *publisher) create(ctx context.Context, t thread, body string) {
	policy := p.o.Retry.withDefaults()
	sleep := p.o.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	what := "comment on pull request #" + fmt.Sprint(t.pr)
	for attempt := 1; ; attempt++ {
		c, _, err := t.gh.Issues.CreateComment(ctx, t.owner, t.repo, t.pr, &github.IssueComment{Body: github.String(body)})
		if err == nil {
			p.created(t, c)
			return
		}
		if !mayHaveCreated(ctx, err) || attempt >= policy.MaxAttempts {
			p.apiWarn(what, err)
			return
		}
		if t.author == "" {
			p.apiWarn(what+" (it may have been posted all the same; without the token's login perfgate cannot tell its comment from others', so it does not post again)", err)
			return
		}
		wait := policy.backoff(attempt)
		p.logf("posting the comment on pull request #%d failed (%v); listing the comments again before another try, in %s", t.pr, p.scrub.s(err.Error()), wait)
		if err := sleep(ctx, wait); err != nil {
			p.apiWarn(what, err)
			return
		}
		existing, pages, err := findComment(ctx, t.gh, t.owner, t.repo, t.pr, t.marker, t.author)
		p.rep.CommentPages += pages
		if err != nil {
			p.apiWarn("list the comments of pull request #"+fmt.Sprint(t.pr), err)
			return
		}
		if existing != nil {
			p.logf("the comment was posted although GitHub answered with an error: comment %d", existing.GetID())
			p.update(ctx, t, existing, body)
			if p.rep.Comment == CommentUnchanged || p.rep.Comment == CommentUpdated {
				p.rep.Comment = CommentCreated
			}
			return
		}
	}
}

// created records a new comment, and warns when GitHub says it was posted
// by someone other than the author perfgate will look for next time.
func (p *publisher) created(t thread, c *github.IssueComment) {
	p.rep.Comment = CommentCreated
	p.rep.CommentID = c.GetID()
	p.rep.CommentURL = c.GetHTMLURL()
	p.logf("commented on pull request #%d: %s", t.pr, p.rep.CommentURL)
	got := c.GetUser().GetLogin()
	if got != "" && t.author == "" {
		p.logf("the comment was posted as %s: set PERFGATE_COMMENT_AUTHOR=%s so that later runs edit it in place", got, got)
	}
	if got != "" && t.author != "" && !strings.EqualFold(got, t.author) {
		p.warn("the comment was posted as %s, but perfgate edits only comments written by %s; set PERFGATE_COMMENT_AUTHOR=%s so that later runs edit this comment instead of posting another", got, t.author, got)
	}
}
