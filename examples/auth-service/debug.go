package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// extraHash spends n rounds of integer mixing on seed: CPU work in a
// function of its own (-extra-hash), so a CPU profile of a slowed-down
// service names it.
//
//go:noinline
func extraHash(seed [32]byte, n int) uint64 {
	x := binary.LittleEndian.Uint64(seed[:])
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		x *= 0x9E3779B97F4A7C15
	}
	return x
}

// servePprof serves net/http/pprof on addr (its own listener, never the
// service's) until ctx ends; it returns the address it listens on.
func servePprof(ctx context.Context, addr string, stderr io.Writer) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("-pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stderr, "auth-service: pprof on http://%s/debug/pprof/\n", ln.Addr())
	return ln.Addr().String(), nil
}
