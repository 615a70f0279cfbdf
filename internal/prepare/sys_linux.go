package prepare

import (
	"runtime"
	"syscall"
)

// setDeathSignal makes the kernel SIGKILL the command when the thread that
// started it exits: lockThread keeps the starting goroutine on its thread
// until the command was reaped, and the thread then ends with it.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// lockThread wires the calling goroutine to its thread for good.
func lockThread() { runtime.LockOSThread() }
