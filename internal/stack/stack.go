// Package stack starts the services under test in dependency order, waits
// until each is ready, and stops them all. Providers (process, container)
// implement Provider; the Stack owns every service it started.
package stack

import (
	"context"
	"fmt"
	"net"

	"github.com/perfgate/perfgate/internal/config"
)

// Provider starts one kind of service.
type Provider interface {
	// Name is "process" or "container".
	Name() string
	// Start starts svc and returns once it is running (not necessarily
	// ready: readiness is checked by the Stack through Service.Ready/Wait).
	// env gives what Start needs from services started before it.
	Start(ctx context.Context, svc config.Service, env Env) (Service, error)
	// Close releases what the provider itself holds (networks, clients),
	// after all its services have been stopped.
	Close(ctx context.Context) error
}

// Env is what a provider is given about the stack.
type Env struct {
	// RunID is unique per perfgate run; providers label what they create
	// with it (e.g. the container label perfgate.run=<RunID>).
	RunID string
	// ConfigDir resolves relative paths.
	ConfigDir string
	// Endpoint resolves an endpoint of a service started before this one
	// (filled by the Stack; nil outside it). Providers use it, with their
	// own Endpoint, to render readiness URLs (see RenderTemplate).
	Endpoint EndpointFunc
	// Ports gives process services other ports than they declare:
	// service name -> declared port -> the port it is given (what
	// {{ port N }} renders to and Endpoint returns). nil, or a service or
	// port missing from it, means the declared port itself (a normal run).
	// Paired mode fills it per side with FreePorts.
	Ports map[string]map[int]int
}

// Port returns the port service is given for its declared port (the
// declared port when Ports does not map it).
func (e Env) Port(service string, declared int) int {
	if p, ok := e.Ports[service][declared]; ok && p > 0 {
		return p
	}
	return declared
}

// FreePorts picks a free loopback port for every declared port of every
// process service in cfg, for Env.Ports (e.g. one call per side in paired
// mode). The ports are distinct: all are held open until every one is
// picked, then closed. Another program may take one before the service
// binds it; the process provider then reports the port as taken.
func FreePorts(cfg *config.Config) (map[string]map[int]int, error) {
	out := map[string]map[int]int{}
	var held []net.Listener
	defer func() {
		for _, ln := range held {
			_ = ln.Close()
		}
	}()
	for _, svc := range cfg.Services {
		if svc.Process == nil || len(svc.Process.Ports) == 0 {
			continue
		}
		m := map[int]int{}
		for _, declared := range svc.Process.Ports {
			if _, done := m[declared]; done {
				continue
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, fmt.Errorf("service %q: no free port on 127.0.0.1 for its port %d: %w", svc.Name, declared, err)
			}
			held = append(held, ln)
			m[declared] = ln.Addr().(*net.TCPAddr).Port
		}
		out[svc.Name] = m
	}
	return out, nil
}

// EndpointFunc returns "host:port" for a service's port.
type EndpointFunc func(ctx context.Context, service, port string) (string, error)

// Service is one started service; its owner must call Stop.
type Service interface {
	Name() string
	// Endpoint returns "host:port" where the service's port can be reached
	// from perfgate (for a process, 127.0.0.1:port; for a container, the
	// mapped port on 127.0.0.1).
	Endpoint(ctx context.Context, port string) (string, error)
	// WaitReady blocks until the readiness check in the config passes, the
	// service exits, or ctx ends.
	WaitReady(ctx context.Context) error
	// Exited is closed when the service stops on its own.
	Exited() <-chan struct{}
	// Err reports why the service exited (nil while running).
	Err() error
	// LogTail returns the last n lines of the service's output.
	LogTail(n int) []string
	// Stop stops the service and everything it started. Safe to call twice.
	Stop(ctx context.Context) error
	// Info describes the service for the results.
	Info() ServiceInfo
}

// ServiceInfo mirrors results.ServiceInfo without importing it.
type ServiceInfo struct {
	Name     string
	Provider string
	Image    string
	CPUs     float64
	Memory   string
}
