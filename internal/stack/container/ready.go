package container

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

const defaultReadyTimeout = 30 * time.Second

// endpointRef matches {{ endpoint "svc" "8080" }} and {{ endpoint "svc" 8080 }}.
var endpointRef = regexp.MustCompile(`\{\{-?\s*endpoint\s+"([^"]+)"\s+"?([0-9]+(?:/[a-z]+)?)"?\s*-?\}\}`)

// resolveEndpoints replaces every {{ endpoint "svc" "port" }} in s with the
// address of that port of a service started by this provider.
func (p *Provider) resolveEndpoints(ctx context.Context, s string) (string, error) {
	var firstErr error
	out := endpointRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := endpointRef.FindStringSubmatch(m)
		svc := p.lookup(sub[1])
		if svc == nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: no container service %q has been started", m, sub[1])
			}
			return m
		}
		ep, err := svc.Endpoint(ctx, sub[2])
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return ep
	})
	if firstErr != nil {
		return "", firstErr
	}
	if strings.Contains(out, "{{") {
		return "", fmt.Errorf("%q: only {{ endpoint \"service\" \"port\" }} can be used here", s)
	}
	return out, nil
}

func (s *Service) render(ctx context.Context, v string) (string, error) {
	if s.p.opts.Render != nil {
		return s.p.opts.Render(ctx, v)
	}
	return s.p.resolveEndpoints(ctx, v)
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
				return "", "", fmt.Errorf("service %q: ready.http %q is a path but container.ports is empty", s.name, u)
			}
			ep, err := s.Endpoint(ctx, s.order[0])
			if err != nil {
				return "", "", err
			}
			u = "http://" + ep + u
		}
		if u, err = s.render(ctx, u); err != nil {
			return "", "", fmt.Errorf("service %q: ready.http: %w", s.name, err)
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return "", "", fmt.Errorf("service %q: ready.http %q is not an http(s) URL", s.name, u)
		}
		if !IsLoopback(pu.Hostname()) {
			return "", "", fmt.Errorf("service %q: ready.http %q must target 127.0.0.1: write the host as {{ endpoint %q \"<port>\" }}", s.name, u, s.name)
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
			return "", "", fmt.Errorf("service %q: ready.tcp: %w", s.name, err)
		}
		h, _, err := net.SplitHostPort(t)
		if err != nil {
			return "", "", fmt.Errorf("service %q: ready.tcp %q: want host:port", s.name, t)
		}
		if !IsLoopback(h) {
			return "", "", fmt.Errorf("service %q: ready.tcp %q must target 127.0.0.1: write it as {{ endpoint %q \"<port>\" }}", s.name, t, s.name)
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
func (s *Service) WaitReady(ctx context.Context) error {
	if err := s.Err(); err != nil {
		return s.exitedErr(err)
	}
	if s.ready == nil {
		return nil
	}
	kind, target, err := s.readyTarget(ctx)
	if err != nil || kind == "" {
		return err
	}
	timeout := s.ready.Timeout.D()
	if timeout <= 0 {
		timeout = defaultReadyTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	want := s.ready.Status
	if want == 0 {
		want = http.StatusOK
	}
	hc := &http.Client{
		Timeout: 2 * time.Second,
		// Readiness traffic goes to loopback only: no proxy, no redirects away.
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer hc.CloseIdleConnections()

	var last string
	delay := 50 * time.Millisecond
	for {
		var wake <-chan struct{}
		switch kind {
		case "http":
			last = probeHTTP(ctx, hc, target, want)
		case "tcp":
			last = probeTCP(ctx, target)
		case "log":
			var ok bool
			ok, wake = s.logs.contains(target)
			last = ""
			if !ok {
				last = fmt.Sprintf("no output line contains %q yet", target)
			}
		}
		if last == "" {
			return nil
		}
		if wake == nil {
			t := time.NewTimer(delay)
			select {
			case <-s.exited:
				t.Stop()
				return s.exitedErr(s.Err())
			case <-ctx.Done():
				t.Stop()
				return s.notReadyErr(ctx, kind, target, timeout, last)
			case <-t.C:
			}
			delay = min(delay*2, 500*time.Millisecond)
			continue
		}
		select {
		case <-s.exited:
			return s.exitedErr(s.Err())
		case <-ctx.Done():
			return s.notReadyErr(ctx, kind, target, timeout, last)
		case <-wake:
		}
	}
}

func (s *Service) exitedErr(err error) error {
	return fmt.Errorf("%w before it was ready%s", err, formatTail(s.LogTail(15)))
}

func (s *Service) notReadyErr(ctx context.Context, kind, target string, timeout time.Duration, last string) error {
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("service %q: not ready after %s (ready.%s %s: %s); raise ready.timeout or check the service%s",
			s.name, timeout, kind, target, last, formatTail(s.LogTail(15)))
	}
	return fmt.Errorf("service %q: waiting for ready.%s %s: %w", s.name, kind, target, ctx.Err())
}

func probeHTTP(ctx context.Context, hc *http.Client, u string, want int) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Sprintf("status %d, want %d", resp.StatusCode, want)
	}
	return ""
}

// probeTCP connects to addr. A published port accepts connections (in
// docker-proxy) before anything listens in the container, and then closes
// them at once: a connection that ends within 200ms without a byte is
// taken as "not listening yet"; one that stays open or sends data is ready.
func probeTCP(ctx context.Context, addr string) string {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err.Error()
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
	return fmt.Sprintf("connection closed at once (%v): nothing listening yet", err)
}
