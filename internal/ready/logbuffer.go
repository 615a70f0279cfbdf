package ready

import (
	"strings"
	"sync"
)

// DefaultLogLines is the number of lines a LogBuffer keeps when asked for 0.
const DefaultLogLines = 1000

// maxLineBytes caps one stored line; longer lines are cut and marked.
const maxLineBytes = 16 << 10

const truncMark = " …(line truncated)"

// LogBuffer keeps the last lines a service printed and lets readiness checks
// wait for a line containing some text. It is an io.Writer: providers copy
// the service's stdout and stderr into it (one writer at a time, or the same
// *LogBuffer for both, which os/exec serialises). Safe for concurrent use.
//
// A Watch registered before the service starts sees every line, and a later
// Watch for the same text is then satisfied too (so a provider can register
// the readiness text before starting, and the check wait for it later). A
// Watch for a new text sees the lines still held plus every later line.
type LogBuffer struct {
	mu      sync.Mutex
	max     int
	lines   []string // ring
	next    int      // index of the slot the next line goes to, once full
	full    bool
	partial []byte // bytes after the last newline
	cut     bool   // partial was truncated; drop until newline
	total   int64
	watches []*watch
	seen    map[string]bool // texts a watch has matched
	each    func(string)
}

type watch struct {
	text string
	ch   chan struct{}
}

// NewLogBuffer returns a buffer keeping the last maxLines lines (0 means
// DefaultLogLines). each, if not nil, is called with every complete line (for
// echoing output with a prefix); it must not call back into the buffer.
func NewLogBuffer(maxLines int, each func(line string)) *LogBuffer {
	if maxLines <= 0 {
		maxLines = DefaultLogLines
	}
	return &LogBuffer{max: maxLines, lines: make([]string, 0, min(maxLines, 64)), each: each}
}

// Write stores p, split into lines. It never fails.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := indexNL(p)
		if i < 0 {
			b.appendPartial(p)
			break
		}
		b.appendPartial(p[:i])
		b.emit()
		p = p[i+1:]
	}
	return n, nil
}

func indexNL(p []byte) int {
	for i, c := range p {
		if c == '\n' {
			return i
		}
	}
	return -1
}

func (b *LogBuffer) appendPartial(p []byte) {
	if b.cut {
		return
	}
	if room := maxLineBytes - len(b.partial); len(p) > room {
		b.partial = append(b.partial, p[:room]...)
		b.cut = true
		return
	}
	b.partial = append(b.partial, p...)
}

// emit turns the partial bytes into a line. Caller holds mu.
func (b *LogBuffer) emit() {
	line := strings.TrimSuffix(string(b.partial), "\r")
	if b.cut {
		line += truncMark
	}
	b.partial = b.partial[:0]
	b.cut = false
	b.add(line)
}

func (b *LogBuffer) add(line string) {
	b.total++
	if len(b.lines) < b.max {
		b.lines = append(b.lines, line)
	} else {
		b.lines[b.next] = line
		b.next = (b.next + 1) % b.max
	}
	kept := b.watches[:0]
	for _, w := range b.watches {
		if strings.Contains(line, w.text) {
			if b.seen == nil {
				b.seen = map[string]bool{}
			}
			b.seen[w.text] = true
			close(w.ch)
			continue
		}
		kept = append(kept, w)
	}
	clear(b.watches[len(kept):])
	b.watches = kept
	if b.each != nil {
		b.each(line)
	}
}

// Flush turns a last line without a newline into a line. Call it once the
// output has ended.
func (b *LogBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.partial) > 0 || b.cut {
		b.emit()
	}
}

// Tail returns up to the last n complete lines, oldest first (n <= 0: all held).
func (b *LogBuffer) Tail(n int) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	held := len(b.lines)
	if n <= 0 || n > held {
		n = held
	}
	out := make([]string, 0, n)
	start := held - n // logical index of the first line returned
	for i := start; i < held; i++ {
		out = append(out, b.lines[b.phys(i)])
	}
	return out
}

// phys maps a logical index (0 = oldest held) to a slot. Caller holds mu.
func (b *LogBuffer) phys(i int) int {
	if len(b.lines) < b.max {
		return i
	}
	return (b.next + i) % b.max
}

// Lines is the number of complete lines ever written (held or not).
func (b *LogBuffer) Lines() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// Watch returns a channel closed once a line containing text is seen,
// including a line still held from before the call. An empty text matches
// the next (or any held) line.
func (b *LogBuffer) Watch(text string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := make(chan struct{})
	if b.seen[text] {
		close(ch)
		return ch
	}
	for i := range len(b.lines) {
		if strings.Contains(b.lines[b.phys(i)], text) {
			close(ch)
			return ch
		}
	}
	b.watches = append(b.watches, &watch{text: text, ch: ch})
	return ch
}
