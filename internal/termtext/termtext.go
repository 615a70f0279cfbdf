// Package termtext makes text from outside perfgate (names, server
// responses, results files) safe to print on a terminal or in a CI log:
// escape sequences and control characters are removed, so a name cannot
// recolour, move the cursor, retitle the window, hide a line or forge a
// workflow command.
package termtext

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s without escape sequences and control characters; a
// line feed and a tab are kept, invalid UTF-8 becomes U+FFFD.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	return clean(s, false)
}

// isPlain is true for printable ASCII plus \n and \t: nothing to clean.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// clean removes escape sequences (keeping SGR colour and erase-line ones
// when keepStyle) and control characters but \n and \t (and \r when
// keepStyle: a live progress line).
func clean(s string, keepStyle bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b || r == 0x9b:
			n := escapeLen(s[i:])
			if keepStyle && isStyle(s[i:i+n]) {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		case r == '\n' || r == '\t' || (r == '\r' && keepStyle):
			b.WriteRune(r)
		case unicode.IsControl(r) || isBidi(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// escapeLen is the length of the escape sequence s starts with (ESC or
// the C1 CSI): CSI parameters and final byte, an OSC/DCS string up to its
// terminator, or ESC and one character.
func escapeLen(s string) int {
	start, csi := 1, false
	if s[0] == 0x1b {
		if len(s) < 2 {
			return 1
		}
		switch s[1] {
		case '[':
			start, csi = 2, true
		case ']', 'P', 'X', '^', '_': // strings ended by BEL or ESC \
			for j := 2; j < len(s); j++ {
				if s[j] == 0x07 {
					return j + 1
				}
				if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
					return j + 2
				}
			}
			return len(s)
		default:
			return 2
		}
	} else { // U+009B, two bytes in UTF-8
		start, csi = 2, true
	}
	if csi {
		for j := start; j < len(s); j++ {
			if s[j] >= 0x40 && s[j] <= 0x7e {
				return j + 1
			}
			if s[j] < 0x20 || s[j] > 0x7e {
				return j
			}
		}
		return len(s)
	}
	return start
}

// isStyle is true for ESC [ digits;... m (colour) and ESC [ digits K (erase
// line), what perfgate's own tables and progress line use.
func isStyle(seq string) bool {
	if len(seq) < 3 || seq[0] != 0x1b || seq[1] != '[' {
		return false
	}
	final := seq[len(seq)-1]
	if final != 'm' && final != 'K' {
		return false
	}
	for _, c := range []byte(seq[2 : len(seq)-1]) {
		if (c < '0' || c > '9') && c != ';' {
			return false
		}
	}
	return true
}

// isBidi is true for the Unicode controls that reorder text (a name
// could show as something else).
func isBidi(r rune) bool {
	return r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// Writer cleans what is written through it; with style, perfgate's own
// colours, erase-line sequences and carriage returns are kept (a
// terminal), otherwise every escape sequence goes (a log).
type Writer struct {
	W     io.Writer
	Style bool
}

// Write writes p cleaned, and reports len(p) written when the cleaned
// text was.
func (w Writer) Write(p []byte) (int, error) {
	s := string(p)
	if !isPlain(s) {
		s = clean(s, w.Style)
	}
	if _, err := io.WriteString(w.W, s); err != nil {
		return 0, err
	}
	return len(p), nil
}
