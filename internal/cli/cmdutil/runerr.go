package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/perfgate/perfgate/internal/progress"
	"github.com/perfgate/perfgate/internal/runner"
)

// RunnerOptions are the runner options every measuring command uses:
// progress and status lines on stderr, the second-Ctrl-C context.
func RunnerOptions(f *Factory) runner.Options {
	return runner.Options{
		Version:  f.Version,
		Progress: progress.New(f.IO.ErrOut, f.IO.TTY, 0),
		Log:      f.IO.ErrOut,
		StopNow:  f.StopNow,
	}
}

// RunError maps a runner error to the exit code the contract gives it. A
// run whose ctx ended (Ctrl-C, SIGTERM) was interrupted, exit 3, whatever
// the step it cut short made of it (a git or prepare command killed by
// the signal is not bad input).
func RunError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && !errors.Is(err, runner.ErrInterrupted):
		return EnvFailed(fmt.Errorf("%w: %v", runner.ErrInterrupted, err))
	case errors.Is(err, runner.ErrBadInput):
		return BadInput(err)
	default: // environment failures and interruptions
		return EnvFailed(err)
	}
}

// InputError is the outcome of reading an input (the config, a data file)
// that failed: bad input (exit 2), unless ctx ended meanwhile (Ctrl-C,
// SIGTERM): then the command was interrupted (exit 3), whatever the read
// said.
func InputError(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return EnvFailed(fmt.Errorf("%w: %v", runner.ErrInterrupted, err))
	}
	return BadInput(err)
}
