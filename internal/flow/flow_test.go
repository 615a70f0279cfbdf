package flow

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perfgate/perfgate/internal/tmpl"
)

type resp struct {
	h    http.Header
	body string
}

func (r resp) Header(name string) string { return r.h.Get(name) }
func (r resp) Body() []byte              { return []byte(r.body) }

func TestCaptureExtract(t *testing.T) {
	r := resp{h: http.Header{"X-Request-Id": {"abc"}, "Location": {"/users/42"}},
		body: `{"token":"t1","user":{"id":42,"ok":true,"tags":["a","b"]},"n":null,"cookie":"session=s9;"}`}
	tests := []struct {
		spec   CaptureSpec
		want   string
		wantOK bool
	}{
		{CaptureSpec{JSON: "token", As: "t"}, "t1", true},
		{CaptureSpec{JSON: "user.id", As: "t"}, "42", true},
		{CaptureSpec{JSON: "user.ok", As: "t"}, "true", true},
		{CaptureSpec{JSON: "user.tags.1", As: "t"}, "b", true},
		{CaptureSpec{JSON: "user.tags", As: "t"}, `["a","b"]`, true},
		{CaptureSpec{JSON: "n", As: "t"}, "null", true},
		{CaptureSpec{JSON: "tokn", As: "t"}, "", false},
		{CaptureSpec{Header: "x-request-id", As: "t"}, "abc", true},
		{CaptureSpec{Header: "Location", As: "t"}, "/users/42", true},
		{CaptureSpec{Header: "X-Missing", As: "t"}, "", false},
		{CaptureSpec{Regexp: `session=(\w+);`, As: "t"}, "s9", true},
		{CaptureSpec{Regexp: `(x)?session`, As: "t"}, "", false}, // the group did not take part
		{CaptureSpec{Regexp: `nomatch=(\d+)`, As: "t"}, "", false},
	}
	for _, tt := range tests {
		c, err := ParseCapture(tt.spec)
		if err != nil {
			t.Fatalf("%+v: %v", tt.spec, err)
		}
		got, ok := c.Extract(r)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: got %q %v; want %q %v", c.String(), got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseCaptureErrors(t *testing.T) {
	tests := []struct {
		spec CaptureSpec
		want string
	}{
		{CaptureSpec{As: "x"}, "exactly one of json"},
		{CaptureSpec{JSON: "a", Header: "b", As: "x"}, "exactly one of json"},
		{CaptureSpec{JSON: "a"}, "as: required"},
		{CaptureSpec{JSON: "a", As: "1x"}, "must be letters"},
		{CaptureSpec{JSON: " a", As: "x"}, "no spaces"},
		{CaptureSpec{Header: "a b", As: "x"}, "not a header name"},
		{CaptureSpec{Regexp: "(", As: "x"}, "regexp:"},
		{CaptureSpec{Regexp: `\d+`, As: "x"}, "has no group"},
	}
	for _, tt := range tests {
		_, err := ParseCapture(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err %v; want %q", tt.spec, err, tt.want)
		}
	}
}

func FuzzParseCapture(f *testing.F) {
	f.Add("token", "", "", "t")
	f.Add("", "X-Id", "", "id")
	f.Add("", "", `id=(\d+)`, "id")
	f.Add("a.b.#", "", "(", "")
	f.Fuzz(func(t *testing.T, js, hdr, re, as string) {
		c, err := ParseCapture(CaptureSpec{JSON: js, Header: hdr, Regexp: re, As: as})
		if err != nil {
			return
		}
		if !ValidName(c.As) {
			t.Fatalf("accepted as %q", c.As)
		}
		// Extracting from any response never panics.
		c.Extract(resp{h: http.Header{}, body: js + hdr + re})
	})
}

func TestTableFormats(t *testing.T) {
	tests := []struct {
		name, file, data string
		cols             []string
		rows             [][]string
	}{
		{"csv", "u.csv", "email,name\na@x,\"A, a\"\nb@x,B\n", []string{"email", "name"}, [][]string{{"a@x", "A, a"}, {"b@x", "B"}}},
		{"csv bom crlf", "u.csv", "\ufeffemail\r\na@x\r\n", []string{"email"}, [][]string{{"a@x"}}},
		{"jsonl", "u.jsonl", `{"email":"a@x","n":1}` + "\n\n" + `{"n":2.5,"email":"b@x"}` + "\n", []string{"email", "n"}, [][]string{{"a@x", "1"}, {"b@x", "2.5"}}},
		{"json by content", "u.txt", `{"ok":true,"z":null}`, []string{"ok", "z"}, [][]string{{"true", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := ParseTable(tt.file, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(tb.Columns, "|") != strings.Join(tt.cols, "|") || len(tb.Rows) != len(tt.rows) {
				t.Fatalf("columns %q rows %q", tb.Columns, tb.Rows)
			}
			for i := range tt.rows {
				if strings.Join(tb.Rows[i], "|") != strings.Join(tt.rows[i], "|") {
					t.Errorf("row %d %q; want %q", i, tb.Rows[i], tt.rows[i])
				}
			}
		})
	}
}

func TestTableErrors(t *testing.T) {
	tests := []struct {
		name, file, data, want string
	}{
		{"empty csv", "u.csv", "", "u.csv: empty"},
		{"header only", "u.csv", "email\n", "u.csv:1: a header row and no data rows"},
		{"ragged", "u.csv", "a,b\n1,2\n3\n", "u.csv:3: the row's number of fields"},
		{"bad quote", "u.csv", "a\n\"x\n", "u.csv:"},
		{"dup column", "u.csv", "a,a\n1,2\n", `u.csv:1: column "a" appears twice`},
		{"empty column", "u.csv", "a,\n1,2\n", "u.csv:1: column 2 has no name"},
		{"jsonl not object", "u.jsonl", "{\"a\":1}\n[1]\n", "u.jsonl:2: not a JSON object"},
		{"jsonl nested", "u.jsonl", "{\"a\":{\"b\":1}}\n", "u.jsonl:1: key \"a\": a value is a string"},
		{"jsonl other keys", "u.jsonl", "{\"a\":1}\n{\"b\":1}\n", `u.jsonl:2: key "b" is not in the first line`},
		{"jsonl fewer keys", "u.jsonl", "{\"a\":1,\"b\":2}\n\n{\"b\":1}\n", "u.jsonl:3: has 1 keys"},
		{"jsonl two values", "u.jsonl", "{\"a\":1} {\"a\":2}\n", "u.jsonl:1: more than one JSON value"},
		{"jsonl empty", "u.jsonl", "\n\n", "u.jsonl: empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTable(tt.file, []byte(tt.data))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) && !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v; want %q", err, tt.want)
			}
		})
	}
	if _, err := ReadTable("/nonexistent/users.csv"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzParseTable(f *testing.F) {
	f.Add("u.csv", "email,name\na@x,A\n")
	f.Add("u.jsonl", `{"a":1,"b":"x"}`+"\n")
	f.Add("u.csv", "a,\"b\n")
	f.Fuzz(func(t *testing.T, name, data string) {
		tb, err := ParseTable(name, []byte(data))
		if err != nil {
			var de *DataError
			if !errorsAs(err, &de) {
				t.Fatalf("error %T %v is not a *DataError", err, err)
			}
			return
		}
		if len(tb.Rows) == 0 {
			t.Fatal("a table without rows was accepted")
		}
		for _, r := range tb.Rows {
			if len(r) != len(tb.Columns) {
				t.Fatalf("row %q for columns %q", r, tb.Columns)
			}
		}
	})
}

func table(n int) *Table {
	tb := &Table{File: "t.csv", Columns: []string{"i"}, col: map[string]int{"i": 0}}
	for i := range n {
		tb.Rows = append(tb.Rows, []string{strings.Repeat("x", i)})
	}
	return tb
}

func TestRowsOrderAndShard(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name  string
		order string
		shard Shard
		n     int
		want  []int // the row lengths (index) picked, for sequential
	}{
		{"sequential wraps", Sequential, Shard{}, 3, []int{0, 1, 2, 0, 1}},
		{"default order", "", Shard{0, 1}, 2, []int{0, 1, 0}},
		{"shard 1 of 3", Sequential, Shard{1, 3}, 8, []int{1, 4, 7, 1}},
		{"shard 0 of 2", Sequential, Shard{0, 2}, 5, []int{0, 2, 4, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRows(table(tt.n), tt.order, tt.shard)
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range tt.want {
				if got := len(r.Pick(rng)[0]); got != w {
					t.Fatalf("pick %d: row %d; want %d", k, got, w)
				}
			}
		})
	}
	// Random: every row of the shard turns up, none outside it.
	r, err := NewRows(table(9), Random, Shard{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for range 300 {
		seen[len(r.Pick(rng)[0])]++
	}
	if len(seen) != 3 || seen[2] == 0 || seen[5] == 0 || seen[8] == 0 {
		t.Errorf("random picks %v; want rows 2, 5 and 8 only", seen)
	}
	for _, bad := range []struct {
		order string
		sh    Shard
		want  string
	}{{"shuffled", Shard{}, "data order"}, {"", Shard{3, 3}, "0 <= index < count"}, {"", Shard{4, 5}, "holds none"}} {
		if _, err := NewRows(table(3), bad.order, bad.sh); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v; want %q", bad, err, bad.want)
		}
	}
}

// Begin renders the vars once per iteration (one seq for all), takes a
// row, and the captures of a step land in the same Iter.
func TestIteration(t *testing.T) {
	tb, err := ParseTable("u.csv", []byte("email\na@x\nb@x\n"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := NewRows(tb, Sequential, Shard{})
	c, _ := ParseCapture(CaptureSpec{JSON: "token", As: "token"})
	f, err := New(Spec{Name: "f", Rows: rows,
		Vars:  map[string]*tmpl.Template{"a": tmpl.MustCompile("a", "u{{ seq }}"), "b": tmpl.MustCompile("b", "{{ seq }}-{{ row \"email\" }}")},
		Steps: []StepSpec{{Name: "login", Captures: []Capture{c}}}})
	if err != nil {
		t.Fatal(err)
	}
	var seq atomic.Int64
	st := tmpl.NewState(1, &seq)
	it := f.NewIter()
	body := tmpl.MustCompile("body", `{{ var "a" }} {{ var "b" }} {{ var "token" }}`)
	for i, want := range []string{"u1 1-a@x tok", "u2 2-b@x tok", "u3 3-a@x tok"} {
		if err := f.Begin(it, st); err != nil {
			t.Fatal(err)
		}
		if _, ok := it.Var("token"); ok {
			t.Fatal("a capture survived into the next iteration")
		}
		if err := f.Capture(it, 0, resp{body: `{"token":"tok"}`}); err != nil {
			t.Fatal(err)
		}
		got, err := body.Render(nil, st)
		if err != nil || string(got) != want {
			t.Errorf("iteration %d: %q %v; want %q", i, got, err, want)
		}
	}
	if h, b := f.Wants(0); h || !b {
		t.Errorf("wants %v %v; want the body only", h, b)
	}
	err = f.Capture(it, 0, resp{body: `{}`})
	var ce *CaptureError
	if !errorsAs(err, &ce) || ce.Step != "login" || !strings.Contains(err.Error(), `json "token"`) {
		t.Errorf("missing capture: %v", err)
	}
	// An unset var in a request is an error at render time.
	if err := f.Begin(it, st); err != nil {
		t.Fatal(err)
	}
	if _, err := body.Render(nil, st); err == nil || !strings.Contains(err.Error(), `var "token" is not set`) {
		t.Errorf("unset var: %v", err)
	}
}

// Begin renders the vars in VarOrder, each reading the ones before it; a
// var that reads a later var, itself, an unknown name or a capture (the
// steps have not run yet) fails the iteration.
func TestVarOrder(t *testing.T) {
	c, _ := ParseCapture(CaptureSpec{JSON: "token", As: "token"})
	tests := []struct {
		name  string
		vars  map[string]string
		order []string
		want  map[string]string // after Begin
		err   string            // Begin's error, "" for none
	}{
		{"chain", map[string]string{"user": "u{{ seq }}", "mail": `{{ var "user" }}@x`, "hi": `{{ var "mail" }}/{{ var "user" }}`},
			[]string{"user", "mail", "hi"}, map[string]string{"user": "u1", "mail": "u1@x", "hi": "u1@x/u1"}, ""},
		{"name order without VarOrder", map[string]string{"b": `{{ var "a" }}!`, "a": "x"}, nil, map[string]string{"a": "x", "b": "x!"}, ""},
		{"later var", map[string]string{"user": "u", "mail": `{{ var "user" }}@x`}, []string{"mail", "user"}, nil, `render var "mail": `},
		{"itself", map[string]string{"mail": `{{ var "mail" }}`}, nil, nil, `var "mail" is not set`},
		{"unknown", map[string]string{"mail": `{{ var "nope" }}`}, nil, nil, `var "nope" is not set`},
		{"a capture", map[string]string{"mail": `{{ var "token" }}`}, nil, nil, `var "token" is not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]*tmpl.Template{}
			for n, text := range tt.vars {
				vars[n] = tmpl.MustCompile(n, text)
			}
			f, err := New(Spec{Name: "f", Vars: vars, VarOrder: tt.order, Steps: []StepSpec{{Name: "login", Captures: []Capture{c}}}})
			if err != nil {
				t.Fatal(err)
			}
			var seq atomic.Int64
			st := tmpl.NewState(1, &seq)
			it := f.NewIter()
			for round := range 2 { // the second after a capture of "token"
				err := f.Begin(it, st)
				if tt.err != "" {
					if err == nil || !strings.Contains(err.Error(), tt.err) {
						t.Fatalf("round %d: Begin: %v; want %q", round, err, tt.err)
					}
					if err := f.Capture(it, 0, resp{body: `{"token":"tok"}`}); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Begin: %v", err)
				}
				for n, w := range tt.want {
					w = strings.ReplaceAll(w, "1", fmt.Sprint(round+1))
					if got, _ := it.Var(n); got != w {
						t.Errorf("round %d: var %s = %q; want %q", round, n, got, w)
					}
				}
			}
		})
	}
	// New checks VarOrder against Vars.
	vars := map[string]*tmpl.Template{"a": tmpl.MustCompile("a", "x"), "b": tmpl.MustCompile("b", "y")}
	for _, bad := range []struct {
		order []string
		want  string
	}{{[]string{"a", "c"}, `names "c", which is not one of its vars`}, {[]string{"a", "a"}, `names "a" twice`}, {[]string{"b"}, "lists 1 of its 2 vars"}, {[]string{"a", "b", "1x"}, "letters, digits"}} {
		if _, err := New(Spec{Name: "f", Vars: vars, VarOrder: bad.order}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("order %q: %v; want %q", bad.order, err, bad.want)
		}
	}
}
