package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/tmpl"
)

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
