package publish

import (
	"strings"
	"testing"
)

// The Publish step's PERFGATE_COMMENT_AUTHOR: the comment-author input,
// else github-actions[bot] with the workflow's own token, else empty (the
// token's login).
func TestActionCommentAuthor(t *testing.T) {
	md := readAction(t)
	if in, ok := md.Inputs["comment-author"]; !ok || in.Default != "" || in.Required {
		t.Fatalf("comment-author input: %+v (present %v), want optional with an empty default", in, ok)
	}
	var expr string
	for _, s := range md.Runs.Steps {
		if s["id"] == "publish" {
			env, _ := s["env"].(map[string]any)
			expr, _ = env["PERFGATE_COMMENT_AUTHOR"].(string)
		}
	}
	m := reExpr.FindStringSubmatch(expr)
	if m == nil {
		t.Fatalf("publish step: PERFGATE_COMMENT_AUTHOR %q is not an expression", expr)
	}
	for _, tc := range []struct {
		author, token, want string
	}{
		{"", "GHS", "github-actions[bot]"},
		{"", "PAT", ""},
		{"perf-app[bot]", "PAT", "perf-app[bot]"},
		{"someone", "GHS", "someone"},
	} {
		vars := map[string]string{"inputs.comment-author": tc.author, "inputs.github-token": tc.token, "github.token": "GHS"}
		e := &exprEval{toks: exprTokens(m[1]), vars: vars}
		if got := e.or(); got != tc.want || e.pos != len(e.toks) {
			t.Errorf("comment-author %q, token %s: %q, want %q (%s)", tc.author, tc.token, got, tc.want, m[1])
		}
	}
}

// exprEval evaluates the subset of GitHub expressions the step uses:
// string literals, names, ==, !=, &&, || and parentheses ("" is false).
type exprEval struct {
	toks []string
	pos  int
	vars map[string]string
}

func exprTokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ':
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'') + i + 1
			out = append(out, s[i:j+1])
			i = j + 1
		case c == '(' || c == ')':
			out = append(out, s[i:i+1])
			i++
		case strings.ContainsRune("=!&|", rune(c)):
			out = append(out, s[i:i+2])
			i += 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" ()=!&|'", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

func (e *exprEval) peek(tok string) bool {
	if e.pos < len(e.toks) && e.toks[e.pos] == tok {
		e.pos++
		return true
	}
	return false
}

func (e *exprEval) or() string {
	v := e.and()
	for e.peek("||") {
		if w := e.and(); v == "" {
			v = w
		}
	}
	return v
}

func (e *exprEval) and() string {
	v := e.cmp()
	for e.peek("&&") {
		if w := e.cmp(); v != "" {
			v = w
		}
	}
	return v
}

func (e *exprEval) cmp() string {
	v := e.atom()
	for {
		switch {
		case e.peek("=="):
			v = truth(v == e.atom())
		case e.peek("!="):
			v = truth(v != e.atom())
		default:
			return v
		}
	}
}

func (e *exprEval) atom() string {
	if e.peek("(") {
		v := e.or()
		e.peek(")")
		return v
	}
	if e.pos >= len(e.toks) {
		return ""
	}
	tok := e.toks[e.pos]
	e.pos++
	if strings.HasPrefix(tok, "'") {
		return strings.Trim(tok, "'")
	}
	return e.vars[tok]
}

func truth(b bool) string {
	if b {
		return "true"
	}
	return ""
}
