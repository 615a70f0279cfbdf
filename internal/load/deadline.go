package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// deadline enforces the client timeout without allocating per request: a
// context and a timer reused until the timer fires, then replaced.
type deadline struct {
	ctx    context.Context
	cancel context.CancelFunc
	timer  *time.Timer
	fired  atomic.Bool
}

// nhWorker is what a worker needs for ClientNetHTTP only.
type nhWorker struct {
	dl    *deadline
	base  []http.Request // per scenario, bound to dl.ctx
	bsize int            // last rendered body size, to size the next buffer
	proto string         // the protocol of the last response
}

// renew gives the worker a fresh deadline under the pass's context and
// rebinds its prepared requests to it.
func (w *worker) renew(passCtx context.Context) {
	if w.nh == nil {
		w.nh = &nhWorker{}
	}
	nh := w.nh
	if nh.dl != nil {
		nh.dl.cancel()
	}
	d := &deadline{}
	d.ctx, d.cancel = context.WithCancel(passCtx)
	d.timer = time.AfterFunc(time.Hour, func() {
		d.fired.Store(true)
		d.cancel()
	})
	d.timer.Stop()
	nh.dl = d
	nh.base = nh.base[:0]
	for _, r := range w.p.base {
		if r == nil { // a flow's own entry sends nothing
			nh.base = append(nh.base, http.Request{})
			continue
		}
		nh.base = append(nh.base, *r.WithContext(d.ctx))
	}
}

// timeoutError is a request cut off by the client timeout.
type timeoutError struct {
	timeout time.Duration
	err     error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no complete response within the client timeout of %s (%v)", e.timeout, e.err)
}

func (e *timeoutError) Unwrap() error { return e.err }

func (e *timeoutError) Timeout() bool { return true }

// bodyReader reads a request body from an immutable byte slice.
type bodyReader struct {
	b   []byte
	off int
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error { return nil }

// WriteTo lets the transport copy the body without an intermediate buffer.
func (r *bodyReader) WriteTo(dst io.Writer) (int64, error) {
	if r.off >= len(r.b) {
		return 0, nil
	}
	n, err := dst.Write(r.b[r.off:])
	r.off += n
	return int64(n), err
}
