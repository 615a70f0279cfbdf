package scaffold_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/scaffold"
)

const stack = `services:
  db:
    image: postgres:16
    expose: ["5432"]
  web:
    build: .
    ports: ["8080:80"]
    depends_on: [db]
`

// A compose file in the root takes precedence over a Go main package and a
// Dockerfile; the scenario reaches the first service that publishes a port
// (or the one --service names) on its container port, and the config
// passes the loader's checks with the compose file's services.
func TestCompose(t *testing.T) {
	db := scaffold.ComposeService{Name: "db", Port: 5432}
	web := scaffold.ComposeService{Name: "web", Port: 80, Published: true}
	for _, tc := range []struct {
		name     string
		files    map[string]string
		service  string // --service; "" keeps the default
		compose  string // the file found
		services []scaffold.ComposeService
		url      string // the scenario's url line
		err      string // Check's error, "" for none
	}{
		{
			name:     "compose over a Go main package and a Dockerfile",
			files:    map[string]string{"docker-compose.yml": stack, "main.go": mainGo + "func main() {}\n", "Dockerfile": "FROM scratch\nEXPOSE 7000\n"},
			compose:  "docker-compose.yml",
			services: []scaffold.ComposeService{db, web},
			url:      `    url: http://{{ endpoint "web" "80" }}/`,
		},
		{
			name:     "compose.yaml is docker compose's first choice",
			files:    map[string]string{"compose.yaml": stack, "docker-compose.yaml": "services: {}\n"},
			compose:  "compose.yaml",
			services: []scaffold.ComposeService{db, web},
			url:      `    url: http://{{ endpoint "web" "80" }}/`,
		},
		{
			name: "--service picks another publisher and its port",
			files: map[string]string{"compose.yml": stack + `  api:
    image: api
    ports: ["127.0.0.1:9000:9090/tcp"]
`},
			service:  "api",
			compose:  "compose.yml",
			services: []scaffold.ComposeService{{Name: "api", Port: 9090, Published: true}, db, web},
			url:      `    url: http://{{ endpoint "api" "9090" }}/`,
		},
		{
			name:     "--service naming a service that only exposes",
			files:    map[string]string{"docker-compose.yaml": stack},
			service:  "db",
			compose:  "docker-compose.yaml",
			services: []scaffold.ComposeService{db, web},
			err:      `add "5432" to its ports:`,
		},
		{
			name:     "--service naming no service",
			files:    map[string]string{"docker-compose.yaml": stack},
			service:  "nope",
			compose:  "docker-compose.yaml",
			services: []scaffold.ComposeService{db, web},
			err:      "it has: db, web",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tree(t, tc.files)
			p := scaffold.Detect(context.Background(), dir)
			if p.Compose != tc.compose || !reflect.DeepEqual(p.ComposeServices, tc.services) || p.ComposeErr != "" {
				t.Fatalf("Detect: %q %+v %q, want %q %+v", p.Compose, p.ComposeServices, p.ComposeErr, tc.compose, tc.services)
			}
			o, err := scaffold.Defaults(p)
			if err != nil {
				t.Fatal(err)
			}
			if o.Provider != scaffold.Compose {
				t.Fatalf("provider %q", o.Provider)
			}
			if tc.service != "" {
				o.SetService(tc.service)
			}
			err = o.Check()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Check: %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			text := scaffold.Config(o)
			for _, line := range []string{"  compose:", "    file: " + tc.compose, tc.url} {
				if !strings.Contains(text, line+"\n") {
					t.Errorf("config lacks %q:\n%s", line, text)
				}
			}
			validate(t, dir, text)
			if wf := scaffold.Workflow(o, "perfgate.yaml"); strings.Contains(wf, "go-version-file") {
				t.Errorf("compose workflow sets up Go from go.mod:\n%s", wf)
			}
		})
	}
}

// A compose file perfgate cannot run is reported, not skipped.
func TestComposeUnreadable(t *testing.T) {
	dir := tree(t, map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    privileged: true\n", "main.go": mainGo + "func main() {}\n"})
	p := scaffold.Detect(context.Background(), dir)
	if _, err := scaffold.Defaults(p); err == nil || !strings.Contains(err.Error(), "privileged") || !strings.Contains(err.Error(), "--provider") {
		t.Fatalf("err %v", err)
	}
	if o, err := scaffold.Defaults(p.WithoutCompose()); err != nil || o.Provider != scaffold.Process {
		t.Fatalf("without compose: %+v %v", o, err)
	}
}
