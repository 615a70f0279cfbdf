package ready

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHTTP(t *testing.T) {
	tests := []struct {
		name     string
		failures int32 // 503s before the wanted status
		status   int   // server's final status
		want     int   // wanted status (0 = 200)
		timeout  time.Duration
		wantErr  string
	}{
		{name: "ready at once", status: 200},
		{name: "ready after 503s", failures: 3, status: 200},
		{name: "custom status", status: 204, want: 204},
		{name: "never ready", failures: 1 << 30, status: 200, timeout: 300 * time.Millisecond, wantErr: "last status 503"},
		{name: "wrong status", status: 404, timeout: 300 * time.Millisecond, wantErr: "last status 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= tt.failures {
					w.WriteHeader(503)
					return
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			err := HTTP(context.Background(), srv.URL+"/health", tt.want, Options{Timeout: tt.timeout})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var re *Error
			if !errors.As(err, &re) || !re.TimedOut {
				t.Fatalf("err = %#v, want a timed-out *Error", err)
			}
			for _, s := range []string{"GET " + srv.URL + "/health", tt.wantErr, "not ready", "after"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestHTTPNoRedirectsAndTLS(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("/login", http.StatusFound))
	defer srv.Close()
	if err := HTTP(context.Background(), srv.URL+"/", 302, Options{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("302 not seen as such: %v", err)
	}
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	if err := HTTP(context.Background(), tlsSrv.URL+"/", 0, Options{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("self-signed service not ready: %v", err)
	}
}

func TestHTTPRefused(t *testing.T) {
	addr := freeAddr(t)
	err := HTTP(context.Background(), "http://"+addr+"/", 0, Options{Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want connection refused as last error", err)
	}
}

func TestHTTPBadURL(t *testing.T) {
	if err := HTTP(context.Background(), "http://[::1", 0, Options{}); err == nil {
		t.Fatal("no error for a bad URL")
	}
}

func TestExitedStopsCheck(t *testing.T) {
	addr := freeAddr(t)
	tests := []struct {
		name string
		run  func(ctx context.Context, o Options) error
	}{
		{"http", func(ctx context.Context, o Options) error { return HTTP(ctx, "http://"+addr+"/", 0, o) }},
		{"tcp", func(ctx context.Context, o Options) error { return TCP(ctx, addr, o) }},
		{"log", func(ctx context.Context, o Options) error { return Log(ctx, NewLogBuffer(10, nil), "never", o) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exited := make(chan struct{})
			time.AfterFunc(50*time.Millisecond, func() { close(exited) })
			o := Options{Timeout: time.Hour, Exited: exited, ExitErr: func() error { return errors.New("exit status 1") }}
			done := make(chan error, 1)
			go func() { done <- tt.run(context.Background(), o) }()
			select {
			case err := <-done:
				if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "exit status 1") {
					t.Fatalf("err = %v, want ErrExited with the exit reason", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("check did not stop when the service exited")
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err := TCP(ctx, addr, Options{Timeout: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := TCP(context.Background(), ln.Addr().String(), Options{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("listening address not ready: %v", err)
	}
	addr := freeAddr(t)
	err = TCP(context.Background(), addr, Options{Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "TCP "+addr) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
	if err := TCP(context.Background(), "no-port", Options{}); err == nil {
		t.Fatal("no error for an address without port")
	}
}

func TestLog(t *testing.T) {
	t.Run("line before wait", func(t *testing.T) {
		b := NewLogBuffer(10, nil)
		fmt.Fprintln(b, "Started AuthApplication in 3.1 seconds")
		if err := Log(context.Background(), b, "Started", Options{Timeout: time.Second}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("line after wait", func(t *testing.T) {
		b := NewLogBuffer(10, nil)
		time.AfterFunc(30*time.Millisecond, func() { fmt.Fprint(b, "boot\nlistening on :80") })
		time.AfterFunc(60*time.Millisecond, func() { fmt.Fprint(b, "80\n") })
		if err := Log(context.Background(), b, "listening on :8080", Options{Timeout: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("timeout names last line", func(t *testing.T) {
		b := NewLogBuffer(10, nil)
		fmt.Fprintln(b, "still booting")
		err := Log(context.Background(), b, "ready", Options{Timeout: 50 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), `"still booting"`) || !strings.Contains(err.Error(), `containing "ready"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("nil buffer", func(t *testing.T) {
		if err := Log(context.Background(), nil, "x", Options{}); err == nil {
			t.Fatal("no error")
		}
	})
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
