//go:build unix

package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/stack"
	"github.com/perfgate/perfgate/internal/stack/process"
)

// TestUnderPerfgate builds the service (without cgo) and runs it the way
// perfgate does: through the stack and the process provider, ready on
// /health, stopped with SIGTERM (a graceful shutdown, not a kill).
func TestUnderPerfgate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "auth-service")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	port := freePort(t)
	svc := config.Service{
		Name: "auth",
		Process: &config.ProcessSpec{
			Command: []string{bin, "-addr", "127.0.0.1:" + strconv.Itoa(port), "-store", "memory", "-cpu", "100"},
			Ports:   []int{port},
		},
		Ready: &config.Ready{HTTP: `http://{{ endpoint "auth" ` + strconv.Itoa(port) + ` }}/health`},
	}
	var out syncBuf
	st := stack.New(&process.Provider{Echo: &out})
	ctx := context.Background()
	if err := st.Start(ctx, []config.Service{svc}, stack.Env{ConfigDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	defer st.Stop(ctx)
	url, err := st.Render(ctx, `http://{{ endpoint "auth" `+strconv.Itoa(port)+` }}/auth/user`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{200, 409} {
		resp, err := http.Post(url, "application/json", strings.NewReader(alice))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST %s = %d, want %d", url, resp.StatusCode, want)
		}
	}
	// A second perfgate on the same port: a clear StartError with the
	// service's own message.
	st2 := stack.New(process.New())
	err = st2.Start(ctx, []config.Service{svc}, stack.Env{})
	var se *stack.StartError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)+" is already taken") {
		t.Fatalf("second start on a taken port: %v", err)
	}
	_ = st2.Stop(ctx)

	if err := st.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Stopped by SIGTERM: it logged its graceful shutdown.
	for _, w := range []string{"[auth] auth-service listening on 127.0.0.1:", "[auth] auth-service stopped (1 users held)"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output %q lacks %q", out.String(), w)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
