package config

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/endpoint"
	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// Defaults applied when a field is left out.
const (
	DefaultWorkers      = 10
	DefaultMaxInFlight  = 1000
	DefaultRepeat       = 5
	DefaultReadyTimeout = 30 * time.Second
	DefaultTimeout      = 10 * time.Second
	DefaultDialTimeout  = 3 * time.Second
	DefaultBaselines    = "baselines"
	DefaultWeight       = 1

	maxWorkers  = 100000
	maxRepeat   = 100
	maxDuration = 2 * time.Hour
)

func applyDefaults(c *Config) {
	if c.Baselines == "" {
		c.Baselines = DefaultBaselines
	}
	for i := range c.Services {
		s := &c.Services[i]
		if s.Ready != nil {
			if s.Ready.Timeout == 0 {
				s.Ready.Timeout = Duration(DefaultReadyTimeout)
			}
			if s.Ready.HTTP != "" && s.Ready.Status == 0 {
				s.Ready.Status = 200
			}
		}
		if s.Container != nil && s.Container.Network == "" {
			s.Container.Network = "bridge"
		}
	}
	for i := range c.Scenarios {
		sc := &c.Scenarios[i]
		if sc.Method == "" {
			sc.Method = "GET"
		} else {
			sc.Method = strings.ToUpper(sc.Method)
		}
		for j := range sc.Steps {
			st := &sc.Steps[j]
			if st.Method == "" {
				st.Method = "GET"
			} else {
				st.Method = strings.ToUpper(st.Method)
			}
		}
		// An absent weight is 1; an explicit weight: 0 switches the
		// scenario off (it stays in the results, sends nothing).
		if _, set := c.lines[fmt.Sprintf("scenarios[%d].weight", i)]; !set || c.nulls[fmt.Sprintf("scenarios[%d].weight", i)] {
			sc.Weight = DefaultWeight
		}
	}
	l := &c.Load
	if l.Model == "" {
		l.Model = "closed"
	}
	if l.Model == "closed" && l.Workers == 0 {
		l.Workers = DefaultWorkers
	}
	if l.Model == "open" && l.MaxInFlight == 0 {
		l.MaxInFlight = DefaultMaxInFlight
	}
	if l.Repeat == 0 {
		l.Repeat = DefaultRepeat
	}
	if c.Client.Timeout == 0 {
		c.Client.Timeout = Duration(DefaultTimeout)
	}
	if c.Client.DialTimeout == 0 {
		c.Client.DialTimeout = Duration(DefaultDialTimeout)
	}
}

type validator struct {
	d   *decoder
	cfg *Config
	ctx context.Context // ends template checks and data-file reads; nil: never
}

// compile checks a request template by compiling it (its trial render is
// bounded by tmpl.MaxWork). Once ctx is done nothing more is compiled: the
// caller returns ctx's error.
func (v *validator) compile(name, text string) error {
	if v.ctx != nil && v.ctx.Err() != nil {
		return nil
	}
	_, err := tmpl.Compile(name, text)
	return err
}

// at reports a problem at the line of field path (or its nearest parent).
func (v *validator) at(path, format string, args ...any) {
	p := Problem{File: v.d.file, Field: path, Msg: fmt.Sprintf(format, args...)}
	for q := path; q != ""; q = parent(q) {
		if ps, ok := v.d.lines[q]; ok {
			p.Line, p.Col = ps.line, ps.col
			break
		}
	}
	v.d.problems = append(v.d.problems, p)
}

func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// maxNameLen is the longest name: it names files and Docker objects.
const maxNameLen = 63

// longName says why a name of valid characters is refused.
func longName(name string) string {
	return fmt.Sprintf("%q is %d characters long; a name has at most %d", name, len(name), maxNameLen)
}

var (
	nameRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	methodRe = regexp.MustCompile(`^[A-Z]{1,20}$`)
	memoryRe = regexp.MustCompile(`^(?i)(\d+)([kmg]?)b?$`)
	portRe   = regexp.MustCompile(`^(\d{1,5})(/(tcp|udp))?$`)
)

