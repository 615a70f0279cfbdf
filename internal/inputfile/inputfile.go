// Package inputfile reads the files a user hands perfgate (configs, data
// files, results, baselines) so that no file can hang it or fill its
// memory: a regular file's size is checked before a byte is read, and
// waiting for a FIFO's writer or reading a pipe stops when the context ends.
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
// (a FIFO, a terminal, /dev/stdin) is ErrNotRegular, before it is opened,
// unless stream is true; then it is read through the limit, and waiting
// for it and reading it end with ctx's error when ctx ends. Errors opening
// path are returned as they are (errors.Is(err, fs.ErrNotExist) works).
func Read(ctx context.Context, path string, max int64, stream bool) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder, not a file", path)
	}
	if !st.Mode().IsRegular() && !stream {
		return nil, fmt.Errorf("%w (%s): give a file on disk", ErrNotRegular, kind(st.Mode()))
	}
	f, err := open(ctx, path, st.Mode())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil { // what was opened, if path changed meanwhile
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
		// One allocation of the right size (plus room to see the end), not
		// a doubling buffer; the limit below still holds if the file grows.
		buf.Grow(int(st.Size()) + bytes.MinRead)
	case !stream:
		return nil, fmt.Errorf("%w (%s): give a file on disk", ErrNotRegular, kind(st.Mode()))
	default:
		// A FIFO or terminal is in Go's poller: a deadline cuts its read.
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

// open opens path for reading. Opening a FIFO waits for its writer (as a
// shell's `cat fifo` does), but only until ctx ends: then perfgate opens
// it for writing itself, which lets the waiting open return.
func open(ctx context.Context, path string, mode os.FileMode) (*os.File, error) {
	if mode&os.ModeNamedPipe == 0 {
		// O_NONBLOCK: a device's open does not wait either.
		return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
	}
	if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		defer w.Close()
	}
	select {
	case o := <-ch:
		if o.f != nil {
			o.f.Close()
		}
	case <-time.After(time.Second): // the open is left to the exiting process
	}
	return nil, ctx.Err()
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
