package config

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/perfgate/perfgate/internal/endpoint"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// PortFunc returns the port a service is given for its declared port
// (the declared port itself in a normal run, another in paired mode).
type PortFunc func(declared int) (int, error)

// serviceActionRe finds a {{ port }} or {{ endpoint }} action. A process
// service's command and env are rendered only when they hold one, so that
// other {{ ... }} text (e.g. a Go template passed to a program) is left as
// written.
var serviceActionRe = regexp.MustCompile(`\{\{-?\s*\(?\s*(port|endpoint)\b`)

// portActionRe finds a {{ port }} action.
var portActionRe = regexp.MustCompile(`\{\{-?\s*\(?\s*port\b`)

// UsesServiceTemplate reports whether s (an argument of a process command
// or an env value) uses {{ port N }} or {{ endpoint }}, and so is rendered.
func UsesServiceTemplate(s string) bool { return serviceActionRe.MatchString(s) }

// RenderService expands s, a process service's command argument, env
// value or readiness check: a text/template with {{ port 8080 }} (port
// gives the service's own port for its declared port 8080) and
// {{ endpoint "svc" 8080 }} (resolve gives "host:port"). A nil port
// makes {{ port }} an error (it is for a process service only); a nil
// resolve makes {{ endpoint }} one. Text without "{{" is returned as is.
func RenderService(ctx context.Context, s string, resolve endpoint.Func, port PortFunc) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	funcs := template.FuncMap{
		"endpoint": func(svc string, p any) (string, error) {
			ps, err := portArg("endpoint", p)
			if err != nil {
				return "", err
			}
			if resolve == nil {
				return "", fmt.Errorf("endpoint %q %s: no services are known here", svc, ps)
			}
			return resolve(ctx, svc, ps)
		},
		"port": func(p any) (string, error) {
			ps, err := portArg("port", p)
			if err != nil {
				return "", err
			}
			n, err := strconv.Atoi(strings.TrimSuffix(ps, "/tcp"))
			if err != nil {
				return "", fmt.Errorf("port %q: expected a port number such as 8080", ps)
			}
			if port == nil {
				return "", fmt.Errorf("{{ port %d }} is only for a process service's command, env and ready; elsewhere write {{ endpoint \"service\" %d }}", n, n)
			}
			got, err := port(n)
			if err != nil {
				return "", err
			}
			return strconv.Itoa(got), nil
		},
	}
	// printf and the other string builtins are bounded like a request
	// body's: no template makes a render build more than tmpl.MaxWork.
	t, err := template.New("").Funcs(tmpl.NewBudget(tmpl.MaxWork).Builtins()).Funcs(funcs).Option("missingkey=error").Parse(s)
	if err != nil {
		return "", fmt.Errorf("template %q: %s", s, cleanTemplateMsg(err))
	}
	var b strings.Builder
	if err := t.Execute(&b, struct{}{}); err != nil {
		return "", fmt.Errorf("template %q: %s", s, cleanTemplateMsg(err))
	}
	return b.String(), nil
}

func portArg(fn string, p any) (string, error) {
	switch v := p.(type) {
	case string:
		if v == "" {
			return "", fmt.Errorf("%s: empty port", fn)
		}
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	}
	return "", fmt.Errorf("%s: port %v is a %T; write it as 8080 or \"8080\"", fn, p, p)
}

// cleanTemplateMsg drops text/template's position and "error calling"
// noise, keeping what a user can act on.
func cleanTemplateMsg(err error) string {
	msg := err.Error()
	for _, call := range []string{"error calling endpoint: ", "error calling port: "} {
		if i := strings.LastIndex(msg, call); i >= 0 {
			return msg[i+len(call):]
		}
	}
	return strings.TrimPrefix(msg, "template: ")
}
