package validate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	limited := filepath.Join(dir, "limited.yaml")
	badLimit := filepath.Join(dir, "badlimit.yaml")
	os.WriteFile(limited, []byte("name: g\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\n    limits: {p95: < 200ms, goodput: \"> 5/s\"}\nload:\n  measure: {duration: 1s}\n"), 0o644)
	os.WriteFile(badLimit, []byte("name: g\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\n    limits:\n      p95: 200ms\nload:\n  measure: {duration: 1s}\n"), 0o644)
	os.WriteFile(good, []byte("name: g\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\nload:\n  workers: 3\n  measure: {duration: 1s}\n"), 0o644)
	fixed := filepath.Join(dir, "fixed.yaml")
	os.WriteFile(fixed, []byte("name: f\nservices:\n  - name: app\n    process:\n      command: [sleep, \"100\"]\n      ports: [8080]\nscenarios:\n  - name: a\n    url: http://{{ endpoint \"app\" \"8080\" }}/\nload:\n  workers: 3\n  measure: {duration: 1s}\n"), 0o644)
	os.WriteFile(bad, []byte("name: g\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\n    metod: GET\nload:\n  measure: {duration: 1s}\n"), 0o644)
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"valid", []string{"validate", "-c", good}, 0, "OK — 0 services, 1 scenario, closed model with 3 workers, no warm-up, 5 measured run(s) of 1s", ""},
		{"limits", []string{"validate", "-c", limited}, 0, "5 measured run(s) of 1s, 2 limits", ""},
		{"limit without operator", []string{"validate", "-c", badLimit}, 2, "", `badlimit.yaml:6:12: scenarios[0].limits: p95: "200ms" has no operator: write "< 200ms"`},
		{"unknown key", []string{"validate", "-c", bad}, 2, "", "bad.yaml:5:5: scenarios[0].metod: unknown key \"metod\""},
		{"fixed port: a warning", []string{"validate", "-c", fixed}, 0, "OK", "warning: paired mode (perfgate run --base, the GitHub Action's default on pull requests) would refuse this config:\n" + fixed + ":5:7: services[0].process.command: service \"app\" listens on fixed port 8080"},
		{"fixed port with --base: an error", []string{"validate", "--base", "-c", fixed}, 2, "", "paired mode (run --base) would refuse this config: " + fixed + ":5:7"},
		{"--base on a pairable config", []string{"validate", "--base", "-c", good}, 0, "OK", ""},
		{"missing file", []string{"validate", "-c", filepath.Join(dir, "none.yaml")}, 2, "", "not found"},
		{"extra arg", []string{"validate", "x"}, 2, "", ""},
		{"bad flag", []string{"validate", "--nope"}, 2, "", ""},
		{"default path", []string{"validate"}, 2, "", "perfgate.yaml not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clitest.Run(t, context.Background(), nil, tt.args...)
			if r.Code != tt.code {
				t.Fatalf("exit %d, want %d (err %v, stderr %q)", r.Code, tt.code, r.Err, r.ErrOut)
			}
			if !strings.Contains(r.Out, tt.out) {
				t.Errorf("stdout %q lacks %q", r.Out, tt.out)
			}
			msg := r.ErrOut
			if r.Err != nil {
				msg += r.Err.Error()
			}
			if !strings.Contains(msg, tt.err) {
				t.Errorf("error %q lacks %q", msg, tt.err)
			}
		})
	}
}
