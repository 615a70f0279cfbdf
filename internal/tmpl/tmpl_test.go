package tmpl

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func render(t *testing.T, text string, st *State) string {
	t.Helper()
	tp, err := Compile("body", text)
	if err != nil {
		t.Fatalf("Compile(%q): %v", text, err)
	}
	out, err := tp.Render(nil, st)
	if err != nil {
		t.Fatalf("Render(%q): %v", text, err)
	}
	return string(out)
}

func TestFunctions(t *testing.T) {
	fixed := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		text string
		re   string // the whole output must match
	}{
		{"letters", `{{ letters 8 }}`, `^[a-zA-Z]{8}$`},
		{"letters zero", `[{{ letters 0 }}]`, `^\[\]$`},
		{"lower", `{{ lower 12 }}`, `^[a-z]{12}$`},
		{"digits", `{{ digits 6 }}`, `^[0-9]{6}$`},
		{"alnum", `{{ alnum 20 }}`, `^[a-zA-Z0-9]{20}$`},
		{"uuid", `{{ uuid }}`, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"seq", `{{ seq }}`, `^1$`},
		{"seq twice same request", `{{ seq }}-{{ seq }}`, `^1-1$`},
		{"koreanName", `{{ koreanName }}`, `^\p{Hangul}{3}$`},
		{"email", `{{ email }}`, `^[a-z0-9]{10}@example\.com$`},
		{"int", `{{ int 5 7 }}`, `^[567]$`},
		{"int negative", `{{ int -3 -3 }}`, `^-3$`},
		{"pick strings", `{{ pick "a" "b" "c" }}`, `^[abc]$`},
		{"pick one", `{{ pick 42 }}`, `^42$`},
		{"now", `{{ now }}`, `^2026-11-27T05:00:00Z$`},
		{"unix", `{{ unix }}`, `^` + strconv.FormatInt(fixed.Unix(), 10) + `$`},
		{"json string", `{{ json "a\"b" }}`, `^"a\\"b"$`},
		{"json piped", `{{ koreanName | json }}`, `^"\p{Hangul}{3}"$`},
		{"pipe into letters", `{{ int 3 3 | letters }}`, `^[a-zA-Z]{3}$`},
		{"printf builtin", `{{ printf "%05d" 42 }}`, `^00042$`},
		{"variable", `{{ $id := uuid }}{{ $id }}/{{ $id }}`, `^([0-9a-f-]{36})/([0-9a-f-]{36})$`},
		{"if", `{{ if eq (int 1 1) 1 }}yes{{ else }}no{{ end }}`, `^yes$`},
		{"json body", `{"user":"{{ letters 8 }}","name":"{{ koreanName }}","email":"{{ email }}"}`,
			`^\{"user":"[a-zA-Z]{8}","name":"\p{Hangul}{3}","email":"[a-z0-9]{10}@example\.com"\}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewState(7, nil)
			st.now = func() time.Time { return fixed }
			for i := 0; i < 20; i++ { // random output: check several draws
				got := render(t, tt.text, st)
				if !regexp.MustCompile(tt.re).MatchString(got) {
					t.Fatalf("render %q = %q, want match %s", tt.text, got, tt.re)
				}
				if strings.HasPrefix(tt.name, "seq") {
					break
				}
			}
		})
	}
}

func TestVariableSameValue(t *testing.T) {
	got := render(t, `{{ $id := uuid }}{{ $id }}/{{ $id }}`, NewState(1, nil))
	a, b, _ := strings.Cut(got, "/")
	if a != b {
		t.Fatalf("variable gave %q and %q", a, b)
	}
}

func TestRandomnessVaries(t *testing.T) {
	tp := MustCompile("b", `{{ letters 16 }}`)
	st := NewState(3, nil)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		out, err := tp.Render(nil, st)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(out)] = true
	}
	if len(seen) != 100 {
		t.Fatalf("100 renders gave %d distinct values", len(seen))
	}
}

func TestIntCoversRange(t *testing.T) {
	tp := MustCompile("b", `{{ int 1 3 }}`)
	st := NewState(5, nil)
	seen := map[string]int{}
	for i := 0; i < 300; i++ {
		out, _ := tp.Render(nil, st)
		seen[string(out)]++
	}
	for _, v := range []string{"1", "2", "3"} {
		if seen[v] == 0 {
			t.Fatalf("int 1 3 never gave %s: %v", v, seen)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("int 1 3 gave values out of range: %v", seen)
	}
}

func TestSeedsAreDeterministic(t *testing.T) {
	tp := MustCompile("b", `{{ uuid }} {{ koreanName }} {{ email }}`)
	a, _ := tp.Render(nil, NewState(9, nil))
	b, _ := tp.Render(nil, NewState(9, nil))
	c, _ := tp.Render(nil, NewState(10, nil))
	if string(a) != string(b) {
		t.Fatalf("same seed, different output: %q vs %q", a, b)
	}
	if string(a) == string(c) {
		t.Fatalf("different seeds, same output %q", a)
	}
}

func TestSeqUniqueAcrossWorkers(t *testing.T) {
	tp := MustCompile("b", `{{ seq }}`)
	var seq atomic.Int64
	const workers, per = 8, 500
	results := make([][]string, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := NewState(uint64(w), &seq)
			for i := 0; i < per; i++ {
				out, err := tp.Render(nil, st)
				if err != nil {
					t.Error(err)
					return
				}
				results[w] = append(results[w], string(out))
			}
		}(w)
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range results {
		for _, v := range r {
			if seen[v] {
				t.Fatalf("seq %s given twice", v)
			}
			seen[v] = true
		}
	}
	if len(seen) != workers*per || !seen["1"] || !seen[strconv.Itoa(workers*per)] {
		t.Fatalf("got %d distinct seqs, want 1..%d", len(seen), workers*per)
	}
}

func TestSeqSharedBetweenBodyAndHeader(t *testing.T) {
	body := MustCompile("body", `{"id":{{ seq }}}`)
	hdr := MustCompile("header", `req-{{ seq }}`)
	st := NewState(1, nil)
	for i := 1; i <= 3; i++ {
		b, _ := body.Render(nil, st)
		h, _ := hdr.Append(nil, st)
		want := strconv.Itoa(i)
		if string(b) != `{"id":`+want+`}` || string(h) != "req-"+want {
			t.Fatalf("request %d: body %q header %q", i, b, h)
		}
	}
}

func TestConstant(t *testing.T) {
	tests := []struct {
		text, want string
		constant   bool
	}{
		{`{"a":1}`, `{"a":1}`, true},
		{``, ``, true},
		{`x{{/* a comment */}}y`, `xy`, true},
		{`{{ "lit" }}`, `lit`, false},
		{`{{ uuid }}`, ``, false},
	}
	for _, tt := range tests {
		tp, err := Compile("b", tt.text)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.text, err)
		}
		if tp.Constant() != tt.constant {
			t.Fatalf("Constant(%q) = %v, want %v", tt.text, tp.Constant(), tt.constant)
		}
		if tt.constant && string(tp.Bytes()) != tt.want {
			t.Fatalf("Bytes(%q) = %q, want %q", tt.text, tp.Bytes(), tt.want)
		}
	}
}

func TestConstantZeroAlloc(t *testing.T) {
	tp := MustCompile("b", `{"user":"fixed","password":"secret"}`)
	st := NewState(1, nil)
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(1000, func() {
		out, err := tp.Render(buf[:0], st)
		if err != nil || len(out) == 0 {
			t.Fatal("render failed")
		}
	})
	if allocs != 0 {
		t.Fatalf("constant render allocates %v times per run, want 0", allocs)
	}
}

func TestRenderAppends(t *testing.T) {
	tp := MustCompile("b", `{{ digits 3 }}`)
	out, err := tp.Render([]byte("pre:"), NewState(1, nil))
	if err != nil || !regexp.MustCompile(`^pre:\d{3}$`).Match(out) {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, text string
		line, col  int
		fn         string
		msg        string // substring
	}{
		{"unknown function", "{\n  \"id\": \"{{ uuidd }}\"\n}", 2, 13, "uuidd", "not defined"},
		{"letters no arg", `{{ letters }}`, 1, 4, "letters", "takes 1 argument"},
		{"uuid extra arg", "ab\ncd {{ uuid 3 }}", 2, 7, "uuid", "takes 0 argument"},
		{"letters too long", `{{ letters 99999999 }}`, 1, 12, "letters", "out of range"},
		{"letters negative", `{{ letters -1 }}`, 1, 12, "letters", "out of range"},
		{"int reversed", `{{ int 9 1 }}`, 1, 8, "int", "greater than MAX"},
		{"pick empty", `{{ pick }}`, 1, 4, "pick", "at least 1"},
		{"dot", `{{ . }}`, 1, 4, "", "no data"},
		{"field", `{{ .User }}`, 1, 4, "", "no data"},
		{"range", `{{ range 3 }}x{{ end }}`, 1, 0, "", "range is not supported"},
		{"unclosed", `{{ uuid `, 1, 0, "", "unclosed"},
		{"define", `{{ define "x" }}a{{ end }}{{ uuid }}`, 0, 0, "", "define"},
		{"runtime error", `{{ int (int 5 5) 1 }}`, 1, 4, "int", "greater than MAX"},
		{"runtime error nested", "ab\n  {{ letters (int -5 -1) }}", 2, 6, "letters", "out of range"},
		{"runtime type error", `{{ pick "x" | int 3 }}`, 1, 0, "", "wrong type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile("login", tt.text)
			if err == nil {
				t.Fatalf("Compile(%q) succeeded, want error", tt.text)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if e.Name != "login" || e.Line != tt.line || (tt.col != 0 && e.Col != tt.col) || e.Func != tt.fn {
				t.Fatalf("error %q: got name=%s line=%d col=%d func=%q, want line=%d col=%d func=%q",
					err, e.Name, e.Line, e.Col, e.Func, tt.line, tt.col, tt.fn)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

func TestOutputBounded(t *testing.T) {
	// 20 x 65536 letters is more than MaxOutput.
	text := strings.Repeat(`{{ letters 65536 }}`, 20)
	tp, err := Compile("big", text)
	if err == nil {
		t.Fatalf("compile of an oversized template succeeded: %v", tp)
	}
	if !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("error %q does not say the output is too large", err)
	}
}

func TestJSONBodyIsValid(t *testing.T) {
	tp := MustCompile("b", `{"id":{{ seq }},"name":{{ koreanName | json }},"tag":{{ pick "x" "y\"z" | json }}}`)
	st := NewState(1, nil)
	for i := 0; i < 50; i++ {
		out, err := tp.Render(nil, st)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("%s is not JSON: %v", out, err)
		}
	}
}

// sameOutputs renders tp's fast path and text/template path from twin States
// and reports the first difference.
func sameOutputs(t *testing.T, tp *Template, renders int) {
	t.Helper()
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := NewState(11, nil), NewState(11, nil)
	a.now = func() time.Time { return fixed }
	b.now = a.now
	for i := 0; i < renders; i++ {
		a.Next()
		b.Next()
		fast, err1 := tp.Append(nil, a)
		slow, err2 := tp.appendSlow(nil, b)
		if (err1 == nil) != (err2 == nil) || string(fast) != string(slow) {
			t.Fatalf("fast path %q (%v) != text/template %q (%v)", fast, err1, slow, err2)
		}
	}
}

func TestFastPathMatchesTextTemplate(t *testing.T) {
	fast := []string{
		`{"user":"{{ letters 8 }}","name":"{{ koreanName }}","email":"{{ email }}","pw":"{{ alnum 12 }}"}`,
		`{{ lower 3 }}{{ digits 4 }}{{ uuid }}{{ seq }}-{{ seq }}`,
		`{{ int -5 5 }} {{ int 0 0 }} {{ int -9223372036854775808 9223372036854775807 }}`,
		`{{ pick "a" "b" "c" }} {{ now }} {{ unix }}`,
		`{{- letters 2 -}} x {{/* c */}}`,
	}
	for _, text := range fast {
		tp := MustCompile("b", text)
		if tp.fast == nil {
			t.Fatalf("%q should take the fast path", text)
		}
		sameOutputs(t, tp, 50)
	}
	slow := []string{`{{ pick 1 2 }}`, `{{ koreanName | json }}`, `{{ $x := uuid }}{{ $x }}`,
		`{{ if true }}{{ uuid }}{{ end }}`, `{{ printf "%d" 3 }}`, `{{ letters (int 1 2) }}`, `{{ "lit" }}`}
	for _, text := range slow {
		if tp := MustCompile("b", text); tp.fast != nil {
			t.Fatalf("%q should not take the fast path", text)
		}
	}
}

func TestFastPathZeroAlloc(t *testing.T) {
	tp := MustCompile("b", `{"user":"{{ letters 8 }}","name":"{{ koreanName }}","email":"{{ email }}","id":"{{ uuid }}","n":{{ seq }},"t":"{{ now }}"}`)
	st := NewState(1, nil)
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(1000, func() {
		out, err := tp.Render(buf[:0], st)
		if err != nil || len(out) == 0 {
			t.Fatal("render failed")
		}
	})
	if allocs != 0 {
		t.Fatalf("fast-path render allocates %v times per run, want 0", allocs)
	}
}

func FuzzCompileRender(f *testing.F) {
	for _, s := range []string{
		``, `plain`, `{{ letters 8 }}`, `{{ uuid }}{{ seq }}`, `{{ int 1 100 }}`,
		`{{ pick "a" "b" }}`, `{{ koreanName | json }}`, `{{ printf "%d" (int 1 2) }}`,
		`{{ if true }}a{{ else }}b{{ end }}`, `{{ $x := email }}{{ $x }}{{ $x }}`, `{{ . }}`, `{{`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tp, err := Compile("fuzz", text)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if tp.fast != nil {
			sameOutputs(t, tp, 2)
		}
		st := NewState(1, nil)
		for i := 0; i < 3; i++ {
			out, err := tp.Render(nil, st)
			if len(out) > MaxOutput {
				t.Fatalf("output %d bytes > MaxOutput", len(out))
			}
			if err != nil {
				return
			}
			if tp.Constant() && string(out) != string(tp.Bytes()) {
				t.Fatal("constant template rendered differently from Bytes")
			}
		}
	})
}

func BenchmarkRenderJSON(b *testing.B) {
	tp := MustCompile("b", `{"user":"{{ letters 8 }}","name":"{{ koreanName }}","email":"{{ email }}","password":"{{ alnum 12 }}"}`)
	st := NewState(1, nil)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = tp.Render(buf[:0], st)
		if err != nil {
			b.Fatal(err)
		}
	}
}
