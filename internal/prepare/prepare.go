// Package prepare runs a config's prepare commands (the build step) in a
// tree before its services start.
//
// Each command runs in the given folder with perfgate's environment, in its
// own process group: when the command ends, whatever it left running in
// its group is killed, and when ctx is cancelled the whole group is killed
// at once. On Linux the command also gets SIGKILL if perfgate dies
// (Pdeathsig). Output (stdout and stderr together) is streamed, line by
// line, to a log writer and the last lines are kept for the error.
package prepare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/ready"
)

// TailLines is how many lines of a failed command's output Error keeps.
const TailLines = 20

// outputDrain bounds the wait for the output to end once the command exited
// and its group was killed (a process that left the group may hold it).
const outputDrain = 500 * time.Millisecond

// Error is a prepare command that failed: it did not start, exited with a
// non-zero status, was killed, or was interrupted (ctx ended; then Err is
// the context's cause and errors.Is(err, context.Canceled) holds).
type Error struct {
	Index   int            // 0-based position in the prepare list
	Count   int            // number of prepare commands
	Command config.Command // as written in the config
	Dir     string         // where it ran
	// ExitCode is the exit status; -1 when it did not start, was killed by
	// a signal, or was interrupted.
	ExitCode int
	Err      error    // the underlying error
	Tail     []string // the last lines of its output, oldest first
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prepare command %d of %d", e.Index+1, e.Count)
	if e.Command.Line > 0 {
		fmt.Fprintf(&b, " (config line %d)", e.Command.Line)
	}
	fmt.Fprintf(&b, " %q in %s failed: %v", e.Command.String(), e.Dir, e.Err)
	if len(e.Tail) == 0 {
		b.WriteString(" (no output)")
		return b.String()
	}
	fmt.Fprintf(&b, "; last %d lines of its output:", len(e.Tail))
	for _, l := range e.Tail {
		b.WriteString("\n  | ")
		b.WriteString(l)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs cmds in order in dir and stops at the first failure, which it
// returns as an *Error. log (nil: discarded) receives each command as a
// "$ command" line before it runs, then its output; every Write is one
// whole line ending in "\n", so a writer that prefixes each Write (e.g.
// with the side in paired mode) prefixes each line.
func Run(ctx context.Context, dir string, cmds []config.Command, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	for i, c := range cmds {
		if err := runOne(ctx, dir, c, log); err != nil {
			err.Index, err.Count = i, len(cmds)
			return err
		}
	}
	return nil
}

func runOne(ctx context.Context, dir string, c config.Command, log io.Writer) *Error {
	fail := func(code int, err error, tail []string) *Error {
		return &Error{Command: c, Dir: dir, ExitCode: code, Err: err, Tail: tail}
	}
	argv := c.Argv()
	if len(argv) == 0 || argv[0] == "" {
		return fail(-1, errors.New("empty command"), nil)
	}
	if err := ctx.Err(); err != nil {
		return fail(-1, fmt.Errorf("not started: %w", context.Cause(ctx)), nil)
	}
	fmt.Fprintf(log, "$ %s\n", c.String())
	buf := ready.NewLogBuffer(TailLines, func(line string) {
		_, _ = io.WriteString(log, line+"\n")
	})

	r, w, err := os.Pipe()
	if err != nil {
		return fail(-1, fmt.Errorf("output pipe: %w", err), nil)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if errors.Is(cmd.Err, exec.ErrDot) {
		cmd.Err = nil // a program in ./ found through PATH: run it, as a shell would
	}
	cmd.Dir = dir
	cmd.Stdout = w // an *os.File: the command writes to it directly, Wait does not wait for readers
	cmd.Stderr = w
	setGroup(cmd)
	cmd.Cancel = func() error { return kill(cmd) } // the whole group, on ctx end

	waited := make(chan error, 1)
	started := make(chan error, 1)
	go func() {
		lockThread() // Pdeathsig is tied to the starting thread (Linux)
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		waited <- cmd.Wait()
	}()
	err = <-started
	_ = w.Close() // the command holds its own copy
	if err != nil {
		_ = r.Close()
		return fail(-1, fmt.Errorf("start: %w", err), nil)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(buf, r)
	}()
	err = <-waited
	_ = kill(cmd) // whatever it left running in its group
	// The group is gone, so the pipe ends; a process that left the group
	// (setsid) may still hold it: do not wait for that.
	t := time.NewTimer(outputDrain)
	select {
	case <-copied:
	case <-t.C:
		_ = r.Close()
		<-copied
	}
	t.Stop()
	_ = r.Close()
	buf.Flush()

	if ctx.Err() != nil {
		return fail(-1, fmt.Errorf("interrupted: %w", context.Cause(ctx)), buf.Tail(TailLines))
	}
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		return fail(code, errors.New(describeExit(ee)), buf.Tail(TailLines))
	}
	return fail(-1, err, buf.Tail(TailLines))
}
