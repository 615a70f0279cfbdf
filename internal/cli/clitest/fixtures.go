package clitest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var builds sync.Map // package path → *buildResult

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// RepoRoot is the module root (found from this file's location).
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// Build compiles a main package of this module (e.g. "./examples/auth-service")
// once per test binary and returns the executable's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(pkg, &buildResult{})
	b := v.(*buildResult)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "perfgate-build-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, filepath.Base(pkg))
		cmd := exec.Command("go", "build", "-o", b.path, pkg)
		cmd.Dir = RepoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// AuthConfig writes a perfgate.yaml running the example auth service as a
// process on a free port, with small bounded passes, and returns its path
// and the port. extraArgs go to the auth service (e.g. "-latency", "5ms");
// loadYAML replaces the load section when not empty.
func AuthConfig(t testing.TB, dir string, loadYAML string, extraArgs ...string) (string, int) {
	t.Helper()
	bin := Build(t, "./examples/auth-service")
	port := FreePort(t)
	// -store memory: these tests use the service as a CPU target, no database.
	args := []string{fmt.Sprintf("%q", bin), `"-addr"`, fmt.Sprintf(`"127.0.0.1:%d"`, port), `"-store"`, `"memory"`}
	for _, a := range extraArgs {
		args = append(args, fmt.Sprintf("%q", a))
	}
	if loadYAML == "" {
		loadYAML = "load:\n  workers: 4\n  warmup: {requests: 200}\n  measure: {requests: 600, duration: 10s}\n  repeat: 3\n"
	}
	cfg := fmt.Sprintf(`name: e2e
services:
  - name: auth
    process:
      command: [%s]
      ports: [%d]
    ready:
      http: http://{{ endpoint "auth" "%d" }}/health
      timeout: 30s
scenarios:
  - name: signup
    method: POST
    url: http://{{ endpoint "auth" "%d" }}/auth/user
    headers: {Content-Type: application/json}
    body: '{"userId":"{{ letters 8 }}{{ seq }}","userName":"{{ koreanName }}","email":"{{ email }}","userPw":"{{ alnum 12 }}"}'
    expect: [200]
    weight: 3
  - name: health
    url: http://127.0.0.1:%d/health
    expect: [200]
%s`, strings.Join(args, ", "), port, port, port, port, loadYAML)
	path := filepath.Join(dir, "perfgate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, port
}

// PortClosed reports whether nothing accepts connections on 127.0.0.1:port.
func PortClosed(port int) bool {
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return true
	}
	c.Close()
	return false
}
