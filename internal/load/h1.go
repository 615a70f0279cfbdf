package load

import (
	"context"
	"net"
	"sync"
	"syscall"
	"time"
)

// perfgate's own HTTP/1.1 client (the "fast path").
//
// It sends one request at a time over a connection it owns, so there is no
// pool hand-off, no per-request goroutine and no *http.Request: what does
// not change between requests (request line, Host, constant headers,
// constant body) is serialized once per scenario, and what does (templated
// headers and bodies) is appended to a per-worker buffer. The request is
// written with one write; the response is parsed straight from the
// connection's read buffer (status line, Content-Length, chunked,
// Connection: close, HTTP/1.0), a buffer lent only while a response is read
// (h1buf.go), and its body discarded. The client timeout is the
// connection's deadline. New picks it for plain http:// without HTTP/2 or a
// custom Transport, and net/http otherwise (see Options.HTTPClient).

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
	bufs      *h1Bufs       // the connections' read buffers (h1buf.go)
}

type h1Conn struct {
	nc net.Conn
	rc syscall.RawConn // for the liveness check; nil if unavailable
	// peek runs the liveness check on the socket; made once per connection
	// so the check allocates nothing.
	peek   func(fd uintptr) bool
	peekOK bool
	peekB  [1]byte
	br     h1Reader
	addr   int
	reqs   int // requests completed on it
	close  bool
}

func newH1Client(dial time.Duration, keepAlive bool) *h1Client {
	return &h1Client{dialer: net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}, keepAlive: keepAlive, bufs: newH1Bufs(h1ReadBuf), dials: make(chan struct{}, h1Dials)}
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
	cn := &h1Conn{nc: nc, addr: ai}
	if sc, ok := nc.(syscall.Conn); ok {
		cn.rc, _ = sc.SyscallConn()
		cn.peek = func(fd uintptr) bool {
			cn.peekOK = peekIdle(fd, cn.peekB[:])
			return true
		}
	}
	cn.br.init(nc, rawReads(cn.rc), c.bufs)
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
