package run_test

// End-to-end cases of hostile targets through the real CLI,
// against small servers on 127.0.0.1 that the tests start and stop.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

func writeYAML(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "perfgate.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Nothing listening: every request is refused. That is not a regression
// measured at "29,305 req/s" but an environment failure: exit 3, saying
// which, with zero goodput and the results still written.
func TestRunNothingListeningExit3(t *testing.T) {
	dir := t.TempDir()
	port := clitest.FreePort(t)
	cfg := writeYAML(t, dir, fmt.Sprintf(`name: refused
scenarios:
  - name: s
    url: http://127.0.0.1:%d/
load:
  workers: 4
  measure: {requests: 400, duration: 5s}
  repeat: 3
`, port))
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	if !strings.Contains(r.Err.Error(), "refused") || !strings.Contains(r.Err.Error(), "not serving") {
		t.Errorf("error does not say the target refused: %v", r.Err)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("results not written: %v", err)
	}
	sc := res.Scenarios[0]
	if res.EnvironmentFailure == "" || res.Verdict == results.VerdictFail || sc.ThroughputRPS != 0 || sc.OK != 0 ||
		sc.AttemptRPS <= 0 || sc.Errors.Refused != sc.Requests || sc.LatencyMS != (results.Latency{}) || sc.FailedLatencyMS == nil {
		t.Errorf("verdict %q env %q figures %+v", res.Verdict, res.EnvironmentFailure, sc.Figures)
	}
	if !strings.Contains(r.Out, "ENVIRONMENT FAILURE") {
		t.Errorf("report headline:\n%s", r.Out)
	}
}

// A listener with a backlog of 1 that never accepts: the connections the
// kernel turns away show as ListenOverflows in the results, with advice.
func TestRunListenBacklogCounters(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	dir := t.TempDir()
	cfg := writeYAML(t, dir, fmt.Sprintf(`name: backlog
scenarios:
  - name: s
    url: http://127.0.0.1:%d/
client: {timeout: 300ms, dial_timeout: 300ms}
load:
  workers: 40
  measure: {duration: 1s}
  repeat: 2
`, port))
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	if r.Code == 0 {
		t.Fatalf("exit 0 against a server that never accepts:\n%s", r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("results not written: %v (exit %d: %v)", err, r.Code, r.Err)
	}
	var overflows int64
	for _, p := range res.TCP {
		overflows += p.ListenOverflows
	}
	if len(res.TCP) != 2 || overflows == 0 {
		t.Fatalf("tcp counters %+v: want the overflows of 2 passes", res.TCP)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "somaxconn") {
		t.Errorf("no advice on the accept queue: %q", res.Warnings)
	}
}

// An open model against a service that never answers ends on time: the
// slots due while every in-flight slot hung are dropped (counted as
// errors), not sent one client timeout after another (once: 32.5 s).
func TestRunOpenModelStalledEndsOnTime(t *testing.T) {
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { close(release); srv.Close() })
	dir := t.TempDir()
	cfg := writeYAML(t, dir, fmt.Sprintf(`name: stalled
scenarios:
  - name: s
    url: http://%s/
client: {timeout: 1s}
load:
  model: open
  rate: 200
  max_in_flight: 50
  measure: {duration: 2s}
  repeat: 2
`, l.Addr()))
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("results not written: %v (exit %d: %v)", err, r.Code, r.Err)
	}
	for _, run := range res.Scenarios[0].Runs {
		// 400 slots per run: the first 50 sent and timed out after 1 s,
		// when the 2 s window was half over; the next 50 sent then; every
		// slot is accounted for, none sent after the window.
		if run.Requests+run.Errors.Dropped != 400 || run.Errors.Dropped < 250 || run.Errors.Timeout != run.Requests {
			t.Errorf("run %d: %d sent, %d dropped, errors %+v", run.Index, run.Requests, run.Errors.Dropped, run.Errors)
		}
	}
	if r.Code != 1 || !strings.Contains(r.Out, "dropped") {
		t.Errorf("exit %d (want 1: the error-rate ceiling), report:\n%s", r.Code, r.Out)
	}
}

