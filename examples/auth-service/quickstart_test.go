//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// TestQuickstartRowsMatch200s runs examples/quickstart/perfgate.yaml
// through the CLI — PostgreSQL and the auth service as processes, no
// Docker — with a small bounded load, then opens the database the run
// left behind and counts the users: one row per signup answered 200
// (warm-up and measured passes, the signup scenario and the login-me
// flow's signup step), none lost, none extra. The flow (sign up, log in
// capturing the token, read the user with it) runs with 0 errors.
func TestQuickstartRowsMatch200s(t *testing.T) {
	if testing.Short() {
		t.Skip("runs perfgate, PostgreSQL and the service")
	}
	skipWithoutPG(t)
	root := clitest.RepoRoot(t)
	qs := filepath.Join(root, "examples", "quickstart")
	raw, err := os.ReadFile(filepath.Join(qs, "perfgate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Free ports instead of the example's fixed ones (tests run in
	// parallel), the service built once instead of `go run`.
	dbPort, authPort := freePort(t), freePort(t)
	text := strings.NewReplacer("15432", fmt.Sprint(dbPort), "18080", fmt.Sprint(authPort)).Replace(string(raw))
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	keep := t.TempDir()
	// Not under t.TempDir: PostgreSQL runs as nobody when the test runs as
	// root, and t.TempDir's folders are root's alone (0700).
	pgDir, err := os.MkdirTemp("", "perfgate-quickstart-pg-")
	clitest.Must(err)
	t.Cleanup(func() { _ = os.RemoveAll(pgDir) })
	bin := clitest.Build(t, "./examples/auth-service")
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch top.Content[i].Value {
		case "load":
			var load yaml.Node
			clitest.Must(yaml.Unmarshal([]byte("{workers: 4, warmup: {requests: 100}, measure: {requests: 300, duration: 20s}, repeat: 2}"), &load))
			top.Content[i+1] = load.Content[0]
		case "services":
			for _, svc := range top.Content[i+1].Content {
				name := mapGet(svc, "name").Value
				proc := mapGet(svc, "process")
				// Relative paths (postgres.sh) stay those of the example.
				mapSet(proc, "dir", qs)
				cmd := mapGet(proc, "command")
				switch name {
				case "db":
					env := &yaml.Node{Kind: yaml.MappingNode}
					mapSet(env, "PG_DIR", pgDir) // keep the cluster to count its rows
					mapSetNode(proc, "env", env)
				case "auth":
					if cmd.Content[0].Value != "go" || cmd.Content[1].Value != "run" {
						t.Fatalf("auth command %v: want go run ../auth-service ...", cmd.Content)
					}
					cmd.Content = cmd.Content[2:]
					cmd.Content[0].Value = bin
				}
			}
		}
	}
	out, err := yaml.Marshal(&doc)
	clitest.Must(err)
	cfg := filepath.Join(keep, "perfgate.yaml")
	clitest.Must(os.WriteFile(cfg, out, 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	resPath := filepath.Join(keep, "results.json")
	res := clitest.Run(t, ctx, map[string]string{"PATH": os.Getenv("PATH")}, "run", "-c", cfg, "--out", resPath)
	if res.Code != 0 {
		t.Fatalf("perfgate run: exit %d: %v\n%s\n%s", res.Code, res.Err, res.Out, res.ErrOut)
	}
	b, err := os.ReadFile(resPath)
	clitest.Must(err)
	var r results.Results
	clitest.Must(json.Unmarshal(b, &r))
	var ok200, flowOK int64
	for _, sc := range append(append([]results.Scenario{}, r.Warmup...), r.Scenarios...) {
		switch sc.Name {
		case "signup":
			ok200 += sc.StatusCounts["200"]
			if sc.Requests != sc.StatusCounts["200"] {
				t.Errorf("signup pass: %d requests, %d answered 200 (statuses %v)", sc.Requests, sc.StatusCounts["200"], sc.StatusCounts)
			}
		case "login-me":
			if len(sc.Steps) != 3 {
				t.Fatalf("login-me has %d steps, want signup, login, me", len(sc.Steps))
			}
			if sc.Errors.Total() != 0 {
				t.Errorf("login-me: errors %+v (%q)", sc.Errors, sc.SampleErrors)
			}
			for _, st := range sc.Steps {
				if st.Requests == 0 || st.Errors.Total() != 0 || st.Requests != st.StatusCounts["200"] {
					t.Errorf("login-me/%s: %d requests, statuses %v, errors %+v (%q)", st.Name, st.Requests, st.StatusCounts, st.Errors, st.SampleErrors)
				}
				if st.Name == "signup" {
					ok200 += st.StatusCounts["200"]
				}
				if st.Name == "me" {
					flowOK += st.StatusCounts["200"]
				}
			}
		}
	}
	if ok200 == 0 || flowOK == 0 {
		t.Fatalf("no signup answered 200 (%d), or no flow reached its last step (%d):\n%s", ok200, flowOK, res.Out)
	}
	if _, err := os.Stat(filepath.Join(pgDir, "data", "PG_VERSION")); err != nil {
		t.Fatalf("the run left no cluster in %s: %v", pgDir, err)
	}
	pg := startPG(t, "PG_DIR="+pgDir)
	if n := countRows(t, pg.dsn("postgres")); int64(n) != ok200 {
		t.Fatalf("%d rows in users, %d signups answered 200", n, ok200)
	}
	t.Logf("%d signups answered 200, %d rows in PostgreSQL", ok200, ok200)
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func mapSet(m *yaml.Node, key, val string) {
	mapSetNode(m, key, &yaml.Node{Kind: yaml.ScalarNode, Value: val})
}

func mapSetNode(m *yaml.Node, key string, val *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = val
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, val)
}
