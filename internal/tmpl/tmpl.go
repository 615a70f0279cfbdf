// Package tmpl renders request bodies and header values from templates.
//
// A template is compiled once (Compile) and rendered fresh for every request
// (Render), so no two requests share a consumed body and every request can
// carry unique data (ids, names, emails). Templates use text/template syntax
// with these functions:
//
//	letters N    N random letters a-zA-Z
//	lower N      N random lowercase letters a-z
//	digits N     N random digits 0-9
//	alnum N      N random letters and digits
//	uuid         a random version-4 UUID
//	seq          the request's sequence number in the pass, unique across
//	             workers (every use within one request gives the same number)
//	koreanName   a Korean family name and a two-syllable given name, e.g. 김민준
//	email        a random address @example.com
//	int MIN MAX  a random integer in [MIN, MAX]
//	pick A B ... one of its arguments, at random
//	now          the current time, RFC 3339
//	unix         the current time, Unix seconds
//	json V       V as a JSON value (a quoted, escaped string for strings)
//	var "NAME"   a flow variable of the current iteration: one of the
//	             scenario's vars or a value an earlier step captured
//	row "COLUMN" a column of the data-file row of the current iteration
//
// var and row read the Values set on the State (SetValues); without one
// (e.g. Compile's trial render) they give "".
//
// What one render may build is bounded as it is built: the functions
// above and text/template's string builtins (print, printf, println, html,
// js, urlquery) check a per-render budget of MaxWork bytes before they
// allocate, so nesting calls ({{ json (json …) }}) cannot grow memory
// without end, and the output stops at MaxOutput.
//
// Templates have no data: `.` and fields are rejected, and so are range,
// define, block and template (bodies have no loops or sub-templates).
//
// Randomness comes from a State, one per worker goroutine (not safe for
// concurrent use), so the hot path takes no lock. A template without actions
// is a constant and renders with no allocation.
package tmpl

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"text/template"
	"text/template/parse"
	"time"
)

// MaxLen is the largest N accepted by letters, lower, digits and alnum.
const MaxLen = 1 << 16

// MaxOutput bounds what one Render may append, in bytes.
const MaxOutput = 1 << 20

// ErrTooLarge is returned when a render would exceed MaxOutput.
var ErrTooLarge = fmt.Errorf("template output exceeds %d bytes", MaxOutput)

// Template is a compiled template. It is immutable and safe for concurrent
// use; render it with a per-goroutine State.
type Template struct {
	name     string
	constant []byte // the output when isConst
	isConst  bool
	base     *template.Template
	fast     []op // non-nil: rendered without text/template (see fast.go)
}