// SIGTERM then SIGKILL during a long service stop (a CI timeout whose
// grace is shorter than stop_timeout) still leaves the results on disk:
// they are written before the services are stopped.
func TestRunResultsWrittenBeforeStop(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	cfg, port := clitest.AuthConfig(t, dir, "load:\n  workers: 2\n  measure: {duration: 60s}\n  repeat: 2\n")
	data, _ := os.ReadFile(cfg)
	// The service ignores SIGTERM (a shell trapping it, waiting on the
	// server), so stopping it takes the whole stop_timeout.
	text := strings.Replace(string(data), "command: [", `command: ["sh", "-c", "trap '' TERM; \"$0\" \"$@\" & wait; wait", `, 1)
	text = strings.Replace(text, "    ready:", "    stop_timeout: 60s\n    ready:", 1)
	os.WriteFile(cfg, []byte(text), 0o644)
	out := filepath.Join(dir, "results.json")
	pr := clitest.Start(t, pg, "run", "-c", cfg, "--out", out)
	// perfgate is SIGKILLed, so its service (in a process group of its
	// own, its shell gone by Pdeathsig) must be removed by the test.
	t.Cleanup(func() { killByArg(t, fmt.Sprintf("127.0.0.1:%d", port)) })
	deadline := time.Now().Add(30 * time.Second)
	for clitest.PortClosed(port) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	pr.Signal(syscall.SIGTERM)
	time.Sleep(2 * time.Second) // the stop is still waiting for the service
	pr.Signal(syscall.SIGKILL)
	pr.Wait(30 * time.Second)
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("no results after SIGTERM + SIGKILL: %v\n%s", err, pr.Stderr())
	}
	if !res.Interrupted || len(res.Scenarios) == 0 || res.Scenarios[0].Requests == 0 || !res.Scenarios[0].Runs[0].Incomplete {
		t.Errorf("interrupted %v scenarios %+v", res.Interrupted, res.Scenarios)
	}
}

// killByArg kills every process whose command line has arg.
func killByArg(t *testing.T, arg string) {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), arg) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// A client out of file descriptors (ulimit -n below the workers) is an
// environment failure naming the limit, not "165,601 req/s" of EMFILE.
func TestRunOutOfFileDescriptorsExit3(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	cfg := writeYAML(t, dir, fmt.Sprintf(`name: emfile
scenarios:
  - name: s
    url: http://%s/
client: {keepalive: false}
load:
  workers: 100
  measure: {requests: 3000, duration: 5s}
  repeat: 2
`, l.Addr()))
	out := filepath.Join(dir, "r.json")
	// Soft and hard limit both: Go raises the soft limit to the hard one.
	cmd := exec.Command("sh", "-c", `ulimit -n 48 && exec "$0" "$@"`, pg, "run", "-c", cfg, "--out", out)
	b, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 3 || !strings.Contains(string(b), "file descriptors") {
		t.Fatalf("exit %d, want 3 naming file descriptors:\n%s", code, b)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("results not written: %v", err)
	}
	if res.EnvironmentFailure == "" || res.Scenarios[0].Errors.Client == 0 {
		t.Errorf("env %q errors %+v", res.EnvironmentFailure, res.Scenarios[0].Errors)
	}
}

// A server that sends a status line and then cuts the body short: the
// status is not counted (the response never completed), the requests are
// errors, and the goodput is 0.
func TestRunBodyCutShortCountsNoStatus(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few bytes"))
				c.Close()
			}()
		}
	}()
	dir := t.TempDir()
	cfg := writeYAML(t, dir, fmt.Sprintf(`name: cut
scenarios:
  - name: s
    url: http://%s/
load:
  workers: 2
  measure: {requests: 200}
  repeat: 2
`, l.Addr()))
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("results not written: %v (exit %d: %v)", err, r.Code, r.Err)
	}
	sc := res.Scenarios[0]
	if len(sc.StatusCounts) != 0 || sc.OK != 0 || sc.ThroughputRPS != 0 || sc.Errors.Total() != sc.Requests || sc.Requests != 400 {
		t.Errorf("figures %+v", sc.Figures)
	}
	if r.Code == 0 {
		t.Errorf("exit 0 for a server that never completes a response")
	}
}
