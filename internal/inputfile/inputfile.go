// Package inputfile reads the files a user hands perfgate (configs, data
// files) so that no file can hang it or fill its memory: opening never
// waits for a FIFO's writer, a regular file's size is checked before a
// byte is read, and reading a pipe stops when the context ends.
package inputfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// ErrTooLarge is returned for a file above the limit.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is returned when only a regular file is accepted and path
// is a FIFO, device or socket.
var ErrNotRegular = errors.New("not a regular file")

// Read returns the content of path, at most max bytes. A regular file
// larger than max is ErrTooLarge before anything is read. Anything else
// (a FIFO, a terminal, /dev/stdin) is ErrNotRegular unless stream is true;
// then it is read through the limit, and the read ends with ctx's error
// when ctx ends. Errors opening path are returned as they are
// (errors.Is(err, fs.ErrNotExist) works).
func Read(ctx context.Context, path string, max int64, stream bool) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO nobody writes to returns at once (a
	// blocking open would wait for a writer, deaf to every signal), and the
	// descriptor joins Go's poller, so a read can be cut short.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	switch {
	case st.IsDir():
		return nil, fmt.Errorf("%s is a folder, not a file", path)
	case st.Mode().IsRegular():
		if st.Size() > max {
			return nil, fmt.Errorf("%w: %d bytes, above the limit of %d bytes", ErrTooLarge, st.Size(), max)
		}
		buf.Grow(int(st.Size()) + bytes.MinRead)
	case !stream:
		return nil, fmt.Errorf("%w (%s): give a file on disk", ErrNotRegular, kind(st.Mode()))
	default:
		stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	_, err = buf.ReadFrom(io.LimitReader(f, max+1))
	if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	if int64(buf.Len()) > max {
		return nil, fmt.Errorf("%w: more than the limit of %d bytes", ErrTooLarge, max)
	}
	return buf.Bytes(), nil
}

func kind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}
