package container

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/internal/stack"
)

// testServer is the program in the test image: a tiny HTTP server.
const testServer = `package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	exit := flag.Int("exit", -1, "print boom and exit with this code at once")
	delay := flag.Duration("delay", 0, "wait this long before listening")
	flag.Parse()
	if *exit >= 0 {
		fmt.Println("starting")
		fmt.Fprintln(os.Stderr, "boom: told to exit")
		os.Exit(*exit)
	}
	time.Sleep(*delay)
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, os.Getenv(r.URL.Query().Get("k"))) })
	http.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(r.URL.Query().Get("path"))
		if err != nil {
			http.Error(w, err.Error(), 404)
			return
		}
		w.Write(b)
	})
	// /fetch GETs a URL from inside the container (service-to-service by name).
	http.HandleFunc("/fetch", func(w http.ResponseWriter, r *http.Request) {
		c := http.Client{Timeout: 3 * time.Second}
		resp, err := c.Get(r.URL.Query().Get("url"))
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("listening on", *addr)
	fmt.Fprintln(os.Stderr, http.Serve(l, nil))
	os.Exit(1)
}
`

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
	testTmp     string
)

func TestMain(m *testing.M) {
	// Mandatory on these machines (see shared docker.md); harmless elsewhere.
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	dir, err := os.MkdirTemp("", "perfgate-container-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	testTmp = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildContext writes the test server, builds it statically and returns a
// build context with a FROM scratch Dockerfile (built once per test binary).
func buildContext(t testing.TB) string {
	t.Helper()
	fixtureOnce.Do(func() {
		src := filepath.Join(testTmp, "src")
		ctxDir := filepath.Join(testTmp, "image")
		for _, d := range []string{src, ctxDir} {
			if fixtureErr = os.MkdirAll(d, 0o755); fixtureErr != nil {
				return
			}
		}
		files := map[string]string{
			filepath.Join(src, "go.mod"):        "module testserver\n\ngo 1.22\n",
			filepath.Join(src, "main.go"):       testServer,
			filepath.Join(ctxDir, "Dockerfile"): "FROM scratch\nCOPY server /server\nENTRYPOINT [\"/server\"]\n",
		}
		for p, c := range files {
			if fixtureErr = os.WriteFile(p, []byte(c), 0o644); fixtureErr != nil {
				return
			}
		}
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(ctxDir, "server"), ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			fixtureErr = fmt.Errorf("building the test server: %v\n%s", err, out)
			return
		}
		fixtureDir = ctxDir
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureDir
}

// requireDocker skips when Docker is unreachable and CI is unset; with CI
// set, a missing Docker fails the test.
func requireDocker(t testing.TB) {
	t.Helper()
	if err := Check(context.Background()); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and Docker is required for the container provider tests: %v", err)
		}
		t.Skipf("Docker is unreachable and CI is unset, skipping: %v", err)
	}
}

// newProvider returns a provider whose run is removed when the test ends.
func newProvider(t testing.TB) (*Provider, stack.Env) {
	t.Helper()
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := New(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runID := fmt.Sprintf("test-%d-%s", os.Getpid(), safeName(t.Name()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := Cleanup(ctx, runID); err != nil {
			t.Errorf("Cleanup: %v", err)
		}
	})
	return p, stack.Env{RunID: runID, ConfigDir: testTmp}
}

// webService is a bridge-networked test server service.
func webService(t testing.TB, name string) config.Service {
	return config.Service{
		Name: name,
		Container: &config.ContainerSpec{
			Build:   &config.Build{Context: buildContext(t)},
			Command: []string{"-addr", ":8080"},
			Ports:   []string{"8080"},
		},
		Ready: &config.Ready{HTTP: `http://{{ endpoint "` + name + `" "8080" }}/health`, Timeout: config.Duration(20 * time.Second)},
	}
}

func start(t testing.TB, p *Provider, env stack.Env, svc config.Service) *Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := p.Start(ctx, svc, env)
	if err != nil {
		t.Fatalf("Start %s: %v", svc.Name, err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	if err := s.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady %s: %v", svc.Name, err)
	}
	return s.(*Service)
}

// get fetches http://addr+path (addr must be loopback) and returns status and body.
func get(t testing.TB, addr, path string) (int, string) {
	t.Helper()
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !loopback.Host(host) {
		t.Fatalf("refusing to send traffic to %q: not a loopback address", addr)
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s%s: %v", addr, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
