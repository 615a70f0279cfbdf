package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// perfgate's own HTTP/1.1 client (the "fast path").
//
// It sends one request at a time over a connection it owns, so there is no
// pool hand-off, no per-request goroutine and no *http.Request: what does
// not change between requests (request line, Host, constant headers,
// constant body) is serialized once per scenario, and what does (templated
// headers and bodies) is appended to a per-worker buffer. The request is
// written with one write; the response is parsed straight from a bufio
// reader (status line, Content-Length, chunked, Connection: close,
// HTTP/1.0) and its body discarded. The client timeout is the connection's
// deadline. New picks it for plain http:// without HTTP/2 or a custom
// Transport, and net/http otherwise (see Options.HTTPClient).

// The read buffer per connection: thousands of connections must stay
// cheap, so its size shrinks from h1ReadBuf to h1ReadBufMin as connections
// grow past h1ReadBufs/h1ReadBuf; longer header lines are read in pieces
// (kept whole for captures), longer bodies in several reads.
const (
	h1ReadBuf    = 4 << 10
	h1ReadBufMin = 1 << 10
	h1ReadBufs   = 10 << 20 // the read buffers of all connections together
)

// h1ReadBufSize is the read buffer of each of conns connections.
func h1ReadBufSize(conns int) int {
	return min(h1ReadBuf, max(h1ReadBufMin, h1ReadBufs/max(conns, 1)))
}

// h1MaxHeader bounds a response's header (as net/http's MaxResponseHeaderBytes).
const h1MaxHeader = 1 << 20

// h1Target is one scenario's request, pre-serialized.
type h1Target struct {
	addr int    // index into h1Client.addrs
	head []byte // request line, Host (unless templated), constant headers, Connection
	// method is "GET " etc. when the path is a template: head then starts
	// after the request line, which is rendered per request.
	method []byte
	// full is the whole request when nothing in it varies; nil otherwise.
	full   []byte
	head2  bool // method wants Content-Length: 0 without a body (POST, PUT, PATCH)
	noBody bool // HEAD: the response has no body
	// replayable: the method is safe to send again after the server may
	// have received it (GET, HEAD, OPTIONS, TRACE, as net/http).
	replayable bool
	hostTmpl   bool // the Host header is a template
	// closeAfter: the user's Connection header says close: the connection
	// is closed after each response, as net/http does.
	closeAfter bool
}

// h1Client holds the dialer, the addresses and the idle connections
// (shared by passes, closed by Engine.Close).
type h1Client struct {
	dialer    net.Dialer
	addrs     []string
	keepAlive bool
	mu        sync.Mutex
	idle      [][]*h1Conn   // per address, LIFO
	dials     chan struct{} // a slot per dial in flight
	readBuf   int           // a connection's read buffer (h1ReadBufSize)
}

type h1Conn struct {
	nc net.Conn
	rc syscall.RawConn // for the liveness check; nil if unavailable
	// peek runs the liveness check on the socket; made once per connection
	// so the check allocates nothing.
	peek   func(fd uintptr) bool
	peekOK bool
	peekB  [1]byte
	br     *bufio.Reader
	addr   int
	reqs   int // requests completed on it
	close  bool
}

func newH1Client(dial time.Duration, keepAlive bool, conns int) *h1Client {
	return &h1Client{dialer: net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}, keepAlive: keepAlive, readBuf: h1ReadBufSize(conns), dials: make(chan struct{}, h1Dials)}
}

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

// get returns an idle connection to address ai, or nil.
func (c *h1Client) get(ai int) *h1Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.idle[ai]
	if n := len(l); n > 0 {
		cn := l[n-1]
		l[n-1] = nil
		c.idle[ai] = l[:n-1]
		return cn
	}
	return nil
}

// put keeps a reusable connection for later requests (and passes).
func (c *h1Client) put(cn *h1Conn) {
	if cn == nil {
		return
	}
	if cn.close || !c.keepAlive {
		cn.nc.Close()
		return
	}
	c.mu.Lock()
	c.idle[cn.addr] = append(c.idle[cn.addr], cn)
	c.mu.Unlock()
}

func (c *h1Client) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, l := range c.idle {
		for _, cn := range l {
			cn.nc.Close()
		}
		c.idle[i] = nil
	}
}

// h1Dials bounds the dials in flight (see h1Client.dial).
const h1Dials = 256

