package report

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// inline escapes untrusted text for Markdown inline content (also inside a
// table cell): control characters become spaces, the punctuation that opens
// emphasis, code, links, images, HTML, entities or table cells is
// backslash-escaped, @mentions and #references are defused with a zero-width space,
// and the text is cut to at most maxRunes runes.
func inline(s string, maxRunes int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxRunes {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r) || r == utf8.RuneError:
			b.WriteRune('\uFFFD')
		case r == '@' || r == '#':
			b.WriteByte('\\')
			b.WriteRune(r)
			b.WriteRune('\u200B')
		case strings.ContainsRune("\\`*_{}[]<>()!|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// codeSpan makes s safe inside a single-backtick code span.
func codeSpan(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '`' || r == '\n' || r == '\r' || r < ' ' {
			return '\''
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// mdWithCode escapes s for Markdown running text like mdText, except that
// what s quotes in backticks (`gates.max_rounds`) becomes a code span, as
// the warnings and notes perfgate writes mean it; an unpaired backtick is
// escaped.
func mdWithCode(s string) string {
	parts := strings.Split(singleLine(s), "`")
	if len(parts)%2 == 0 { // an odd number of backticks: the last one is text
		parts[len(parts)-2] += "`" + parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && p != "" {
			b.WriteString("`" + codeSpan(p) + "`")
			continue
		}
		if i%2 == 1 {
			p = "``"
		}
		b.WriteString(mdText(p))
	}
	return b.String()
}

// safeURL percent-encodes the characters that could end a Markdown link
// destination or start HTML.
func safeURL(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>[]\"'`\\|", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9._/+=:@-]+$`)

// shellQuote quotes s for a POSIX shell, dropping control characters.
func shellQuote(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// codeFence returns a backtick fence longer than any backtick run in s.
func codeFence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
