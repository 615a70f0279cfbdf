package prepare

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
)

// syncBuf is a log writer safe for the output goroutine and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func argv(a ...string) config.Command { return config.Command{Args: a} }
func shell(s string) config.Command   { return config.Command{Shell: s} }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRunInOrder(t *testing.T) {
	dir := t.TempDir()
	var log syncBuf
	cmds := []config.Command{
		argv("sh", "-c", "echo one >> order; echo out-one"),
		shell("echo two >> order && echo out-two >&2"),
		argv("sh", "-c", "echo three >> order"),
	}
	if err := Run(testCtx(t), dir, cmds, &log); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "order"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "one\ntwo\nthree\n" {
		t.Errorf("order file %q", got)
	}
	want := "$ sh -c echo one >> order; echo out-one\nout-one\n$ echo two >> order && echo out-two >&2\nout-two\n$ sh -c echo three >> order\n"
	if log.String() != want {
		t.Errorf("log\n%q\nwant\n%q", log.String(), want)
	}
}

func TestRunShellString(t *testing.T) {
	dir := t.TempDir()
	var log syncBuf
	// Shell syntax (arithmetic, a pipe, $0) only works through sh -c; it
	// runs in dir with perfgate's environment.
	t.Setenv("PERFGATE_PREPARE_TEST", "from-env")
	if err := Run(testCtx(t), dir, []config.Command{shell(`echo "$((40+2)) $0 $PERFGATE_PREPARE_TEST" | tr a-z A-Z; pwd`)}, &log); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 || lines[1] != "42 SH FROM-ENV" || (lines[2] != dir && lines[2] != real) {
		t.Errorf("log %q", log.String())
	}
}

func TestRunRelativeProgram(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "hello"), []byte("#!/bin/sh\necho hello \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var log syncBuf
	if err := Run(testCtx(t), dir, []config.Command{argv("./bin/hello", "world")}, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "hello world\n") {
		t.Errorf("log %q", log.String())
	}
}

func TestRunFailure(t *testing.T) {
	dir := t.TempDir()
	var log syncBuf
	cmds := []config.Command{
		argv("true"),
		{Shell: "for i in $(seq 1 30); do echo line$i; done; echo 'no such package' >&2; exit 3", Line: 7},
		shell("touch never"),
	}
	err := Run(testCtx(t), dir, cmds, &log)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("want *prepare.Error, got %T %v", err, err)
	}
	if pe.Index != 1 || pe.ExitCode != 3 || len(pe.Tail) != TailLines {
		t.Errorf("index %d exit %d tail %d lines", pe.Index, pe.ExitCode, len(pe.Tail))
	}
	if pe.Tail[0] != "line12" || pe.Tail[TailLines-1] != "no such package" {
		t.Errorf("tail %q", pe.Tail)
	}
	msg := err.Error()
	for _, w := range []string{"prepare command 2 of 3 (config line 7)", "for i in", "exit status 3", "last 20 lines", "\n  | line30\n  | no such package"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "line11\n") {
		t.Errorf("message holds more than the tail:\n%s", msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); err == nil {
		t.Error("a command after the failed one ran")
	}
	if !strings.Contains(log.String(), "line1\n") {
		t.Error("the whole output was not streamed to the log")
	}
}

func TestRunNotFound(t *testing.T) {
	err := Run(testCtx(t), t.TempDir(), []config.Command{argv("perfgate-no-such-program-xyz")}, nil)
	var pe *Error
	if !errors.As(err, &pe) || pe.ExitCode != -1 || !strings.Contains(err.Error(), "perfgate-no-such-program-xyz") {
		t.Fatalf("got %v", err)
	}
}

// alive reports whether pid runs (a zombie nobody reaped counts as gone).
func alive(pid int) bool {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	s := string(st)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pid
}

// waitGone waits (bounded) for pids to end and reports those still alive.
func waitGone(pids ...int) []int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left []int
		for _, p := range pids {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			for _, p := range left {
				_ = syscall.Kill(p, syscall.SIGKILL) // do not leak them past the test
			}
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunCancelKillsChildAndGrandchild(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	// The command starts a child (a shell that becomes sleep 60) which
	// starts a grandchild (sleep 60), then waits.
	cmd := shell(`sh -c 'sleep 60 & echo $! > grand.pid; exec sleep 60' & echo $! > child.pid; wait`)
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, dir, []config.Command{cmd}, nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "grand.pid"))
		if len(b) > 0 && b[len(b)-1] == '\n' {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the command did not start its grandchild: %v", <-errc)
		}
		time.Sleep(10 * time.Millisecond)
	}
	child, grand := readPid(t, filepath.Join(dir, "child.pid")), readPid(t, filepath.Join(dir, "grand.pid"))
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("want an interrupted error, got %v", err)
	}
	if left := waitGone(child, grand); len(left) > 0 {
		t.Errorf("still running after cancel: %v (child %d, grandchild %d)", left, child, grand)
	}
}

func TestRunKillsLeftovers(t *testing.T) {
	dir := t.TempDir()
	// A command that succeeds but leaves a background process (holding
	// the output pipe) must not leave it running, nor hang Run.
	if err := Run(testCtx(t), dir, []config.Command{shell(`sleep 60 & echo $! > bg.pid`)}, nil); err != nil {
		t.Fatal(err)
	}
	bg := readPid(t, filepath.Join(dir, "bg.pid"))
	if left := waitGone(bg); len(left) > 0 {
		t.Errorf("background process %d left running", bg)
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Run(ctx, dir, []config.Command{shell("touch ran")}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("ran after cancel")
	}
}