func (v *validator) validate() {
	c := v.cfg
	switch {
	case c.Name == "":
		v.at("name", "required: a short name for this config, e.g. name: auth-service (baselines/<name>.json is named after it)")
	case len(c.Name) > maxNameLen:
		v.at("name", "%s", longName(c.Name))
	case !nameRe.MatchString(c.Name):
		v.at("name", "%q must be letters, digits, '.', '_' or '-' (it names baselines/<name>.json)", c.Name)
	}
	for i, cmd := range c.Prepare {
		if len(cmd.Args) == 0 && cmd.Shell == "" {
			v.at(fmt.Sprintf("prepare[%d]", i), "empty command; expected a list of arguments like [go, build, ./...] or a string run with sh -c")
		}
	}
	if c.Compose != nil {
		v.compose() // the compose file's services are checked when it is read
	} else {
		services := map[string]int{}
		for i, s := range c.Services {
			v.service(i, s, services)
		}
		v.dependencies()
	}
	if len(c.Scenarios) == 0 {
		v.at("scenarios", "at least one scenario is required (a method, url and expected statuses)")
	}
	scen := map[string]bool{}
	totalWeight := 0
	for i, sc := range c.Scenarios {
		p := fmt.Sprintf("scenarios[%d]", i)
		switch {
		case sc.Name == "":
			v.at(p+".name", "required")
		case len(sc.Name) > maxNameLen:
			v.at(p+".name", "%s", longName(sc.Name))
		case !nameRe.MatchString(sc.Name):
			v.at(p+".name", "%q must be letters, digits, '.', '_' or '-'", sc.Name)
		case scen[sc.Name]:
			v.at(p+".name", "scenario %q is defined twice", sc.Name)
		}
		scen[sc.Name] = true
		for _, st := range sc.Steps { // gates may name a step as flow/step
			scen[sc.Name+"/"+st.Name] = true
		}
		if !methodRe.MatchString(sc.Method) {
			v.at(p+".method", "%q is not an HTTP method (GET, POST, PUT, ...)", sc.Method)
		}
		if len(sc.Steps) == 0 {
			v.requestURL(p+".url", sc.URL)
		} else {
			v.flowSteps(p, sc)
		}
		v.flowValues(p, sc)
		for j, code := range sc.Expect {
			if code < 100 || code > 599 {
				v.at(fmt.Sprintf("%s.expect[%d]", p, j), "%d is not an HTTP status (100-599)", code)
			}
		}
		if sc.Weight < 0 {
			v.at(p+".weight", "must be 0 (no traffic) or more, got %d", sc.Weight)
		}
		totalWeight += sc.Weight
		v.headers(p, sc.Headers)
		v.body(p, sc.Name, sc.Body)
	}
	if len(c.Scenarios) > 0 && totalWeight == 0 {
		v.at("scenarios", "every scenario has weight 0: nothing would be sent; give at least one a weight above 0 (an absent weight is 1)")
	}
	v.load()
	v.client()
	v.gates(scen)
}

