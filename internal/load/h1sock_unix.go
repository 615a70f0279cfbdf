//go:build unix

package load

import (
	"io"
	"syscall"
)

// peekIdle reports whether the idle socket fd has nothing to read and is
// still open. The socket is non-blocking (Go's poller), so the peek returns
// at once: EAGAIN means alive; 0 bytes (EOF), data or an error mean not.
func peekIdle(fd uintptr, b []byte) bool {
	_, _, err := syscall.Recvfrom(int(fd), b, syscall.MSG_PEEK)
	return err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
}

// rawReads is rc when the socket can be read through it (h1Reader.readSocket).
func rawReads(rc syscall.RawConn) syscall.RawConn { return rc }

// readSocket is rc's read: bytes are there (or the socket failed) when it
// returns true; false makes rc wait until the socket is readable.
func (b *h1Reader) readSocket(fd uintptr) bool {
	if b.bufp == nil {
		b.lend()
	}
	for {
		n, err := rawRead(fd, b.buf[b.w:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			if b.w == 0 {
				b.release()
			}
			return false
		case err != nil:
			b.n, b.sockEr = 0, err
		case n == 0:
			b.n, b.sockEr = 0, io.EOF
		default:
			b.n = n
		}
		return true
	}
}

// sendSocket is send's callback: it writes the request on its first call
// and returns false to wait for the response; then it reads (sock).
// It returns true at once when the write fails or is partial.
func (b *h1Reader) sendSocket(fd uintptr) bool {
	if b.wreq == nil {
		return b.sock(fd)
	}
	for b.wn < len(b.wreq) {
		n, err := rawWrite(fd, b.wreq[b.wn:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			return true // partial: send finishes it with the connection's Write
		case err != nil:
			b.wErr = err
			return true
		}
		b.wn += n
	}
	b.wreq = nil
	return false
}
