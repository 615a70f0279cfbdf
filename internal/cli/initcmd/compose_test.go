package initcmd_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

// init in a repository with a compose file and a Go main package writes a
// compose config that validate accepts (no Docker needed); --service picks
// the service, --provider process ignores the compose file.
func TestInitCompose(t *testing.T) {
	const compose = "services:\n  api:\n    image: api\n    ports: [\"9000:9090\"]\n  web:\n    build: .\n    ports: [\"8080:80\"]\n"
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string // lines perfgate.yaml holds
	}{
		{"default", nil, []string{"    file: docker-compose.yml", `    url: http://{{ endpoint "api" "9090" }}/`}},
		{"--service", []string{"--service", "web"}, []string{"    file: docker-compose.yml", `    url: http://{{ endpoint "web" "80" }}/`}},
		{"--provider process", []string{"--provider", "process"}, []string{"  - [go, build, -o, bin/my-repo, .]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "my-repo")
			for p, body := range map[string]string{"docker-compose.yml": compose, "go.mod": "module x\n", "main.go": "package main\n\nfunc main() {}\n"} {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for _, args := range [][]string{append([]string{"init"}, tc.flags...), {"validate"}} {
				if r := clitest.Run(t, ctx, nil, args...); r.Code != 0 {
					t.Fatalf("perfgate %v: exit %d: %v\n%s\n%s", args, r.Code, r.Err, r.Out, r.ErrOut)
				}
			}
			b, err := os.ReadFile("perfgate.yaml")
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range tc.want {
				if !strings.Contains(string(b), line+"\n") {
					t.Errorf("perfgate.yaml lacks %q:\n%s", line, b)
				}
			}
		})
	}
}
