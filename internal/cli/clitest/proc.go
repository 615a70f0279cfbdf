package clitest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Proc is a perfgate process started by Start, for the tests that signal
// it: its stderr is captured (safe to read while it runs) and it is killed
// at the end of the test if it still runs.
type Proc struct {
	t      testing.TB
	Cmd    *exec.Cmd
	stderr lockedBuffer
	done   chan struct{}
}

// Start runs bin args... in the background.
func Start(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	p := &Proc{t: t, Cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.Cmd.Stderr = &p.stderr
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.Cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Stderr is what the process wrote to stderr so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

// WaitFor waits until stderr contains s, or timeout; it reports which.
func (p *Proc) WaitFor(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Stderr(), s) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) { p.Cmd.Process.Signal(sig) }

// WaitCatches waits (up to timeout) until the process has installed a
// handler for signal number sig (Linux: SigCgt in /proc/PID/status), so a
// test's signal reaches perfgate's handler, not the default action of a
// process still starting on a busy machine. It reports whether it did.
func (p *Proc) WaitCatches(sig int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
		if err != nil {
			return false
		}
		for _, line := range strings.Split(string(b), "\n") {
			if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				if v, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64); err == nil && v&(1<<(sig-1)) != 0 {
					return true
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// Wait waits for the process to exit and returns its exit code; after
// timeout it kills it and fails the test, showing its stderr.
func (p *Proc) Wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.Cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("perfgate did not stop within %s:\n%s", timeout, p.Stderr())
	}
	return p.Cmd.ProcessState.ExitCode()
}
