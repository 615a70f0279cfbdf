// Command auth-service is a small user-registration service for trying
// perfgate, modelled on the Spring auth server of perfgate's seed posts.
//
//	POST /auth/user       {"userId","userName","email","userPw"}
//	                      200 {"status":"created"} | 409 duplicate userId | 400 bad JSON or missing fields
//	GET  /auth/user/{id}  200 {"userId","userName","email"} | 404
//	GET  /health          200 "ok"
//
// Users live in memory, in 64 locked shards. The store is bounded by
// -max-users: when full, the oldest users are evicted (first in, first
// out), so a long load never runs the service out of memory and never turns
// into errors; an evicted userId can be created again.
//
// -latency and -cpu make the service slower on purpose (a sleep, and
// SHA-256 rounds per /auth request), to produce real regressions for a
// performance gate to catch. /health is never slowed.
//
// SIGTERM or SIGINT shut it down gracefully (in-flight requests finish, up
// to 10s). It needs no cgo: CGO_ENABLED=0 go build ./examples/auth-service
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const shutdownTimeout = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "auth-service:", err)
		if errors.Is(err, errBadFlag) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down gracefully. If ready is not
// nil it receives the listening address.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("auth-service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:18080", "listen address (host:port)")
	latency := fs.Duration("latency", 0, "extra latency per /auth request, e.g. 2ms")
	cpu := fs.Int("cpu", 0, "SHA-256 rounds per /auth request (CPU work), e.g. 2000")
	maxUsers := fs.Int("max-users", 1_000_000, "users kept in memory; the oldest are evicted beyond it")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errBadFlag, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errBadFlag, fs.Args())
	}
	if err := validate(*latency, *cpu, *maxUsers); err != nil {
		return err
	}

	s := NewServer(*maxUsers)
	s.Latency, s.CPU = *latency, *cpu
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stderr, "auth-service listening on %s (latency %v, cpu %d rounds, max %d users)\n", ln.Addr(), *latency, *cpu, *maxUsers)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "auth-service shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintf(stderr, "auth-service stopped (%d users held)\n", s.Users())
	return nil
}
