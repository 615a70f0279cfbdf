package cmdutil

import (
	"errors"
	"io"
	"sync/atomic"
	"syscall"
)

// closedPipeWriter notes when its reader has gone (EPIPE: perfgate report
// | head), so the command's failure to write is not taken for bad input.
type closedPipeWriter struct {
	w      io.Writer
	closed atomic.Bool
}

func (c *closedPipeWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if errors.Is(err, syscall.EPIPE) {
		c.closed.Store(true)
	}
	return n, err
}

// WatchClosedPipe wraps io's Out so that ClosedPipe can tell, after the
// command, whether stdout's reader had gone.
func (io *IOStreams) WatchClosedPipe() {
	io.Out = &closedPipeWriter{w: io.Out}
}

// ClosedPipe reports whether err comes from writing to a stdout whose reader
// has gone (EPIPE). The command then ends quietly with exit 0, as Unix
// tools do; a regression (exit 1) or an environment failure (exit 3) found
// before still stands.
func (io *IOStreams) ClosedPipe(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.EPIPE) {
		return true
	}
	c, ok := io.Out.(*closedPipeWriter)
	return ok && c.closed.Load() && Code(err) == ExitBadInput
}
