package load

import (
	"errors"
	"io"
	"net"
	"os"
)

// send writes a request to conn, the reader's connection, and waits for
// its response's first bytes in one wait on the socket, without the read
// that would find nothing yet.
//
// Written with the connection's Write and then read, each request costs
// three system calls: the write, a read that finds the socket empty (the
// server has not answered yet) and, once the poller says it is readable,
// the read that brings the response. send writes from inside the raw
// read's callback instead: the poller's readiness is reset before the
// callback runs, so a response, which can only arrive after the write,
// wakes the wait; the callback's next call reads it. The first read is
// saved, about a third of the client's system calls.
//
// It returns how much of req was written and the write's error. A read
// error or the deadline while waiting for the response is kept for the
// parser to find, as the connection's reads report it. When the socket
// takes only part of req at once (a large body), the rest is written with
// the connection's Write and the response read as usual.
func (b *h1Reader) send(conn io.Writer, req []byte) (int, error) {
	if b.rc == nil || b.bufp != nil || b.err != nil {
		return conn.Write(req)
	}
	b.wreq, b.wn, b.wErr = req, 0, nil
	b.n, b.sockEr = 0, nil
	err := b.rc.Read(b.sendSock)
	pending := b.wreq
	b.wreq = nil
	switch {
	case b.wErr != nil:
		return b.wn, b.wrapOp("write", b.wErr)
	case err != nil && pending != nil:
		// Not written at all (the deadline had passed, or the connection
		// was closed): report it as the connection's Write would.
		return b.wn, rawOp(err, "write")
	case err != nil:
		b.err = rawOp(err, "read")
		return b.wn, nil
	case pending != nil && b.wn < len(pending):
		// The socket's buffer is full: the rest waits for it to drain.
		n, err := conn.Write(pending[b.wn:])
		return b.wn + n, err
	}
	b.w += b.n
	if b.sockEr != nil {
		b.err = b.wrap(b.sockEr)
	}
	return b.wn, nil
}

// wrapOp is wrap for the operation op.
func (b *h1Reader) wrapOp(op string, err error) error {
	e := &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, err)}
	if c, ok := b.src.(net.Conn); ok {
		e.Source, e.Addr = c.LocalAddr(), c.RemoteAddr()
	}
	return e
}

// rawOp names a raw-read error (the deadline, a closed connection) after op,
// as the connection's Read or Write would have.
func rawOp(err error, op string) error {
	var e *net.OpError
	if errors.As(err, &e) && e.Op == "raw-read" {
		e.Op = op
	}
	return err
}
