package container

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/stack"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// repoRoot is the module root, three levels above this package.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// prepareAuthStack copies examples/auth-stack into a temp folder, builds
// the auth service and the nginx root filesystem there (what build.sh does
// in the repo) and loads its perfgate.yaml.
func prepareAuthStack(tb testing.TB) *config.Config {
	tb.Helper()
	requireDocker(tb)
	root := repoRoot(tb)
	// PERFGATE_TEST_AUTH_DIR: a main package (own module) to build instead
	// of examples/auth-service, e.g. a stand-in while that is written.
	buildDir, pkg := root, "./examples/auth-service"
	if d := os.Getenv("PERFGATE_TEST_AUTH_DIR"); d != "" {
		buildDir, pkg = d, "."
	} else if _, err := os.Stat(filepath.Join(root, "examples", "auth-service")); err != nil {
		tb.Skip("examples/auth-service is not in the tree: nothing to put in the auth containers")
	}
	src := filepath.Join(root, "examples", "auth-stack")
	dst := tb.TempDir()
	for _, f := range []string{"perfgate.yaml", "auth/Dockerfile", "nginx/Dockerfile", "nginx/nginx.conf", "nginx/build-rootfs.sh",
		"postgres/Dockerfile", "postgres/build-rootfs.sh", "postgres/entrypoint.sh", "lib/apt-install.sh"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dst, "auth", "auth-service"), pkg)
	build.Dir = buildDir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("building the auth service (%s in %s): %v\n%s", pkg, buildDir, err, out)
	}
	for _, dir := range []string{"nginx", "postgres"} {
		rootfs := exec.Command("bash", filepath.Join(dst, dir, "build-rootfs.sh"))
		if out, err := rootfs.CombinedOutput(); err != nil {
			tb.Fatalf("%s/build-rootfs.sh: %v\n%s", dir, err, out)
		}
	}
	cfg, err := config.ReadFile(filepath.Join(dst, "perfgate.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// startAuthStack starts the example through the stack orchestrator and
// returns it with the time from Start to all-ready.
func startAuthStack(tb testing.TB, cfg *config.Config, runID string) (*stack.Stack, *Provider, time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := New(ctx, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	st := stack.New(p)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := st.Stop(ctx); err != nil {
			tb.Errorf("Stop: %v", err)
		}
		if _, err := Cleanup(ctx, runID); err != nil {
			tb.Errorf("Cleanup: %v", err)
		}
	})
	begin := time.Now()
	if err := st.Start(ctx, cfg.Services, stack.Env{RunID: runID, ConfigDir: cfg.Dir}); err != nil {
		tb.Fatal(err)
	}
	return st, p, time.Since(begin)
}

func TestAuthStackExample(t *testing.T) {
	cfg := prepareAuthStack(t)
	st, p, took := startAuthStack(t, cfg, "test-authstack-"+randomish())
	t.Logf("auth-stack (nginx + 2 auth) start-to-ready, image builds included: %s", took.Round(time.Millisecond))
	for _, b := range p.Builds() {
		t.Logf("image for %s: %s built=%v in %s", b.Service, b.Image, b.Built, b.Duration.Round(time.Millisecond))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, sc := range cfg.Scenarios {
		u, err := st.Render(ctx, sc.URL)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("scenario %s URL %q: want the published port on 127.0.0.1", sc.Name, u)
		}
		method := sc.Method
		if method == "" {
			method = http.MethodGet
		}
		var bodyT *tmpl.Template
		if sc.Body != "" {
			if bodyT, err = tmpl.Compile(sc.Name, sc.Body); err != nil {
				t.Fatal(err)
			}
		}
		st := tmpl.NewState(uint64(time.Now().UnixNano()), nil)
		// Several requests: nginx spreads them over auth1 and auth2.
		for i := 0; i < 4; i++ {
			var body io.Reader
			if bodyT != nil {
				st.Next()
				b, err := bodyT.Render(nil, st)
				if err != nil {
					t.Fatal(err)
				}
				body = bytes.NewReader(b)
			}
			req, _ := http.NewRequestWithContext(ctx, method, u, body)
			for k, v := range sc.Headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, u, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if len(sc.Expect) > 0 && resp.StatusCode != sc.Expect[0] {
				t.Errorf("%s %s = %d %s, want %v", method, u, resp.StatusCode, b, sc.Expect)
			}
		}
	}
	// Round-robin over two instances sharing one database and one token
	// key: the user signed up through one is found through both, with a
	// token either issued.
	base, err := st.Render(ctx, `http://{{ endpoint "nginx" "80" }}`)
	if err != nil {
		t.Fatal(err)
	}
	id := "rr" + randomish()
	user := `{"userId":"` + id + `","userName":"김민준","email":"` + id + `@example.com","userPw":"abcdef123456"}`
	resp, err := http.Post(base+"/auth/user", "application/json", strings.NewReader(user))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /auth/user = %d", resp.StatusCode)
	}
	resp, err = http.Post(base+"/auth/login", "application/json", strings.NewReader(`{"userId":"`+id+`","userPw":"abcdef123456"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || login.Token == "" {
		t.Fatalf("POST /auth/login = %d, token %q, %v", resp.StatusCode, login.Token, err)
	}
	seen := map[int]int{}
	for i := 0; i < 6; i++ {
		for _, tok := range []string{login.Token, ""} {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/auth/user/"+id, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			seen[resp.StatusCode]++
		}
	}
	if seen[200] != 6 || seen[401] != 6 {
		t.Errorf("GET /auth/user/%s statuses %v: want 6×200 with the token (from both instances) and 6×401 without", id, seen)
	}

	for _, info := range st.Infos() {
		if info.Provider != "container" || info.CPUs != 0.5 || info.Memory == "" {
			t.Errorf("Info %+v: want the container provider with the configured limits", info)
		}
	}
	select {
	case err := <-st.Died():
		var de *stack.DiedError
		errors.As(err, &de)
		t.Errorf("a service died during the test: %v", err)
	default:
	}
}

func randomish() string {
	return strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "")
}

// BenchmarkAuthStackStart measures start-to-ready of the example stack
// (nginx + 2 auth services; images already built) and its stop.
func BenchmarkAuthStackStart(b *testing.B) {
	cfg := prepareAuthStack(b)
	// Build (or reuse) the images outside the timed loop.
	startAuthStack(b, cfg, "bench-authstack-warm-"+randomish())
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runID := "bench-authstack-" + randomish()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		p, err := New(ctx, Options{})
		if err != nil {
			b.Fatal(err)
		}
		st := stack.New(p)
		begin := time.Now()
		err = st.Start(ctx, cfg.Services, stack.Env{RunID: runID, ConfigDir: cfg.Dir})
		ready := time.Since(begin)
		b.StopTimer()
		_ = st.Stop(context.WithoutCancel(ctx))
		_, _ = Cleanup(context.WithoutCancel(ctx), runID)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		total += ready
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
}
