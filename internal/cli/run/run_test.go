package run_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

func TestRunQuickstartLike(t *testing.T) {
	dir := t.TempDir()
	cfg, port := clitest.AuthConfig(t, dir, "")
	out := filepath.Join(dir, "results.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	if r.Code != 0 {
		t.Fatalf("exit %d: %v\nstdout:\n%s\nstderr:\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Schema != results.Schema || res.Verdict != results.VerdictNoBaseline || res.Interrupted {
		t.Errorf("schema %q verdict %q interrupted %v", res.Schema, res.Verdict, res.Interrupted)
	}
	if len(res.Scenarios) != 2 || len(res.Warmup) != 2 {
		t.Fatalf("scenarios %d warmup %d", len(res.Scenarios), len(res.Warmup))
	}
	var total int64
	for _, s := range res.Scenarios {
		total += s.Requests
		if s.Errors.Total() != 0 || s.ErrorRate != 0 || s.StatusCounts["200"] != s.Requests {
			t.Errorf("%s: errors %+v statuses %v of %d", s.Name, s.Errors, s.StatusCounts, s.Requests)
		}
		if len(s.Runs) != 3 || s.LatencyMS.P50 <= 0 || s.LatencyMS.Max < s.LatencyMS.P99 || s.ThroughputRPS <= 0 || s.Histogram == "" {
			t.Errorf("%s: runs %d latency %+v rps %v", s.Name, len(s.Runs), s.LatencyMS, s.ThroughputRPS)
		}
	}
	if total != 3*600 {
		t.Errorf("measured %d requests, want %d (3 runs × 600)", total, 3*600)
	}
	if res.Host.CPUCount < 1 || res.Host.GoVersion == "" || res.Client != "perfgate-h1" || len(res.Services) != 1 {
		t.Errorf("host %+v client %q services %+v", res.Host, res.Client, res.Services)
	}
	for _, want := range []string{"signup", "health", "200×"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("table lacks %q:\n%s", want, r.Out)
		}
	}
	if !strings.Contains(r.ErrOut, "baseline update") {
		t.Errorf("no hint on creating a baseline:\n%s", r.ErrOut)
	}
	if !clitest.PortClosed(port) {
		t.Errorf("auth service still listening on %d after the run", port)
	}
}

func TestRunConfigErrorExit2(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "perfgate.yaml")
	os.WriteFile(p, []byte("name: x\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\nload:\n  workers: -1\n  measure: {duration: 1s}\n"), 0o644)
	r := clitest.Run(t, context.Background(), nil, "run", "-c", p)
	if r.Code != 2 || !strings.Contains(r.Err.Error(), "perfgate.yaml:6:") || !strings.Contains(r.Err.Error(), "load.workers") {
		t.Fatalf("exit %d err %v", r.Code, r.Err)
	}
}

func TestRunServiceFailsExit3WithLog(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "perfgate.yaml")
	os.WriteFile(p, []byte(`name: x
services:
  - name: broken
    process:
      command: ["sh", "-c", "echo 'listen tcp: address already in use' >&2; exit 1"]
      ports: [1]
    ready: {tcp: "127.0.0.1:1", timeout: 10s}
scenarios:
  - name: a
    url: http://127.0.0.1:1/
load:
  measure: {duration: 1s}
`), 0o644)
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", p, "--out", out)
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3: %v", r.Code, r.Err)
	}
	if !strings.Contains(r.Err.Error(), "broken") || !strings.Contains(r.Err.Error(), "address already in use") {
		t.Errorf("error lacks the service name or its log tail: %v", r.Err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("results written although nothing was measured")
	}
}

func TestRunBadBaselineExit2BeforeStarting(t *testing.T) {
	dir := t.TempDir()
	cfg, port := clitest.AuthConfig(t, dir, "")
	bad := filepath.Join(dir, "baselines", "e2e.json")
	os.MkdirAll(filepath.Dir(bad), 0o755)
	os.WriteFile(bad, []byte(`{"schema": "perfgate/baseline/v1", "scen`), 0o644)
	start := time.Now()
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg)
	if r.Code != 2 || !strings.Contains(r.Err.Error(), "e2e.json") {
		t.Fatalf("exit %d err %v", r.Code, r.Err)
	}
	if strings.Contains(r.ErrOut, "starting") || time.Since(start) > 20*time.Second {
		t.Errorf("services were started before the baseline was checked:\n%s", r.ErrOut)
	}
	_ = port
}

// TestRunInterrupt sends SIGINT to a real perfgate process mid-run: every
// service stops, the partial results are written, exit 3.
func TestRunInterrupt(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	cfg, port := clitest.AuthConfig(t, dir, "load:\n  workers: 4\n  measure: {duration: 60s}\n  repeat: 5\n")
	out := filepath.Join(dir, "results.json")
	pr := clitest.Start(t, pg, "run", "-c", cfg, "--out", out)
	deadline := time.Now().Add(30 * time.Second)
	for clitest.PortClosed(port) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // let the measured pass run a little
	pr.Signal(syscall.SIGINT)
	if code := pr.Wait(30 * time.Second); code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, pr.Stderr())
	}
	if !clitest.PortClosed(port) {
		t.Errorf("auth service still running after SIGINT")
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("partial results not written: %v\n%s", err, pr.Stderr())
	}
	var res results.Results
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || len(res.Scenarios) == 0 || res.Scenarios[0].Requests == 0 {
		t.Errorf("interrupted %v scenarios %+v", res.Interrupted, res.Scenarios)
	}
}

