//go:build unix

package process

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/ready"
	"github.com/perfgate/perfgate/internal/stack"
)

// helperEnv makes the test binary act as a "perfgate" that starts a service
// and then waits to be killed (for the parent-death test).
const helperEnv = "PERFGATE_PROCESS_TEST_HELPER"

// serveEnv makes the test binary a tiny HTTP server on the address given
// as its last argument (a service for the port tests): GET /health is 200,
// GET /env/NAME returns that environment variable.
const serveEnv = "PERFGATE_PROCESS_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		serve(os.Args[len(os.Args)-1])
		return
	}
	if os.Getenv(helperEnv) == "1" {
		svc, err := New().Start(context.Background(), shSvc("child", "sleep 1000"), stack.Env{})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("PID", svc.(*service).pgid)
		select {}
	}
	os.Exit(m.Run())
}

func shSvc(name, script string) config.Service {
	return config.Service{Name: name, Process: &config.ProcessSpec{Command: []string{"sh", "-c", script}}}
}

func start(t *testing.T, p *Provider, svc config.Service, env stack.Env) *service {
	t.Helper()
	s, err := p.Start(context.Background(), svc, env)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s.(*service)
}

// gone reports whether pid no longer runs (absent, or a zombie nobody reaped).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) != nil
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitLine(t *testing.T, s *service, prefix string) string {
	t.Helper()
	if err := ready.Log(context.Background(), s.buf, prefix, ready.Options{Timeout: 10 * time.Second, Exited: s.exited}); err != nil {
		t.Fatal(err)
	}
	for _, l := range s.LogTail(0) {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimPrefix(l, prefix)
		}
	}
	t.Fatalf("no line %q in %q", prefix, s.LogTail(0))
	return ""
}

func TestStartStop(t *testing.T) {
	s := start(t, New(), shSvc("sleeper", "echo hello; echo oops >&2; sleep 1000"), stack.Env{})
	if err := s.WaitReady(context.Background()); err != nil {
		t.Fatalf("WaitReady without ports or check: %v", err)
	}
	waitLine(t, s, "oops")
	select {
	case <-s.Exited():
		t.Fatal("exited early")
	default:
	}
	if s.Err() != nil {
		t.Fatalf("Err while running: %v", s.Err())
	}
	pid := s.pgid
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case <-s.Exited():
	default:
		t.Fatal("Exited not closed after Stop")
	}
	if s.Err() != nil {
		t.Fatalf("Err after Stop = %v, want nil", s.Err())
	}
	waitGone(t, pid)
	if tail := s.LogTail(10); len(tail) != 2 || tail[0] != "hello" || tail[1] != "oops" {
		t.Fatalf("LogTail = %q", tail)
	}
}

func TestGroupKillKillsGrandchildren(t *testing.T) {
	tests := []struct {
		name   string
		script string
		grace  time.Duration
	}{
		{"term", "sleep 1000 & echo child=$!; wait", 0},
		// The shell and its child ignore SIGTERM: SIGKILL after the grace.
		{"term ignored", "trap '' TERM; sh -c 'trap \"\" TERM; echo child=$$; while :; do sleep 0.05; done' & wait", 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, &Provider{Grace: tt.grace}, shSvc("tree", tt.script), stack.Env{})
			child, err := strconv.Atoi(waitLine(t, s, "child="))
			if err != nil {
				t.Fatal(err)
			}
			if gone(child) {
				t.Fatalf("grandchild %d not running before Stop", child)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitGone(t, child)
			waitGone(t, s.pgid)
		})
	}
}

func TestStopWithDoneContextKills(t *testing.T) {
	s := start(t, &Provider{Grace: time.Hour}, shSvc("stubborn", "trap '' TERM; echo up; while :; do sleep 0.05; done"), stack.Env{})
	waitLine(t, s, "up")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- s.Stop(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Stop with a done context waited for the grace period")
	}
}

func TestExitReported(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{"status 1", "echo boom; exit 1", "exited with status 1"},
		{"status 0", "exit 0", "exited with status 0"},
		{"signal", "kill -KILL $$", "killed by signal 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, New(), shSvc("x", tt.script), stack.Env{})
			select {
			case <-s.Exited():
			case <-time.After(10 * time.Second):
				t.Fatal("no exit")
			}
			if err := s.Err(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Err = %v, want %q", err, tt.want)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatalf("Stop after exit: %v", err)
			}
		})
	}
}

