package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// addTarget pre-serializes a scenario's request.
func (c *h1Client) addTarget(sc *scenario) (*h1Target, error) {
	u := sc.url
	port := u.Port()
	if port == "" {
		port = "80"
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	ai := -1
	for i, a := range c.addrs {
		if a == addr {
			ai = i
		}
	}
	if ai < 0 {
		ai = len(c.addrs)
		c.addrs = append(c.addrs, addr)
		c.idle = append(c.idle, nil)
	}
	t := &h1Target{addr: ai, noBody: sc.method == http.MethodHead}
	switch sc.method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		t.replayable = true
	}
	switch sc.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		t.head2 = true
	}
	b := make([]byte, 0, 256)
	if sc.path != nil {
		t.method = append([]byte(sc.method), ' ')
	} else {
		b = append(b, sc.method...)
		b = append(b, ' ')
		b = append(b, u.RequestURI()...)
		b = append(b, " HTTP/1.1\r\n"...)
	}
	for _, h := range sc.hdrTmpl {
		if h.key == "Host" {
			t.hostTmpl = true
		}
	}
	if !t.hostTmpl {
		host := sc.host
		if host == "" {
			host = u.Host
		}
		if !validHeaderValue(host) {
			return nil, fmt.Errorf("scenario %q: invalid Host %q", sc.name, host)
		}
		b = append(b, "Host: "...)
		b = append(b, host...)
		b = append(b, "\r\n"...)
	}
	keys := make([]string, 0, len(sc.header))
	for k := range sc.header {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		if k == "Content-Length" || k == "Transfer-Encoding" {
			continue // perfgate frames the request itself
		}
		for _, v := range sc.header[k] {
			if !validHeaderValue(v) {
				return nil, fmt.Errorf("scenario %q: header %s: invalid value %q", sc.name, k, v)
			}
			if k == "Connection" && hasToken([]byte(v), "close") {
				t.closeAfter = true
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if !c.keepAlive && !t.closeAfter {
		b = append(b, "Connection: close\r\n"...)
	}
	t.head = b
	if sc.path == nil && len(sc.hdrTmpl) == 0 && (sc.body == nil || sc.constBody != nil) {
		t.full = t.render(nil, sc.constBody)
	}
	return t, nil
}

// render appends the end of the request (framing and body) to b, which
// already holds head and the templated headers.
func (t *h1Target) render(b, body []byte) []byte {
	if b == nil {
		b = append(make([]byte, 0, len(t.head)+len(body)+32), t.head...)
	}
	if len(body) > 0 || t.head2 {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return true
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// retryable marks a failure on a reused connection before any response
// byte where sending the request again on a new connection is safe: nothing
// was written, or the method is replayable. The server had likely closed
// the connection while idle.
type retryable struct{ err error }

func (e *retryable) Error() string { return e.err.Error() }

func (e *retryable) Unwrap() error { return e.err }

// roundTrip writes req on cn and reads the response. It reports the status
// and whether cn must be closed afterwards (cn.close). The read buffer is
// given back at the end: the connection holds none between requests.
func (cn *h1Conn) roundTrip(req []byte, head, replayable bool, rb *respBuf) (int, error) {
	if n, err := cn.br.send(cn.nc, req); err != nil {
		cn.close = true
		if cn.reqs > 0 && (n == 0 || replayable) {
			return 0, &retryable{err}
		}
		return 0, err
	}
	status, err := cn.readResponse(head, rb)
	if cn.br.Buffered() > 0 {
		// Bytes past the end of the response (a body longer than its
		// Content-Length, an unsolicited response): they would be taken
		// for the next request's response, so the connection is unusable.
		cn.close = true
	}
	cn.br.release()
	if err != nil {
		cn.close = true
		var r *retryable
		if !replayable && errors.As(err, &r) {
			// The server may have received and acted on it: sending it
			// again would hide the failure and double its work.
			err = r.err
		}
		return status, err
	}
	cn.reqs++
	return status, nil
}

// doH1 sends one request of scenario sc with perfgate's HTTP/1.1 client,
// its latency counted from start; rb, when not nil, keeps what a flow
// step's captures read of the response.
func (w *worker) doH1(ctx context.Context, sc *scenario, start time.Time, lag time.Duration, rb *respBuf) outcome {
	t := sc.h1
	req := t.full
	if req == nil {
		bufs := w.bufs()
		b := bufs.wbuf[:0]
		if sc.path != nil {
			var err error
			bufs.ubuf, err = sc.path.Append(bufs.ubuf[:0], w.st)
			if err != nil {
				return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render url: %w", err)}
			}
			b = append(b, t.method...)
			b = tmpl.AppendPathEscaped(b, bufs.ubuf)
			b = append(b, " HTTP/1.1\r\n"...)
		}
		b = append(b, t.head...)
		for _, h := range sc.hdrTmpl {
			b = append(b, h.key...)
			b = append(b, ": "...)
			n := len(b)
			var err error
			b, err = h.t.Append(b, w.st)
			if err == nil && !validHeaderBytes(b[n:]) {
				err = errors.New("the rendered value contains CR, LF or NUL")
			}
			if err != nil {
				bufs.wbuf = b[:0]
				return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render header %s: %w", h.key, err)}
			}
			b = append(b, "\r\n"...)
		}
		var body []byte
		switch {
		case sc.constBody != nil:
			body = sc.constBody
		case sc.body != nil:
			var err error
			bufs.bbuf, err = sc.body.Append(bufs.bbuf[:0], w.st)
			if err != nil {
				bufs.wbuf = b[:0]
				return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render body: %w", err)}
			}
			body = bufs.bbuf
		}
		b = t.render(b, body)
		bufs.wbuf = b
		req = b
	}
	c := w.e.h1
	if w.conns == nil {
		w.conns = make([]*h1Conn, len(c.addrs))
	}
	ai := t.addr
	var deadline time.Time
	if lag < 0 { // closed model: start is now
		deadline = start.Add(w.e.timeout)
	} else {
		deadline = time.Now().Add(w.e.timeout)
	}
	status := 0
	var err error
	for attempt := 0; ; attempt++ {
		cn := w.conns[ai]
		w.conns[ai] = nil
		if cn == nil && attempt == 0 { // a retry dials: other idle connections may be stale too
			cn = c.get(ai)
		}
		for cn != nil && cn.reqs > 0 && !t.replayable && !cn.usable() {
			// Closed while idle: find out before sending a request that
			// cannot be sent twice.
			cn.nc.Close()
			cn = c.get(ai)
		}
		if cn == nil {
			if cn, err = c.dial(ctx, ai, deadline); err != nil {
				break
			}
		}
		w.active.Store(cn)
		_ = cn.nc.SetDeadline(deadline)
		if w.p.stop.Load() { // cancelled: the abort may have missed this connection
			cn.nc.Close()
			w.p.canceled.Add(1)
			return outcome{canceled: true}
		}
		status, err = cn.roundTrip(req, t.noBody, t.replayable, rb)
		if err != nil {
			cn.nc.Close()
			var r *retryable
			if errors.As(err, &r) {
				err = r.err
				if attempt == 0 && !w.p.stop.Load() {
					continue // the server closed the idle connection: send again on a new one
				}
			}
			break
		}
		switch {
		case cn.close || !c.keepAlive || t.closeAfter:
			cn.nc.Close()
		case w.e.opt.Model == Open && !w.inFlow:
			c.put(cn) // open model: workers share connections, as in-flight requests come and go
		default:
			w.conns[ai] = cn
		}
		break
	}
	lat := time.Since(start)
	if err != nil && (w.p.stop.Load() || ctx.Err() != nil) {
		w.p.canceled.Add(1) // aborted by cancellation: not a measurement
		return outcome{canceled: true}
	}
	class := metrics.ClassNone
	if err != nil {
		class = metrics.Classify(err)
		if class == metrics.ClassTimeout {
			err = &timeoutError{timeout: w.e.timeout, err: err}
		}
	} else if !sc.expected(status) {
		class = metrics.ClassStatus
	}
	return outcome{lat: lat, status: status, class: class, err: err}
}

func validHeaderBytes(v []byte) bool {
	for _, c := range v {
		if c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return true
}
