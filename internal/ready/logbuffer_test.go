package ready

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestLogBuffer(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		flush  bool
		tail   int
		want   []string
	}{
		{name: "lines", max: 5, writes: []string{"a\nb\n"}, want: []string{"a", "b"}},
		{name: "partial across writes", max: 5, writes: []string{"he", "llo\nwor", "ld\n"}, want: []string{"hello", "world"}},
		{name: "partial not a line until flush", max: 5, writes: []string{"a\nb"}, want: []string{"a"}},
		{name: "flush", max: 5, writes: []string{"a\nb"}, flush: true, want: []string{"a", "b"}},
		{name: "crlf", max: 5, writes: []string{"a\r\n"}, want: []string{"a"}},
		{name: "ring keeps last", max: 3, writes: []string{"1\n2\n3\n4\n5\n"}, want: []string{"3", "4", "5"}},
		{name: "tail n", max: 3, writes: []string{"1\n2\n3\n4\n5\n"}, tail: 2, want: []string{"4", "5"}},
		{name: "tail more than held", max: 10, writes: []string{"1\n"}, tail: 5, want: []string{"1"}},
		{name: "empty", max: 10, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewLogBuffer(tt.max, nil)
			for _, w := range tt.writes {
				fmt.Fprint(b, w)
			}
			if tt.flush {
				b.Flush()
			}
			if got := b.Tail(tt.tail); !slices.Equal(got, tt.want) {
				t.Fatalf("Tail(%d) = %q, want %q", tt.tail, got, tt.want)
			}
		})
	}
}

func TestLogBufferLongLine(t *testing.T) {
	b := NewLogBuffer(3, nil)
	fmt.Fprint(b, strings.Repeat("x", maxLineBytes+100))
	fmt.Fprint(b, strings.Repeat("y", 10)+"\nnext\n")
	got := b.Tail(0)
	if len(got) != 2 || !strings.HasSuffix(got[0], truncMark) || len(got[0]) != maxLineBytes+len(truncMark) || got[1] != "next" {
		t.Fatalf("got %d lines, first len %d", len(got), len(got[0]))
	}
}

func TestLogBufferEachAndWatch(t *testing.T) {
	var seen []string
	b := NewLogBuffer(2, func(l string) { seen = append(seen, l) })
	early := b.Watch("ready")
	fmt.Fprint(b, "ready now\nx\ny\nz\n") // "ready now" leaves the ring
	select {
	case <-early:
	default:
		t.Fatal("watch registered before the line did not fire")
	}
	if again := b.Watch("ready"); !isClosed(again) {
		t.Fatal("a second watch for a matched text did not fire")
	}
	if late := b.Watch("now"); isClosed(late) {
		t.Fatal("late watch fired for a line no longer held")
	}
	if held := b.Watch("z"); !isClosed(held) {
		t.Fatal("late watch missed a held line")
	}
	if !slices.Equal(seen, []string{"ready now", "x", "y", "z"}) {
		t.Fatalf("each saw %q", seen)
	}
	if b.Lines() != 4 {
		t.Fatalf("Lines() = %d", b.Lines())
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