// Error is a compile error with its position in the template text.
type Error struct {
	Name string // template name, e.g. the scenario's name
	Line int    // 1-based; 0 if unknown
	Col  int    // 1-based; 0 if unknown
	Func string // the function at fault, if any
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Name)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Func != "" {
		b.WriteString(e.Func)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// arity of each function: min and max argument count (max -1: variadic).
type funcSpec struct {
	min, max int
	usage    string
	lenArg   bool // first argument is a length 0..MaxLen
}

var specs = map[string]funcSpec{
	"letters":    {1, 1, "letters N (N random letters a-zA-Z, 0 <= N <= 65536)", true},
	"lower":      {1, 1, "lower N (N random letters a-z, 0 <= N <= 65536)", true},
	"digits":     {1, 1, "digits N (N random digits, 0 <= N <= 65536)", true},
	"alnum":      {1, 1, "alnum N (N random letters and digits, 0 <= N <= 65536)", true},
	"uuid":       {0, 0, "uuid (no arguments)", false},
	"seq":        {0, 0, "seq (no arguments)", false},
	"koreanName": {0, 0, "koreanName (no arguments)", false},
	"email":      {0, 0, "email (no arguments)", false},
	"int":        {2, 2, "int MIN MAX (a random integer, MIN <= MAX)", false},
	"pick":       {1, -1, `pick "a" "b" ... (at least one argument)`, false},
	"now":        {0, 0, "now (no arguments)", false},
	"unix":       {0, 0, "unix (no arguments)", false},
	"json":       {1, 1, "json VALUE", false},
	"var":        {1, 1, `var "NAME" (a flow variable: vars or an earlier capture)`, false},
	"row":        {1, 1, `row "COLUMN" (a column of the scenario's data file)`, false},
}

// FuncNames lists the template functions perfgate adds, sorted.
func FuncNames() []string {
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// stubFuncs lets the parser know the names; a State binds the real ones.
var stubFuncs = func() template.FuncMap {
	var s State
	return s.funcs()
}()

var execRE = regexp.MustCompile(`^template: [^:]*:(\d+):(\d+): executing "[^"]*" at <(.*?)>: (.*)$`)
var callingRE = regexp.MustCompile(`^error calling (\w+): (.*)$`)
var undefinedRE = regexp.MustCompile(`function "([^"]+)" not defined`)
var parseLineRE = regexp.MustCompile(`^template: [^:]*:(\d+): (.*)$`)

// Compile parses text as a template named name (used in errors). Errors
// carry the line, column and function at fault.
func Compile(name, text string) (*Template, error) {
	t := &Template{name: name}
	if !strings.Contains(text, "{{") {
		t.isConst = true
		t.constant = []byte(text)
		return t, nil
	}
	base, err := template.New(name).Funcs(stubFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, parseError(name, text, err)
	}
	if len(base.Templates()) > 1 {
		return nil, &Error{Name: name, Msg: "define/block are not supported in body templates"}
	}
	if base.Tree == nil || base.Tree.Root == nil {
		t.isConst = true
		t.constant = []byte{}
		return t, nil
	}
	var v validator
	v.name, v.tree = name, base.Tree
	v.list(base.Tree.Root)
	if v.err != nil {
		return nil, v.err
	}
	if c, ok := constantText(base.Tree.Root); ok {
		t.isConst = true
		t.constant = c
		return t, nil
	}
	t.base = base
	t.fast = compileFast(base.Tree.Root)
	// A trial render catches what only execution can see (e.g. int 5 1).
	var seq atomic.Int64
	st := NewState(1, &seq)
	if _, err := t.Render(nil, st); err != nil {
		return nil, execError(name, err)
	}
	return t, nil
}

// MustCompile is Compile for tests and fixed templates; it panics on error.
func MustCompile(name, text string) *Template {
	t, err := Compile(name, text)
	if err != nil {
		panic(err)
	}
	return t
}

// Name returns the template's name.
func (t *Template) Name() string { return t.name }

// Constant reports whether the template has no actions: every render gives
// the same bytes (Bytes).
func (t *Template) Constant() bool { return t.isConst }

// Bytes returns the constant output of a Constant template (nil otherwise).
// The caller must not modify it.
func (t *Template) Bytes() []byte {
	if !t.isConst {
		return nil
	}
	return t.constant
}

// Render starts a new request on st (see State.Next) and appends the output
// to dst.
func (t *Template) Render(dst []byte, st *State) ([]byte, error) {
	st.Next()
	return t.Append(dst, st)
}

// Append appends the output to dst within st's current request: seq gives
// the same number as the other templates rendered since the last Next (use
// it for header values of the same request as a body).
func (t *Template) Append(dst []byte, st *State) ([]byte, error) {
	if t.isConst {
		return append(dst, t.constant...), nil
	}
	if t.fast != nil {
		return st.renderFast(dst, t.fast)
	}
	return t.appendSlow(dst, st)
}

func (t *Template) appendSlow(dst []byte, st *State) ([]byte, error) {
	ex := st.exec[t]
	if ex == nil {
		var err error
		ex, err = t.base.Clone()
		if err != nil {
			return dst, err
		}
		ex.Funcs(st.fm)
		st.exec[t] = ex
	}
	st.w.b = dst
	st.w.limit = len(dst) + MaxOutput
	st.work = Budget{left: MaxWork}
	err := ex.Execute(&st.w, nil)
	out := st.w.b
	st.w.b = nil
	return out, err
}

// State is one worker's random source and per-request state. It is not safe
// for concurrent use: give each goroutine its own.
type State struct {
	rng     *rand.Rand
	seq     *atomic.Int64
	cur     int64
	haveCur bool
	mapSeq  func(int64) int64 // nil: seq values as drawn
	fm      template.FuncMap
	exec    map[*Template]*template.Template
	w       appendWriter
	now     func() time.Time
	vals    Values
	work    Budget // what the functions may still build in this render
}

// Values supplies {{ var }} and {{ row }} for the current iteration.
type Values interface {
	// Var returns a flow variable's value.
	Var(name string) (string, bool)
	// Row returns a column of the current data-file row.
	Row(column string) (string, bool)
}

// SetValues sets what {{ var }} and {{ row }} read (nil: they give "").
func (st *State) SetValues(v Values) { st.vals = v }

func (st *State) varValue(name string) (string, error) {
	if st.vals == nil {
		return "", nil
	}
	v, ok := st.vals.Var(name)
	if !ok {
		return "", fmt.Errorf("var %q is not set in this iteration (define it in vars: or capture it in an earlier step)", name)
	}
	return v, nil
}

func (st *State) rowValue(col string) (string, error) {
	if st.vals == nil {
		return "", nil
	}
	v, ok := st.vals.Row(col)
	if !ok {
		return "", fmt.Errorf("row %q: no such column in the data file's row", col)
	}
	return v, nil
}

// NewState returns a State drawing randomness from a PCG generator seeded by
// seed, and sequence numbers from seq, which every State of one pass shares
// (nil: a private counter).
func NewState(seed uint64, seq *atomic.Int64) *State {
	if seq == nil {
		seq = new(atomic.Int64)
	}
	st := &State{
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		seq:  seq,
		exec: make(map[*Template]*template.Template),
		now:  time.Now,
	}
	st.fm = st.funcs()
	return st
}

// MapSeq makes seq render f(n) for the n-th number drawn (n = 1, 2, …):
// a sharded run maps its numbers onto the shard's disjoint share.
func (st *State) MapSeq(f func(int64) int64) { st.mapSeq = f }

// Next starts a new request: the next use of seq draws a new number.
func (st *State) Next() { st.haveCur = false }

// Rand returns the State's random generator (for callers that need the same
// per-worker source, e.g. a weighted pick).
func (st *State) Rand() *rand.Rand { return st.rng }

type appendWriter struct {
	b     []byte
	limit int
}

func (w *appendWriter) Write(p []byte) (int, error) {
	if len(w.b)+len(p) > w.limit {
		return 0, ErrTooLarge
	}
	w.b = append(w.b, p...)
	return len(p), nil
}

const (
	alphaLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	alphaLower   = "abcdefghijklmnopqrstuvwxyz"
	alphaDigits  = "0123456789"
	alphaAlnum   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// Common Korean family names and given-name syllables.
var (
	familyNames = []string{"김", "이", "박", "최", "정", "강", "조", "윤", "장", "임",
		"한", "오", "서", "신", "권", "황", "안", "송", "류", "전", "홍", "고", "문", "양", "손"}
	givenSyllables = []string{"민", "준", "서", "연", "지", "우", "현", "수", "하", "윤",
		"도", "예", "은", "유", "진", "영", "주", "성", "재", "원", "혜", "승", "태", "경", "아"}
)

func (st *State) randString(alphabet string, n int) (string, error) {
	if n < 0 || n > MaxLen {
		return "", fmt.Errorf("length %d out of range 0..%d", n, MaxLen)
	}
	if err := st.work.Reserve(n); err != nil {
		return "", err
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[st.rng.IntN(len(alphabet))]
	}
	return string(b), nil
}

func (st *State) funcs() template.FuncMap {
	// small wraps a function whose result is at most n bytes: it is
	// checked against the render's budget like every string built here.
	small := func(n int, f func() string) func() (string, error) {
		return func() (string, error) { return st.work.build(n, f) }
	}
	fm := template.FuncMap{
		"letters": func(n int) (string, error) { return st.randString(alphaLetters, n) },
		"lower":   func(n int) (string, error) { return st.randString(alphaLower, n) },
		"digits":  func(n int) (string, error) { return st.randString(alphaDigits, n) },
		"alnum":   func(n int) (string, error) { return st.randString(alphaAlnum, n) },
		"uuid":    small(36, func() string { return string(st.appendUUID(nil)) }),
		"seq":     st.seqValue,
		"koreanName": small(9, func() string {
			return familyNames[st.rng.IntN(len(familyNames))] +
				givenSyllables[st.rng.IntN(len(givenSyllables))] +
				givenSyllables[st.rng.IntN(len(givenSyllables))]
		}),
		"email": func() (string, error) {
			s, err := st.randString(alphaLower+alphaDigits, 10)
			if err != nil {
				return "", err
			}
			return st.work.build(len(s)+len("@example.com"), func() string { return s + "@example.com" })
		},
		"int": func(min, max int) (int, error) {
			if min > max {
				return 0, fmt.Errorf("MIN %d is greater than MAX %d", min, max)
			}
			return st.randInt(min, max), nil
		},
		"pick": func(choices ...any) (any, error) {
			if len(choices) == 0 {
				return nil, errors.New("needs at least one argument")
			}
			return choices[st.rng.IntN(len(choices))], nil
		},
		"now":  small(64, func() string { return st.now().Format(time.RFC3339) }),
		"unix": func() int64 { return st.now().Unix() },
		"var":  st.varValue,
		"row":  st.rowValue,
		"json": st.jsonValue,
	}
	// The builtins check st.work as it is when they run (reset per render).
	for name, f := range (&st.work).Builtins() {
		fm[name] = f
	}
	return fm
}

func constantText(l *parse.ListNode) ([]byte, bool) {
	out := []byte{}
	for _, n := range l.Nodes {
		tn, ok := n.(*parse.TextNode)
		if !ok {
			return nil, false
		}
		out = append(out, tn.Text...)
	}
	return out, true
}

// execError turns an execution error of the trial render into an *Error.
func execError(name string, err error) error {
	msg := err.Error()
	m := execRE.FindStringSubmatch(msg)
	if m == nil {
		return &Error{Name: name, Msg: strings.TrimPrefix(msg, "template: ")}
	}
	e := &Error{Name: name, Msg: m[4] + " (in " + m[3] + ")"}
	e.Line, _ = strconv.Atoi(m[1])
	e.Col, _ = strconv.Atoi(m[2])
	e.Col++ // text/template counts columns from 0
	if c := callingRE.FindStringSubmatch(m[4]); c != nil {
		e.Func, e.Msg = c[1], c[2]
		if sp, ok := specs[c[1]]; ok {
			e.Msg += "; usage: " + sp.usage
		}
	}
	return e
}

// parseError turns a text/template parse error into an *Error with a line
// and, when a function name is known, its column.
func parseError(name, text string, err error) error {
	msg := err.Error()
	e := &Error{Name: name, Msg: msg}
	if m := parseLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
	}
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		e.Func = m[1]
		e.Msg = fmt.Sprintf("function %q is not defined; known functions: %s", m[1], strings.Join(FuncNames(), ", "))
		if e.Line > 0 {
			lines := strings.Split(text, "\n")
			if e.Line <= len(lines) {
				if i := strings.Index(lines[e.Line-1], m[1]); i >= 0 {
					e.Col = len([]rune(lines[e.Line-1][:i])) + 1
				}
			}
		}
	}
	return e
}

// validator walks a parse tree and rejects what bodies may not use, and
// calls of perfgate's functions with a wrong number of arguments or an
// out-of-range constant length.
type validator struct {
	name string
	tree *parse.Tree
	err  error
}

func (v *validator) fail(n parse.Node, fn, format string, args ...any) {
	if v.err != nil {
		return
	}
	e := &Error{Name: v.name, Func: fn, Msg: fmt.Sprintf(format, args...)}
	loc, _ := v.tree.ErrorContext(n)
	// loc is "name:line:col"; take the last two fields.
	parts := strings.Split(loc, ":")
	if len(parts) >= 3 {
		e.Line, _ = strconv.Atoi(parts[len(parts)-2])
		col, _ := strconv.Atoi(parts[len(parts)-1])
		e.Col = col + 1 // ErrorContext counts from 0
	}
	v.err = e
}

func (v *validator) list(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		v.node(n)
	}
}