// dial connects to address ai. The dial runs on a goroutine of its own, at
// most h1Dials at once: net's dial path is deep, and run on the worker's
// goroutine it would double that stack for good (8 KB instead of 4 KB, 40
// MB at 10,000 workers); unbounded, thousands of workers starting together
// would hold as many dialing stacks at once.
func (c *h1Client) dial(ctx context.Context, ai int, deadline time.Time) (*h1Conn, error) {
	select {
	case c.dials <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	type dialed struct {
		nc  net.Conn
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		defer func() { <-c.dials }()
		d := c.dialer
		d.Deadline = deadline
		nc, err := d.DialContext(ctx, "tcp", c.addrs[ai])
		ch <- dialed{nc, err}
	}()
	r := <-ch
	nc, err := r.nc, r.err
	if err != nil {
		return nil, err
	}
	cn := &h1Conn{nc: nc, br: bufio.NewReaderSize(nc, c.readBuf), addr: ai}
	if sc, ok := nc.(syscall.Conn); ok {
		cn.rc, _ = sc.SyscallConn()
		cn.peek = func(fd uintptr) bool {
			cn.peekOK = peekIdle(fd, cn.peekB[:])
			return true
		}
	}
	return cn, nil
}

// usable reports whether a reused idle connection can carry a request
// that must not be sent twice: the server has not closed it (EOF, reset)
// and has sent nothing unsolicited. It costs one non-blocking peek.
func (cn *h1Conn) usable() bool {
	if cn.br.Buffered() > 0 {
		return false
	}
	if cn.rc == nil {
		return true
	}
	cn.peekOK = false
	if err := cn.rc.Read(cn.peek); err != nil {
		return false
	}
	return cn.peekOK
}

// errH1Protocol is a response perfgate's client cannot parse.
type h1ProtocolError struct{ msg string }

func (e *h1ProtocolError) Error() string { return "malformed HTTP response: " + e.msg }

// retryable marks a failure on a reused connection before any response
// byte where sending the request again on a new connection is safe: nothing
// was written, or the method is replayable. The server had likely closed
// the connection while idle.
type retryable struct{ err error }

func (e *retryable) Error() string { return e.err.Error() }
func (e *retryable) Unwrap() error { return e.err }

// roundTrip writes req on cn and reads the response. It reports the status
// and whether cn must be closed afterwards.
func (cn *h1Conn) roundTrip(req []byte, head, replayable bool, rb *respBuf) (int, error) {
	if n, err := cn.nc.Write(req); err != nil {
		cn.close = true
		if cn.reqs > 0 && (n == 0 || replayable) {
			return 0, &retryable{err}
		}
		return 0, err
	}
	status, err := cn.readResponse(head, rb)
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
	if cn.br.Buffered() > 0 {
		// Bytes past the end of the response (a body longer than its
		// Content-Length, an unsolicited response): they would be taken
		// for the next request's response, so the connection is unusable.
		cn.close = true
	}
	return status, nil
}

func (cn *h1Conn) readResponse(head bool, rb *respBuf) (int, error) {
	br := cn.br
	for {
		rb.reset()
		line, err := br.ReadSlice('\n')
		if err != nil {
			if len(line) == 0 && cn.reqs > 0 && (errors.Is(err, io.EOF) || isReset(err)) {
				return 0, &retryable{err}
			}
			if errors.Is(err, io.EOF) && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return 0, &h1ProtocolError{"status line too long"}
			}
			return 0, err
		}
		// The shortest is "HTTP/1.1 200\n": a bare LF ends a line too.
		if len(line) < 13 || string(line[:7]) != "HTTP/1." || line[8] != ' ' {
			return 0, &h1ProtocolError{fmt.Sprintf("status line %q", trimCRLF(line))}
		}
		http10 := line[7] == '0'
		status := 0
		for _, d := range line[9:12] {
			if d < '0' || d > '9' {
				return 0, &h1ProtocolError{fmt.Sprintf("status line %q", trimCRLF(line))}
			}
			status = status*10 + int(d-'0')
		}
		if status < 100 || (len(line) > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n') {
			return 0, &h1ProtocolError{fmt.Sprintf("status line %q", trimCRLF(line))}
		}
		clen, chunked, connClose, keepAlive, err := cn.readHeader(rb)
		if err != nil {
			return status, err
		}
		keep := rb
		if rb != nil && !rb.wantBody {
			keep = nil // the body is discarded
		}
		if status >= 100 && status < 200 && status != 101 {
			continue // 100 Continue, 103 Early Hints: the response follows
		}
		if connClose || (http10 && !keepAlive) || status == 101 {
			cn.close = true
		}
		switch {
		case head || status == 204 || status == 304 || (status >= 100 && status < 200):
		case chunked:
			if err := cn.readChunked(keep); err != nil {
				return status, err
			}
		case clen >= 0:
			if err := keep.keep(br, clen); err != nil {
				return status, unexpectedEOF(err)
			}
		default: // delimited by the end of the connection
			cn.close = true
			if err := keep.keep(br, -1); err != nil {
				return status, err
			}
		}
		return status, nil
	}
}

