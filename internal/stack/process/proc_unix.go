//go:build unix

package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

const supported = true

var errUnsupported error

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)

// signalGroup sends sig to every process in the group pgid.
func signalGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 0 {
		return errors.New("no process group")
	}
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// groupAlive reports whether the command or anything else in its group may
// still run. Once the leader is reaped, the group counts as gone when no
// member is left or when the output pipe is closed by all of them (members
// that are zombies nobody reaps still answer kill(0)).
func groupAlive(pgid int, exited, outEnd <-chan struct{}) bool {
	select {
	case <-exited:
	default:
		return true
	}
	select {
	case <-outEnd:
		return false
	default:
	}
	return syscall.Kill(-pgid, 0) == nil
}

func describeState(ps *os.ProcessState) error {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	switch {
	case ok && ws.Signaled():
		return fmt.Errorf("killed by signal %d (%s)", int(ws.Signal()), ws.Signal())
	case ps.ExitCode() == 0:
		return errors.New("exited with status 0 before perfgate stopped it (a service must keep running)")
	default:
		return fmt.Errorf("exited with status %d", ps.ExitCode())
	}
}

// setProcAttr puts the command in its own process group (and, on Linux,
// asks for SIGKILL when perfgate dies).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
}
