package config

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/internal/endpoint"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// render expands {{ endpoint "svc" "port" }} with a stub that checks the
// service exists and declares the port, so a bad template or reference is
// found before anything starts. It returns the text with endpoints
// replaced by 127.0.0.1:<port>, or ok=false after reporting a problem.
func (v *validator) render(path, raw string) (string, bool) {
	return v.renderPort(path, raw, nil)
}

// renderPort is render where {{ port N }} is allowed too: port checks N
// against the service's declared ports (nil: {{ port }} is an error here).
func (v *validator) renderPort(path, raw string, port PortFunc) (string, bool) {
	if v.ctx != nil && v.ctx.Err() != nil {
		return "", false
	}
	out, err := RenderService(context.Background(), raw, func(_ context.Context, svc, port string) (string, error) {
		s, ok := v.cfg.serviceByName(svc)
		if !ok && v.cfg.composePending() {
			num, _, _ := strings.Cut(port, "/")
			return "127.0.0.1:" + num, nil
		}
		if !ok {
			return "", fmt.Errorf("endpoint %q: no such service; defined services: %s", svc, strings.Join(serviceNames(v.cfg), ", "))
		}
		num, _, _ := strings.Cut(port, "/")
		declared := declaredPorts(s)
		if !slices.Contains(declared, num) {
			where := "process.ports"
			if s.Container != nil {
				where = "container.ports"
			}
			if len(declared) == 0 {
				return "", fmt.Errorf("endpoint %q %q: the service declares no ports; add %s to its %s", svc, port, num, where)
			}
			return "", fmt.Errorf("endpoint %q %q: port not declared (declared: %s); add it to its %s", svc, port, strings.Join(declared, ", "), where)
		}
		return "127.0.0.1:" + num, nil
	}, port)
	if err != nil {
		v.at(path, "%v", err)
		return "", false
	}
	return out, true
}

// templURL checks a URL that may use {{ endpoint "svc" "port" }}.
func (v *validator) templURL(path, raw string, required bool) {
	v.templURLPort(path, raw, required, nil)
}

// templURLPort is templURL where {{ port N }} is checked with port.
func (v *validator) templURLPort(path, raw string, required bool, port PortFunc) {
	if raw == "" {
		if required {
			v.at(path, "required: the request URL, e.g. http://127.0.0.1:18080/health or http://{{ endpoint \"nginx\" \"80\" }}/health")
		}
		return
	}
	check, ok := v.renderPort(path, raw, port)
	if !ok {
		return
	}
	u, err := url.Parse(check)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.at(path, "%q is not an http:// or https:// URL with a host", raw)
	}
}

// headers checks a request's headers (p is the scenario's or step's path).
func (v *validator) headers(p string, hs map[string]string) {
	for k, val := range hs {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			v.at(p+".headers."+k, "%q is not a valid header name", k)
		}
		switch strings.ToLower(k) {
		case "content-length", "transfer-encoding":
			v.at(p+".headers."+k, "perfgate sets %s from the body it sends; remove this header", k)
		case "connection":
			v.at(p+".headers."+k, "connection handling is client.keepalive (false opens a connection per request); remove this header")
		}
		if portActionRe.MatchString(val) {
			v.at(p+".headers."+k, "{{ port }} is only for a process service's command, env and ready; a request names a service by {{ endpoint \"svc\" 8080 }} in its url")
		} else if err := v.compile(k, val); err != nil {
			v.at(p+".headers."+k, "template: %v", err)
		}
	}
}

// body checks a request's body template.
func (v *validator) body(p, name, body string) {
	if portActionRe.MatchString(body) {
		v.at(p+".body", "{{ port }} is only for a process service's command, env and ready; a request names a service by {{ endpoint \"svc\" 8080 }} in its url")
	} else if body != "" {
		if err := v.compile(name, body); err != nil {
			v.at(p+".body", "template: %v", err)
		}
	}
}

// requestURL checks a scenario's URL: {{ endpoint }} actions are resolved
// once, the rest of the path and query is a per-request template.
func (v *validator) requestURL(path, raw string) {
	if raw == "" {
		v.templURL(path, raw, true)
		return
	}
	if portActionRe.MatchString(raw) {
		v.at(path, "{{ port }} is only for a process service's command, env and ready; a request names a service by {{ endpoint \"svc\" 8080 }} in its url")
		return
	}
	failed := false
	out, _ := endpoint.RenderOnly(raw, func(action string) (string, error) {
		r, ok := v.renderPort(path, action, nil)
		if !ok {
			failed = true
			return action, errors.New("reported")
		}
		return r, nil
	})
	if failed {
		return
	}
	origin, pathText, err := tmpl.SplitURL(out)
	if err != nil {
		v.at(path, "%v", err)
		return
	}
	check := out
	if pathText != "" {
		if err := v.compile("url", pathText); err != nil {
			v.at(path, "template: %v", err)
			return
		}
		check = origin + "/"
	}
	u, err := url.Parse(check)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.at(path, "%q is not an http:// or https:// URL with a host", raw)
	}
}
