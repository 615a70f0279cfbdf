package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dialTest connects perfgate-h1 to a server that serve runs on each
// accepted connection.
func dialTest(t *testing.T, serve func(net.Conn)) *h1Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	c := newH1Client(time.Second, true)
	c.addrs, c.idle = []string{ln.Addr().String()}, make([][]*h1Conn, 1)
	cn, err := c.dial(context.Background(), 0, time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cn.nc.Close() })
	_ = cn.nc.SetDeadline(time.Now().Add(5 * time.Second))
	return cn
}

// needRawReads skips a test of the socket's raw reads where there are none.
func needRawReads(t *testing.T, cn *h1Conn) {
	if cn.br.rc == nil {
		t.Skip("no raw reads on this platform")
	}
}

// A request is written inside the wait for its response: the socket is
// read only once the response is there (no read that finds it empty), and
// a response that comes late still wakes the wait.
func TestH1SendWaitsWithoutEmptyRead(t *testing.T) {
	for _, delay := range []time.Duration{0, 30 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			cn := dialTest(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				for i := 0; i < 3; i++ {
					if _, err := readRequest(br); err != nil {
						return
					}
					time.Sleep(delay)
					if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
						return
					}
				}
			})
			needRawReads(t, cn)
			var reads, empty int
			inner := cn.br.sock
			cn.br.sock = func(fd uintptr) bool {
				reads++
				ok := inner(fd)
				if !ok {
					empty++
				}
				return ok
			}
			for i := 0; i < 3; i++ {
				begin := time.Now()
				status, err := cn.roundTrip([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, true, nil)
				if err != nil || status != 200 {
					t.Fatalf("request %d: status %d, err %v", i, status, err)
				}
				if d := time.Since(begin); d > 2*time.Second {
					t.Fatalf("request %d took %v: the response did not wake the wait", i, d)
				}
			}
			if reads < 3 {
				t.Fatalf("%d socket reads for 3 responses: the test proves nothing", reads)
			}
			if empty > 0 {
				t.Fatalf("%d of %d socket reads found nothing: the request was not written inside the wait", empty, reads)
			}
		})
	}
}

// readRequest reads one request's header and Content-Length body; it
// returns the body's length.
func readRequest(br *bufio.Reader) (int, error) {
	clen := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			clen, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	n, err := io.CopyN(io.Discard, br, int64(clen))
	return int(n), err
}

// A request larger than the socket takes at once (a server slow to read a
// large body) is written whole, and its response read.
func TestH1SendLargeRequest(t *testing.T) {
	const size = 16 << 20
	got := make(chan int, 1)
	cn := dialTest(t, func(c net.Conn) {
		time.Sleep(50 * time.Millisecond) // the client's send buffer fills first
		n, err := readRequest(bufio.NewReader(c))
		got <- n
		if err == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
		}
	})
	body := strings.Repeat("x", size)
	req := []byte(fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", size, body))
	status, err := cn.roundTrip(req, false, false, nil)
	if err != nil || status != 201 {
		t.Fatalf("status %d, err %v", status, err)
	}
	if n := <-got; n != size {
		t.Fatalf("the server read %d bytes of the body, want %d", n, size)
	}
}

// A write that cannot start (the deadline has passed) or fails (the server
// reset the connection) is reported as the connection's Write words it,
// and a reused connection's failure before any byte is retryable.
func TestH1SendWriteErrors(t *testing.T) {
	cn := dialTest(t, func(c net.Conn) { time.Sleep(time.Second) })
	_ = cn.nc.SetDeadline(time.Now().Add(-time.Second))
	_, err := cn.roundTrip([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, true, nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !strings.HasPrefix(err.Error(), "write tcp ") {
		t.Fatalf("past deadline: err %v, want a write timeout", err)
	}

	dialed, reset := make(chan struct{}), make(chan struct{})
	cn2 := dialTest(t, func(c net.Conn) {
		<-dialed
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with a reset
		}
		c.Close()
		close(reset)
	})
	close(dialed)
	<-reset
	cn2.reqs = 1                      // as if reused
	time.Sleep(50 * time.Millisecond) // the reset arrives
	_, err = cn2.roundTrip([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"), false, false, nil)
	var r *retryable
	if !errors.As(err, &r) || !isReset(err) {
		t.Fatalf("reset connection: err %v (%T), want a retryable reset", err, err)
	}
	if !strings.HasPrefix(err.Error(), "write tcp ") {
		t.Fatalf("reset connection: err %q, want it as a net.Conn's Write words it", err)
	}
}
