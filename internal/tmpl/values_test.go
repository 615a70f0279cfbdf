package tmpl

import (
	"net/url"
	"strings"
	"testing"
)

type vals map[string]string

func (v vals) Var(n string) (string, bool) { s, ok := v["v:"+n]; return s, ok }
func (v vals) Row(c string) (string, bool) { s, ok := v["r:"+c]; return s, ok }

// var and row read the State's Values on both paths (fast, text/template),
// with the same output, without allocating on the fast path; an unset one
// is an error naming it.
func TestVarRow(t *testing.T) {
	v := vals{"v:token": "t1", "r:email": "a@x"}
	tests := []struct {
		text, want string
		fast       bool
	}{
		{`Bearer {{ var "token" }}`, "Bearer t1", true},
		{`{{ row "email" }}/{{ var "token" }}`, "a@x/t1", true},
		{`{{ var "token" | json }}`, `"t1"`, false},
		{`{{ if var "token" }}yes{{ end }}`, "yes", false},
	}
	for _, tt := range tests {
		tp := MustCompile("b", tt.text)
		if (tp.fast != nil) != tt.fast {
			t.Errorf("%q: fast path %v; want %v", tt.text, tp.fast != nil, tt.fast)
		}
		st := NewState(1, nil)
		st.SetValues(v)
		out, err := tp.Render(nil, st)
		if err != nil || string(out) != tt.want {
			t.Errorf("%q: %q %v; want %q", tt.text, out, err, tt.want)
		}
	}
	for _, text := range []string{`{{ var "nope" }}`, `{{ var "nope" | json }}`, `{{ row "nope" }}`} {
		st := NewState(1, nil)
		st.SetValues(v)
		if _, err := MustCompile("b", text).Render(nil, st); err == nil || !strings.Contains(err.Error(), `"nope"`) {
			t.Errorf("%q: err %v; want one naming nope", text, err)
		}
	}
	tp := MustCompile("b", `{"t":"{{ var "token" }}","e":"{{ row "email" }}"}`)
	st := NewState(1, nil)
	st.SetValues(v)
	buf := make([]byte, 0, 64)
	if a := testing.AllocsPerRun(200, func() { _, _ = tp.Render(buf[:0], st) }); a != 0 {
		t.Errorf("var/row fast path allocates %v per render", a)
	}
	if _, err := Compile("b", `{{ var }}`); err == nil {
		t.Error("var without a name accepted")
	}
}

func TestRefs(t *testing.T) {
	tests := []struct {
		text       string
		vars, rows string
	}{
		{`x`, "", ""},
		{`{{ var "a" }}{{ row "e" }}{{ var "b" }}`, "a,b", "e"},
		{`{{ if true }}{{ var "a" }}{{ else }}{{ row "x" }}{{ end }}`, "a", "x"},
		{`{{ json (var "a") }}`, "a", ""},
		{`{{ var "a" | json }}`, "a", ""},
		{`{{ broken`, "", ""},
	}
	for _, tt := range tests {
		v, r := Refs(tt.text)
		if strings.Join(v, ",") != tt.vars || strings.Join(r, ",") != tt.rows {
			t.Errorf("%q: vars %q rows %q; want %q %q", tt.text, v, r, tt.vars, tt.rows)
		}
	}
}

func TestSplitURL(t *testing.T) {
	tests := []struct {
		raw, origin, path, err string
	}{
		{"http://h:1/a", "http://h:1/a", "", ""},
		{"http://h:1/u/{{ seq }}", "http://h:1", "/u/{{ seq }}", ""},
		{"http://h:1?q={{ seq }}", "http://h:1", "/?q={{ seq }}", ""},
		{"http://{{ seq }}/", "", "", "in the host"},
		{"http://h{{ seq }}:1/", "", "", "in the host"},
		{"{{ seq }}", "", "", "scheme and host"},
	}
	for _, tt := range tests {
		o, p, err := SplitURL(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v; want %q", tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil || o != tt.origin || p != tt.path {
			t.Errorf("%q: %q %q %v; want %q %q", tt.raw, o, p, err, tt.origin, tt.path)
		}
	}
}

func TestAppendPathEscaped(t *testing.T) {
	got := string(AppendPathEscaped(nil, []byte("/a b/김?x=1&y=\"#{}|%41")))
	want := "/a%20b/%EA%B9%80?x=1&y=%22%23%7B%7D%7C%41"
	if got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}

func FuzzPathEscaped(f *testing.F) {
	f.Add("/a b/김?x=1")
	f.Add("/\r\n\x00")
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendPathEscaped(nil, []byte("/"+s))
		for _, c := range out {
			if !pathByteOK(c) && c != '%' {
				t.Fatalf("%q kept byte %q", out, c)
			}
		}
		if _, err := url.ParseRequestURI(string(out)); err != nil && !strings.Contains(s, "%") {
			t.Fatalf("%q: %v", out, err)
		}
	})
}
