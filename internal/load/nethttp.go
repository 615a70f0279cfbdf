package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// send sends one request of scenario si, its latency counted from start;
// rb, when not nil, keeps what a flow step's captures read of the response.
func (w *worker) send(ctx context.Context, si int, start time.Time, lag time.Duration, rb *respBuf) outcome {
	sc := w.e.scs[si]
	if w.st != nil {
		w.st.Next()
	}
	if sc.h1 != nil {
		return w.doH1(ctx, sc, start, lag, rb)
	}
	return w.sendNetHTTP(ctx, si, start, rb)
}

// sendNetHTTP is send with net/http. It is a function of its own so that
// its large frame is not on the stack of perfgate-h1's workers.
func (w *worker) sendNetHTTP(ctx context.Context, si int, start time.Time, rb *respBuf) outcome {
	sc := w.e.scs[si]
	nh := w.nh
	// net/http needs a fresh *http.Request per send; a shallow copy of the
	// pass's prepared request (URL parsed once, context bound) is enough.
	req := new(http.Request)
	*req = nh.base[si]
	req.Header = sc.header // shared, read-only
	if sc.path != nil {
		u, err := w.renderURL(sc)
		if err != nil {
			return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: err}
		}
		req.URL = u
	}
	if len(sc.hdrTmpl) > 0 {
		req.Header = sc.header.Clone()
		bufs := w.bufs()
		for _, h := range sc.hdrTmpl {
			var err error
			bufs.hbuf, err = h.t.Append(bufs.hbuf[:0], w.st)
			if err != nil {
				return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render header %s: %w", h.key, err)}
			}
			if h.key == "Host" {
				req.Host = string(bufs.hbuf)
				continue
			}
			req.Header[h.key] = []string{string(bufs.hbuf)}
		}
	}
	switch {
	case sc.body == nil:
	case sc.constBody != nil:
		req.Body, req.GetBody, req.ContentLength = &bodyReader{b: sc.constBody}, sc.getBody, int64(len(sc.constBody))
	default:
		// A fresh buffer per request: the transport may still read a body
		// after the response arrived, so a buffer is never reused.
		b, err := sc.body.Append(make([]byte, 0, nh.bsize+16), w.st)
		if err != nil {
			return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render body: %w", err)}
		}
		nh.bsize = len(b)
		req.Body, req.ContentLength = &bodyReader{b: b}, int64(len(b))
		req.GetBody = func() (io.ReadCloser, error) { return &bodyReader{b: b}, nil }
		if len(b) == 0 {
			req.Body, req.GetBody = http.NoBody, nil
		}
	}
	dl := nh.dl
	dl.timer.Reset(w.e.timeout)
	resp, err := w.e.rt.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
		if nh.proto != resp.Proto {
			nh.proto = resp.Proto
		}
		if rb != nil {
			err = rb.readStd(resp)
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
	}
	lat := time.Since(start)
	timedOut := !dl.timer.Stop() && dl.fired.Load()
	if timedOut {
		w.renew(ctx) // this deadline's context is spent
	}
	if err != nil && ctx.Err() != nil {
		// Aborted by cancellation: not a measurement of the service.
		w.p.canceled.Add(1)
		return outcome{canceled: true}
	}
	class := metrics.Classify(err)
	if err != nil && timedOut {
		class = metrics.ClassTimeout
		err = &timeoutError{timeout: w.e.timeout, err: err}
	}
	if err == nil && !sc.expected(status) {
		class = metrics.ClassStatus
	}
	return outcome{lat: lat, status: status, class: class, err: err}
}

// renderURL renders a templated scenario URL for net/http.
func (w *worker) renderURL(sc *scenario) (*url.URL, error) {
	var err error
	bufs := w.bufs()
	bufs.ubuf, err = sc.path.Append(bufs.ubuf[:0], w.st)
	if err != nil {
		return nil, fmt.Errorf("render url: %w", err)
	}
	bufs.ubuf2 = tmpl.AppendPathEscaped(bufs.ubuf2[:0], bufs.ubuf)
	u, err := url.ParseRequestURI(string(bufs.ubuf2))
	if err != nil {
		return nil, fmt.Errorf("render url: %q is not a valid path and query: %v", bufs.ubuf2, err)
	}
	u.Scheme, u.Host = sc.url.Scheme, sc.url.Host
	return u, nil
}
