package progress

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestLine(t *testing.T) {
	tests := []struct {
		req  int64
		dur  time.Duration
		s    Stat
		want string
	}{
		{0, 10 * time.Second, Stat{Requests: 500, Errors: 2, Elapsed: 2 * time.Second}, "run 1/5: 500 requests, 2 errors, 250 req/s, 2s of 10s"},
		{1000, 0, Stat{Requests: 250, Elapsed: time.Second}, "run 1/5: 250 requests, 0 errors, 250 req/s, 1s (25% of 1000 requests)"},
		{0, 0, Stat{}, "run 1/5: 0 requests, 0 errors, 0 req/s, 0s"},
	}
	for _, tt := range tests {
		if got := Line("run 1/5", tt.req, tt.dur, tt.s); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestFraction(t *testing.T) {
	if f := fraction(100, 10*time.Second, Stat{Requests: 10, Elapsed: 5 * time.Second}); f != 500 {
		t.Errorf("max of both axes: got %d", f)
	}
	if f := fraction(100, 0, Stat{Requests: 300}); f != 1000 {
		t.Errorf("capped at 1000: got %d", f)
	}
}

func TestPlainLines(t *testing.T) {
	var out syncBuf
	var n atomic.Int64
	r := New(&out, false, 10*time.Millisecond)
	stop := r.Pass("warm-up", 0, time.Second, func() Stat { return Stat{Requests: n.Add(1), Elapsed: time.Second} })
	time.Sleep(60 * time.Millisecond)
	stop()
	stop() // safe twice
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 || !strings.HasSuffix(lines[len(lines)-1], " done") || !strings.HasPrefix(lines[0], "warm-up: ") {
		t.Errorf("unexpected output:\n%s", out.String())
	}
}

func TestBarStops(t *testing.T) {
	var out syncBuf
	r := New(&out, true, 0)
	stop := r.Pass("run 1/1", 100, 0, func() Stat { return Stat{Requests: 100, Elapsed: time.Second} })
	time.Sleep(50 * time.Millisecond)
	stop()
	if !strings.Contains(out.String(), "run 1/1") {
		t.Errorf("bar output lacks label: %q", out.String())
	}
}

func TestNilReporter(t *testing.T) {
	var r *Reporter
	r.Pass("x", 0, 0, func() Stat { return Stat{} })()
}
