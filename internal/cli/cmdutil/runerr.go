package cmdutil

import (
	"errors"

	"github.com/perfgate/perfgate/internal/runner"
)

// RunError maps a runner error to the exit code the contract gives it.
func RunError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, runner.ErrBadInput):
		return BadInput(err)
	default: // environment failures and interruptions
		return EnvFailed(err)
	}
}
