// Package ready holds the readiness checks shared by the stack providers:
// poll an HTTP URL until it answers an expected status, a TCP address until
// it accepts, or wait for a log line. Every check is bounded by a timeout and
// by its context, and stops at once when the service exits.
package ready

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// DefaultTimeout bounds a check when no timeout is configured.
const DefaultTimeout = 30 * time.Second

const (
	firstBackoff = 10 * time.Millisecond
	maxBackoff   = 250 * time.Millisecond
	maxTry       = time.Second // per-attempt timeout of one HTTP/TCP try
)

// ErrExited is wrapped by the error of a check that stopped because the
// service exited.
var ErrExited = errors.New("service exited")

// Options are shared by all checks. The zero value is usable.
type Options struct {
	// Timeout bounds the whole check (0 means DefaultTimeout).
	Timeout time.Duration
	// Exited is closed when the service exits; the check then fails at
	// once. Nil means "never".
	Exited <-chan struct{}
	// ExitErr, if set, says why the service exited (for the error message).
	ExitErr func() error
	// Client is used by HTTP (nil: a client without proxy, keep-alive or
	// redirects, that accepts any certificate).
	Client *http.Client
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// Error is what a failed check returns.
type Error struct {
	// Check names what was checked, e.g. "GET http://127.0.0.1:8080/health".
	Check string
	// After is how long the check ran.
	After time.Duration
	// Last is the last failure seen, e.g. "last status 503"; may be empty.
	Last string
	// Err is the cause: ErrExited (wrapped with the exit reason),
	// context.DeadlineExceeded for the check's own timeout, or ctx.Err().
	Err error
	// TimedOut is true when the check's own timeout ran out.
	TimedOut bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Check)
	b.WriteString(": ")
	switch {
	case e.TimedOut:
		b.WriteString("not ready")
	case errors.Is(e.Err, ErrExited):
		b.WriteString(e.Err.Error())
	default:
		fmt.Fprintf(&b, "stopped (%v)", e.Err)
	}
	if e.Last != "" {
		b.WriteString(", ")
		b.WriteString(e.Last)
	}
	fmt.Fprintf(&b, " after %s", fmtDur(e.After))
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// poller runs try until it succeeds, with capped exponential backoff,
// bounded by the timeout, ctx and the exit of the service.
type poller struct {
	check string
	o     Options
}

// try returns ok, or a description of the failure ("last status 503").
type tryFunc func(ctx context.Context) (ok bool, last string)

func (p poller) run(ctx context.Context, try tryFunc) error {
	start := time.Now()
	to := p.o.timeout()
	cctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	// Stop the running attempt as soon as the service exits.
	if p.o.Exited != nil {
		go func() {
			select {
			case <-p.o.Exited:
				cancel()
			case <-cctx.Done():
			}
		}()
	}
	var last string
	wait := firstBackoff
	for {
		if p.exited() {
			return p.fail(ctx, start, last)
		}
		tctx, tcancel := context.WithTimeout(cctx, maxTry)
		ok, l := try(tctx)
		// An attempt cut short by the check's own end (not by its
		// per-try timeout) says nothing new: keep the failure before it.
		tdl, _ := tctx.Deadline()
		cdl, _ := cctx.Deadline()
		cut := cctx.Err() != nil || (tctx.Err() != nil && !tdl.Before(cdl))
		tcancel()
		if ok {
			return nil
		}
		if last == "" || !cut {
			last = l
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-cctx.Done():
			t.Stop()
			return p.fail(ctx, start, last)
		}
		wait = min(wait*2, maxBackoff)
	}
}

func (p poller) exited() bool {
	if p.o.Exited == nil {
		return false
	}
	select {
	case <-p.o.Exited:
		return true
	default:
		return false
	}
}

// fail builds the error once the check's context ended or the service exited.
func (p poller) fail(ctx context.Context, start time.Time, last string) error {
	e := &Error{Check: p.check, After: time.Since(start), Last: last}
	switch {
	case p.exited():
		e.Err = p.exitErr()
	case ctx.Err() != nil:
		e.Err = ctx.Err()
	default:
		e.Err = context.DeadlineExceeded
		e.TimedOut = true
	}
	return e
}

func (p poller) exitErr() error {
	if p.o.ExitErr != nil {
		if err := p.o.ExitErr(); err != nil {
			return fmt.Errorf("%w: %w", ErrExited, err)
		}
	}
	return ErrExited
}

// HTTP polls url with GET until it answers status (0 means 200).
func HTTP(ctx context.Context, url string, status int, o Options) error {
	if status == 0 {
		status = http.StatusOK
	}
	client := o.Client
	if client == nil {
		client = defaultClient()
	}
	check := "GET " + url
	if status != http.StatusOK {
		check = fmt.Sprintf("GET %s (want status %d)", url, status)
	}
	if _, err := http.NewRequest(http.MethodGet, url, nil); err != nil {
		return fmt.Errorf("readiness URL %q: %w", url, err)
	}
	return poller{check: check, o: o}.run(ctx, func(ctx context.Context) (bool, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err.Error()
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, "last error: " + shortErr(err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		if resp.StatusCode == status {
			return true, ""
		}
		return false, fmt.Sprintf("last status %d", resp.StatusCode)
	})
}

// defaultClient checks the service itself: no proxy, no keep-alive, no
// redirects followed (the first answer's status counts), and no
// certificate verification (a service under test often has a self-signed
// certificate; the check sends nothing secret).
func defaultClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:             nil,
			DisableKeepAlives: true,
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // readiness of the service under test only
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// shortErr drops the "Get \"url\": " prefix net/http puts on errors.
func shortErr(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// TCP polls addr ("host:port") until it accepts a connection.
func TCP(ctx context.Context, addr string, o Options) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("readiness address %q: %w (want host:port)", addr, err)
	}
	var d net.Dialer
	return poller{check: "TCP " + addr, o: o}.run(ctx, func(ctx context.Context) (bool, string) {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false, "last error: " + err.Error()
		}
		_ = c.Close()
		return true, ""
	})
}

// Log waits until buf holds or receives a line containing text.
func Log(ctx context.Context, buf *LogBuffer, text string, o Options) error {
	if buf == nil {
		return fmt.Errorf("log readiness %q: this service's output is not observed", text)
	}
	start := time.Now()
	seen := buf.Watch(text)
	t := time.NewTimer(o.timeout())
	defer t.Stop()
	p := poller{check: fmt.Sprintf("log line containing %q", text), o: o}
	last := func() string {
		tail := buf.Tail(1)
		if len(tail) == 0 {
			return "no output yet"
		}
		return fmt.Sprintf("%d lines seen, last: %q", buf.Lines(), tail[0])
	}
	e := &Error{Check: p.check}
	select {
	case <-seen:
		return nil
	case <-o.Exited:
		// The line may have been printed just before the exit.
		select {
		case <-seen:
			return nil
		default:
		}
		e.Err = p.exitErr()
	case <-ctx.Done():
		e.Err = ctx.Err()
	case <-t.C:
		e.Err, e.TimedOut = context.DeadlineExceeded, true
	}
	e.After, e.Last = time.Since(start), last()
	return e
}
