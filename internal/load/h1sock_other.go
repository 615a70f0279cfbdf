//go:build !unix

package load

import "syscall"

// peekIdle cannot check the socket here: the connection is assumed usable,
// and a request the server never answers is recorded as an error.
func peekIdle(uintptr, []byte) bool { return true }

// rawReads gives no raw reads here: the connection is read with its buffer
// held while it waits.
func rawReads(syscall.RawConn) syscall.RawConn { return nil }

// readSocket is never called (see rawReads).
func (b *h1Reader) readSocket(uintptr) bool { return true }

// sendSocket is never called (see rawReads).
func (b *h1Reader) sendSocket(uintptr) bool { return true }
