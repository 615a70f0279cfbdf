//go:build linux

package process

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/stack"
)

// waitListening waits (bounded) until something accepts on addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pidOnLine(t *testing.T, s *service, prefix string) int {
	t.Helper()
	pid, err := strconv.Atoi(waitLine(t, s, prefix))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestDaemonKilledAfterStop: a service that double-forks a listener into
// its own session (out of reach of the group signals) leaves nothing
// behind after Stop, and Stop says so.
func TestDaemonKilledAfterStop(t *testing.T) {
	tests := []struct {
		name   string
		script string // $1 the test binary, $2 the listen address
		exits  bool
	}{
		// setsid forks when the caller leads its group; the inner shell
		// backgrounds the server and exits: a double fork into a new session.
		{"service keeps running", `setsid sh -c 'exec "$1" -test.run=^$ "$2" </dev/null >/dev/null 2>&1 &' x "$1" "$2"; echo DAEMON; sleep 1000`, false},
		{"service exits after daemonising", `setsid sh -c 'exec "$1" -test.run=^$ "$2" </dev/null >/dev/null 2>&1 &' x "$1" "$2"; echo DAEMON; exit 0`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				p      *Provider
				s      *service
				port   int
				addr   string
				daemon int
			)
			// The port is free when picked, but a test of another package
			// may take it before the daemon listens: then what listens is
			// not the daemon (its command line lacks the address), and the
			// test picks another port.
			for attempt := 1; ; attempt++ {
				port = freePort(t)
				addr = "127.0.0.1:" + strconv.Itoa(port)
				svc := config.Service{Name: "api", Process: &config.ProcessSpec{
					Command: []string{"sh", "-c", tt.script, "sh", os.Args[0], addr},
					Env:     map[string]string{serveEnv: "1"},
					Ports:   []int{port},
				}}
				p = New()
				s = start(t, p, svc, stack.Env{RunID: "leftover-test"})
				waitLine(t, s, "DAEMON")
				waitListening(t, addr)
				holders := portHolders([]int{port})[port]
				if len(holders) != 1 || holders[0] <= 0 || holders[0] == s.pgid {
					t.Fatalf("holders of %d: %v (service pid %d)", port, holders, s.pgid)
				}
				daemon = holders[0]
				cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(daemon) + "/cmdline")
				if strings.Contains(string(cmdline), addr) { // the daemon, started with addr
					if !slices.Contains(markedPids(MarkerEnv+"="+s.marker), daemon) {
						t.Fatalf("the daemon (pid %d) does not carry the service's marker", daemon)
					}
					break
				}
				_ = s.Stop(context.Background())
				if attempt == 3 {
					t.Fatalf("port %d is held by pid %d (%s), not by the daemon, on 3 ports in a row", port, daemon, comm(daemon))
				}
				t.Logf("port %d was taken by pid %d (%s) before the daemon listened; another port", port, daemon, comm(daemon))
			}
			t.Cleanup(func() { _ = killPid(daemon) }) // if the test fails
			if tt.exits {
				<-s.Exited()
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			if running(daemon) {
				t.Fatalf("daemon %d still runs after Stop", daemon)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatalf("port %d still taken after Stop: %v", port, err)
			}
			ln.Close()
			want := fmt.Sprintf("service api: killed pid %d ", daemon)
			notes := p.StopNotes()
			if len(notes) != 1 || !strings.HasPrefix(notes[0], want) || !strings.HasSuffix(notes[0], fmt.Sprintf("(daemonised, still holding port %d)", port)) {
				t.Errorf("notes %q, want one like %q...(daemonised, still holding port %d)", notes, want, port)
			}
		})
	}
}

// TestForeignListenerNotKilled: a port held after Stop by a process
// perfgate did not start (here the test itself) is reported, not killed.
func TestForeignListenerNotKilled(t *testing.T) {
	port := freePort(t)
	svc := shSvc("api", "sleep 1000")
	svc.Process.Ports = []int{port}
	p := New()
	s := start(t, p, svc, stack.Env{})
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("service api: port %d is still held by pid %d", port, os.Getpid())
	notes := p.StopNotes()
	if len(notes) != 1 || !strings.HasPrefix(notes[0], want) || !strings.HasSuffix(notes[0], "which perfgate did not start; not killed") {
		t.Errorf("notes %q, want %q...", notes, want)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("the test's own listener was harmed: %v", err)
	}
	c.Close()
}

// TestNothingLeftNoNotes: a well-behaved service gives no notes.
func TestNothingLeftNoNotes(t *testing.T) {
	port := freePort(t)
	svc := serverSvc("api", "127.0.0.1:{{ port "+strconv.Itoa(port)+" }}", port)
	p := New()
	s := start(t, p, svc, stack.Env{})
	waitListening(t, "127.0.0.1:"+strconv.Itoa(port))
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := p.StopNotes(); len(n) != 0 {
		t.Errorf("notes %q", n)
	}
}

func TestProcIP(t *testing.T) {
	for _, tt := range []struct{ hex, want string }{
		{"0100007F", "127.0.0.1"},
		{"00000000", "0.0.0.0"},
		{"00000000000000000000000001000000", "::1"},
		{"0000000000000000FFFF00000100007F", "127.0.0.1"},
		{"zz", "<nil>"},
	} {
		if got := procIP(tt.hex).String(); got != tt.want {
			t.Errorf("procIP(%s) = %s, want %s", tt.hex, got, tt.want)
		}
	}
}

func killPid(pid int) error {
	pr, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return pr.Kill()
}
