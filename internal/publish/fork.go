package publish

// Pull requests from forks get a read-only token, so their own workflow
// cannot comment. The documented way out is two workflows: the
// pull_request job measures and uploads the results with a PRMetadata file
// as an artifact; a workflow_run workflow (which has a write token and runs
// the base repository's code, never the fork's) downloads it and publishes.
//
// Everything in that artifact was written by the fork's code, so it is
// data, never trusted: the metadata's head commit must be the triggering
// run's (github.event.workflow_run.head_sha, set by GitHub), and the pull
// request it names must have that head commit now, as GitHub's API says.
// Otherwise a fork could aim the comment at somebody else's pull request.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/perfgate/perfgate/internal/results"
)

// PRMetadata is the file the pull_request job uploads beside its results:
// which pull request and commits they were measured for.
type PRMetadata struct {
	PullRequest int    `json:"pull_request"`
	HeadSHA     string `json:"head_sha"`
	BaseSHA     string `json:"base_sha,omitempty"`
	Repository  string `json:"repository"` // owner/name of the base repository
}

// MaxPRMetadataSize bounds a metadata file: it holds four short values.
const MaxPRMetadataSize = 4 << 10

// ErrRefused marks a publish refused because the pull request or commit it
// would comment on is not the one the results were measured for; nothing
// was written to GitHub.
var ErrRefused = errors.New("refused")

// ErrUnverified marks a publish given up because GitHub could not be asked
// which commit the pull request is at; nothing was written to GitHub.
var ErrUnverified = errors.New("could not verify the pull request")

var (
	reSHA  = regexp.MustCompile(`^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$`)
	reRepo = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
)

// ValidSHA reports whether s is a full commit id (SHA-1 or SHA-256, hex).
func ValidSHA(s string) bool { return reSHA.MatchString(s) }

// ParsePRMetadata decodes and checks a metadata file's content: known
// fields only, a positive pull request number, full commit ids and an
// owner/name repository.
func ParsePRMetadata(data []byte) (PRMetadata, error) {
	var m PRMetadata
	if len(data) > MaxPRMetadataSize {
		return m, fmt.Errorf("pull request metadata is %d bytes, more than the %d a metadata file holds", len(data), MaxPRMetadataSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return PRMetadata{}, fmt.Errorf("pull request metadata is not the expected JSON ({\"pull_request\": N, \"head_sha\": ..., \"base_sha\": ..., \"repository\": \"owner/name\"}): %v", err)
	}
	if dec.More() {
		return PRMetadata{}, errors.New("pull request metadata has data after its JSON object")
	}
	switch {
	case m.PullRequest <= 0:
		return PRMetadata{}, fmt.Errorf("pull request metadata: pull_request %d is not a pull request number", m.PullRequest)
	case !ValidSHA(m.HeadSHA):
		return PRMetadata{}, fmt.Errorf("pull request metadata: head_sha %q is not a full commit id", m.HeadSHA)
	case m.BaseSHA != "" && !ValidSHA(m.BaseSHA):
		return PRMetadata{}, fmt.Errorf("pull request metadata: base_sha %q is not a full commit id", m.BaseSHA)
	case !reRepo.MatchString(m.Repository):
		return PRMetadata{}, fmt.Errorf("pull request metadata: repository %q is not owner/name", m.Repository)
	}
	return m, nil
}

// CheckPRMetadata checks m against what the triggering run says: its head
// commit expectHead (github.event.workflow_run.head_sha) and, when not
// empty, the repository the publishing job runs in (GITHUB_REPOSITORY).
// The error wraps ErrRefused.
func CheckPRMetadata(m PRMetadata, expectHead, repository string) error {
	if !strings.EqualFold(m.HeadSHA, expectHead) {
		return fmt.Errorf("%w: the artifact was measured at head %s, but the triggering run is at %s; "+
			"the artifact does not belong to this run, nothing is posted", ErrRefused, m.HeadSHA, expectHead)
	}
	if repository != "" && !strings.EqualFold(m.Repository, repository) {
		return fmt.Errorf("%w: the artifact names repository %s, but this job runs in %s; nothing is posted",
			ErrRefused, m.Repository, repository)
	}
	return nil
}

// verifyHead asks GitHub for pull request pr and checks its head commit is
// p.o.ExpectHeadSHA. Nothing is written.
func (p *publisher) verifyHead(ctx context.Context, token string) error {
	want := strings.TrimSpace(p.o.ExpectHeadSHA)
	if !ValidSHA(want) {
		return fmt.Errorf("%w: expected head %q is not a full commit id (pass github.event.workflow_run.head_sha)", ErrBadInput, want)
	}
	pr := p.o.PullRequest
	if pr <= 0 {
		n, err := p.env.PullRequest()
		if err != nil {
			return fmt.Errorf("%w: checking the head commit needs the pull request number (--pr or --pr-metadata): %v", ErrBadInput, err)
		}
		pr = n
	}
	owner, repo, ok := p.env.OwnerName()
	if !ok {
		return fmt.Errorf("%w: GITHUB_REPOSITORY %q is not owner/name; cannot check pull request #%d", ErrBadInput, p.env.Repository, pr)
	}
	if token == "" {
		return fmt.Errorf("%w: checking pull request #%d's head commit needs a token (GITHUB_TOKEN or --token)", ErrBadInput, pr)
	}
	gh, ctx, cancel, err := p.client(ctx, token)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	defer cancel()
	got, _, err := gh.PullRequests.Get(ctx, owner, repo, pr)
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == 404 {
			return fmt.Errorf("%w: %s/%s has no pull request #%d; nothing is posted", ErrRefused, owner, repo, pr)
		}
		return fmt.Errorf("%w #%d: %v; nothing is posted", ErrUnverified, pr, err)
	}
	head := got.GetHead().GetSHA()
	if !strings.EqualFold(head, want) {
		return fmt.Errorf("%w: pull request #%d's head is %s, not %s (it was pushed to since, or the artifact "+
			"names another pull request); nothing is posted — the run for the new head will comment", ErrRefused, pr, head, want)
	}
	p.o.PullRequest = pr
	p.logf("pull request #%d is at %s, the commit the results were measured for", pr, results.ShortCommit(want))
	return nil
}

// client builds a GitHub client with perfgate's retries, its calls bounded
// together by Options.Timeout; call cancel when done.
func (p *publisher) client(ctx context.Context, token string) (*github.Client, context.Context, context.CancelFunc, error) {
	timeout := p.o.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	now := p.o.Now
	if now == nil {
		now = time.Now
	}
	sleep := p.o.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	rt := &retryTransport{policy: p.o.Retry.withDefaults(), sleep: sleep, now: now, logf: p.logf}
	gh, err := newClient(p.env.APIURL, token, p.o.HTTPClient, rt)
	if err != nil {
		cancel()
		return nil, nil, func() {}, err
	}
	return gh, ctx, cancel, nil
}

// scrubErr keeps err matchable with errors.Is while its text has no token.
func (p *publisher) scrubErr(err error) error {
	return scrubbedError{msg: p.scrub.s(err.Error()), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.err }