func (v *validator) node(n parse.Node) {
	switch n := n.(type) {
	case *parse.TextNode, *parse.CommentNode:
	case *parse.ActionNode:
		v.pipe(n.Pipe)
	case *parse.IfNode:
		v.pipe(n.Pipe)
		v.list(n.List)
		v.list(n.ElseList)
	case *parse.WithNode:
		v.pipe(n.Pipe)
		v.list(n.List)
		v.list(n.ElseList)
	case *parse.RangeNode:
		v.fail(n, "", "range is not supported in body templates")
	case *parse.TemplateNode:
		v.fail(n, "", "template/block calls are not supported in body templates")
	case *parse.BreakNode, *parse.ContinueNode:
		v.fail(n, "", "break/continue are not supported in body templates")
	default:
		v.fail(n, "", "unsupported construct %s", n)
	}
}

func (v *validator) pipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for i, c := range p.Cmds {
		v.cmd(c, i > 0)
	}
}

func (v *validator) cmd(c *parse.CommandNode, piped bool) {
	for _, a := range c.Args {
		v.arg(a)
	}
	if len(c.Args) == 0 {
		return
	}
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok {
		return
	}
	spec, ok := specs[id.Ident]
	if !ok {
		return
	}
	n := len(c.Args) - 1
	if piped {
		n++
	}
	if n < spec.min || (spec.max >= 0 && n > spec.max) {
		v.fail(id, id.Ident, "takes %s, got %d argument(s); usage: %s", argCount(spec), n, spec.usage)
		return
	}
	if spec.lenArg && len(c.Args) > 1 {
		if num, ok := c.Args[1].(*parse.NumberNode); ok {
			if !num.IsInt || num.Int64 < 0 || num.Int64 > MaxLen {
				v.fail(num, id.Ident, "length %s out of range 0..%d; usage: %s", num.Text, MaxLen, spec.usage)
			}
		}
	}
	if id.Ident == "int" && len(c.Args) == 3 {
		lo, ok1 := c.Args[1].(*parse.NumberNode)
		hi, ok2 := c.Args[2].(*parse.NumberNode)
		if ok1 && ok2 && lo.IsInt && hi.IsInt && lo.Int64 > hi.Int64 {
			v.fail(lo, "int", "MIN %s is greater than MAX %s; usage: %s", lo.Text, hi.Text, spec.usage)
		}
	}
}

func argCount(s funcSpec) string {
	switch {
	case s.max < 0:
		return fmt.Sprintf("at least %d argument(s)", s.min)
	case s.min == s.max:
		return fmt.Sprintf("%d argument(s)", s.min)
	}
	return fmt.Sprintf("%d to %d arguments", s.min, s.max)
}

func (v *validator) arg(a parse.Node) {
	switch a := a.(type) {
	case *parse.DotNode:
		v.fail(a, "", "body templates have no data: `.` is not defined; use a function such as {{ uuid }}")
	case *parse.FieldNode:
		v.fail(a, "", "body templates have no data: field %s is not defined; use a function such as {{ uuid }}", a)
	case *parse.ChainNode:
		v.fail(a, "", "body templates have no data: %s is not defined", a)
	case *parse.VariableNode:
		if len(a.Ident) > 1 || a.Ident[0] == "$" {
			v.fail(a, "", "body templates have no data: %s is not defined", a)
		}
	case *parse.PipeNode:
		v.pipe(a)
	}
}
