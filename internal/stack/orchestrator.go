package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

// TailLines is how many output lines a StartError or DiedError carries.
const TailLines = 40

// rollbackTimeout bounds stopping what was started when Start fails.
const rollbackTimeout = 30 * time.Second

// Stack starts services in dependency order and owns them until Stop.
// Use New, then Start once, then Stop (always, even when Start failed).
type Stack struct {
	providers map[string]Provider
	names     []string // provider names, for errors

	mu       sync.Mutex
	started  bool
	stopping bool
	running  []*member // in start order
	used     []Provider
	stopErr  error
	stopped  chan struct{} // closed when Stop begins
	died     chan error    // first unexpected exit, capacity 1
	stopOnce sync.Once
}

type member struct {
	name       string
	provider   string
	svc        Service
	readyAfter time.Duration
}

// New returns a Stack using providers, chosen per service by
// Provider.Name() == config.Service.Provider().
func New(providers ...Provider) *Stack {
	s := &Stack{
		providers: map[string]Provider{},
		stopped:   make(chan struct{}),
		died:      make(chan error, 1),
	}
	for _, p := range providers {
		s.providers[p.Name()] = p
		s.names = append(s.names, p.Name())
	}
	slices.Sort(s.names)
	return s
}

// StartError says which service failed to start or become ready, with the
// last lines of its output.
type StartError struct {
	Service string
	Err     error
	LogTail []string
}

func (e *StartError) Error() string {
	return fmt.Sprintf("service %q did not start: %v%s", e.Service, e.Err, formatTail(e.LogTail))
}

func (e *StartError) Unwrap() error { return e.Err }

// DiedError says which service exited on its own after it was started.
type DiedError struct {
	Service string
	Err     error
	LogTail []string
}

func (e *DiedError) Error() string {
	return fmt.Sprintf("service %q died: %v%s", e.Service, e.Err, formatTail(e.LogTail))
}

func (e *DiedError) Unwrap() error { return e.Err }

func formatTail(tail []string) string {
	if len(tail) == 0 {
		return " (no output)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nlast %d lines of its output:", len(tail))
	for _, l := range tail {
		b.WriteString("\n  | ")
		b.WriteString(l)
	}
	return b.String()
}

// Order returns services in start order: every service after those it
// depends on, otherwise in the given order. Unknown or duplicate names and
// dependency cycles are errors that name them.
func Order(services []config.Service) ([]config.Service, error) {
	index := map[string]int{}
	for i, s := range services {
		if s.Name == "" {
			return nil, fmt.Errorf("service #%d has no name", i+1)
		}
		if j, dup := index[s.Name]; dup {
			return nil, fmt.Errorf("service %q is defined twice (#%d and #%d)", s.Name, j+1, i+1)
		}
		index[s.Name] = i
	}
	for _, s := range services {
		for _, d := range s.DependsOn {
			if _, ok := index[d]; !ok {
				return nil, fmt.Errorf("service %q depends on unknown service %q (known: %s)", s.Name, d, strings.Join(sortedKeys(index), ", "))
			}
		}
	}
	// Depth-first, visiting services and their dependencies in file order.
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(services))
	var out []config.Service
	var path []string
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case done:
			return nil
		case visiting:
			name := services[i].Name
			start := slices.Index(path, name)
			cycle := append(slices.Clone(path[start:]), name)
			return fmt.Errorf("services depend on each other in a cycle: %s", strings.Join(cycle, " -> "))
		}
		state[i] = visiting
		path = append(path, services[i].Name)
		for _, d := range services[i].DependsOn {
			if err := visit(index[d]); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		out = append(out, services[i])
		return nil
	}
	for i := range services {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Start starts services in dependency order, waiting until each is ready
// before starting the next. On failure it stops what it started (in reverse
// order) and returns a *StartError (or a plain error for a bad service
// list). It may be called once.
func (s *Stack) Start(ctx context.Context, services []config.Service, env Env) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("stack: Start called twice")
	}
	s.started = true
	s.mu.Unlock()

	ordered, err := Order(services)
	if err != nil {
		return err
	}
	for _, svc := range ordered {
		if _, err := s.provider(svc); err != nil {
			return err
		}
	}
	env.Endpoint = s.endpoint
	for _, svc := range ordered {
		if err := s.startOne(ctx, svc, env); err != nil {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			if serr := s.Stop(sctx); serr != nil {
				var se *StartError
				if errors.As(err, &se) {
					se.Err = errors.Join(se.Err, fmt.Errorf("while stopping the others: %w", serr))
				}
			}
			return err
		}
	}
	return nil
}

func (s *Stack) provider(svc config.Service) (Provider, error) {
	name := svc.Provider()
	if name == "" {
		return nil, fmt.Errorf("service %q: neither process nor container is set", svc.Name)
	}
	p, ok := s.providers[name]
	if !ok {
		return nil, fmt.Errorf("service %q needs the %q provider, which this perfgate does not have (available: %s)", svc.Name, name, strings.Join(s.names, ", "))
	}
	return p, nil
}

