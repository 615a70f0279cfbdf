//go:build unix && !linux

package prepare

import "syscall"

// setDeathSignal: no parent-death signal outside Linux.
func setDeathSignal(*syscall.SysProcAttr) {}

func lockThread() {}
