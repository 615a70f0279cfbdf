package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
)

type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
}

func TestClosedPipe(t *testing.T) {
	for _, c := range []struct {
		name  string
		write bool // the command wrote to the closed stdout first
		err   error
		want  bool
	}{
		{"no error", true, nil, false},
		{"EPIPE kept in the chain", false, BadInput(fmt.Errorf("rendering: %w", brokenPipe{}.mustErr())), true},
		{"EPIPE lost, bad input after the failed write", true, BadInput(errors.New("rendering: broken pipe")), true},
		{"bad input, stdout fine", false, BadInput(errors.New("no such file")), false},
		{"regression stands", true, Regression(errors.New("gate failed")), false},
		{"environment failure stands", true, EnvFailed(errors.New("port taken")), false},
	} {
		s := &IOStreams{Out: brokenPipe{}}
		s.WatchClosedPipe()
		if c.write {
			io.WriteString(s.Out, "x")
		}
		if got := s.ClosedPipe(c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func (brokenPipe) mustErr() error {
	_, err := brokenPipe{}.Write(nil)
	return err
}
