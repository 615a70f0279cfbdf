package load

import (
	"fmt"
	"path/filepath"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// FromConfig builds the Engine inputs from a loaded configuration: the
// scenarios (urls[i] is cfg.Scenarios[i].URL with endpoints resolved; bodies
// and header templates compiled; a flow's step URLs are taken as written),
// the options (client tuned for the load's concurrency) and the plan.
func FromConfig(cfg *config.Config, urls []string) ([]Scenario, Options, Plan, error) {
	if len(urls) != len(cfg.Scenarios) {
		return nil, Options{}, Plan{}, fmt.Errorf("%d rendered URLs for %d scenarios", len(urls), len(cfg.Scenarios))
	}
	next := 0
	return FromConfigWith(cfg, ConfigInputs{URL: func(raw string, step bool) (string, error) {
		if step {
			return raw, nil
		}
		next++
		return urls[next-1], nil
	}})
}

// ConfigInputs is what FromConfigWith needs besides the config.
type ConfigInputs struct {
	// URL resolves a scenario's (step false) or a flow step's URL: its
	// {{ endpoint }} actions, once (the rest stays a per-request
	// template). Called in config order.
	URL func(raw string, step bool) (string, error)
	// Shard restricts every data file to its rows i with i%Count ==
	// Index; the zero value (or {0, 1}) takes every row.
	Shard flow.Shard
}

// FromConfigWith is FromConfig with the URLs resolved by in.URL.
func FromConfigWith(cfg *config.Config, in ConfigInputs) ([]Scenario, Options, Plan, error) {
	scs := make([]Scenario, 0, len(cfg.Scenarios))
	for _, c := range cfg.Scenarios {
		where := fmt.Sprintf("%s: scenario %q (line %d)", cfg.Path, c.Name, c.Line)
		u := ""
		if len(c.Steps) == 0 {
			var err error
			if u, err = in.URL(c.URL, false); err != nil {
				return nil, Options{}, Plan{}, fmt.Errorf("%s: url: %w", where, err)
			}
		}
		// The loaded config's weight is the effective one: 0 was written
		// as 0 and switches the scenario off (an absent weight is 1).
		s := Scenario{Name: c.Name, Method: c.Method, URL: u, Headers: c.Headers, Expect: c.Expect, Weight: c.Weight, Off: c.Weight == 0}
		if c.Body != "" {
			t, err := tmpl.Compile(c.Name, c.Body)
			if err != nil {
				return nil, Options{}, Plan{}, fmt.Errorf("%s: body: %w", where, err)
			}
			s.Body = t
		}
		if len(c.Steps) > 0 || len(c.Vars) > 0 || c.Data != nil {
			if err := flowFromConfig(cfg, c, &s, in); err != nil {
				return nil, Options{}, Plan{}, fmt.Errorf("%s: %w", where, err)
			}
		}
		scs = append(scs, s)
	}
	l := cfg.Load
	opt := Options{Model: l.Model, Workers: l.Workers, Rate: l.Rate, MaxInFlight: l.MaxInFlight}
	if opt.Model == "" {
		opt.Model = Closed
	}
	opt.Client = cfg.Client
	opt.HTTPClient = cfg.Client.Impl
	plan := Plan{
		Warmup:  PassSpec{Requests: l.Warmup.Requests, Duration: l.Warmup.Duration.D()},
		Measure: PassSpec{Requests: l.Measure.Requests, Duration: l.Measure.Duration.D()},
		Repeat:  l.Repeat,
	}
	if plan.Repeat <= 0 {
		plan.Repeat = 5
	}
	return scs, opt, plan, nil
}

// flowFromConfig compiles a scenario's vars, steps, captures and data file.
func flowFromConfig(cfg *config.Config, c config.Scenario, s *Scenario, in ConfigInputs) error {
	spec := flow.Spec{Name: c.Name, Vars: map[string]*tmpl.Template{}, VarOrder: c.VarNames()}
	for _, name := range spec.VarOrder {
		text := c.Vars[name]
		t, err := tmpl.Compile(c.Name+" var "+name, text)
		if err != nil {
			return fmt.Errorf("vars.%s: %w", name, err)
		}
		spec.Vars[name] = t
	}
	if d := c.Data; d != nil {
		t := d.Table()
		if t == nil {
			file := d.File
			if !filepath.IsAbs(file) {
				file = filepath.Join(cfg.Dir, file)
			}
			var err error
			if t, err = flow.ReadTable(file); err != nil {
				return err
			}
		}
		rows, err := flow.NewRows(t, d.Order, in.Shard)
		if err != nil {
			return err
		}
		spec.Rows = rows
	}
	for j, st := range c.Steps {
		u, err := in.URL(st.URL, true)
		if err != nil {
			return fmt.Errorf("steps[%d] (%s): url: %w", j, st.Name, err)
		}
		step := Step{Name: st.Name, Method: st.Method, URL: u, Headers: st.Headers, Expect: st.Expect}
		if st.Body != "" {
			if step.Body, err = tmpl.Compile(c.Name+" "+st.Name, st.Body); err != nil {
				return fmt.Errorf("steps[%d] (%s): body: %w", j, st.Name, err)
			}
		}
		ss := flow.StepSpec{Name: st.Name}
		for k, cp := range st.Capture {
			cc, err := flow.ParseCapture(flow.CaptureSpec{JSON: cp.JSON, Header: cp.Header, Regexp: cp.Regexp, As: cp.As})
			if err != nil {
				return fmt.Errorf("steps[%d].capture[%d]: %w", j, k, err)
			}
			ss.Captures = append(ss.Captures, cc)
		}
		spec.Steps = append(spec.Steps, ss)
		s.Steps = append(s.Steps, step)
	}
	f, err := flow.New(spec)
	if err != nil {
		return err
	}
	s.Flow = f
	return nil
}
