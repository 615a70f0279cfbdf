package scaffold_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/scaffold"
	"github.com/perfgate/perfgate/internal/stack/compose"
)

func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "My Repo")
	for p, body := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const mainGo = "package main\n\nimport (\"flag\"; \"net/http\")\n\n"

// What Detect finds in a repository, what it generates from it, and that
// the config passes the loader's checks and can be paired.
func TestDetectAndGenerate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  scaffold.Project
		in    []string // lines the config must hold
	}{
		{
			name: "go, PORT from the environment",
			files: map[string]string{
				"go.mod":            "module x\n",
				"cmd/api/main.go":   mainGo + "func main() { _ = os.Getenv(\"PORT\"); http.HandleFunc(\"/healthz\", nil); flag.Parse() }\n",
				"tools/gen/main.go": mainGo + "func main() {}\n",
				"lib/lib.go":        "package lib\n",
			},
			want: scaffold.Project{Name: "my-repo", GoMain: "./cmd/api", PortStyle: scaffold.PortEnv, Health: "/healthz", Branch: "main"},
			in: []string{"  - [go, build, -o, bin/api, ./cmd/api]", `      env: {PORT: "{{ port 8080 }}"}`,
				`      http: http://{{ endpoint "api" "8080" }}/healthz`},
		},
		{
			name: "go at the root, an -addr flag and a default port",
			files: map[string]string{
				"main.go":    mainGo + "var addr = flag.String(\"addr\", \"127.0.0.1:9090\", \"\")\nfunc main() {}\n",
				"Dockerfile": "FROM scratch\nEXPOSE 7000\n",
			},
			want: scaffold.Project{Name: "my-repo", GoMain: ".", PortStyle: scaffold.PortAddrFlag, Port: 9090, Dockerfile: "Dockerfile", Branch: "main"},
			in:   []string{`      command: [./bin/my-repo, -addr, "127.0.0.1:{{ port 9090 }}"]`, `      tcp: '{{ endpoint "my-repo" "9090" }}'`},
		},
		{
			name:  "a Dockerfile only",
			files: map[string]string{"deploy/Dockerfile": "FROM scratch\nEXPOSE 3000/tcp\n"},
			want:  scaffold.Project{Name: "my-repo", Dockerfile: "deploy/Dockerfile", Port: 3000, Branch: "main"},
			in:    []string{"      build: {context: deploy, dockerfile: Dockerfile}", `      ports: ["3000"]`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tree(t, tc.files)
			p := scaffold.Detect(context.Background(), dir)
			if !reflect.DeepEqual(p, tc.want) {
				t.Fatalf("Detect:\n got %+v\nwant %+v", p, tc.want)
			}
			o, err := scaffold.Defaults(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Check(); err != nil {
				t.Fatal(err)
			}
			for _, quick := range []bool{false, true} {
				o.Quick = quick
				text := scaffold.Config(o)
				for _, line := range tc.in {
					if !strings.Contains(text, line+"\n") {
						t.Errorf("config lacks %q:\n%s", line, text)
					}
				}
				validate(t, dir, text)
			}
		})
	}
}

// validate loads a generated config as perfgate validate does: the
// loader's checks, the compose file's services, pairing.
func validate(t *testing.T, dir, text string) {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(dir, "perfgate.yaml"), []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if err := compose.Expand(context.Background(), cfg); err != nil {
		t.Fatalf("compose: %v\n%s", err, text)
	}
	if err := cfg.CheckPairable(); err != nil {
		t.Errorf("not pairable: %v\n%s", err, text)
	}
}

func TestDefaultsNothingFound(t *testing.T) {
	_, err := scaffold.Defaults(scaffold.Detect(context.Background(), tree(t, map[string]string{"README.md": "hi\n"})))
	if err == nil || !strings.Contains(err.Error(), "found no compose file, Go main package or Dockerfile") {
		t.Fatalf("err %v", err)
	}
}

func TestCheck(t *testing.T) {
	good := scaffold.Options{Name: "a", Service: "a", Provider: scaffold.Process, GoMain: ".", Port: 80, URL: "/"}
	for _, tc := range []struct {
		edit func(*scaffold.Options)
		want string
	}{
		{func(o *scaffold.Options) {}, ""},
		{func(o *scaffold.Options) { o.URL = "api" }, "--url"},
		{func(o *scaffold.Options) { o.Health = "healthz" }, "--health"},
		{func(o *scaffold.Options) { o.Port = 70000 }, "--port"},
		{func(o *scaffold.Options) { o.Service = "My App" }, "--service"},
		{func(o *scaffold.Options) { o.Provider = scaffold.Container }, "no Dockerfile"},
		{func(o *scaffold.Options) { o.Provider = "k8s" }, "expected process, container or compose"},
		{func(o *scaffold.Options) { o.Provider = scaffold.Compose }, "no compose.yaml"},
	} {
		o := good
		tc.edit(&o)
		err := o.Check()
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", o, err, tc.want)
		}
	}
}

// Existing files are kept unless force; nothing is half-written.
func TestWriteForce(t *testing.T) {
	dir := tree(t, map[string]string{"perfgate.yaml": "mine\n"})
	files := map[string]string{"perfgate.yaml": "new\n", ".github/workflows/perfgate.yml": "wf\n"}
	if _, err := scaffold.Write(dir, files, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".github")); err == nil {
		t.Error("workflow written though perfgate.yaml exists")
	}
	if _, err := scaffold.Write(dir, files, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "perfgate.yaml")); string(b) != "new\n" {
		t.Errorf("perfgate.yaml %q", b)
	}
}

// The workflow gates pull requests in paired mode with the released
// action, never runs on pull_request_target, and asks for write access only
// to comment.
func TestWorkflow(t *testing.T) {
	o := scaffold.Options{Name: "svc", Service: "svc", Provider: scaffold.Process, GoMain: ".", Port: 80, URL: "/", Branch: "master"}
	wf := scaffold.Workflow(o, "perfgate.yaml")
	for _, want := range []string{"uses: perfgate/perfgate@v1", "mode: paired", "branches: [master]", "go-version-file: go.mod",
		"baseline update -c perfgate.yaml", "permissions:\n  contents: read\n"} {
		if !strings.Contains(wf, want) {
			t.Errorf("workflow lacks %q:\n%s", want, wf)
		}
	}
	if strings.Contains(wf, "pull_request_target") || strings.Count(wf, ": write") != 1 {
		t.Errorf("workflow permissions:\n%s", wf)
	}
	o.Provider, o.Dockerfile = scaffold.Container, "Dockerfile"
	if wf := scaffold.Workflow(o, "perfgate.yaml"); strings.Contains(wf, "go-version-file") || !strings.Contains(wf, "go-version: stable") {
		t.Errorf("container workflow:\n%s", wf)
	}
}

// Answers replace values, empty answers keep them, flags are not asked.
func TestAsk(t *testing.T) {
	o := scaffold.Options{Service: "api", Port: 8080, URL: "/", Health: "/healthz"}
	var out strings.Builder
	got := scaffold.Ask(strings.NewReader("\n/items\n"), &out, o, map[string]bool{"service": true})
	if got.Service != "api" || got.Port != 8080 || got.URL != "/items" || got.Health != "/healthz" {
		t.Errorf("%+v", got)
	}
	if strings.Contains(out.String(), "Service name") || !strings.Contains(out.String(), "Path to load [/]: ") {
		t.Errorf("asked %q", out.String())
	}
}
