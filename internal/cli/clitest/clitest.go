// Package clitest runs perfgate commands in-process for end-to-end tests.
package clitest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/cli/root"
)

// Result is what one command invocation produced.
type Result struct {
	Code   int
	Out    string
	ErrOut string
	Err    error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Run executes `perfgate args...` with env as the whole environment seen by
// the command (nil: empty).
func Run(t testing.TB, ctx context.Context, env map[string]string, args ...string) Result {
	t.Helper()
	var out, errOut lockedBuffer
	f := &cmdutil.Factory{
		IO:      &cmdutil.IOStreams{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut},
		Version: "test",
		Getenv:  func(k string) string { return env[k] },
	}
	cmd := root.NewCmd(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return Result{Code: cmdutil.Code(err), Out: out.String(), ErrOut: errOut.String(), Err: err}
}

// RunAA executes an A/A paired run (`perfgate run --base ...` where both
// sides are the same code), once more when the first is judged a
// regression (exit 1). The gate's design lets a change of half its
// threshold fail 5% of the time, and a run beside the rest of the test
// suite, noisy enough to tell only a 20% change from none, comes close to
// that even when nothing changed. A test of what surrounds the verdict
// then fails only on two such verdicts in a row; the gate's error rates
// are the operating-characteristic tests' to pin.
func RunAA(t testing.TB, ctx context.Context, env map[string]string, args ...string) Result {
	t.Helper()
	r := Run(t, ctx, env, args...)
	if r.Code == 1 {
		t.Logf("perfgate %v: an A/A run judged a regression; running it once more:\n%s", args, r.Out)
		r = Run(t, ctx, env, args...)
	}
	return r
}
