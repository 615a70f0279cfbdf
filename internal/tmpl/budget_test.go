package tmpl

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// nestedJSON is {{ json (json ( … (json "x"))) }} with depth calls: each
// call doubles the text, so 30 of them would build gigabytes.
func nestedJSON(depth int) string {
	return "{{ " + strings.Repeat("json (", depth-1) + `json "x"` + strings.Repeat(")", depth-1) + " }}"
}

// bombs are templates of a few hundred bytes that would allocate far more
// than MaxWork if the functions built their strings unchecked.
var bombs = map[string]string{
	"nested json":         nestedJSON(30),
	"nested json of html": "{{ " + strings.Repeat("json (html (", 30) + `"<&>"` + strings.Repeat("))", 30) + " }}",
	"printf widths":       "{{ printf \"" + strings.Repeat("%999999d", 40) + "\" 1 }}",
	"printf star width":   "{{ printf \"" + strings.Repeat("%*d", 40) + "\"" + strings.Repeat(" 999999 1", 40) + " }}",
	"printf arg index":    `{{ $a := printf "%999999d" 1 }}{{ printf "` + strings.Repeat("%[1]s", 40) + `" $a }}`,
	"print of a var":      `{{ $a := printf "%999999d" 1 }}{{ $b := print $a $a $a }}{{ $c := print $b $b $b }}{{ print $c $c }}`,
	"js escaping":         `{{ $a := printf "%999999s" "<" }}{{ js $a }}`,
	"urlquery":            `{{ $a := printf "%999999s" "<" }}{{ $b := urlquery $a }}{{ urlquery $b }}`,
	"letters in vars":     strings.Repeat(`{{ $x := letters 65536 }}`, 100),
	"println":             `{{ $a := printf "%999999d" 1 }}{{ $b := println $a $a $a $a $a }}`,
	"complex precision":   strings.Repeat(`{{ $c := printf "%.999999f" 1i }}`, 4),
}

func TestFunctionsStayWithinTheBudget(t *testing.T) {
	for name, text := range bombs {
		t.Run(name, func(t *testing.T) {
			alloc := allocated(func() {
				_, err := Compile("body", text)
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Compile: %v, want an *Error", err)
				}
				if e.Line != 1 || e.Func == "" || !strings.Contains(e.Msg, "template functions may build in one render") ||
					!strings.Contains(e.Msg, "nest fewer calls") {
					t.Errorf("error %q lacks the line, the function or what to do", err)
				}
			})
			if alloc > renderAllocLimit {
				t.Errorf("allocated %d MiB, over %d MiB", alloc>>20, renderAllocLimit>>20)
			}
		})
	}
}

func TestBudgetKeepsOrdinaryTemplates(t *testing.T) {
	for _, text := range []string{
		nestedJSON(12), // 4095 bytes of escapes
		`{{ json (letters 60000) }}{{ json (json (letters 60000)) }}`,
		`{{ printf "%05d-%s-%x" 42 (letters 8) "ab" }}{{ print 1 "a" 2.5 }}{{ println "x" }}`,
		`{{ html "<a>" }}{{ js "'x'" }}{{ urlquery "a b&c" }}{{ printf "%.3f" 3.14159 }}`,
		strings.Repeat(`{{ letters 65536 }}`, 15),
	} {
		tp, err := Compile("body", text)
		if err != nil {
			t.Errorf("%.60s: %v", text, err)
			continue
		}
		st := NewState(1, nil)
		for range 3 { // the budget is per render, not per State
			if _, err := tp.Render(nil, st); err != nil {
				t.Errorf("%.60s: render: %v", text, err)
			}
		}
	}
}

func TestBuiltinsKeepTheirOutput(t *testing.T) {
	for text, want := range map[string]string{
		`{{ printf "%05d|%-4s|%x|%q" 42 "ab" "hi" "a\"b" }}`: `00042|ab  |6869|"a\"b"`,
		`{{ print 1 "a" 2.5 true }}`:                         `1a2.5 true`,
		`{{ println "x" 1 }}`:                                "x 1\n",
		`{{ html "<a href='x'>&" }}`:                         `&lt;a href=&#39;x&#39;&gt;&amp;`,
		`{{ js "<'x'>" }}`:                                   `\u003C\'x\'\u003E`,
		`{{ urlquery "a b&c" }}`:                             `a+b%26c`,
		`{{ json 3 }}{{ json 2.5 }}{{ json true }}`:          `32.5true`,
	} {
		out, err := MustCompile("t", text).Render(nil, NewState(1, nil))
		if err != nil || string(out) != want {
			t.Errorf("%s = %q, %v; want %q", text, out, err, want)
		}
	}
}

func TestJSONLenMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "abc", "a\"b\\c", "\b\f\n\r\t\x00\x1f\x7f", "<>&", "김민준", "\xff\xfe", "\u2028\u2029", "😀"} {
		b, _ := json.Marshal(s)
		if got := jsonLen(s); got != len(b) {
			t.Errorf("jsonLen(%q) = %d, encoding/json writes %d bytes", s, got, len(b))
		}
	}
}

// renderAllocLimit bounds what compiling a template of at most 4 KB and
// rendering it three times may allocate: a few times MaxWork (json.Marshal
// grows a buffer and copies it) and MaxOutput, and text/template's own
// bookkeeping.
const renderAllocLimit = 96 << 20

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// FuzzRenderMemory: compiling and rendering any template of at most 4 KB
// allocates less than renderAllocLimit, whatever it nests.
func FuzzRenderMemory(f *testing.F) {
	for _, text := range bombs {
		f.Add(text)
	}
	f.Add(nestedJSON(12))
	f.Add(`{{ json (printf "%0999999d" 1) }}`)
	f.Add(strings.Repeat(`{{ letters 65536 }}`, 30))
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return
		}
		alloc := allocated(func() {
			tp, err := Compile("fuzz", text)
			if err != nil {
				return
			}
			st := NewState(1, nil)
			for range 3 {
				if _, err := tp.Render(nil, st); err != nil {
					return
				}
			}
		})
		if alloc > renderAllocLimit {
			t.Fatalf("%d-byte template allocated %d MiB, over %d MiB", len(text), alloc>>20, renderAllocLimit>>20)
		}
		// The fuzzed text as a format, of itself and of a complex number.
		for _, args := range [][]any{{text}, {1.5 + 2i, 7}} {
			if bound := printfBound(text, args); bound <= 1<<20 {
				if got := len(fmt.Sprintf(text, args...)); got > bound {
					t.Fatalf("printf %q of %v wrote %d bytes, over its bound %d", text, args, got, bound)
				}
			}
		}
		b, _ := json.Marshal(text)
		if jsonLen(text) != len(b) {
			t.Fatalf("jsonLen(%q) = %d, encoding/json writes %d bytes", text, jsonLen(text), len(b))
		}
	})
}