// TestRunServiceDiesMidRun: the service exits during the measured pass;
// the load stops at once (no hang), the results so far are written, exit 3.
func TestRunServiceDiesMidRun(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := clitest.AuthConfig(t, dir, "load:\n  workers: 4\n  warmup: {requests: 50}\n  measure: {duration: 60s}\n  repeat: 3\n")
	data, _ := os.ReadFile(cfg)
	// Wrap the service so it is killed 2 seconds after it starts.
	text := strings.Replace(string(data), "command: [", `command: ["timeout", "-s", "KILL", "2", `, 1)
	os.WriteFile(cfg, []byte(text), 0o644)
	out := filepath.Join(dir, "r.json")
	// Without the stop on death this would load a dead port for 3 × 60 s.
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	if !strings.Contains(r.Err.Error(), "auth") {
		t.Errorf("error does not name the service: %v", r.Err)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("results not written: %v", err)
	}
	if !res.Interrupted || !strings.Contains(res.Note, "auth") || len(res.Scenarios) == 0 {
		t.Errorf("interrupted %v note %q scenarios %d", res.Interrupted, res.Note, len(res.Scenarios))
	}
}

// TestRunRegressionExit1 judges a real run against a baseline ten times
// faster: exit 1 with the results still written; --no-gate exits 0.
func TestRunRegressionExit1(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := clitest.AuthConfig(t, dir, "load:\n  workers: 4\n  warmup: {requests: 100}\n  measure: {requests: 300, duration: 10s}\n  repeat: 4\n")
	first := filepath.Join(dir, "first.json")
	if r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", first); r.Code != 0 {
		t.Fatalf("first run: exit %d: %v", r.Code, r.Err)
	}
	res, err := results.Read(first)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Scenarios {
		for j := range res.Scenarios[i].Runs {
			res.Scenarios[i].Runs[j].ThroughputRPS *= 10
		}
	}
	if err := baseline.Write(filepath.Join(dir, "baselines", "e2e.json"), baseline.FromResults(res)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	if r.Code != 1 || !strings.Contains(r.Out, "FAIL") {
		t.Fatalf("exit %d, want 1: %v\n%s", r.Code, r.Err, r.Out)
	}
	judged, err := results.Read(out)
	if err != nil || judged.Verdict != results.VerdictFail {
		t.Fatalf("results after a regression: %v verdict %v", err, judged)
	}
	if r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--no-gate"); r.Code != 0 {
		t.Errorf("--no-gate: exit %d", r.Code)
	}
}

func TestRunBadOutExit2BeforeStarting(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := clitest.AuthConfig(t, dir, "")
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", filepath.Join(dir, "file", "r.json"))
	if r.Code != 2 || !strings.Contains(r.Err.Error(), "--out") {
		t.Fatalf("exit %d err %v", r.Code, r.Err)
	}
	if strings.Contains(r.ErrOut, "starting") {
		t.Errorf("services were started: %s", r.ErrOut)
	}
}

// TestRunClosedStdout: `perfgate run --out r.json | head -0` must still
// write the results and stop the services (no death by SIGPIPE).
func TestRunClosedStdout(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	cfg, port := clitest.AuthConfig(t, dir, "")
	out := filepath.Join(dir, "r.json")
	cmd := exec.Command(pg, "run", "-c", cfg, "--out", out)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdout.Close()
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit %d (%v), want 0", code, err)
	}
	if _, err := results.Read(out); err != nil {
		t.Errorf("results not written: %v", err)
	}
	if !clitest.PortClosed(port) {
		t.Errorf("service left running")
	}
}

// TestRunSecondInterruptKillsAtOnce: a service that ignores SIGTERM would
// hold the stop for its grace period (5 s); a second SIGINT kills it at
// once, and the results are still written.
func TestRunSecondInterruptKillsAtOnce(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	cfg, port := clitest.AuthConfig(t, dir, "load:\n  workers: 2\n  measure: {duration: 60s}\n  repeat: 2\n")
	data, _ := os.ReadFile(cfg)
	stubborn := "  - name: stubborn\n    process:\n      command: [\"sh\", \"-c\", \"trap '' TERM; echo started; while true; do sleep 0.1; done\"]\n    ready: {log: started, timeout: 10s}\n    stop_timeout: 60s\n"
	text := strings.Replace(string(data), "scenarios:\n", stubborn+"scenarios:\n", 1)
	os.WriteFile(cfg, []byte(text), 0o644)
	out := filepath.Join(dir, "r.json")
	pr := clitest.Start(t, pg, "run", "-c", cfg, "--out", out)
	deadline := time.Now().Add(30 * time.Second)
	for clitest.PortClosed(port) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	pr.Signal(syscall.SIGINT)
	time.Sleep(300 * time.Millisecond)
	second := time.Now()
	pr.Signal(syscall.SIGINT)
	code := pr.Wait(45 * time.Second)
	// Generous bound: the stop timeout is 60 s, the kill takes milliseconds.
	if waited := time.Since(second); waited > 30*time.Second {
		t.Errorf("the second Ctrl-C did not kill the services at once (%s)", waited)
	}
	if code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, pr.Stderr())
	}
	if _, err := results.Read(out); err != nil {
		t.Errorf("results not written after two interrupts: %v\n%s", err, pr.Stderr())
	}
}
