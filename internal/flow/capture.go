// Package flow runs a scenario as a user would: an iteration renders the
// scenario's vars once, takes a row of its data file, then runs its steps in
// order on one worker and one connection; a step's captures take values from
// its response (a JSON path into the body, a header, the first group of a
// regular expression) for the steps after it, which read them with
// {{ var "name" }}. A step that fails (an unexpected status, a capture that
// finds nothing) ends the iteration: the steps after it are not sent.
//
// The load engine (internal/load) sends the requests and records them; this
// package holds what an iteration knows (Iter, which is the templates'
// tmpl.Values) and how a response is read (Capture), so the engine calls
// four methods: Flow.NewIter (once per worker), Flow.Begin (per
// iteration), Flow.Wants (what of a step's response to keep) and
// Flow.Capture (after a step's response), through the Response interface.
//
// Data files (Table, Rows) are read once and shared read-only; Rows hands
// out rows in file order (one counter for all workers) or at random, within
// a Shard: partition Index of Count, the rows i with i%Count == Index. The
// default {0, 1} takes every row; the config has no shard setting yet
// (load.ConfigInputs.Shard is where a shard feature sets it).
//
// JSON paths use github.com/tidwall/gjson's syntax (token, user.id,
// items.0.name, items.#): it reads the raw bytes without unmarshalling, so
// a capture costs a scan of the body and no allocation besides the value.
package flow

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/tidwall/gjson"
)

// Kind is what a capture reads.
type Kind uint8

// Capture kinds.
const (
	JSON   Kind = iota + 1 // a gjson path into the JSON body
	Header                 // a response header
	Regexp                 // the first group of a regular expression over the body
)

// CaptureSpec is a capture as written: exactly one of JSON, Header and
// Regexp, and As, the variable it sets.
type CaptureSpec struct {
	JSON, Header, Regexp, As string
}

// Capture is a compiled capture.
type Capture struct {
	Kind Kind
	Path string         // JSON
	Name string         // Header, canonical
	Re   *regexp.Regexp // Regexp, with at least one group
	As   string
}

var nameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidName reports whether s can name a variable (letters, digits, _).
func ValidName(s string) bool { return nameRe.MatchString(s) }

// ParseCapture checks a capture and compiles it. Errors say what to write.
func ParseCapture(s CaptureSpec) (Capture, error) {
	n := 0
	for _, v := range []string{s.JSON, s.Header, s.Regexp} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return Capture{}, errors.New("set exactly one of json (a path into the JSON body, e.g. token or user.id), header (a response header name) or regexp (a regular expression with one group)")
	}
	if s.As == "" {
		return Capture{}, errors.New("as: required: the variable name later steps read with {{ var \"name\" }}")
	}
	if !ValidName(s.As) {
		return Capture{}, fmt.Errorf("as: %q must be letters, digits and _ (not starting with a digit)", s.As)
	}
	c := Capture{As: s.As}
	switch {
	case s.JSON != "":
		if strings.ContainsAny(s.JSON, "\r\n") || strings.TrimSpace(s.JSON) != s.JSON {
			return Capture{}, fmt.Errorf("json: %q: a path has no spaces around it or line breaks", s.JSON)
		}
		c.Kind, c.Path = JSON, s.JSON
	case s.Header != "":
		if strings.ContainsAny(s.Header, " :\r\n\t") {
			return Capture{}, fmt.Errorf("header: %q is not a header name", s.Header)
		}
		c.Kind, c.Name = Header, textproto.CanonicalMIMEHeaderKey(s.Header)
	default:
		re, err := regexp.Compile(s.Regexp)
		if err != nil {
			return Capture{}, fmt.Errorf("regexp: %v", err)
		}
		if re.NumSubexp() < 1 {
			return Capture{}, fmt.Errorf("regexp: %q has no group: put what to capture in parentheses, e.g. id=(\\d+)", s.Regexp)
		}
		c.Kind, c.Re = Regexp, re
	}
	return c, nil
}

// Response is what a capture reads of a response.
type Response interface {
	// Header returns a response header's first value ("" if absent); name
	// is canonical.
	Header(name string) string
	// Body returns the response body (read in full, up to MaxBody).
	Body() []byte
}

// MaxBody bounds the body a capture reads; a longer one is cut there.
const MaxBody = 1 << 20

// Extract returns the captured value, or false when the response has none
// (a body that is not valid JSON, a missing JSON key, an absent header, no
// match).
func (c *Capture) Extract(r Response) (string, bool) {
	switch c.Kind {
	case JSON:
		body := r.Body()
		// gjson reads what it can of broken JSON ({"token": "abc", broken
		// gives abc): a body that is not JSON has nothing to capture. A
		// body cut at MaxBody cannot be whole, and is read as it is.
		if len(body) < MaxBody && !gjson.ValidBytes(body) {
			return "", false
		}
		v := gjson.GetBytes(body, c.Path)
		if !v.Exists() {
			return "", false
		}
		if v.Type == gjson.String {
			return v.Str, true
		}
		return v.Raw, true
	case Header:
		v := r.Header(c.Name)
		return v, v != ""
	case Regexp:
		m := c.Re.FindSubmatch(r.Body())
		if m == nil || m[1] == nil {
			return "", false
		}
		return string(m[1]), true
	}
	return "", false
}

func (c *Capture) String() string {
	switch c.Kind {
	case JSON:
		return fmt.Sprintf("json %q", c.Path)
	case Header:
		return fmt.Sprintf("header %q", c.Name)
	case Regexp:
		return fmt.Sprintf("regexp %q", c.Re.String())
	}
	return "capture"
}

// CaptureError is a capture that found nothing: the step fails and its
// iteration ends.
type CaptureError struct {
	Step    string
	Capture string // e.g. json "token"
	As      string
}

func (e *CaptureError) Error() string {
	return fmt.Sprintf("step %q: capture %s (as %q) found nothing in the response", e.Step, e.Capture, e.As)
}
