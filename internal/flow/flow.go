package flow

import (
	"fmt"
	"maps"
	"slices"

	"github.com/perfgate/perfgate/internal/tmpl"
)

// Spec is a scenario's flow: what is rendered at the start of each
// iteration and what each step captures. The requests themselves are the
// engine's.
type Spec struct {
	Name string
	// Vars are rendered once at the start of each iteration, in VarOrder;
	// they may use {{ row }}, every function of internal/tmpl, and
	// {{ var }} of the vars rendered before them.
	Vars map[string]*tmpl.Template
	// VarOrder is the order Vars are rendered in (the config file's): each
	// names a var of Vars once. Empty: name order.
	VarOrder []string
	Steps    []StepSpec // none: a single-request scenario with a data file
	Rows     *Rows      // nil: no data file
}

// StepSpec is one step's captures.
type StepSpec struct {
	Name     string
	Captures []Capture
}

// Flow is a compiled Spec, shared by the workers (read-only).
type Flow struct {
	name  string
	vars  []namedTemplate
	steps []StepSpec
	rows  *Rows
}

type namedTemplate struct {
	name string
	t    *tmpl.Template
}

// New compiles s.
func New(s Spec) (*Flow, error) {
	f := &Flow{name: s.Name, steps: s.Steps, rows: s.Rows}
	names := s.VarOrder
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(s.Vars))
	}
	f.vars = make([]namedTemplate, 0, len(names))
	for _, n := range names {
		t, ok := s.Vars[n]
		switch {
		case !ValidName(n):
			return nil, fmt.Errorf("scenario %q: var %q: a name is letters, digits and _ (not starting with a digit)", s.Name, n)
		case !ok:
			return nil, fmt.Errorf("scenario %q: var order names %q, which is not one of its vars", s.Name, n)
		case slices.ContainsFunc(f.vars, func(v namedTemplate) bool { return v.name == n }):
			return nil, fmt.Errorf("scenario %q: var order names %q twice", s.Name, n)
		}
		f.vars = append(f.vars, namedTemplate{n, t})
	}
	if len(f.vars) != len(s.Vars) {
		return nil, fmt.Errorf("scenario %q: var order lists %d of its %d vars; list each once", s.Name, len(f.vars), len(s.Vars))
	}
	for i, st := range s.Steps {
		if st.Name == "" {
			return nil, fmt.Errorf("scenario %q: step %d has no name", s.Name, i+1)
		}
	}
	return f, nil
}

// Steps is the number of steps (0: a single request with data).
func (f *Flow) Steps() int { return len(f.steps) }

// Wants reports what step i's captures read of its response: headers, the
// body, or neither (the response is then discarded unread).
func (f *Flow) Wants(i int) (headers, body bool) {
	if i < 0 || i >= len(f.steps) {
		return false, false
	}
	for _, c := range f.steps[i].Captures {
		switch c.Kind {
		case Header:
			headers = true
		case JSON, Regexp:
			body = true
		}
	}
	return headers, body
}

// Iter is one worker's iteration: the vars, the captured values and the
// data row. It is what {{ var }} and {{ row }} read (a tmpl.Values). Not
// safe for concurrent use.
type Iter struct {
	f    *Flow
	vars map[string]string
	row  []string
	buf  []byte
}

var _ tmpl.Values = (*Iter)(nil)

// NewIter returns an iteration state for one worker.
func (f *Flow) NewIter() *Iter { return &Iter{f: f, vars: make(map[string]string, len(f.vars)+4)} }

// Var implements tmpl.Values.
func (it *Iter) Var(name string) (string, bool) {
	v, ok := it.vars[name]
	return v, ok
}

// Row implements tmpl.Values.
func (it *Iter) Row(col string) (string, bool) {
	if it.row == nil {
		return "", false
	}
	i, ok := it.f.rows.t.Col(col)
	if !ok {
		return "", false
	}
	return it.row[i], true
}

// Begin starts an iteration on st: it forgets the last iteration's values,
// takes a row, renders the vars in order (one seq for all of them; each
// reads the ones before it) and makes st read the iteration's values.
func (f *Flow) Begin(it *Iter, st *tmpl.State) error {
	clear(it.vars)
	st.SetValues(it)
	it.row = nil
	if f.rows != nil {
		it.row = f.rows.Pick(st.Rand())
	}
	if len(f.vars) == 0 {
		return nil
	}
	st.Next()
	for _, v := range f.vars {
		var err error
		it.buf, err = v.t.Append(it.buf[:0], st)
		if err != nil {
			return fmt.Errorf("render var %q: %w", v.name, err)
		}
		it.vars[v.name] = string(it.buf)
	}
	return nil
}

// Capture applies step i's captures to its response; the first that finds
// nothing is a *CaptureError (the step fails, the iteration ends).
func (f *Flow) Capture(it *Iter, i int, r Response) error {
	for k := range f.steps[i].Captures {
		c := &f.steps[i].Captures[k]
		v, ok := c.Extract(r)
		if !ok {
			return &CaptureError{Step: f.steps[i].Name, Capture: c.String(), As: c.As}
		}
		it.vars[c.As] = v
	}
	return nil
}
