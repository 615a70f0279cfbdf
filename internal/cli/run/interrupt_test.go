package run_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

// Ctrl-C at the very start of a run (here: before it starts) is an
// interruption, exit 3, not bad input from the git or setup step the
// signal cut short.
func TestRunInterruptedAtStartExit3(t *testing.T) {
	dir := t.TempDir()
	cfg := writeYAML(t, dir, fmt.Sprintf("name: n\nscenarios: [{name: s, url: 'http://127.0.0.1:%d/'}]\nload: {measure: {requests: 10}}\n", clitest.FreePort(t)))
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"run", "-c", cfg, "--base", "HEAD"}, {"run", "-c", cfg, "--out", filepath.Join(dir, "r.json")}} {
		r := clitest.Run(t, ctx, nil, args...)
		if r.Code != 3 || !strings.Contains(fmt.Sprint(r.Err), "interrupted") {
			t.Errorf("%v: exit %d, want 3 (interrupted): %v", args, r.Code, r.Err)
		}
	}
}