func TestEnvAndDir(t *testing.T) {
	cfgDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(cfgDir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PERFGATE_TEST_INHERITED", "yes")
	svc := shSvc("env", `echo "foo=$FOO inh=$PERFGATE_TEST_INHERITED"; pwd; sleep 1000`)
	svc.Process.Env = map[string]string{"FOO": "bar baz"}
	svc.Process.Dir = "sub"
	s := start(t, New(), svc, stack.Env{ConfigDir: cfgDir})
	if got := waitLine(t, s, "foo="); got != "bar baz inh=yes" {
		t.Fatalf("env line %q", got)
	}
	want, _ := filepath.EvalSymlinks(filepath.Join(cfgDir, "sub"))
	waitLine(t, s, "/")
	tail := s.LogTail(0)
	if got, _ := filepath.EvalSymlinks(tail[len(tail)-1]); got != want {
		t.Fatalf("pwd = %q, want %q", tail[len(tail)-1], want)
	}
}

func TestStartErrors(t *testing.T) {
	cfgDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfgDir, "noexec.sh"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec config.ProcessSpec
		want []string
	}{
		{"not in PATH", config.ProcessSpec{Command: []string{"perfgate-no-such-cmd"}}, []string{`command "perfgate-no-such-cmd" not found in PATH (`, "/bin"}},
		{"PATH from env", config.ProcessSpec{Command: []string{"sh"}, Env: map[string]string{"PATH": "/nonexistent"}}, []string{`"sh" not found in PATH (/nonexistent)`}},
		{"relative path missing", config.ProcessSpec{Command: []string{"./bin/server"}}, []string{filepath.Join(cfgDir, "bin/server"), "no such file"}},
		{"not executable", config.ProcessSpec{Command: []string{"./noexec.sh"}}, []string{"not executable"}},
		{"empty command", config.ProcessSpec{}, []string{"process.command is empty"}},
		{"bad dir", config.ProcessSpec{Command: []string{"sh"}, Dir: "nope"}, []string{`process.dir "nope"`}},
		{"bad port", config.ProcessSpec{Command: []string{"sh"}, Ports: []int{70000}}, []string{"port 70000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			_, err := New().Start(context.Background(), config.Service{Name: "api", Process: &spec}, stack.Env{ConfigDir: cfgDir})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tt.want, `service "api"`) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	a, b := freePort(t), freePort(t)
	for b == a {
		b = freePort(t)
	}
	svc := shSvc("api", "sleep 1000")
	svc.Process.Ports = []int{a, b}
	s := start(t, New(), svc, stack.Env{})
	pa, pb := strconv.Itoa(a), strconv.Itoa(b)
	tests := []struct{ port, want, err string }{
		{pa, "127.0.0.1:" + pa, ""},
		{pb + "/tcp", "127.0.0.1:" + pb, ""},
		{"7", "", "no port 7 (declared: " + pa + ", " + pb + ")"},
		{"http", "", "not a number"},
	}
	for _, tt := range tests {
		got, err := s.Endpoint(context.Background(), tt.port)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Endpoint(%q) err = %v, want %q", tt.port, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Endpoint(%q) = %q, %v", tt.port, got, err)
		}
	}
}

func TestReadiness(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		ready   *config.Ready
		ports   bool // declare a free port the script never opens
		wantErr string
	}{
		{name: "log line", script: "echo booting; sleep 0.1; echo Started in 0.1s; sleep 1000", ready: &config.Ready{Log: "Started"}},
		{name: "log then exit", script: "echo booting; exit 3", ready: &config.Ready{Log: "Started"}, wantErr: "exited with status 3"},
		{name: "default tcp, exits", script: "exit 4", ports: true, wantErr: "exited with status 4"},
		{name: "tcp timeout", script: "sleep 1000", ports: true, ready: &config.Ready{Timeout: config.Duration(300 * time.Millisecond)}, wantErr: "not ready"},
		{name: "http on self", script: "exit 5", ports: true, ready: &config.Ready{HTTP: `http://{{ endpoint "x" PORT }}/health`}, wantErr: "exited with status 5"},
		{name: "http bad template", script: "sleep 1000", ready: &config.Ready{HTTP: `http://{{ endpoint "other" 1 }}/`}, wantErr: `unknown service`},
		{name: "http path short form", script: "exit 6", ports: true, ready: &config.Ready{HTTP: "/health"}, wantErr: "exited with status 6"},
		{name: "http path without ports", script: "sleep 1000", ready: &config.Ready{HTTP: "/health"}, wantErr: "process.ports is empty"},
		{name: "http not loopback", script: "sleep 1000", ready: &config.Ready{HTTP: "http://192.0.2.1/health"}, wantErr: "must target 127.0.0.1"},
		{name: "http not a URL", script: "sleep 1000", ready: &config.Ready{HTTP: "ftp://127.0.0.1/"}, wantErr: "not an http(s) URL"},
		{name: "tcp port short form", script: "sleep 1000", ports: true, ready: &config.Ready{TCP: "PORT", Timeout: config.Duration(200 * time.Millisecond)}, wantErr: "not ready"},
		{name: "tcp undeclared port", script: "sleep 1000", ready: &config.Ready{TCP: "9"}, wantErr: "declares no ports"},
		{name: "tcp not loopback", script: "sleep 1000", ready: &config.Ready{TCP: "192.0.2.1:80"}, wantErr: "must target 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := shSvc("x", tt.script)
			if tt.ports {
				port := freePort(t)
				svc.Process.Ports = []int{port}
				if tt.ready != nil {
					r := *tt.ready
					r.HTTP = strings.ReplaceAll(r.HTTP, "PORT", strconv.Itoa(port))
					r.TCP = strings.ReplaceAll(r.TCP, "PORT", strconv.Itoa(port))
					tt.ready = &r
				}
			}
			svc.Ready = tt.ready
			s := start(t, New(), svc, stack.Env{})
			err := s.WaitReady(context.Background())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestStackWithProcesses runs the orchestrator over real processes.
func TestStackWithProcesses(t *testing.T) {
	t.Run("failing service gives its output", func(t *testing.T) {
		st := stack.New(New())
		services := []config.Service{
			withReady(shSvc("db", "echo db up; sleep 1000"), &config.Ready{Log: "db up"}),
			withDeps(withReady(shSvc("api", "echo connecting to db; echo fatal: bad password >&2; exit 1"), &config.Ready{Log: "listening"}), "db"),
		}
		err := st.Start(context.Background(), services, stack.Env{})
		t.Log(err)
		var se *stack.StartError
		if !errors.As(err, &se) || se.Service != "api" {
			t.Fatalf("err = %v", err)
		}
		for _, w := range []string{"exited with status 1", "fatal: bad password", "connecting to db"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q lacks %q", err, w)
			}
		}
		if err := st.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("death mid-run", func(t *testing.T) {
		st := stack.New(New())
		dir := t.TempDir()
		flag := filepath.Join(dir, "die")
		services := []config.Service{shSvc("api", fmt.Sprintf("echo up; while [ ! -e %s ]; do sleep 0.02; done; echo dying; exit 7", flag))}
		if err := st.Start(context.Background(), services, stack.Env{}); err != nil {
			t.Fatal(err)
		}
		defer st.Stop(context.Background())
		if infos := st.Infos(); len(infos) != 1 || infos[0].Provider != "process" {
			t.Fatalf("Infos = %+v", infos)
		}
		if err := os.WriteFile(flag, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-st.Died():
			if !strings.Contains(err.Error(), "exited with status 7") || !strings.Contains(err.Error(), "dying") {
				t.Fatalf("Died: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Died did not fire")
		}
	})
}

func withReady(s config.Service, r *config.Ready) config.Service { s.Ready = r; return s }
func withDeps(s config.Service, deps ...string) config.Service   { s.DependsOn = deps; return s }

// TestParentDeath kills a "perfgate" hard and checks its service dies too.
func TestParentDeath(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("needs /proc (Linux)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "PID ")))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}
	defer syscall.Kill(-pid, syscall.SIGKILL) // if the test fails
	if gone(pid) {
		t.Fatalf("service %d not running", pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitGone(t, pid)
}

func freePort(t *testing.T) int {
	t.Helper()
	addr := freeAddrForTest(t)
	_, p, _ := strings.Cut(addr, ":")
	n, _ := strconv.Atoi(p)
	return n
}

func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	svc := shSvc("api", "sleep 1000")
	svc.Process.Ports = []int{port}
	_, err = New().Start(context.Background(), svc, stack.Env{})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("port %d is already taken", port)) {
		t.Fatalf("err = %v", err)
	}
}
