package config

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

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

func (c *Config) serviceByName(name string) (Service, bool) {
	for _, s := range c.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}
