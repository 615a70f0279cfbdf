package tmpl

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"unicode/utf8"
)

// MaxWork bounds the bytes the template functions may build in one render
// (one Append), intermediate strings included: in {{ json (json "x") }}
// both calls count. Every function that builds a string checks it before
// allocating, so no template, however it nests its calls, makes a render
// allocate more than a small multiple of MaxWork.
const MaxWork = 4 << 20

// BudgetError is the error of a function call that would build more than
// what is left of MaxWork.
type BudgetError struct {
	Need, Left int
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("would build up to %d bytes, but only %d of the %d bytes that template functions may build in one render are left; "+
		"nest fewer calls (each json of a json doubles the text) or build shorter strings", e.Need, e.Left, MaxWork)
}

// Budget is what the string-building functions of one render may still
// build. Text/template's own builtins are not bounded: a template engine
// that renders user text adds Builtins, one fresh Budget per render.
type Budget struct{ left int }

// NewBudget returns a budget of n bytes.
func NewBudget(n int) *Budget { return &Budget{left: n} }

// Reserve takes n bytes from the budget, or says why it cannot.
func (b *Budget) Reserve(n int) error {
	if n < 0 || n > b.left {
		return &BudgetError{Need: n, Left: max(b.left, 0)}
	}
	b.left -= n
	return nil
}

// build checks that a result of up to bound bytes fits the budget, makes
// it and takes its length from the budget.
func (b *Budget) build(bound int, make func() string) (string, error) {
	if err := b.Reserve(bound); err != nil {
		return "", err
	}
	s := make()
	b.left += bound - len(s) // Reserve took bound; give back what was not used
	return s, nil
}

// Builtins returns text/template's builtins that build strings (print,
// printf, println, html, js, urlquery), each checking the budget before
// it allocates. Functions of a template's FuncMap take the place of the
// builtins of the same name.
func (b *Budget) Builtins() template.FuncMap {
	return template.FuncMap{
		"print": func(args ...any) (string, error) {
			return b.build(printBound(args), func() string { return fmt.Sprint(args...) })
		},
		"println": func(args ...any) (string, error) {
			return b.build(printBound(args)+1, func() string { return fmt.Sprintln(args...) })
		},
		"printf": func(format string, args ...any) (string, error) {
			return b.build(printfBound(format, args), func() string { return fmt.Sprintf(format, args...) })
		},
		// The escapers format their arguments with fmt.Sprint, then expand
		// each byte to at most 6 (html: &#34;, js: \u003C) or 3 (urlquery: %XX).
		"html": func(args ...any) (string, error) {
			return b.build(6*printBound(args), func() string { return template.HTMLEscaper(args...) })
		},
		"js": func(args ...any) (string, error) {
			return b.build(6*printBound(args), func() string { return template.JSEscaper(args...) })
		},
		"urlquery": func(args ...any) (string, error) {
			return b.build(3*printBound(args), func() string { return template.URLQueryEscaper(args...) })
		},
	}
}

// jsonValue is the json function: V as a JSON value, its size checked
// before it is built.
func (st *State) jsonValue(v any) (string, error) {
	bound := 0
	rv := reflect.ValueOf(v)
	switch {
	case v == nil:
		bound = 4
	case rv.Kind() == reflect.String:
		bound = jsonLen(rv.String())
	case scalar(rv.Kind()):
		bound = scalarBound
	default:
		return "", fmt.Errorf("cannot encode a %T; json takes a string, number or bool", v)
	}
	if err := st.work.Reserve(bound); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	st.work.left += bound - len(b)
	return string(b), err
}

// scalarBound is more than any number or bool formats to with %v (a
// float64 in %f, the widest, has at most 309 integer digits).
const scalarBound = 512

func scalar(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	}
	return false
}

// argSize bounds the length of one argument formatted with %v.
func argSize(a any) int {
	if a == nil {
		return len("<nil>")
	}
	rv := reflect.ValueOf(a)
	if rv.Kind() == reflect.String {
		return rv.Len()
	}
	// Templates have no data: only strings and scalars reach a function.
	// Anything else is given a generous size of its own.
	return scalarBound
}

// printBound bounds fmt.Sprint(args...): each argument and a space
// between any two.
func printBound(args []any) int {
	n := len(args)
	for _, a := range args {
		n += argSize(a)
	}
	return n
}

// maxFmtNum is fmt's largest width or precision: fmt refuses a number
// (%!(BADWIDTH), %!(BADPREC)) only once it is above 1e6 before its next
// digit, so the last digit can take it to 10·1e6 + 9.
const maxFmtNum = 10_000_009

// maxFmtPrec is the largest precision a template's printf may ask for: no
// request needs 100,000 digits, and a float formatted with millions of
// them costs far more memory than its output's size.
const maxFmtPrec = 100_000

// printfBound bounds fmt.Sprintf(format, args...): the format's text, and
// for each verb its width and precision (twice for a complex number) and
// the widest argument written at most 6 bytes per byte (%# x writes
// "0x41 " for "A"); arguments no verb takes are appended as
// %!(EXTRA type=value).
func printfBound(format string, args []any) int {
	widest, all, parts := 0, 0, 1
	for _, a := range args {
		s := argSize(a)
		widest = max(widest, s)
		all += s + 32
		if k := reflect.ValueOf(a).Kind(); k == reflect.Complex64 || k == reflect.Complex128 {
			parts = 2 // a complex number is two floats, each padded to the width and precision
		}
	}
	n := len(format) + all
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		width, prec := 0, 0
		cur := &width
	spec:
		for ; i < len(format); i++ {
			switch c := format[i]; {
			case c >= '0' && c <= '9':
				*cur = min(*cur*10+int(c-'0'), maxFmtNum)
			case c == '*':
				*cur = maxFmtNum
			case c == '.':
				cur = &prec
			case c == '[':
				// An argument index: fmt skips through its ']', or only
				// the '[' when there is none (%!v(BADINDEX)), and goes on
				// parsing what follows as the same verb.
				if j := strings.IndexByte(format[i+1:], ']'); j >= 0 {
					i += 1 + j
				}
			case c == '#' || c == '+' || c == '-' || c == ' ':
			default:
				break spec
			}
		}
		if prec > maxFmtPrec {
			// fmt and strconv build a float of that precision in scratch
			// buffers several times its size: count it as refused.
			prec = maxFmtNum
		}
		n += parts*(width+prec) + 6*widest + 64
	}
	return n
}

// jsonLen is the length of encoding/json's encoding of s: quotes, two-byte
// escapes, \u00XX for other control bytes and for <, > and & (HTML-safe
// output), \ufffd for each invalid byte and \u2028, \u2029.
func jsonLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			case b < 0x20 || b == '<' || b == '>' || b == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
}
