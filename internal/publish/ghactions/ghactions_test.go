package ghactions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	cases := []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"},
		{"k: v, w", "k: v, w", "k%3A v%2C w"},
		{"%0A", "%250A", "%250A"},
		{"::set-output name=x::y", "::set-output name=x::y", "%3A%3Aset-output name=x%3A%3Ay"},
	}
	for _, c := range cases {
		if got := EscapeData(c.in); got != c.data {
			t.Errorf("EscapeData(%q) = %q, want %q", c.in, got, c.data)
		}
		if got := EscapeProperty(c.in); got != c.prop {
			t.Errorf("EscapeProperty(%q) = %q, want %q", c.in, got, c.prop)
		}
	}
}

func TestAnnotationString(t *testing.T) {
	cases := []struct {
		a    Annotation
		want string
	}{
		{Annotation{Level: LevelError, Message: "boom"}, "::error::boom"},
		{Annotation{Level: LevelWarning, Title: "t: 1, 2", File: "perfgate.yaml", Message: "x\ny"}, "::warning title=t%3A 1%2C 2,file=perfgate.yaml::x%0Ay"},
		{Annotation{Level: "bogus", Message: "m"}, "::warning::m"},
	}
	for _, c := range cases {
		if got := c.a.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.a, got, c.want)
		}
		if strings.ContainsAny(c.a.String(), "\r\n") {
			t.Errorf("%+v spans lines", c.a)
		}
	}
}

func TestFormatOutputs(t *testing.T) {
	tricky := "line1\nghadelimiter_x\nEOF\n"
	s, err := FormatOutputs([]Output{{"verdict", "fail"}, {"multi", tricky}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(s, "\n")
	if !strings.HasPrefix(lines[0], "verdict<<ghadelimiter_") || lines[1] != "fail" || lines[2] != lines[0][len("verdict<<"):] {
		t.Errorf("verdict block: %q", lines[:3])
	}
	d := strings.TrimPrefix(lines[3], "multi<<")
	if strings.Contains(tricky, d) {
		t.Error("delimiter occurs in the value")
	}
	if !strings.Contains(s, "multi<<"+d+"\n"+tricky+"\n"+d+"\n") {
		t.Errorf("multi block wrong:\n%s", s)
	}
	for _, bad := range []string{"", "a\nb", "x<<y", "a=b"} {
		if _, err := FormatOutputs([]Output{{bad, "v"}}); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

func TestReadEnvAndRunURL(t *testing.T) {
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "9", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_API_URL": "https://ghe.example/api/v3/"}
	e := ReadEnv(func(k string) string { return env[k] })
	if !e.Actions || e.APIURL != "https://ghe.example/api/v3" || e.ServerURL != "https://github.com" {
		t.Errorf("env %+v", e)
	}
	if got := e.RunURL(); got != "https://github.com/o/r/actions/runs/9/attempts/2" {
		t.Errorf("RunURL %q", got)
	}
	if o, n, ok := e.OwnerName(); !ok || o != "o" || n != "r" {
		t.Errorf("OwnerName %q %q %v", o, n, ok)
	}
	e = ReadEnv(func(string) string { return "" })
	if e.Actions || e.APIURL != "https://api.github.com" || e.RunURL() != "" {
		t.Errorf("empty env %+v", e)
	}
}

func TestAppendFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, s := range []string{"a\n", "b\n"} {
		if err := AppendFile(p, s); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "a\nb\n" {
		t.Errorf("%q", b)
	}
	if AppendFile("", "x") == nil {
		t.Error("empty path accepted")
	}
}
