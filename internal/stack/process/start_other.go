//go:build unix && !linux

package process

import "syscall"

// setDeathSignal: no parent-death signal outside Linux; a hard-killed
// perfgate leaves its services running.
func setDeathSignal(*syscall.SysProcAttr) {}

func lockThread() {}
