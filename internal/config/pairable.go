package config

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/internal/loopback"
)

// CheckPairable reports what stops two copies of this config's services
// from running at once (paired mode, run --base), as an *Error with
// file:line, or nil:
//   - a process service that declares a port its command and env do not
//     pass with {{ port N }}: both copies would bind the same fixed port;
//   - a readiness check or scenario URL that names a process service's port
//     literally (127.0.0.1:8080): it would reach one copy only;
//   - a container on network: host with ports (it shares the machine's).
//
// Call it on a config from Parse or ReadFile, before anything starts.
func (c *Config) CheckPairable() error {
	d := &decoder{file: c.Path, lines: c.lines}
	v := &validator{d: d, cfg: c}
	fixed := map[int]string{} // declared process port -> service
	for _, s := range c.Services {
		if s.Process != nil {
			for _, p := range s.Process.Ports {
				fixed[p] = s.Name
			}
		}
	}
	for i, s := range c.Services {
		p := fmt.Sprintf("services[%d]", i)
		if ct := s.Container; ct != nil && ct.Network == "host" && len(ct.Ports) > 0 {
			v.at(p+".container.network", "service %q uses network: host, which shares the machine's ports: two copies (paired mode) cannot both listen on %s; use network: bridge", s.Name, strings.Join(ct.Ports, ", "))
		}
		if s.Process == nil {
			continue
		}
		used := map[int]bool{}
		record := func(n int) (int, error) { used[n] = true; return n, nil }
		noEndpoint := func(_ context.Context, svc, port string) (string, error) { return "127.0.0.1:" + port, nil }
		for _, arg := range s.Process.Command {
			if UsesServiceTemplate(arg) {
				_, _ = RenderService(context.Background(), arg, noEndpoint, record)
			}
		}
		for _, val := range s.Process.Env {
			if UsesServiceTemplate(val) {
				_, _ = RenderService(context.Background(), val, noEndpoint, record)
			}
		}
		for _, port := range s.Process.Ports {
			if !used[port] {
				v.at(p+".process.command", "service %q listens on fixed port %d: two copies (paired mode) would both bind it; write {{ port %d }} where the port is passed, e.g. [\"./bin/app\", \"-addr\", \"127.0.0.1:{{ port %d }}\"] or env PORT: \"{{ port %d }}\"", s.Name, port, port, port, port)
			}
		}
		if r := s.Ready; r != nil {
			if r.HTTP != "" && !strings.HasPrefix(r.HTTP, "/") {
				v.literal(p+".ready.http", r.HTTP, fixed, true)
			}
			if _, err := strconv.Atoi(r.TCP); r.TCP != "" && err != nil {
				v.literal(p+".ready.tcp", r.TCP, fixed, false)
			}
		}
	}
	for i, sc := range c.Scenarios {
		v.literal(fmt.Sprintf("scenarios[%d].url", i), sc.URL, fixed, true)
	}
	if len(d.problems) == 0 {
		return nil
	}
	sort.SliceStable(d.problems, func(i, j int) bool { return d.problems[i].Line < d.problems[j].Line })
	return &Error{Problems: d.problems}
}

var actionRe = regexp.MustCompile(`\{\{.*?\}\}`)

// literal reports raw (a URL, or host:port) when it names a process
// service's declared port on loopback as a number rather than through
// {{ endpoint }} or {{ port }}.
func (v *validator) literal(path, raw string, fixed map[int]string, isURL bool) {
	text := actionRe.ReplaceAllString(raw, "T") // a template host or port is not literal
	host, port := "", ""
	if isURL {
		u, err := url.Parse(text)
		if err != nil {
			return
		}
		host, port = u.Hostname(), u.Port()
	} else {
		var err error
		if host, port, err = net.SplitHostPort(text); err != nil {
			return
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || !loopback.Host(host) {
		return
	}
	svc, ok := fixed[n]
	if !ok {
		return
	}
	ports := []string{}
	for _, s := range v.cfg.Services {
		if s.Name == svc && s.Process != nil {
			ports = append(ports, declaredPorts(s)...)
		}
	}
	if !slices.Contains(ports, port) {
		return
	}
	v.at(path, "%q names port %d of service %q directly: in paired mode each copy gets its own port; write {{ endpoint %q %d }} instead of %s", raw, n, svc, svc, n, net.JoinHostPort(host, port))
}
