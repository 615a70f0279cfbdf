package container

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/internal/ready"
	"github.com/perfgate/perfgate/internal/stack"
)

// resolve returns "host:port" for a port of this service or, through the
// stack (env.Endpoint) or this provider, of another service.
func (s *Service) resolve(ctx context.Context, name, port string) (string, error) {
	if name == s.name {
		return s.Endpoint(ctx, port)
	}
	if s.env.Endpoint != nil {
		return s.env.Endpoint(ctx, name, port)
	}
	if o := s.p.lookup(name); o != nil {
		return o.Endpoint(ctx, port)
	}
	return "", fmt.Errorf("endpoint %q %s: no service %q has been started", name, port, name)
}

func (s *Service) render(ctx context.Context, v string) (string, error) {
	return stack.RenderTemplate(ctx, v, s.resolve)
}

// readyTarget turns ready.http / ready.tcp into a concrete loopback target.
// Short forms: ready.http "/health" means the first declared port's
// endpoint; ready.tcp "8080" means that port's endpoint.
func (s *Service) readyTarget(ctx context.Context) (kind, target string, err error) {
	r := s.ready
	switch {
	case r.HTTP != "":
		u := r.HTTP
		if strings.HasPrefix(u, "/") {
			if len(s.order) == 0 {
				return "", "", fmt.Errorf("ready.http %q is a path but container.ports is empty", u)
			}
			ep, err := s.Endpoint(ctx, s.order[0])
			if err != nil {
				return "", "", err
			}
			u = "http://" + ep + u
		}
		if u, err = s.render(ctx, u); err != nil {
			return "", "", fmt.Errorf("ready.http: %w", err)
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return "", "", fmt.Errorf("ready.http %q is not an http(s) URL", u)
		}
		if !loopback.Host(pu.Hostname()) {
			return "", "", fmt.Errorf("ready.http %q must target 127.0.0.1: write the host as {{ endpoint %q \"<port>\" }}", u, s.name)
		}
		return "http", u, nil
	case r.TCP != "":
		t := r.TCP
		if _, err := normPort(t); err == nil && !strings.Contains(t, ":") {
			if t, err = s.Endpoint(ctx, t); err != nil {
				return "", "", err
			}
		}
		if t, err = s.render(ctx, t); err != nil {
			return "", "", fmt.Errorf("ready.tcp: %w", err)
		}
		h, _, err := net.SplitHostPort(t)
		if err != nil {
			return "", "", fmt.Errorf("ready.tcp %q: want host:port", t)
		}
		if !loopback.Host(h) {
			return "", "", fmt.Errorf("ready.tcp %q must target 127.0.0.1: write it as {{ endpoint %q \"<port>\" }}", t, s.name)
		}
		return "tcp", t, nil
	case r.Log != "":
		return "log", r.Log, nil
	}
	return "", "", nil
}

// WaitReady blocks until the ready check of the config passes, the
// container exits, the ready timeout (default 30s) passes, or ctx ends.
// Without a ready check it returns at once (the container is running).
// Errors name the service and the check; the output tail is left to the
// caller (LogTail), as the stack adds it.
func (s *Service) WaitReady(ctx context.Context) error {
	err := s.waitReady(ctx)
	if err != nil {
		return fmt.Errorf("service %q: %w", s.name, err)
	}
	return nil
}

func (s *Service) waitReady(ctx context.Context) error {
	if err := s.Err(); err != nil {
		return fmt.Errorf("%w: %w", ready.ErrExited, err)
	}
	if handled, err := s.composeReady(ctx); handled {
		return err
	}
	if s.ready == nil {
		return nil
	}
	kind, target, err := s.readyTarget(ctx)
	if err != nil || kind == "" {
		return err
	}
	o := ready.Options{Exited: s.exited, ExitErr: s.Err, Timeout: s.ready.Timeout.D()}
	switch kind {
	case "http":
		return ready.HTTP(ctx, target, s.ready.Status, o)
	case "tcp":
		if s.host {
			return ready.TCP(ctx, target, o)
		}
		return s.waitPublishedTCP(ctx, target, o)
	default:
		return ready.Log(ctx, s.logs, target, o)
	}
}

// waitPorts waits until each published TCP port takes a connection the
// service keeps open, each within the ready timeout: a compose service
// with ports: and nothing else saying when it serves.
func (s *Service) waitPorts(ctx context.Context) error {
	o := ready.Options{Exited: s.exited, ExitErr: s.Err, Timeout: s.ready.Timeout.D()}
	for _, p := range s.order {
		if !strings.HasSuffix(p, "/tcp") {
			continue
		}
		addr, err := s.Endpoint(ctx, p)
		if err != nil {
			return err
		}
		if s.host {
			err = ready.TCP(ctx, addr, o)
		} else {
			err = s.waitPublishedTCP(ctx, addr, o)
		}
		if err != nil {
			return fmt.Errorf("port %s: %w", p, err)
		}
	}
	return nil
}

// waitPublishedTCP polls a published port. docker-proxy accepts
// connections before anything listens in the container and then closes
// them at once, so a plain connect proves nothing: see probeTCP.
func (s *Service) waitPublishedTCP(ctx context.Context, addr string, o ready.Options) error {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = ready.DefaultTimeout
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e := &ready.Error{Check: "TCP " + addr + " (published port)"}
	delay := 10 * time.Millisecond
	for {
		last := probeTCP(cctx, addr)
		if last == "" {
			return nil
		}
		e.Last = last
		t := time.NewTimer(delay)
		select {
		case <-t.C:
			delay = min(delay*2, 250*time.Millisecond)
			continue
		case <-s.exited:
			e.Err = fmt.Errorf("%w: %w", ready.ErrExited, s.Err())
		case <-cctx.Done():
			e.Err = cctx.Err()
			e.TimedOut = ctx.Err() == nil
		}
		t.Stop()
		e.After = time.Since(start)
		return e
	}
}

// probeTCP connects to addr; a connection that ends within 200ms without a
// byte is taken as "nothing listening yet" (docker-proxy), one that stays
// open or sends data as ready.
func probeTCP(ctx context.Context, addr string) string {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "last error: " + err.Error()
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var b [1]byte
	n, err := c.Read(b[:])
	if n > 0 {
		return ""
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ""
	}
	return fmt.Sprintf("connection closed at once (%v): nothing listening in the container yet", err)
}
