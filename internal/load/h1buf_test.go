package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// h1Reader reads as bufio.Reader does, whatever sizes the source's reads
// come in: the same lines (and ErrBufferFull), the same skipped bytes, the
// same errors.
func TestH1ReaderAsBufio(t *testing.T) {
	const data = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Long: 0123456789abcdefghijklmnopqrstuvwxyz\r\n\r\nhello" +
		"\nshort\n\n" + "a line longer than the sixteen-byte buffer, read in pieces\n" + "tail without newline"
	sources := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+err": iotest.DataErrReader,
	}
	for name, src := range sources {
		for seed := range uint64(20) {
			t.Run(fmt.Sprintf("%s/%d", name, seed), func(t *testing.T) {
				want := bufio.NewReaderSize(src(strings.NewReader(data)), 16)
				var got h1Reader
				got.init(src(strings.NewReader(data)), nil, newH1Bufs(16))
				rng := rand.New(rand.NewPCG(seed, 1))
				for step := 0; ; step++ {
					var w, g string
					switch rng.IntN(3) {
					case 0:
						wl, we := want.ReadSlice('\n')
						gl, ge := got.ReadSlice('\n')
						w, g = fmt.Sprintf("ReadSlice %q %v", wl, we), fmt.Sprintf("ReadSlice %q %v", gl, ge)
					case 1:
						k := rng.IntN(40)
						wn, we := want.Discard(k)
						gn, ge := got.Discard(k)
						w, g = fmt.Sprintf("Discard(%d) %d %v", k, wn, we), fmt.Sprintf("Discard(%d) %d %v", k, gn, ge)
					default: // shorter than the buffer: bufio would read a longer one past it
						k := rng.IntN(16)
						wb, gb := make([]byte, k), make([]byte, k)
						wn, we := io.ReadFull(want, wb)
						gn, ge := io.ReadFull(&got, gb)
						w, g = fmt.Sprintf("ReadFull(%d) %q %v", k, wb[:wn], we), fmt.Sprintf("ReadFull(%d) %q %v", k, gb[:gn], ge)
					}
					if w != g {
						t.Fatalf("step %d: got %s, bufio %s", step, g, w)
					}
					if want.Buffered() != got.Buffered() {
						t.Fatalf("step %d: %d buffered, bufio %d", step, got.Buffered(), want.Buffered())
					}
					if strings.Contains(w, "EOF") {
						return
					}
				}
			})
		}
	}
}

// A connection waits for its response without a read buffer, and holds
// none once the response is read; what arrives in pieces is read whole.
func TestH1ReaderLendsBufferOnlyWhileReading(t *testing.T) {
	pieces := []string{"HTTP/1.1 200 OK\r\nContent-", "Length: 2\r\n\r", "\no", "k"}
	cn := dialTest(t, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 64))
		time.Sleep(20 * time.Millisecond) // the client waits first
		for _, p := range pieces {
			if _, err := io.WriteString(c, p); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	needRawReads(t, cn)
	// Wrap the socket read to see the buffer each time the socket had
	// nothing to read, when the reader is about to wait.
	var heldWhileWaiting, waits int
	inner := cn.br.sock
	cn.br.sock = func(fd uintptr) bool {
		ok := inner(fd)
		if !ok {
			waits++
			if cn.br.bufp != nil && cn.br.Buffered() == 0 {
				heldWhileWaiting++
			}
		}
		return ok
	}
	status, err := cn.roundTrip([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, true, nil)
	if err != nil || status != 200 {
		t.Fatalf("status %d, err %v", status, err)
	}
	if waits == 0 {
		t.Fatal("the client never waited for the response: the test proves nothing")
	}
	if heldWhileWaiting > 0 {
		t.Fatalf("held a buffer with nothing in it while waiting, %d of %d times", heldWhileWaiting, waits)
	}
	if cn.br.bufp != nil || cn.close {
		t.Fatalf("after the response: buffer held %v, close %v; want false, false", cn.br.bufp != nil, cn.close)
	}
}

// A failed socket read is reported as the connection's Read reports it.
func TestH1ReaderErrors(t *testing.T) {
	cn := dialTest(t, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 64))
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with a reset
		}
	})
	_, err := cn.roundTrip([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, true, nil)
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "read" || !isReset(err) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v (%T), want a read error: a reset", err, err)
	}
	if !strings.HasPrefix(err.Error(), "read tcp ") {
		t.Fatalf("err %q, want it as a net.Conn's Read words it", err)
	}

	// The deadline while waiting: a timeout, worded as Read's.
	cn2 := dialTest(t, func(c net.Conn) { time.Sleep(time.Second) })
	_ = cn2.nc.SetDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = cn2.roundTrip([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, true, nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !strings.HasPrefix(err.Error(), "read tcp ") {
		t.Fatalf("err %v, want a read timeout", err)
	}
	if cn2.br.bufp != nil {
		t.Fatal("a failed round trip kept its buffer")
	}
}
