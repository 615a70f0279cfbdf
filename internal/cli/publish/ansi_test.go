package publish_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// A results file whose names hold escape sequences: neither the ::error
// annotations nor the terminal report carry them.
func TestPublishAnnotationsStripEscapes(t *testing.T) {
	const evil = "sign\x1b[31mup\x1b]0;owned\x07\u202e"
	dir := t.TempDir()
	res := resultstest.Synthetic("api", resultstest.Throughputs(500, 10, 5)...) // beyond what one baseline session resolves
	res.Scenarios[0].Name = evil
	base := resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)
	base.Scenarios[0].Name = evil
	compare.Apply(config.Gates{}, baseline.FromResults(base), res, compare.Options{BaselinePath: "b.json"})
	res.Warnings = append(res.Warnings, "warn \x1b[2Jcleared")
	p := filepath.Join(dir, "r.json")
	clitest.Must(results.Write(p, res))
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "o/r",
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"), "GITHUB_OUTPUT": filepath.Join(dir, "output.txt")}
	r := clitest.Run(t, context.Background(), env, "publish", p)
	if r.Code != 1 {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	n := 0
	for _, line := range strings.Split(r.Out, "\n") {
		if !strings.HasPrefix(line, "::") {
			continue
		}
		n++
		if strings.ContainsAny(line, "\x1b\x07\u202e") {
			t.Errorf("annotation carries control characters: %q", line)
		}
	}
	if n == 0 || !strings.Contains(r.Out, "signup") {
		t.Errorf("no annotation naming the scenario:\n%q", r.Out)
	}
	r = clitest.Run(t, context.Background(), nil, "report", p)
	if strings.ContainsAny(r.Out, "\x1b\x07\u202e") || !strings.Contains(r.Out, "signup") {
		t.Errorf("terminal report (exit %d) carries control characters:\n%q", r.Code, r.Out)
	}
	_ = os.Remove(p)
}
