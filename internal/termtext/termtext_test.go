package termtext

import (
	"bytes"
	"testing"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain name", "plain name"},
		{"a\x1b[31mred\x1b[0m", "ared"},
		{"t\x1b]0;owned\x07x", "tx"},
		{"link\x1b]8;;http://x\x1b\\y", "linky"},
		{"a\rb\x00c\x7fd", "abcd"},
		{"line\nnext\ttab", "line\nnext\ttab"},
		{"\u009b2Jz", "z"},
		{"rev\u202eesrever", "revesrever"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"cut\x1b[", "cut"},
		{"::error::x", "::error::x"},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriterKeepsStyleOnTerminal(t *testing.T) {
	var b bytes.Buffer
	Writer{W: &b, Style: true}.Write([]byte("\x1b[1;31mFAIL\x1b[0m \x1b[2J\rname\x1b]0;t\x07\n"))
	if got, want := b.String(), "\x1b[1;31mFAIL\x1b[0m \rname\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	b.Reset()
	Writer{W: &b}.Write([]byte("\x1b[1;31mFAIL\x1b[0m\r\n"))
	if got, want := b.String(), "FAIL\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
