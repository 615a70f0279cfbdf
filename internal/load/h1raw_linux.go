package load

import (
	"syscall"
	"unsafe"
)

// rawWriteMax is the largest write made without the scheduler's
// system-call bookkeeping; a larger one (a big request body) copies long
// enough that its P should be free to hand off, and is rare enough that
// the bookkeeping costs nothing that shows.
const rawWriteMax = 64 << 10

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket,
// without the scheduler's system-call bookkeeping (syscall.RawSyscall).
//
// Such a call never sleeps: it copies what the socket holds, or what its
// buffer takes, and returns, so its P need not be handed off while it
// runs. The bookkeeping is not free: with few connections the P is idle
// between responses, the runtime's monitor thread then sleeps, and every
// call entered through syscall.Syscall wakes it (at 1 connection, per
// request: 0.65 futex calls, 0.33 nanosleeps, 0.32 yields and 2.3 context
// switches, against 1.0 with raw calls), which costs about a quarter of the
// client's CPU there and half again on its median latency.
func rawRead(fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return syscall.Read(int(fd), p)
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

func rawWrite(fd uintptr, p []byte) (int, error) {
	switch {
	case len(p) == 0:
		return 0, nil
	case len(p) > rawWriteMax:
		return syscall.Write(int(fd), p)
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}
