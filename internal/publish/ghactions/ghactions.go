// Package ghactions speaks the GitHub Actions runner's file and log
// protocols: the environment a job sees, the event payload, workflow
// commands (annotations), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
//
// Nothing here talks to the network and nothing reads the process
// environment directly: callers pass a lookup function.
package ghactions

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/internal/termtext"
)

// Env is what a job step sees of the runner, read from environment variables.
type Env struct {
	Actions    bool   // GITHUB_ACTIONS == "true"
	EventName  string // GITHUB_EVENT_NAME
	EventPath  string // GITHUB_EVENT_PATH
	Repository string // GITHUB_REPOSITORY, "owner/name"
	APIURL     string // GITHUB_API_URL (default https://api.github.com)
	ServerURL  string // GITHUB_SERVER_URL (default https://github.com)
	RunID      string // GITHUB_RUN_ID
	RunAttempt string // GITHUB_RUN_ATTEMPT
	Ref        string // GITHUB_REF
	Workspace  string // GITHUB_WORKSPACE
	Token      string // GITHUB_TOKEN
	OutputPath string // GITHUB_OUTPUT
	Summary    string // GITHUB_STEP_SUMMARY
}

// ReadEnv reads Env through getenv (os.Getenv when nil).
func ReadEnv(getenv func(string) string) Env {
	if getenv == nil {
		getenv = os.Getenv
	}
	e := Env{
		Actions:    getenv("GITHUB_ACTIONS") == "true",
		EventName:  getenv("GITHUB_EVENT_NAME"),
		EventPath:  getenv("GITHUB_EVENT_PATH"),
		Repository: getenv("GITHUB_REPOSITORY"),
		APIURL:     strings.TrimRight(getenv("GITHUB_API_URL"), "/"),
		ServerURL:  strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/"),
		RunID:      getenv("GITHUB_RUN_ID"),
		RunAttempt: getenv("GITHUB_RUN_ATTEMPT"),
		Ref:        getenv("GITHUB_REF"),
		Workspace:  getenv("GITHUB_WORKSPACE"),
		Token:      strings.TrimSpace(getenv("GITHUB_TOKEN")),
		OutputPath: getenv("GITHUB_OUTPUT"),
		Summary:    getenv("GITHUB_STEP_SUMMARY"),
	}
	if e.APIURL == "" {
		e.APIURL = "https://api.github.com"
	}
	if e.ServerURL == "" {
		e.ServerURL = "https://github.com"
	}
	return e
}