func (cn *h1Conn) readHeader(rb *respBuf) (clen int64, chunked, connClose, keepAlive bool, err error) {
	br := cn.br
	clen = -1
	total := 0
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if total > h1MaxHeader {
			return 0, false, false, false, &h1ProtocolError{"header larger than 1 MB"}
		}
		long := errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !long {
			return 0, false, false, false, unexpectedEOF(err)
		}
		if !long && (len(line) == 2 && line[0] == '\r' || len(line) == 1) {
			return clen, chunked, connClose, keepAlive, nil
		}
		keepHdr := rb != nil && rb.wantHdr
		if keepHdr {
			rb.hdr = append(rb.hdr, line...) // a long line: its first piece
		}
		if i := bytes.IndexByte(line, ':'); i > 0 {
			name, val := line[:i], bytes.TrimSpace(line[i+1:])
			switch {
			case len(name) == 14 && bytes.EqualFold(name, []byte("Content-Length")):
				n, perr := strconv.ParseInt(string(val), 10, 64)
				if perr != nil || n < 0 {
					return 0, false, false, false, &h1ProtocolError{fmt.Sprintf("Content-Length %q", val)}
				}
				if clen >= 0 && n != clen {
					// Which one frames the body is ambiguous: reading by
					// either may desynchronize the connection.
					return 0, false, false, false, &h1ProtocolError{fmt.Sprintf("conflicting Content-Length %d and %d", clen, n)}
				}
				clen = n
			case len(name) == 17 && bytes.EqualFold(name, []byte("Transfer-Encoding")):
				chunked = hasToken(val, "chunked")
			case len(name) == 10 && bytes.EqualFold(name, []byte("Connection")):
				connClose = connClose || hasToken(val, "close")
				keepAlive = keepAlive || hasToken(val, "keep-alive")
			}
		}
		for long { // the rest of a line longer than the buffer: kept for captures, else skipped
			line, err = br.ReadSlice('\n')
			if keepHdr {
				rb.hdr = append(rb.hdr, line...)
			}
			total += len(line)
			if total > h1MaxHeader {
				return 0, false, false, false, &h1ProtocolError{"header larger than 1 MB"}
			}
			long = errors.Is(err, bufio.ErrBufferFull)
			if err != nil && !long {
				return 0, false, false, false, unexpectedEOF(err)
			}
		}
	}
}

func (cn *h1Conn) readChunked(rb *respBuf) error {
	br := cn.br
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return unexpectedEOF(err)
		}
		var size int64
		digits := 0
		for _, c := range line {
			var v byte
			switch {
			case c >= '0' && c <= '9':
				v = c - '0'
			case c >= 'a' && c <= 'f':
				v = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v = c - 'A' + 10
			default:
				goto done
			}
			size = size<<4 | int64(v)
			digits++
			if digits > 15 {
				return &h1ProtocolError{"chunk size too large"}
			}
		}
	done:
		if digits == 0 {
			return &h1ProtocolError{fmt.Sprintf("chunk size line %q", trimCRLF(line))}
		}
		if size == 0 {
			_, _, _, _, err := cn.readHeader(nil) // trailers, then the blank line
			return err
		}
		if err := rb.keep(br, size); err != nil {
			return unexpectedEOF(err)
		}
		if _, err := br.Discard(2); err != nil {
			return unexpectedEOF(err)
		}
	}
}

func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var part []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			part, v = v[:i], v[i+1:]
		} else {
			part, v = v, nil
		}
		if bytes.EqualFold(bytes.TrimSpace(part), []byte(tok)) {
			return true
		}
	}
	return false
}

func trimCRLF(b []byte) []byte { return bytes.TrimRight(b, "\r\n") }

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// doH1 sends one request of scenario sc with perfgate's HTTP/1.1 client,
// its latency counted from start; rb, when not nil, keeps what a flow
// step's captures read of the response.
func (w *worker) doH1(ctx context.Context, sc *scenario, start time.Time, lag time.Duration, rb *respBuf) outcome {
	t := sc.h1
	req := t.full
	if req == nil {
		b := w.wbuf[:0]
		if sc.path != nil {
			var err error
			w.ubuf, err = sc.path.Append(w.ubuf[:0], w.st)
			if err != nil {
				return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render url: %w", err)}
			}
			b = append(b, t.method...)
			b = tmpl.AppendPathEscaped(b, w.ubuf)
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
				w.wbuf = b[:0]
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
			w.bbuf, err = sc.body.Append(w.bbuf[:0], w.st)
			if err != nil {
				w.wbuf = b[:0]
				return outcome{lat: time.Since(start), status: 0, class: metrics.ClassClient, err: fmt.Errorf("render body: %w", err)}
			}
			body = w.bbuf
		}
		b = t.render(b, body)
		w.wbuf = b
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
