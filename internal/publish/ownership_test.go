package publish

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// These tests run the real go-github client against the fake GitHub, which
// answers GET /user with 403 as GitHub does for installation tokens.

const planted = "<!-- perfgate:api -->\nplanted by someone else"

// TestForeignMarkerCommentIsNotEdited: someone else's comment that starts
// with the marker is left alone; perfgate posts its own and edits that one
// on the next run.
func TestForeignMarkerCommentIsNotEdited(t *testing.T) {
	h := newHarness(t, "/api/v3")
	foreign := h.gh.addComment(42, "mallory", planted)
	rep := h.publish(resultstest.Sample(results.VerdictFail))
	if rep.Comment != CommentCreated || rep.CommentID == foreign {
		t.Fatalf("first publish %+v, warnings %v", rep, rep.Warnings)
	}
	rep2 := h.publish(resultstest.Sample(results.VerdictPass))
	if rep2.Comment != CommentUpdated || rep2.CommentID != rep.CommentID {
		t.Fatalf("second publish %+v, want an update of %d", rep2, rep.CommentID)
	}
	cs := h.gh.list(42)
	if len(cs) != 2 || cs[0].ID != foreign || cs[0].Body != planted {
		t.Errorf("comments %+v: the planted one changed or a duplicate was posted", cs)
	}
	for _, r := range h.gh.reqs() {
		if r.Method == "PATCH" && strings.HasSuffix(r.Path, "/"+strconv.FormatInt(foreign, 10)) {
			t.Errorf("the planted comment was edited: %s %s", r.Method, r.Path)
		}
	}
	if !strings.Contains(h.log.String(), "written by github-actions[bot] (the workflow's GITHUB_TOKEN)") {
		t.Errorf("the log does not say whose comments are edited:\n%s", h.log.String())
	}
}

// TestOwnBotCommentIsUpdated: with the workflow's GITHUB_TOKEN, the marked
// comment of github-actions[bot] is edited, not an older planted one.
func TestOwnBotCommentIsUpdated(t *testing.T) {
	h := newHarness(t, "/api/v3")
	foreign := h.gh.addComment(42, "mallory", planted)
	ours := h.gh.addComment(42, GitHubTokenAuthor, Marker("api")+"\nold report")
	rep := h.publish(resultstest.Sample(results.VerdictPass))
	if rep.Comment != CommentUpdated || rep.CommentID != ours {
		t.Fatalf("report %+v, want an update of %d; warnings %v", rep, ours, rep.Warnings)
	}
	cs := h.gh.list(42)
	if len(cs) != 2 || cs[0].ID != foreign || cs[0].Body != planted || !strings.Contains(cs[1].Body, "perfgate api: PASS") {
		t.Errorf("comments %+v", cs)
	}
	if n := h.gh.count("POST"); n != 0 {
		t.Errorf("%d POSTs, want none", n)
	}
}

// TestUnknownIdentityPostsNew: an installation token that is not the
// workflow's GITHUB_TOKEN (a GitHub App's) cannot say whose it is; no
// marked comment is edited, a new one is posted and the log says what to set.
func TestUnknownIdentityPostsNew(t *testing.T) {
	h := newHarness(t, "/api/v3")
	h.env["GITHUB_TOKEN"] = "ghs_theWorkflowsOwnTokenNotThisOne"
	h.gh.bot = "perf-app[bot]"
	foreign := h.gh.addComment(42, "mallory", planted)
	earlier := h.gh.addComment(42, "perf-app[bot]", Marker("api")+"\nearlier report")
	opts := h.opts(resultstest.Sample(results.VerdictPass))
	opts.Token = h.gh.token
	rep, err := Publish(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Comment != CommentCreated || rep.CommentID == foreign || rep.CommentID == earlier {
		t.Fatalf("report %+v", rep)
	}
	if n := h.gh.count("PATCH"); n != 0 {
		t.Errorf("%d PATCHes, want none", n)
	}
	warns := strings.Join(rep.Warnings, "\n")
	if !strings.Contains(warns, "cannot tell which account the token comments as") || !strings.Contains(warns, "PERFGATE_COMMENT_AUTHOR") {
		t.Errorf("warnings %q do not say what happened and what to set", warns)
	}
	if !strings.Contains(h.log.String(), "set PERFGATE_COMMENT_AUTHOR=perf-app[bot]") {
		t.Errorf("the log does not name the login to set:\n%s", h.log.String())
	}
}

// TestCreateAnsweredWithErrorIsNotDuplicated: GitHub creates the comment
// but answers 502 (or the answer is lost); perfgate lists the comments
// again, finds its own and posts no second one.
func TestCreateAnsweredWithErrorIsNotDuplicated(t *testing.T) {
	for name, f := range map[string]fault{
		"502":         {after: true, status: 502, body: `{"message":"Bad Gateway"}`},
		"lost answer": {after: true, hangup: true},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "/api/v3")
			h.gh.queue("POST", f)
			rep := h.publish(resultstest.Sample(results.VerdictFail))
			if rep.Comment != CommentCreated {
				t.Fatalf("report %+v, warnings %v", rep, rep.Warnings)
			}
			var ours []fakeComment
			for _, c := range h.gh.list(42) {
				if c.Login == GitHubTokenAuthor {
					ours = append(ours, c)
				}
			}
			if len(ours) != 1 || rep.CommentID != ours[0].ID {
				t.Fatalf("perfgate's comments %+v, want exactly one (report id %d)", ours, rep.CommentID)
			}
			if n := h.gh.count("POST"); n != 1 {
				t.Errorf("%d POSTs, want 1", n)
			}
			if !strings.Contains(h.log.String(), "listing the comments again") {
				t.Errorf("the log does not say the comments were listed again:\n%s", h.log.String())
			}
		})
	}
}
