package load

import (
	"bufio"
	"bytes"
	"io"
	"sync"
	"syscall"
)

// A connection's read buffer is lent to it only while a response is being
// read. Between requests, and while it waits for a response's first bytes
// (where thousands of connections spend nearly all their time), it holds
// none: the read that finds bytes borrows one, and the end of the response
// gives it back. So however many connections a pass holds, the buffers in
// use are about as many as the responses being parsed at once, and each can
// be h1ReadBuf whatever the connection count.

// h1ReadBuf is the size of a read buffer.
const h1ReadBuf = 4 << 10

// h1Bufs lends read buffers of one size.
type h1Bufs struct {
	size int
	pool sync.Pool // of *[]byte
}

func newH1Bufs(size int) *h1Bufs { return &h1Bufs{size: size} }

func (p *h1Bufs) get() *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, p.size)
	return &b
}

func (p *h1Bufs) put(b *[]byte) { p.pool.Put(b) }

// h1Reader is the buffered reader of a connection: the part of
// bufio.Reader the response parser uses (ReadSlice, Discard, Read,
// Buffered), with a lent buffer. As with bufio, what ReadSlice returns is
// valid until the next read.
type h1Reader struct {
	src io.Reader // the connection
	// rc reads the socket without a buffer until bytes arrive; nil (not a
	// socket, or no raw access): src is read with a buffer held meanwhile.
	rc     syscall.RawConn
	sock   func(fd uintptr) bool // rc's read: made once, so reads allocate nothing
	bufs   *h1Bufs
	bufp   *[]byte // lent while bytes are buffered (or src is being read)
	buf    []byte  // *bufp, or nil
	r, w   int     // buf[r:w] is unread
	err    error   // the error of the last read, returned once the bytes before it are
	n      int     // sock's result
	sockEr error
	// send's state (h1sendsock.go): the request not yet written, how much
	// of it was, and the write's error.
	sendSock func(fd uintptr) bool
	wreq     []byte
	wn       int
	wErr     error
}

func (b *h1Reader) init(src io.Reader, rc syscall.RawConn, bufs *h1Bufs) {
	*b = h1Reader{src: src, rc: rc, bufs: bufs}
	if rc != nil {
		b.sock = b.readSocket
		b.sendSock = b.sendSocket
	}
}

func (b *h1Reader) lend() {
	b.bufp = b.bufs.get()
	b.buf = *b.bufp
}

// release gives the buffer back, dropping whatever it still holds.
func (b *h1Reader) release() {
	if b.bufp != nil {
		b.bufs.put(b.bufp)
	}
	b.bufp, b.buf, b.r, b.w, b.err = nil, nil, 0, 0, nil
}

// Buffered is how many bytes can be read without waiting.
func (b *h1Reader) Buffered() int { return b.w - b.r }

func (b *h1Reader) readErr() error {
	err := b.err
	b.err = nil
	return err
}

// fill reads at least one more byte into the buffer, or records an error.
func (b *h1Reader) fill() {
	if b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	for range 100 {
		n, err := b.read()
		b.w += n
		if err != nil {
			b.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	b.err = io.ErrNoProgress
}

// read reads once into buf[w:], borrowing the buffer if it has none.
func (b *h1Reader) read() (int, error) {
	if b.rc == nil {
		if b.bufp == nil {
			b.lend()
		}
		n, err := b.src.Read(b.buf[b.w:])
		return max(n, 0), err
	}
	if b.w == 0 {
		b.release() // nothing buffered: wait for bytes without a buffer
	}
	b.n, b.sockEr = 0, nil
	if err := b.rc.Read(b.sock); err != nil {
		// The deadline or a close, while waiting: report it as the
		// connection's Read would.
		return 0, rawOp(err, "read")
	}
	if b.sockEr != nil {
		return b.n, b.wrap(b.sockEr)
	}
	return b.n, nil
}

// wrap makes a socket's read error look as the connection's Read would
// have returned it (EOF as is).
func (b *h1Reader) wrap(err error) error {
	if err == io.EOF {
		return err
	}
	return b.wrapOp("read", err)
}

// ReadSlice reads until the first delim and returns the bytes up to and
// including it, as bufio.Reader.ReadSlice does: bufio.ErrBufferFull when
// the buffer fills first.
func (b *h1Reader) ReadSlice(delim byte) ([]byte, error) {
	s := 0 // where the search resumes
	for {
		if i := bytes.IndexByte(b.buf[b.r+s:b.w], delim); i >= 0 {
			line := b.buf[b.r : b.r+s+i+1]
			b.r += s + i + 1
			return line, nil
		}
		if b.err != nil {
			line := b.buf[b.r:b.w]
			b.r = b.w
			return line, b.readErr()
		}
		if b.Buffered() >= b.bufs.size {
			b.r = b.w
			return b.buf, bufio.ErrBufferFull
		}
		s = b.w - b.r
		b.fill()
	}
}

// Discard skips the next n bytes.
func (b *h1Reader) Discard(n int) (int, error) {
	remain := n
	for remain > 0 {
		if b.r == b.w {
			if b.err != nil {
				return n - remain, b.readErr()
			}
			b.fill()
		}
		skip := min(b.Buffered(), remain)
		b.r += skip
		remain -= skip
	}
	return n, nil
}

// Read reads into p what is buffered, or what one read brings.
func (b *h1Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.readErr()
		}
		b.fill()
		if b.r == b.w {
			return 0, b.readErr()
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}
