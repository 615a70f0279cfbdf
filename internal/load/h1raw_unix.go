//go:build unix && !linux

package load

import "syscall"

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket
// (see h1raw_linux.go); elsewhere they go through syscall's bookkeeping.
func rawRead(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }

func rawWrite(fd uintptr, p []byte) (int, error) { return syscall.Write(int(fd), p) }
