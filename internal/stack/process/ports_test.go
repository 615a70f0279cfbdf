//go:build unix

package process

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/stack"
)

// serve is the helper server (see serveEnv). It exits when its parent
// stops it, or after 2 minutes whatever happens.
func serve(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Println("LISTEN", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/env/{name}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, os.Getenv(r.PathValue("name")))
	})
	go func() { time.Sleep(2 * time.Minute); os.Exit(3) }()
	_ = http.Serve(ln, mux)
}

// serverSvc runs the helper server; addr is its listen address (a template).
func serverSvc(name, addr string, ports ...int) config.Service {
	return config.Service{Name: name, Process: &config.ProcessSpec{
		Command: []string{os.Args[0], "-test.run=^$", addr},
		Env:     map[string]string{serveEnv: "1"},
		Ports:   ports,
	}}
}

func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestMappedPort(t *testing.T) {
	const declared = 8080 // never bound: the service is given another port
	tests := []struct {
		name  string
		ready *config.Ready
	}{
		{"default tcp check", nil},
		{"http endpoint", &config.Ready{HTTP: `http://{{ endpoint "api" 8080 }}/health`, Status: 200}},
		{"http port", &config.Ready{HTTP: `http://127.0.0.1:{{ port 8080 }}/health`, Status: 200}},
		{"http path", &config.Ready{HTTP: "/health", Status: 200}},
		{"tcp number", &config.Ready{TCP: "8080"}},
		{"tcp port", &config.Ready{TCP: "127.0.0.1:{{ port 8080 }}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			given := freePort(t)
			svc := serverSvc("api", "127.0.0.1:{{ port 8080 }}", declared)
			svc.Process.Env["GIVEN"] = "{{ port 8080 }}"
			svc.Process.Env["LITERAL"] = "{{.State}}" // no port/endpoint: left as written
			svc.Ready = tt.ready
			if svc.Ready != nil {
				svc.Ready.Timeout = config.Duration(20 * time.Second)
			}
			env := stack.Env{RunID: "t", Ports: map[string]map[int]int{"api": {declared: given}}}
			s := start(t, New(), svc, env)
			if err := s.WaitReady(context.Background()); err != nil {
				t.Fatalf("WaitReady: %v\n%s", err, strings.Join(s.LogTail(0), "\n"))
			}
			want := "127.0.0.1:" + strconv.Itoa(given)
			if got := waitLine(t, s, "LISTEN "); got != want {
				t.Errorf("service listens on %s, want %s", got, want)
			}
			ep, err := s.Endpoint(context.Background(), "8080")
			if err != nil || ep != want {
				t.Errorf("Endpoint(8080) = %q, %v; want %q", ep, err, want)
			}
			if got := get(t, "http://"+ep+"/env/GIVEN"); got != strconv.Itoa(given) {
				t.Errorf("env GIVEN = %q, want %d", got, given)
			}
			if got := get(t, "http://"+ep+"/env/LITERAL"); got != "{{.State}}" {
				t.Errorf("env LITERAL = %q", got)
			}
			if got := get(t, "http://"+ep+"/env/"+MarkerEnv); got != "t/api" {
				t.Errorf("marker %s = %q, want t/api", MarkerEnv, got)
			}
		})
	}
}

// TestMappedPortThroughStack: {{ endpoint }} of a process service, as the
// runner renders scenario URLs, follows the mapping, and a dependent
// service's env can use it.
func TestMappedPortThroughStack(t *testing.T) {
	cfg := &config.Config{Services: []config.Service{
		serverSvc("db", "127.0.0.1:{{ port 5432 }}", 5432),
		serverSvc("api", "127.0.0.1:{{ port 8080 }}", 8080),
	}}
	cfg.Services[1].DependsOn = []string{"db"}
	cfg.Services[1].Process.Env["DB"] = `{{ endpoint "db" 5432 }}`
	ports, err := stack.FreePorts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 2 || ports["db"][5432] == 0 || ports["api"][8080] == 0 || ports["db"][5432] == ports["api"][8080] {
		t.Fatalf("FreePorts = %v", ports)
	}
	st := stack.New(New())
	defer st.Stop(context.Background())
	if err := st.Start(context.Background(), cfg.Services, stack.Env{RunID: "t", Ports: ports}); err != nil {
		t.Fatal(err)
	}
	u, err := st.Render(context.Background(), `http://{{ endpoint "api" 8080 }}/env/DB`)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("http://127.0.0.1:%d/env/DB", ports["api"][8080]); u != want {
		t.Errorf("rendered %q, want %q", u, want)
	}
	if got, want := get(t, u), fmt.Sprintf("127.0.0.1:%d", ports["db"][5432]); got != want {
		t.Errorf("api's DB = %q, want %q", got, want)
	}
}

func TestPortTemplateErrors(t *testing.T) {
	tests := []struct {
		name string
		svc  config.Service
		want string
	}{
		{"undeclared in command", serverSvc("api", "127.0.0.1:{{ port 9 }}", 8080), `process.command[2]: template "127.0.0.1:{{ port 9 }}": {{ port 9 }}: service "api" has no port 9 (declared: 8080)`},
		{"no ports", serverSvc("api", "127.0.0.1:{{ port 9 }}"), "declares no ports"},
		{"mapped port taken", serverSvc("api", "127.0.0.1:{{ port 8080 }}", 8080), "is already taken"},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := stack.Env{Ports: map[string]map[int]int{"api": {8080: taken}}}
			if tt.name != "mapped port taken" {
				env.Ports["api"][8080] = freePort(t) // the fixed 8080 may be busy on this machine
			}
			s, err := New().Start(context.Background(), tt.svc, env)
			if err == nil {
				_ = s.Stop(context.Background())
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

// A process that takes the port after perfgate checked it free and before
// the service binds answers the readiness check: WaitReady says who holds
// the port instead of letting the load measure that process.
func TestPortTakenBeforeServiceBinds(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	svc := config.Service{Name: "api", Process: &config.ProcessSpec{
		// The service binds late: the stranger below gets there first.
		Command: []string{"sh", "-c", `sleep 2; exec "$0" -test.run='^$' "$1"`, os.Args[0], addr},
		Env:     map[string]string{serveEnv: "1"},
		Ports:   []int{port},
	}}
	s := start(t, New(), svc, stack.Env{RunID: "t"})
	stranger, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	err = s.WaitReady(context.Background())
	want := fmt.Sprintf("port %d answered the readiness check, but it is held by pid %d", port, os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("WaitReady = %v, want an error containing %q", err, want)
	}
}
