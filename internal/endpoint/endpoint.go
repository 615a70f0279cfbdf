// Package endpoint renders strings that name where a service can be
// reached: text/template with one function, {{ endpoint "svc" 8080 }}. It is
// a leaf so that both config validation (with a stub resolver that checks
// declared ports) and the stack (with the real one) use the same parser.
package endpoint

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/perfgate/perfgate/internal/tmpl"
)

// Func returns "host:port" for a service's port.
type Func func(ctx context.Context, service, port string) (string, error)

// Render expands s, a text/template with one function,
// {{ endpoint "svc" 8080 }} (the port as a number or a string such as
// "8080/tcp"), which resolve turns into "host:port". A string without "{{"
// is returned unchanged. Any other template action (a field, a variable) is
// an error.
func Render(ctx context.Context, s string, resolve Func) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	funcs := template.FuncMap{
		"endpoint": func(svc string, port any) (string, error) {
			p, err := portString(port)
			if err != nil {
				return "", err
			}
			if resolve == nil {
				return "", fmt.Errorf("endpoint %q %s: no services are known here", svc, p)
			}
			return resolve(ctx, svc, p)
		},
	}
	// printf and the other string builtins are bounded like a request
	// body's: no template makes a render build more than tmpl.MaxWork.
	t, err := template.New("").Funcs(tmpl.NewBudget(tmpl.MaxWork).Builtins()).Funcs(funcs).Option("missingkey=error").Parse(s)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", s, cleanTemplateErr(err))
	}
	var b strings.Builder
	if err := t.Execute(&b, struct{}{}); err != nil {
		return "", fmt.Errorf("template %q: %w", s, cleanTemplateErr(err))
	}
	return b.String(), nil
}

func portString(port any) (string, error) {
	switch p := port.(type) {
	case string:
		if p == "" {
			return "", fmt.Errorf("endpoint: empty port")
		}
		return p, nil
	case int:
		return fmt.Sprint(p), nil
	}
	return "", fmt.Errorf("endpoint: port %v is a %T; write it as 8080 or \"8080\"", port, port)
}

// cleanTemplateErr drops text/template's position and "error calling
// endpoint:" noise from the message, keeping the cause in the error chain.
func cleanTemplateErr(err error) error {
	msg := err.Error()
	const call = "error calling endpoint: "
	if i := strings.LastIndex(msg, call); i >= 0 {
		msg = msg[i+len(call):]
	} else {
		msg = strings.TrimPrefix(msg, "template: ")
	}
	return &templateError{msg: msg, err: err}
}

type templateError struct {
	msg string
	err error
}

func (e *templateError) Error() string { return e.msg }
func (e *templateError) Unwrap() error { return e.err }

// endpointActionRe is one {{ endpoint "svc" 8080 }} action with literal
// arguments.
var endpointActionRe = regexp.MustCompile(`\{\{-?\s*endpoint\s+("[^"{}]*"|[0-9]+)\s+("[^"{}]*"|[0-9]+)\s*-?\}\}`)

// RenderOnly expands the {{ endpoint }} actions of s, each with render (for
// example Render with a resolver, or a stack's Render), and leaves every other
// action as written: a request URL is rendered once for its endpoints, and
// what remains ({{ seq }}, {{ var "id" }}) is a template rendered per request
// (see internal/tmpl). A string without an endpoint action is returned
// unchanged.
func RenderOnly(s string, render func(action string) (string, error)) (string, error) {
	var firstErr error
	out := endpointActionRe.ReplaceAllStringFunc(s, func(action string) string {
		if firstErr != nil {
			return action
		}
		r, err := render(action)
		if err != nil {
			firstErr = err
			return action
		}
		return r
	})
	if firstErr != nil {
		return "", firstErr
	}
	return out, nil
}
