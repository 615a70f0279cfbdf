package process

import (
	"runtime"
	"syscall"
)

// setDeathSignal makes the kernel SIGKILL the command when the thread that
// started it exits. Linux ties Pdeathsig to the parent *thread*, not the
// process: so lockThread keeps the starting goroutine on its thread until
// the command has exited (the thread then ends with it). If perfgate is
// killed hard, the command dies; its own children (e.g. the binary `go run`
// started) are not covered and are orphaned.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// lockThread wires the calling goroutine to its OS thread for good: the
// goroutine starts and waits for the command, and when it returns the
// runtime ends the thread (after the command is reaped).
func lockThread() { runtime.LockOSThread() }
