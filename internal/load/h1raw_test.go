//go:build unix

package load

import (
	"bytes"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// rawRead and rawWrite behave as syscall.Read and syscall.Write on a
// non-blocking socket: data both ways, EAGAIN when there is nothing to
// read or no room to write, a write larger than the raw limit taken in
// part, and the error of a reset connection.
func TestRawReadWrite(t *testing.T) {
	got := make(chan []byte, 1)
	release := make(chan struct{})
	cn := dialTest(t, func(c net.Conn) {
		b := make([]byte, 5)
		if _, err := io.ReadFull(c, b); err != nil {
			got <- nil
			return
		}
		got <- b
		_, _ = c.Write([]byte("world"))
		<-release // read nothing more: the client's buffer fills
		c.(*net.TCPConn).SetLinger(0)
	})
	rc, err := cn.nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	if err := rc.Control(func(f uintptr) { fd = f }); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 64)
	if n, err := rawRead(fd, buf); err != syscall.EAGAIN || n > 0 {
		t.Errorf("read of an empty socket = %d, %v; want EAGAIN", n, err)
	}
	if n, err := rawWrite(fd, []byte("hello")); n != 5 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	if b := <-got; string(b) != "hello" {
		t.Fatalf("server read %q", b)
	}
	deadline := time.Now().Add(5 * time.Second)
	var n int
	for n == 0 && time.Now().Before(deadline) {
		if n, err = rawRead(fd, buf); err == syscall.EAGAIN {
			n = 0
			time.Sleep(time.Millisecond)
		}
	}
	if string(buf[:n]) != "world" {
		t.Errorf("read %q (%v), want world", buf[:n], err)
	}
	if n, err := rawWrite(fd, nil); n != 0 || err != nil {
		t.Errorf("empty write = %d, %v", n, err)
	}

	// Fill the socket with raw writes (below the limit), then one above it.
	chunk := bytes.Repeat([]byte("x"), rawWriteMax/2)
	full := false
	for i := 0; i < 10000 && !full; i++ {
		if _, err := rawWrite(fd, chunk); err == syscall.EAGAIN {
			full = true
		} else if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if !full {
		t.Fatal("the socket never filled")
	}
	if n, err := rawWrite(fd, bytes.Repeat([]byte("y"), 4*rawWriteMax)); err != syscall.EAGAIN || n > 0 {
		t.Errorf("large write to a full socket = %d, %v; want EAGAIN", n, err)
	}

	close(release) // the server resets the connection
	deadline = time.Now().Add(5 * time.Second)
	for err = nil; err == nil || err == syscall.EAGAIN; {
		_, err = rawRead(fd, buf)
		if time.Now().After(deadline) {
			t.Fatal("no error from a reset connection within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	if err != syscall.ECONNRESET {
		t.Errorf("read of a reset connection: %v, want ECONNRESET", err)
	}
}