// OwnerName splits Repository; ok is false when it is not "owner/name".
func (e Env) OwnerName() (owner, name string, ok bool) {
	owner, name, ok = strings.Cut(e.Repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return owner, name, true
}

// RunURL links to the workflow run, or "" when the run is unknown.
func (e Env) RunURL() string {
	if e.Repository == "" || e.RunID == "" {
		return ""
	}
	u := e.ServerURL + "/" + e.Repository + "/actions/runs/" + e.RunID
	if n, err := strconv.Atoi(e.RunAttempt); err == nil && n > 1 {
		u += "/attempts/" + e.RunAttempt
	}
	return u
}

// event is the part of a webhook payload that names a pull request.
type event struct {
	Number      int `json:"number"`
	PullRequest *struct {
		Number int `json:"number"`
	} `json:"pull_request"`
	Issue *struct {
		Number      int              `json:"number"`
		PullRequest *json.RawMessage `json:"pull_request"`
	} `json:"issue"`
}

// ErrNoPullRequest says the event is not about a pull request (a push, a
// schedule, a manual dispatch): there is nothing to comment on.
var ErrNoPullRequest = errors.New("the triggering event is not a pull request")

// PullRequest returns the number of the pull request this job runs for.
// pull_request and pull_request_target payloads carry it; an issue_comment
// on a pull request does too. Other events return ErrNoPullRequest. When the
// event file cannot be read, a GITHUB_REF of refs/pull/<n>/merge is used.
func (e Env) PullRequest() (int, error) {
	n, err := e.prFromEvent()
	if err == nil || errors.Is(err, ErrNoPullRequest) {
		return n, err
	}
	if m, ok := prFromRef(e.Ref); ok {
		return m, nil
	}
	return 0, err
}

func (e Env) prFromEvent() (int, error) {
	if e.EventPath == "" {
		return 0, fmt.Errorf("GITHUB_EVENT_PATH is not set")
	}
	b, err := os.ReadFile(e.EventPath)
	if err != nil {
		return 0, fmt.Errorf("read the event payload: %w", err)
	}
	var ev event
	if err := json.Unmarshal(b, &ev); err != nil {
		return 0, fmt.Errorf("parse the event payload %s: %w", e.EventPath, err)
	}
	switch {
	case ev.PullRequest != nil && ev.PullRequest.Number > 0:
		return ev.PullRequest.Number, nil
	case ev.PullRequest != nil && ev.Number > 0:
		return ev.Number, nil
	case ev.Issue != nil && ev.Issue.PullRequest != nil && ev.Issue.Number > 0:
		return ev.Issue.Number, nil
	}
	return 0, ErrNoPullRequest
}

func prFromRef(ref string) (int, bool) {
	rest, ok := strings.CutPrefix(ref, "refs/pull/")
	if !ok {
		return 0, false
	}
	num, _, _ := strings.Cut(rest, "/")
	n, err := strconv.Atoi(num)
	return n, err == nil && n > 0
}

// EscapeData escapes a workflow command's message: %, CR and LF.
func EscapeData(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	return r.Replace(s)
}

// EscapeProperty escapes a workflow command property value: as EscapeData,
// plus ':' and ','.
func EscapeProperty(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return r.Replace(s)
}

// Annotation levels.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// Annotation is one ::error:: / ::warning:: / ::notice:: workflow command.
type Annotation struct {
	Level   string // LevelError, LevelWarning or LevelNotice
	Title   string
	File    string
	Message string
}

// String renders the workflow command line (without the trailing newline).
// Escape sequences and control characters are removed from every field
// (a name from a results file could hold them).
func (a Annotation) String() string {
	a.Title, a.File, a.Message = termtext.Clean(a.Title), termtext.Clean(a.File), termtext.Clean(a.Message)
	level := a.Level
	switch level {
	case LevelError, LevelWarning, LevelNotice:
	default:
		level = LevelWarning
	}
	var props []string
	if a.Title != "" {
		props = append(props, "title="+EscapeProperty(a.Title))
	}
	if a.File != "" {
		props = append(props, "file="+EscapeProperty(a.File))
	}
	cmd := "::" + level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + EscapeData(a.Message)
}

// Write writes the annotation as one line to w.
func (a Annotation) Write(w io.Writer) error {
	_, err := io.WriteString(w, a.String()+"\n")
	return err
}

// Output is one name/value pair for GITHUB_OUTPUT.
type Output struct{ Name, Value string }

// FormatOutputs renders outputs in the heredoc form
//
//	name<<DELIM
//	value
//	DELIM
//
// with a random delimiter that occurs in no value, so multi-line values and
// values that look like delimiters cannot break out.
func FormatOutputs(outs []Output) (string, error) {
	var b strings.Builder
	for _, o := range outs {
		if o.Name == "" || strings.ContainsAny(o.Name, "\r\n<=") {
			return "", fmt.Errorf("invalid output name %q", o.Name)
		}
		delim, err := delimiter(o.Value)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	return b.String(), nil
}

func delimiter(value string) (string, error) {
	for range 8 {
		var raw [16]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return "", fmt.Errorf("make an output delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(raw[:])
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", errors.New("could not find an output delimiter absent from the value")
}

// AppendFile appends text to the file at path (GITHUB_OUTPUT or
// GITHUB_STEP_SUMMARY), which the runner creates.
func AppendFile(path, text string) error {
	if path == "" {
		return errors.New("no file path")
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