func (s *Stack) startOne(ctx context.Context, cfg config.Service, env Env) error {
	p, _ := s.provider(cfg)
	if err := ctx.Err(); err != nil {
		return &StartError{Service: cfg.Name, Err: err}
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return &StartError{Service: cfg.Name, Err: errors.New("the stack is stopping")}
	}
	if !slices.Contains(s.used, p) {
		s.used = append(s.used, p)
	}
	s.mu.Unlock()

	begin := time.Now()
	svc, err := p.Start(ctx, cfg, env)
	if err != nil {
		return &StartError{Service: cfg.Name, Err: err}
	}
	m := &member{name: cfg.Name, provider: p.Name(), svc: svc}
	s.mu.Lock()
	s.running = append(s.running, m)
	stopping := s.stopping
	s.mu.Unlock()
	if stopping { // Stop ran concurrently; it may have missed svc
		_ = svc.Stop(context.WithoutCancel(ctx))
		return &StartError{Service: cfg.Name, Err: errors.New("the stack is stopping")}
	}
	go s.watch(m)

	// Wait for readiness, but give up as soon as a service started
	// earlier dies.
	readyErr := make(chan error, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { readyErr <- svc.WaitReady(wctx) }()
	select {
	case err = <-readyErr:
	case derr := <-s.died:
		var de *DiedError
		errors.As(derr, &de)
		if de != nil && de.Service == cfg.Name {
			// WaitReady returns at once on exit and says more.
			select {
			case err = <-readyErr:
			case <-time.After(time.Second):
				err = de.Err
			}
			if err == nil {
				err = de.Err
			}
		} else {
			return derrAsStart(de, derr)
		}
	}
	if err != nil {
		return &StartError{Service: cfg.Name, Err: err, LogTail: svc.LogTail(TailLines)}
	}
	s.mu.Lock()
	m.readyAfter = time.Since(begin)
	s.mu.Unlock()
	return nil
}

func derrAsStart(de *DiedError, err error) error {
	if de == nil {
		return &StartError{Service: "?", Err: err}
	}
	return &StartError{Service: de.Service, Err: fmt.Errorf("exited while later services were starting: %w", de.Err), LogTail: de.LogTail}
}

// watch reports m's exit on s.died unless the stack is stopping.
func (s *Stack) watch(m *member) {
	select {
	case <-s.stopped:
		return
	case <-m.svc.Exited():
	}
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		return
	}
	err := m.svc.Err()
	if err == nil {
		err = errors.New("exited")
	}
	select {
	case s.died <- &DiedError{Service: m.name, Err: err, LogTail: m.svc.LogTail(TailLines)}:
	default: // an earlier death is already reported
	}
}

// Died delivers a *DiedError when a started service exits on its own before
// Stop. Only the first death is delivered; the channel is never closed.
func (s *Stack) Died() <-chan error { return s.died }

// Stop stops every started service in reverse start order, then closes the
// providers that were used. It is safe to call at any time, more than once,
// and after a failed Start; later calls return the first call's result.
// Give it a context that is not already cancelled (e.g.
// context.WithoutCancel plus a timeout): a done ctx makes providers skip
// their grace period and kill at once.
func (s *Stack) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopping = true
		close(s.stopped)
		running := slices.Clone(s.running)
		used := slices.Clone(s.used)
		s.mu.Unlock()

		var errs []error
		for i := len(running) - 1; i >= 0; i-- {
			if err := running[i].svc.Stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stop service %q: %w", running[i].name, err))
			}
		}
		for i := len(used) - 1; i >= 0; i-- {
			if err := used[i].Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("close %s provider: %w", used[i].Name(), err))
			}
		}
		s.mu.Lock()
		s.stopErr = errors.Join(errs...)
		s.mu.Unlock()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopErr
}

// endpoint resolves a started service's endpoint.
func (s *Stack) endpoint(ctx context.Context, service, port string) (string, error) {
	s.mu.Lock()
	var found Service
	var names []string
	for _, m := range s.running {
		names = append(names, m.name)
		if m.name == service {
			found = m.svc
		}
	}
	s.mu.Unlock()
	if found == nil {
		if len(names) == 0 {
			return "", fmt.Errorf("endpoint %q %s: no service is started yet", service, port)
		}
		return "", fmt.Errorf("endpoint %q %s: no such started service (started: %s)", service, port, strings.Join(names, ", "))
	}
	return found.Endpoint(ctx, port)
}

// Render expands {{ endpoint "svc" 8080 }} in s (a scenario or readiness
// URL) to "host:port" of a started service. A string without "{{" is
// returned unchanged.
func (s *Stack) Render(ctx context.Context, str string) (string, error) {
	return RenderTemplate(ctx, str, s.endpoint)
}

// HostPIDs are the host pids of the services whose processes do not
// descend from perfgate's (containers: their init process), for
// internal/foreigncpu; process services need none.
func (s *Stack) HostPIDs(ctx context.Context) []int {
	s.mu.Lock()
	svcs := make([]Service, 0, len(s.running))
	for _, m := range s.running {
		svcs = append(svcs, m.svc)
	}
	s.mu.Unlock()
	var out []int
	for _, svc := range svcs {
		if h, ok := svc.(interface{ HostPID(context.Context) int }); ok {
			if pid := h.HostPID(ctx); pid > 0 {
				out = append(out, pid)
			}
		}
	}
	return out
}

// Infos describes the started services, in start order, for the results.
func (s *Stack) Infos() []results.ServiceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]results.ServiceInfo, 0, len(s.running))
	for _, m := range s.running {
		i := m.svc.Info()
		if i.Name == "" {
			i.Name = m.name
		}
		if i.Provider == "" {
			i.Provider = m.provider
		}
		out = append(out, results.ServiceInfo{
			Name:       i.Name,
			Provider:   i.Provider,
			Image:      i.Image,
			CPUs:       i.CPUs,
			Memory:     i.Memory,
			ReadyAfter: m.readyAfter.Seconds(),
		})
	}
	return out
}
