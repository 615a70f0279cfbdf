//go:build unix

package load

import "syscall"

// peekIdle reports whether the idle socket fd has nothing to read and is
// still open. The socket is non-blocking (Go's poller), so the peek returns
// at once: EAGAIN means alive; 0 bytes (EOF), data or an error mean not.
func peekIdle(fd uintptr, b []byte) bool {
	_, _, err := syscall.Recvfrom(int(fd), b, syscall.MSG_PEEK)
	return err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
}
