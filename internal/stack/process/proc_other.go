//go:build !unix

package process

import (
	"errors"
	"os"
	"os/exec"
)

const supported = false

const (
	sigTerm = 0
	sigKill = 0
)

var errUnsupported = errors.New("the process provider needs a Unix system (process groups)")

func signalGroup(int, int) error { return errUnsupported }

func groupAlive(int, <-chan struct{}, <-chan struct{}) bool { return false }

func describeState(ps *os.ProcessState) error { return errors.New(ps.String()) }

func setProcAttr(*exec.Cmd) {}

func lockThread() {}