func (v *validator) service(i int, s Service, seen map[string]int) {
	p := fmt.Sprintf("services[%d]", i)
	switch {
	case s.Name == "":
		v.at(p+".name", "required")
	case len(s.Name) > maxNameLen:
		v.at(p+".name", "%s", longName(s.Name))
	case !nameRe.MatchString(s.Name):
		v.at(p+".name", "%q must be letters, digits, '.', '_' or '-'", s.Name)
	default:
		if _, dup := seen[s.Name]; dup {
			v.at(p+".name", "service %q is defined twice", s.Name)
		}
		seen[s.Name] = i
	}
	switch {
	case s.Process != nil && s.Container != nil:
		v.at(p, "has both process and container; a service is one or the other")
	case s.Process == nil && s.Container == nil:
		v.at(p, "needs a provider: a process block (a local command) or a container block (an image)")
	case s.Process != nil:
		if len(s.Process.Command) == 0 || s.Process.Command[0] == "" {
			v.at(p+".process.command", "required: the command and its arguments as a list, e.g. [\"./bin/auth-service\", \"-addr\", \"127.0.0.1:18080\"]")
		}
		for j, port := range s.Process.Ports {
			if port < 1 || port > 65535 {
				v.at(fmt.Sprintf("%s.process.ports[%d]", p, j), "%d is not a TCP port (1-65535)", port)
			}
		}
		pf := declaredPortFunc(s)
		for j, arg := range s.Process.Command {
			if UsesServiceTemplate(arg) {
				v.renderPort(fmt.Sprintf("%s.process.command[%d]", p, j), arg, pf)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(s.Process.Env)) {
			if val := s.Process.Env[k]; UsesServiceTemplate(val) {
				v.renderPort(p+".process.env."+k, val, pf)
			}
		}
	case s.Container != nil:
		ct := s.Container
		if ct.Image == "" && ct.Build == nil {
			v.at(p+".container", "needs image (a reference such as nginx:1.27) or build (a Dockerfile context)")
		}
		if ct.Build != nil && ct.Build.Context == "" {
			v.at(p+".container.build.context", "required: the folder holding the Dockerfile, relative to this file")
		}
		if ct.Network != "bridge" && ct.Network != "host" {
			v.at(p+".container.network", "%q: expected bridge (default) or host", ct.Network)
		}
		if ct.CPUs < 0 {
			v.at(p+".container.cpus", "must be 0 (no limit) or more")
		}
		if ct.Memory != "" && !memoryRe.MatchString(ct.Memory) {
			v.at(p+".container.memory", "%q: expected a size like 512m or 1g", ct.Memory)
		}
		for j, arg := range ct.Command {
			if portActionRe.MatchString(arg) {
				v.at(fmt.Sprintf("%s.container.command[%d]", p, j), "{{ port }} is for process services; a container listens on its own ports (its network is its own), so write the port itself")
			}
		}
		for k, val := range ct.Env {
			if portActionRe.MatchString(val) {
				v.at(p+".container.env."+k, "{{ port }} is for process services; a container listens on its own ports (its network is its own), so write the port itself")
			}
		}
		for j, port := range ct.Ports {
			m := portRe.FindStringSubmatch(port)
			if n, _ := strconv.Atoi(firstOr(m)); m == nil || n < 1 || n > 65535 {
				v.at(fmt.Sprintf("%s.container.ports[%d]", p, j), "%q: expected a container port like 8080 or 8080/tcp", port)
			}
		}
		for j, f := range ct.Files {
			if f.Source == "" || !strings.HasPrefix(f.Target, "/") {
				v.at(fmt.Sprintf("%s.container.files[%d]", p, j), "needs source (a path relative to this file) and target (an absolute path in the container)")
			}
		}
	}
	if s.StopTimeout.D() > 10*time.Minute {
		v.at(p+".stop_timeout", "%s is longer than the limit of 10m", s.StopTimeout)
	}
	var pf PortFunc // {{ port }} in ready: process services only
	if s.Process != nil {
		pf = declaredPortFunc(s)
	}
	if s.Profile != nil {
		if s.Profile.PProf == "" {
			v.at(p+".profile.pprof", "required: the URL of a pprof CPU profile handler, e.g. http://{{ endpoint \"%s\" \"6060\" }}/debug/pprof/profile", s.Name)
		}
		v.templURLPort(p+".profile.pprof", s.Profile.PProf, false, nil)
	}
	if r := s.Ready; r != nil {
		n := 0
		for _, set := range []bool{r.HTTP != "", r.TCP != "", r.Log != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			v.at(p+".ready", "set exactly one of http (a URL), tcp (host:port) or log (a line of output)")
		}
		switch {
		case strings.HasPrefix(r.HTTP, "/"):
			// Short form: a path on the service's first declared port.
			if len(declaredPorts(s)) == 0 {
				v.at(p+".ready.http", "%q is a path: the service needs a declared port to check it on (or write a full URL)", r.HTTP)
			}
		case r.HTTP != "":
			v.templURLPort(p+".ready.http", r.HTTP, false, pf)
		}
		if r.TCP != "" {
			if _, err := strconv.Atoi(r.TCP); err != nil {
				if addr, ok := v.renderPort(p+".ready.tcp", r.TCP, pf); ok {
					if _, _, err := net.SplitHostPort(addr); err != nil {
						v.at(p+".ready.tcp", "%q: expected host:port (e.g. 127.0.0.1:5432) or a port number", r.TCP)
					}
				}
			}
		}
		if r.Status != 0 && (r.Status < 100 || r.Status > 599) {
			v.at(p+".ready.status", "%d is not an HTTP status", r.Status)
		}
		if r.Timeout.D() > maxDuration {
			v.at(p+".ready.timeout", "%s is longer than the limit of %s", r.Timeout, maxDuration)
		}
	}
}

func firstOr(m []string) string {
	if len(m) > 1 {
		return m[1]
	}
	return ""
}

// dependencies checks depends_on names and rejects cycles.
func (v *validator) dependencies() {
	idx := map[string]int{}
	for i, s := range v.cfg.Services {
		idx[s.Name] = i
	}
	for i, s := range v.cfg.Services {
		for j, dep := range s.DependsOn {
			if _, ok := idx[dep]; !ok {
				v.at(fmt.Sprintf("services[%d].depends_on[%d]", i, j), "unknown service %q; defined services: %s", dep, strings.Join(serviceNames(v.cfg), ", "))
			} else if dep == s.Name {
				v.at(fmt.Sprintf("services[%d].depends_on[%d]", i, j), "service %q depends on itself", dep)
			}
		}
	}
	// Depth-first search for a cycle.
	state := make([]int, len(v.cfg.Services)) // 0 new, 1 on stack, 2 done
	var stack []string
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = 1
		stack = append(stack, v.cfg.Services[i].Name)
		for _, dep := range v.cfg.Services[i].DependsOn {
			j, ok := idx[dep]
			if !ok || j == i {
				continue
			}
			if state[j] == 1 {
				start := 0
				for k, n := range stack {
					if n == dep {
						start = k
					}
				}
				cycle := append(append([]string{}, stack[start:]...), dep)
				v.at(fmt.Sprintf("services[%d].depends_on", i), "dependency cycle: %s", strings.Join(cycle, " -> "))
				return true
			}
			if state[j] == 0 && visit(j) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
		return false
	}
	for i := range v.cfg.Services {
		if state[i] == 0 && visit(i) {
			return
		}
	}
}

func serviceNames(c *Config) []string {
	var ns []string
	for _, s := range c.Services {
		ns = append(ns, s.Name)
	}
	if len(ns) == 0 {
		return []string{"(none)"}
	}
	return ns
}

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

func declaredPorts(s Service) []string {
	var ps []string
	switch {
	case s.Process != nil:
		for _, p := range s.Process.Ports {
			ps = append(ps, strconv.Itoa(p))
		}
	case s.Container != nil:
		for _, p := range s.Container.Ports {
			n, _, _ := strings.Cut(p, "/")
			ps = append(ps, n)
		}
	}
	return ps
}

// declaredPortFunc is the {{ port N }} stub for validation: N must be one
// of the process service's declared ports.
func declaredPortFunc(s Service) PortFunc {
	return func(n int) (int, error) {
		if slices.Contains(s.Process.Ports, n) {
			return n, nil
		}
		declared := "none"
		if len(s.Process.Ports) > 0 {
			declared = strings.Join(declaredPorts(s), ", ")
		}
		return 0, fmt.Errorf("{{ port %d }}: service %q does not declare port %d (declared: %s); add it to its process.ports", n, s.Name, n, declared)
	}
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

// flowSteps checks a flow's steps: each a request of its own, with
// captures.
func (v *validator) flowSteps(p string, sc Scenario) {
	for field, set := range map[string]bool{"url": sc.URL != "", "body": sc.Body != "", "headers": len(sc.Headers) > 0, "expect": len(sc.Expect) > 0} {
		if set {
			v.at(p+"."+field, "a flow's requests are its steps: move %s into a step (or remove steps:)", field)
		}
	}
	if _, set := v.cfg.lines[p+".method"]; set {
		v.at(p+".method", "a flow's requests are its steps: move method into a step (or remove steps:)")
	}
	names := map[string]bool{}
	for j, st := range sc.Steps {
		sp := fmt.Sprintf("%s.steps[%d]", p, j)
		switch {
		case st.Name == "":
			v.at(sp+".name", "required: each step has a name (it names the step's row in the results)")
		case len(st.Name) > maxNameLen:
			v.at(sp+".name", "%s", longName(st.Name))
		case !nameRe.MatchString(st.Name):
			v.at(sp+".name", "%q must be letters, digits, '.', '_' or '-'", st.Name)
		case names[st.Name]:
			v.at(sp+".name", "step %q is defined twice in this flow", st.Name)
		}
		names[st.Name] = true
		if !methodRe.MatchString(st.Method) {
			v.at(sp+".method", "%q is not an HTTP method (GET, POST, PUT, ...)", st.Method)
		}
		v.requestURL(sp+".url", st.URL)
		for k, code := range st.Expect {
			if code < 100 || code > 599 {
				v.at(fmt.Sprintf("%s.expect[%d]", sp, k), "%d is not an HTTP status (100-599)", code)
			}
		}
		v.headers(sp, st.Headers)
		v.body(sp, st.Name, st.Body)
		for k, c := range st.Capture {
			if _, err := flow.ParseCapture(flow.CaptureSpec{JSON: c.JSON, Header: c.Header, Regexp: c.Regexp, As: c.As}); err != nil {
				v.at(fmt.Sprintf("%s.capture[%d]", sp, k), "%v", err)
			}
		}
	}
}

// flowValues checks vars, the data file's settings and every {{ var }} and
// {{ row }}: a var must be defined by vars: or captured by an earlier step,
// and a var may read only the vars declared above it (they are rendered in
// that order, before the first step).
func (v *validator) flowValues(p string, sc Scenario) {
	order := sc.VarNames()
	defined := make(map[string]bool, len(order))
	for i, name := range order {
		text := sc.Vars[name]
		defined[name] = true
		vp := p + ".vars." + name
		if !flow.ValidName(name) {
			v.at(vp, "%q: a var's name is letters, digits and _ (not starting with a digit)", name)
		}
		if err := v.compile(name, text); err != nil {
			v.at(vp, "template: %v", err)
			continue
		}
		v.varRefs(p, sc, order, i)
		v.rowRefs(p, vp, sc, text)
	}
	if d := sc.Data; d != nil {
		if d.File == "" {
			v.at(p+".data.file", "required: a CSV file with a header row, or JSON lines (relative to the config file)")
		}
		switch d.Order {
		case "", flow.Sequential, flow.Random:
		default:
			v.at(p+".data.order", "%q: use %q (default) or %q", d.Order, flow.Sequential, flow.Random)
		}
	}
	check := func(field, text string, defined map[string]bool) {
		vars, _ := tmpl.Refs(text)
		for _, name := range vars {
			if !defined[name] {
				known := slices.Sorted(maps.Keys(defined))
				hint := "none yet"
				if len(known) > 0 {
					hint = strings.Join(known, ", ")
				}
				v.at(field, "{{ var %q }} is not defined here: define it in the scenario's vars: or capture it (as: %s) in an earlier step (defined here: %s)", name, name, hint)
			}
		}
		v.rowRefs(p, field, sc, text)
	}
	requestRefs := func(rp, url, body string, headers map[string]string, defined map[string]bool) {
		check(rp+".url", url, defined)
		check(rp+".body", body, defined)
		for k, h := range headers {
			check(rp+".headers."+k, h, defined)
		}
	}
	if len(sc.Steps) == 0 {
		requestRefs(p, sc.URL, sc.Body, sc.Headers, defined)
		return
	}
	for j, st := range sc.Steps {
		sp := fmt.Sprintf("%s.steps[%d]", p, j)
		requestRefs(sp, st.URL, st.Body, st.Headers, defined)
		for _, c := range st.Capture {
			if c.As != "" {
				defined[c.As] = true
			}
		}
	}
}

// varRefs checks the {{ var }}s of var order[i]: each must name a var
// declared above it. A later var, the var itself, a step's capture (vars
// are rendered before the first step) and an unknown name are reported with
// what to do.
func (v *validator) varRefs(p string, sc Scenario, order []string, i int) {
	name := order[i]
	refs, _ := tmpl.Refs(sc.Vars[name])
	vp := p + ".vars." + name
	for k, ref := range refs {
		if slices.Contains(refs[:k], ref) {
			continue
		}
		j := slices.Index(order, ref)
		switch {
		case j == i:
			v.at(vp, "var %q uses itself ({{ var %q }}): build it from template functions or from vars declared above it", name, ref)
		case j > i:
			v.at(vp, "var %q uses %q, declared after it on line %d: move %q above %q", name, ref, v.d.lines[p+".vars."+ref].line, ref, name)
		case j < 0:
			if step := capturedBy(sc.Steps, ref); step != "" {
				v.at(vp, "var %q uses %q, which step %q captures: vars are rendered before the first step and cannot read captures; use {{ var %q }} in the steps after %q instead", name, ref, step, ref, step)
				continue
			}
			above := "none"
			if i > 0 {
				above = strings.Join(order[:i], ", ")
			}
			v.at(vp, "var %q uses {{ var %q }}, which is not defined: declare %q in vars: above %q (declared above it: %s)", name, ref, ref, name, above)
		}
	}
}

// capturedBy names the first step that captures var name ("" if none).
func capturedBy(steps []Step, name string) string {
	for _, st := range steps {
		for _, c := range st.Capture {
			if c.As == name {
				return st.Name
			}
		}
	}
	return ""
}

// rowRefs checks that a template's {{ row }} has a data file to read.
func (v *validator) rowRefs(p, field string, sc Scenario, text string) {
	_, rows := tmpl.Refs(text)
	if len(rows) > 0 && sc.Data == nil {
		v.at(field, "{{ row %q }} needs a data file: add data: {file: users.csv} to the scenario", rows[0])
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

func (c *Config) serviceByName(name string) (Service, bool) {
	for _, s := range c.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

func (v *validator) load() {
	l := v.cfg.Load
	switch l.Model {
	case "closed":
		if l.Workers < 1 || l.Workers > maxWorkers {
			v.at("load.workers", "must be between 1 and %d, got %d", maxWorkers, l.Workers)
		}
		if l.Rate != 0 {
			v.at("load.rate", "rate is for the open model; set model: open, or remove rate")
		}
		if l.MaxInFlight != 0 {
			v.at("load.max_in_flight", "max_in_flight is for the open model; the closed model's concurrency is workers")
		}
	case "open":
		if l.Rate <= 0 {
			v.at("load.rate", "required for model: open: requests per second, e.g. rate: 500")
		}
		if l.Workers != 0 {
			v.at("load.workers", "workers is for the closed model; the open model's concurrency cap is max_in_flight")
		}
		if l.MaxInFlight < 1 || l.MaxInFlight > maxWorkers {
			v.at("load.max_in_flight", "must be between 1 and %d, got %d", maxWorkers, l.MaxInFlight)
		}
	default:
		v.at("load.model", "%q: expected closed (N workers) or open (constant arrival rate)", l.Model)
	}
	if l.Measure.Requests <= 0 && l.Measure.Duration == 0 {
		v.at("load.measure", "required: bound the measured pass by requests, duration, or both, e.g. measure: {duration: 10s}")
	}
	for _, ps := range []struct {
		name string
		p    Pass
	}{{"load.warmup", l.Warmup}, {"load.measure", l.Measure}} {
		if ps.p.Requests < 0 {
			v.at(ps.name+".requests", "must be 0 or more")
		}
		if ps.p.Duration.D() > maxDuration {
			v.at(ps.name+".duration", "%s is longer than the limit of %s", ps.p.Duration, maxDuration)
		}
	}
	if l.Repeat < 1 || l.Repeat > maxRepeat {
		v.at("load.repeat", "must be between 1 and %d, got %d", maxRepeat, l.Repeat)
	}
}

func (v *validator) client() {
	c := v.cfg.Client
	for _, n := range []struct {
		path string
		val  int
	}{{"client.max_idle_conns", c.MaxIdleConns}, {"client.max_idle_conns_per_host", c.MaxIdleConnsPerHost}, {"client.max_conns_per_host", c.MaxConnsPerHost}} {
		if n.val < 0 {
			v.at(n.path, "must be 0 (automatic) or more")
		}
	}
	if c.Timeout.D() > maxDuration {
		v.at("client.timeout", "%s is longer than the limit of %s", c.Timeout, maxDuration)
	}
	switch c.Impl {
	case "", "auto", "net/http":
	case "perfgate-h1":
		if c.HTTP2 {
			v.at("client.impl", "perfgate-h1 speaks HTTP/1.1 only; with http2: true use auto or net/http")
		}
		for i, sc := range v.cfg.Scenarios {
			if strings.HasPrefix(strings.ToLower(sc.URL), "https:") {
				v.at(fmt.Sprintf("scenarios[%d].url", i), "perfgate-h1 (client.impl) speaks plain http only; use auto or net/http for https")
			}
		}
	default:
		v.at("client.impl", "%q: expected auto, perfgate-h1 or net/http", c.Impl)
	}
}

// LatencyMetrics are the percentiles a latency gate may name.
var LatencyMetrics = []string{"p50", "p90", "p95", "p99"}

func (v *validator) gates(scen map[string]bool) {
	g := v.cfg.Gates
	if g.Alpha != 0 && (g.Alpha <= 0 || g.Alpha >= 0.5) {
		v.at("gates.alpha", "must be between 0 and 0.5 (e.g. 0.05), got %v", g.Alpha)
	}
	if g.MaxRounds < 0 || g.MaxRounds > 1000 {
		v.at("gates.max_rounds", "must be between 10 and 1000 (the first look is after 10 rounds), got %d", g.MaxRounds)
	} else if g.MaxRounds > 0 && g.MaxRounds < 10 {
		v.at("gates.max_rounds", "must be at least 10: the first look is after 10 rounds, got %d", g.MaxRounds)
	}
	if d := g.SessionDrift; d != nil && (*d < 0 || *d > 1) {
		v.at("gates.session_drift", "must be between 0%% and 100%% (e.g. 8%%), got %s", *d)
	}
	if g.Power != 0 && (g.Power <= 0.5 || g.Power >= 1) {
		v.at("gates.power", "must be between 50%% and 100%% (e.g. 80%%), got %s", g.Power)
	}
	if s := g.Slice.D(); s != 0 && (s < 100*time.Millisecond || s > time.Minute) {
		v.at("gates.slice", "must be between 100ms and 1m (e.g. 1s), got %s", s)
	}
	if m := g.MaxTime.D(); m != 0 && (m < 10*time.Second || m > 2*time.Hour) {
		v.at("gates.max_time", "must be between 10s and 2h of load (e.g. 2m), got %s", m)
	}
	switch g.Pairing {
	case "", PairingDuet, PairingAlternate:
	default:
		v.at("gates.pairing", "unknown pairing %q: use %q (both sides loaded at once) or %q (ABBA slices)", g.Pairing, PairingDuet, PairingAlternate)
	}
	v.gate("gates.default", g.Default)
	for name, gt := range g.Scenarios {
		if !scen[name] {
			v.at("gates.scenarios."+name, "no scenario named %q%s", name, didYouMean(name, keysOfSet(scen)))
		}
		v.gate("gates.scenarios."+name, gt)
	}
}

func (v *validator) gate(path string, g Gate) {
	for k, p := range g.LatencyRise {
		ok := false
		for _, m := range LatencyMetrics {
			ok = ok || k == m
		}
		if !ok {
			v.at(path+".latency_rise."+k, "unknown percentile %q; expected one of %s", k, strings.Join(LatencyMetrics, ", "))
		}
		if p == nil {
			v.at(path+".latency_rise."+k, "needs a value like 10%%")
		}
	}
	for _, f := range []struct {
		name string
		p    *Percent
	}{{"error_rate_max", g.ErrorRateMax}, {"error_rate_rise", g.ErrorRateRise}, {"throughput_drop", g.ThroughputDrop}} {
		if f.p != nil && *f.p > 1 {
			v.at(path+"."+f.name, "%s is above 100%%", *f.p)
		}
		if f.p != nil && f.p.Off() && f.name == "error_rate_max" {
			v.at(path+"."+f.name, "the error-rate ceiling is always on; set a higher ceiling (e.g. 100%%) instead of off")
		}
	}
}

// checkFiles reports files and folders the config names that do not exist:
// found now, not after other services were started.
func (v *validator) checkFiles() {
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(v.cfg.Dir, p)
	}
	for i := range v.cfg.Scenarios {
		v.dataFile(i, rel)
	}
	v.checkComposeFile()
	for i, s := range v.cfg.Services {
		p := fmt.Sprintf("services[%d]", i)
		if ps := s.Process; ps != nil {
			dir := v.cfg.Dir
			if ps.Dir != "" {
				dir = rel(ps.Dir)
				if st, err := os.Stat(dir); err != nil || !st.IsDir() {
					v.at(p+".process.dir", "folder %s does not exist (paths are relative to the config file)", dir)
					continue
				}
			}
			// A prepare step may build the command: it is checked when the
			// service starts instead (a missing one is exit 3 there).
			if len(ps.Command) > 0 && strings.Contains(ps.Command[0], "/") && len(v.cfg.Prepare) == 0 {
				cmd := ps.Command[0]
				if !filepath.IsAbs(cmd) {
					cmd = filepath.Join(dir, cmd)
				}
				if st, err := os.Stat(cmd); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
					v.at(p+".process.command", "%s is not an executable file (relative commands resolve against the service's dir); build it first?", cmd)
				}
			}
		}
		if ct := s.Container; ct != nil {
			if ct.Build != nil && ct.Build.Context != "" {
				ctxDir := rel(ct.Build.Context)
				df := ct.Build.Dockerfile
				if df == "" {
					df = "Dockerfile"
				}
				if st, err := os.Stat(ctxDir); err != nil || !st.IsDir() {
					v.at(p+".container.build.context", "folder %s does not exist", ctxDir)
				} else if _, err := os.Stat(filepath.Join(ctxDir, df)); err != nil {
					v.at(p+".container.build.dockerfile", "%s not found in %s", df, ctxDir)
				}
			}
			for j, f := range ct.Files {
				if f.Source == "" {
					continue
				}
				if _, err := os.Stat(rel(f.Source)); err != nil {
					v.at(fmt.Sprintf("%s.container.files[%d].source", p, j), "%s does not exist (paths are relative to the config file)", rel(f.Source))
				}
			}
		}
	}
}

// dataFile reads scenario i's data file once (kept for the run) and checks
// that every {{ row }} names one of its columns.
func (v *validator) dataFile(i int, rel func(string) string) {
	sc := &v.cfg.Scenarios[i]
	if sc.Data == nil || sc.Data.File == "" {
		return
	}
	p := fmt.Sprintf("scenarios[%d].data.file", i)
	ctx := v.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	t, err := flow.ReadTableContext(ctx, rel(sc.Data.File))
	if err != nil {
		v.at(p, "%v", err)
		return
	}
	sc.Data.table = t
	var texts []string
	for _, s := range sc.Vars {
		texts = append(texts, s)
	}
	texts = append(texts, sc.URL, sc.Body)
	texts = slices.AppendSeq(texts, maps.Values(sc.Headers))
	for _, st := range sc.Steps {
		texts = append(texts, st.URL, st.Body)
		texts = slices.AppendSeq(texts, maps.Values(st.Headers))
	}
	for _, text := range texts {
		_, rows := tmpl.Refs(text)
		for _, col := range rows {
			if _, ok := t.Col(col); !ok {
				v.at(p, "{{ row %q }}: %s has no such column (columns: %s)", col, sc.Data.File, strings.Join(t.Columns, ", "))
				return
			}
		}
	}
}
