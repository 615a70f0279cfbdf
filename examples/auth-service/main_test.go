package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuf is a bytes.Buffer safe for the server goroutine and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncBuf
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-store", "memory", "-cpu", "10", "-latency", "1ms"}, &log, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening")
	}
	resp, err := http.Post("http://"+addr+"/auth/user", "application/json", strings.NewReader(alice))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	for _, w := range []string{"auth-service listening on " + addr, "shutting down", "stopped (1 users held)"} {
		if !strings.Contains(log.String(), w) {
			t.Errorf("log %q lacks %q", log.String(), w)
		}
	}
}

func TestRunBadFlags(t *testing.T) {
	tests := [][]string{
		{"-latency", "fast"},
		{"-cpu", "-5"},
		{"-store", "memory", "-extra-hash", "-1"},
		{"-max-users", "0"},
		{"extra"},
		{"-store", "disk"},
		{"-store", "postgres"}, // no -db and no DATABASE_URL (cleared below)
		{"-store", "postgres", "-db", "postgres://[::1"},
		{"-store", "memory", "-db-conns", "-1"},
		{"-store", "memory", "-token-ttl", "0s"},
	}
	t.Setenv(envDB, "")
	for _, args := range tests {
		err := run(context.Background(), args, io.Discard, nil)
		if !errors.Is(err, errBadFlag) {
			t.Errorf("run(%q) = %v, want a flag error", args, err)
		}
	}
}

func TestRunAddrInUse(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-store", "memory"}, io.Discard, ready) }()
	addr := <-ready
	if err := run(context.Background(), []string{"-addr", addr, "-store", "memory"}, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("second listener on %s: %v", addr, err)
	}
	cancel()
	<-done
}
