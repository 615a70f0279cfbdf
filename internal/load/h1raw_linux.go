package load

import (
	"syscall"
	"unsafe"
)

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket,
// without the scheduler's system-call bookkeeping: such a call never
// sleeps, so its P need not be handed off. The bookkeeping is not free:
// with few connections the P is often idle, the runtime's monitor thread
// then sleeps, and every system call entered through syscall.Syscall wakes
// it (a futex wake, a nanosleep and a yield on that thread per request).
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
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}
