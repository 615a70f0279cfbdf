package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestInlineEscaping(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain name", "plain name"},
		{"a|b", `a\|b`},
		{"line1\nline2\r\n", "line1 line2  "},
		{"<script>alert(1)</script>", `\<script\>alert\(1\)\</script\>`},
		{"[click](https://evil)", `\[click\]\(https://evil\)`},
		{"**bold** _it_ `code`", `\*\*bold\*\* \_it\_ \` + "`code\\`"},
		{"ping @octocat #12", "ping \\@\u200boctocat \\#\u200b12"},
		{"&lt;", `\&lt;`},
		{"go1.26.8", "go1.26.8"},
	}
	for _, c := range cases {
		if got := inline(c.in, 1000); got != c.want {
			t.Errorf("inline(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := inline(strings.Repeat("x", 50), 10); utf8.RuneCountInString(got) != 11 || !strings.HasSuffix(got, "…") {
		t.Errorf("cut: %q", got)
	}
}

// Warnings quote config keys in backticks: they become code spans, the
// rest is escaped, and an unpaired backtick stays text.
func TestMarkdownWithCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"raise `gates.max_rounds` now", "raise `gates.max_rounds` now"},
		{"a <b> `x<y>` *c*", "a &lt;b&gt; `x<y>` \\*c\\*"},
		{"odd ` tick", "odd \\` tick"},
		{"`a` and `b`", "`a` and `b`"},
		{"ping @octocat", "ping &#64;octocat"},
	} {
		if got := mdWithCode(c.in); got != c.want {
			t.Errorf("mdWithCode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
