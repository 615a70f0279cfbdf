//go:build !unix

package prepare

import (
	"os/exec"
)

// Outside Unix there are no process groups: ctx kills the command only.
func setGroup(*exec.Cmd) {}

func kill(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}

func describeExit(ee *exec.ExitError) string { return ee.String() }

func lockThread() {}
