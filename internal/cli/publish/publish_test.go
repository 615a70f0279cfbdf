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

func TestPublishOutsideActionsPrintsMarkdown(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	clitest.Must(results.Write(p, resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)))
	r := clitest.Run(t, context.Background(), nil, "publish", p)
	if r.Code != 0 {
		t.Fatalf("exit %d: %v", r.Code, r.Err)
	}
	if !strings.Contains(r.Out, "<!-- perfgate:api -->") || !strings.Contains(r.Out, "signup") {
		t.Errorf("markdown:\n%s", r.Out)
	}
}

func TestPublishInActionsWithoutTokenFallsBack(t *testing.T) {
	dir := t.TempDir()
	res := resultstest.Synthetic("api", resultstest.Throughputs(500, 10, 5)...)
	compare.Apply(config.Gates{}, baseline.FromResults(resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)), res, compare.Options{BaselinePath: "b.json"})
	p := filepath.Join(dir, "r.json")
	clitest.Must(results.Write(p, res))
	event := filepath.Join(dir, "event.json")
	os.WriteFile(event, []byte(`{"number": 7, "pull_request": {"number": 7}}`), 0o644)
	summary := filepath.Join(dir, "summary.md")
	output := filepath.Join(dir, "output.txt")
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
		"GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": "http://127.0.0.1:1", "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output,
	}
	comment := filepath.Join(dir, "comment.md")
	r := clitest.Run(t, context.Background(), env, "publish", "-o", comment, p)
	if c, _ := os.ReadFile(comment); !strings.Contains(string(c), "<!-- perfgate:api -->") || !strings.Contains(string(c), "signup") {
		t.Errorf("-o comment.md:\n%s", c)
	}
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1 (the verdict is fail): %v", r.Code, r.Err)
	}
	s, _ := os.ReadFile(summary)
	o, _ := os.ReadFile(output)
	if !strings.Contains(string(s), "signup") || !strings.Contains(string(o), "verdict") || !strings.Contains(string(o), "fail") {
		t.Errorf("summary:\n%s\noutput:\n%s", s, o)
	}
	if !strings.Contains(r.Out, "::error") {
		t.Errorf("no annotation for the failed gate:\n%s", r.Out)
	}
	if !strings.Contains(strings.ToLower(r.ErrOut), "token") {
		t.Errorf("no warning about the missing token:\n%s", r.ErrOut)
	}
}
