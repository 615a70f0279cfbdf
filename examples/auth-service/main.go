// Command auth-service is a small user-registration service for trying
// perfgate, modelled on the Spring auth server of perfgate's seed posts.
//
//	POST /auth/user       {"userId","userName","email","userPw"}
//	                      200 {"status":"created"} | 409 duplicate userId | 400 bad JSON or missing fields
//	POST /auth/login      {"userId","userPw"} 200 {"token"} | 401 wrong userId or password
//	GET  /auth/user/{id}  Authorization: Bearer <token of that user>
//	                      200 {"userId","userName","email"} | 401 no/bad token | 403 another user's | 404
//	GET  /health          200 "ok" | 503 when the database does not answer
//
// Users live in PostgreSQL (-store postgres, the default; -db or
// DATABASE_URL names the database; the table is created at startup). With
// -store memory they live in memory instead, in 64 locked shards bounded by
// -max-users: when full, the oldest users are evicted (first in, first
// out), so a long load never runs the service out of memory and never turns
// into errors; an evicted userId can be created again.
//
// Tokens are HMAC-SHA256 signed and stateless: servers given the same
// -token-key (or AUTH_TOKEN_KEY) accept each other's tokens.
//
// -latency and -cpu make the service slower on purpose (a sleep, and
// SHA-256 rounds per /auth request), to produce real regressions for a
// performance gate to catch. /health is never slowed. -extra-hash adds CPU
// work in a function of its own, extraHash, for a CPU profile to name;
// -pprof serves net/http/pprof on a separate address (off by default).
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

// Environment variables read when the matching flag is not given.
const (
	envDB       = "DATABASE_URL"
	envTokenKey = "AUTH_TOKEN_KEY"
	envStore    = "AUTH_STORE"
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
	extra := fs.Int("extra-hash", 0, "rounds of extra CPU work per /auth request in a function of its own (extraHash), e.g. 20000")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof on this address (host:port, its own listener), e.g. 127.0.0.1:6060; off when empty")
	maxUsers := fs.Int("max-users", 1_000_000, "with -store memory: users kept; the oldest are evicted beyond it")
	defStore := "postgres"
	if v := os.Getenv(envStore); v != "" {
		defStore = v
	}
	storeKind := fs.String("store", defStore, "where users live: postgres (needs -db or $"+envDB+") or memory (default $"+envStore+", else postgres)")
	dsn := fs.String("db", "", "PostgreSQL connection string (URL or key=value); default $"+envDB)
	dbConns := fs.Int("db-conns", 0, fmt.Sprintf("database pool size (0: max(4, 2×GOMAXPROCS) = %d)", defaultConns()))
	dbWait := fs.Duration("db-wait", 30*time.Second, "how long to wait at startup for the database to accept connections")
	tokenKey := fs.String("token-key", "", "HMAC key signing tokens; servers sharing it accept each other's tokens (default $"+envTokenKey+", else random)")
	tokenTTL := fs.Duration("token-ttl", time.Hour, "how long a token from /auth/login is valid")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errBadFlag, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errBadFlag, fs.Args())
	}
	if err := validate(*latency, *cpu, *maxUsers); err != nil {
		return err
	}
	if *extra < 0 {
		return fmt.Errorf("%w: -extra-hash %d is negative", errBadFlag, *extra)
	}
	switch {
	case *dbConns < 0:
		return fmt.Errorf("%w: -db-conns %d is negative", errBadFlag, *dbConns)
	case *tokenTTL <= 0:
		return fmt.Errorf("%w: -token-ttl %v must be positive", errBadFlag, *tokenTTL)
	}
	if *dsn == "" {
		*dsn = os.Getenv(envDB)
	}
	if *tokenKey == "" {
		*tokenKey = os.Getenv(envTokenKey)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }

	var store Store
	desc := ""
	switch *storeKind {
	case "memory":
		store = newMemStore(*maxUsers)
		desc = fmt.Sprintf("memory store, max %d users", *maxUsers)
	case "postgres":
		if *dsn == "" {
			return fmt.Errorf("%w: -store postgres needs a database: pass -db postgres://user@host:port/db or set %s (or -store memory to keep users in memory)", errBadFlag, envDB)
		}
		pg, err := openPG(ctx, *dsn, *dbConns, *dbWait, logf)
		if err != nil {
			return err
		}
		store = pg
		desc = fmt.Sprintf("postgres store, %d connections", pg.pool.Config().MaxConns)
	default:
		return fmt.Errorf("%w: -store %q: want postgres or memory", errBadFlag, *storeKind)
	}
	defer store.Close()
	if *tokenKey == "" {
		logf("auth-service: no -token-key or %s: tokens are signed with a random key and only this process accepts them", envTokenKey)
	}

	s := NewServerWith(store, []byte(*tokenKey), *tokenTTL)
	s.Latency, s.CPU, s.ExtraHash = *latency, *cpu, *extra
	if *pprofAddr != "" {
		if _, err := servePprof(ctx, *pprofAddr, stderr); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stderr, "auth-service listening on %s (latency %v, cpu %d rounds, %s)\n", ln.Addr(), *latency, *cpu, desc)
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
