// Package cmdutil holds what every command shares: exit codes and the
// error type that carries one.
package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes, per the public contract.
const (
	ExitOK         = 0 // all gates passed, or no gate was asked for
	ExitRegression = 1 // a gate failed
	ExitBadInput   = 2 // flags, config, baseline or results file; nothing was started
	ExitEnv        = 3 // a service did not start or died, Docker absent, a port taken
)

// ExitError is an error with the process exit code it should produce.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// BadInput wraps err as exit 2.
func BadInput(err error) error { return wrap(ExitBadInput, err) }

// EnvFailed wraps err as exit 3.
func EnvFailed(err error) error { return wrap(ExitEnv, err) }

// Regression is exit 1 with a message.
func Regression(err error) error { return wrap(ExitRegression, err) }

func wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: code, Err: err}
}

// Code returns the exit code for err: 0 for nil, the carried code for an
// ExitError, otherwise 2 (an unclassified error is treated as bad input only
// when nothing ran; commands classify their own errors).
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitBadInput
}

// VerdictError turns a run's verdict into the command's outcome: a failed
// gate is exit 1, anything else exit 0.
func VerdictError(verdict string, failures int) error {
	if verdict == "fail" {
		return Regression(fmt.Errorf("performance regression: %d gate(s) failed", failures))
	}
	return nil
}

// GateVerdict is VerdictError, and also exit 1 for an inconclusive verdict
// when the config's gates.fail_inconclusive asks for it (paired and
// stored-baseline runs alike, and `perfgate compare`).
func GateVerdict(verdict string, failures int, failInconclusive bool) error {
	if verdict == "inconclusive" && failInconclusive {
		return Regression(fmt.Errorf("inconclusive, and gates.fail_inconclusive is set"))
	}
	return VerdictError(verdict, failures)
}
