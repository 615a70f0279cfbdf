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

// TestPublishCommentNamesRepoPaths runs `perfgate publish` and `perfgate
// report --format markdown` on results whose config and baseline paths are
// absolute paths of the measuring machine inside a git work tree: the
// Markdown names them from the repository root, opens with the verdict and
// the overview, carries the Mermaid chart, and holds no machine path — in
// the printed comment, the job summary and the report.
func TestPublishCommentNamesRepoPaths(t *testing.T) {
	repo := t.TempDir()
	clitest.Must(os.Mkdir(filepath.Join(repo, ".git"), 0o755))
	res := resultstest.Synthetic("quickstart", resultstest.Throughputs(500, 10, 5)...)
	res.ConfigPath = filepath.Join(repo, "examples", "quickstart", "perfgate.yaml")
	basePath := filepath.Join(repo, "examples", "quickstart", "baselines", "quickstart.json")
	compare.Apply(config.Gates{}, baseline.FromResults(resultstest.Synthetic("quickstart", resultstest.Throughputs(1000, 10, 5)...)), res,
		compare.Options{BaselinePath: basePath})
	out := t.TempDir()
	p := filepath.Join(out, "r.json")
	clitest.Must(results.Write(p, res))

	check := func(what, md string, maxBefore int) {
		t.Helper()
		if strings.Contains(md, repo) || strings.Contains(md, out) {
			t.Errorf("%s holds a machine path:\n%s", what, md)
		}
		i := strings.Index(md, "<details")
		if i < 0 || strings.Count(md[:i], "\n") > maxBefore {
			t.Errorf("%s: more than %d lines before the first <details>:\n%s", what, maxBefore, md)
		}
		for _, want := range []string{"| ❌ signup | ", "❌ signup **goodput**: ", "```mermaid\nxychart-beta\n", "examples/quickstart/baselines/quickstart.json"} {
			if !strings.Contains(md, want) {
				t.Errorf("%s lacks %q:\n%s", what, want, md)
			}
		}
	}

	r := clitest.Run(t, context.Background(), nil, "publish", p)
	if r.Code != 1 {
		t.Fatalf("publish: exit %d, want 1 (the verdict is fail): %v", r.Code, r.Err)
	}
	check("comment", r.Out, 15)
	if !strings.Contains(r.Out, "perfgate baseline update -c examples/quickstart/perfgate.yaml\ngit add examples/quickstart/baselines/\n") {
		t.Errorf("the baseline hint is not relative to the repository:\n%s", r.Out)
	}

	summary := filepath.Join(out, "summary.md")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "o/r",
		"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": filepath.Join(out, "output.txt")}
	if r := clitest.Run(t, context.Background(), env, "publish", p); r.Code != 1 {
		t.Fatalf("publish in Actions: exit %d: %v", r.Code, r.Err)
	}
	s, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	check("job summary", string(s), 15)

	r = clitest.Run(t, context.Background(), nil, "report", "--format", "markdown", p)
	if r.Code != 0 {
		t.Fatalf("report: exit %d: %v", r.Code, r.Err)
	}
	check("report", r.Out, 15)
}
