package config

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

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
