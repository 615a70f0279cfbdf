package clitest

import (
	"os"
	"os/exec"
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
