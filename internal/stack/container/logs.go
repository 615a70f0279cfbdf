package container

import (
	"bytes"
	"strings"
	"sync"
)

const maxLineBytes = 4096

// ring keeps the last max lines of a container's output (stdout and stderr
// interleaved as they arrive) and wakes waiters on every new line.
type ring struct {
	mu      sync.Mutex
	lines   []string
	next    int // index of the oldest line once full
	full    bool
	max     int
	total   int64
	changed chan struct{} // closed and replaced on every new line
}

func newRing(max int) *ring {
	if max <= 0 {
		max = 2000
	}
	return &ring{max: max, lines: make([]string, 0, min(max, 256)), changed: make(chan struct{})}
}

func (r *ring) add(line string) {
	if len(line) > maxLineBytes {
		line = line[:maxLineBytes] + "…"
	}
	r.mu.Lock()
	if !r.full {
		r.lines = append(r.lines, line)
		if len(r.lines) == r.max {
			r.full = true
		}
	} else {
		r.lines[r.next] = line
		r.next = (r.next + 1) % r.max
	}
	r.total++
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// tail returns the last n lines, oldest first.
func (r *ring) tail(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := r.ordered()
	if n < 0 || n > len(all) {
		n = len(all)
	}
	return all[len(all)-n:]
}

func (r *ring) ordered() []string {
	if !r.full {
		return append([]string(nil), r.lines...)
	}
	out := make([]string, 0, r.max)
	out = append(out, r.lines[r.next:]...)
	return append(out, r.lines[:r.next]...)
}

// contains reports whether a kept line contains s, and returns a channel
// closed on the next new line.
func (r *ring) contains(s string) (bool, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.Contains(l, s) {
			return true, nil
		}
	}
	return false, r.changed
}

// lineWriter splits a byte stream into lines for a ring.
type lineWriter struct {
	r   *ring
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			if len(w.buf) > maxLineBytes {
				w.r.add(string(w.buf))
				w.buf = w.buf[:0]
			}
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.r.add(strings.TrimSuffix(string(w.buf), "\r"))
		w.buf = w.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

// flush emits a trailing partial line.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.r.add(string(w.buf))
		w.buf = w.buf[:0]
	}
}
