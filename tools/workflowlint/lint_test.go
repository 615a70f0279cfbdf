package workflowlint

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/rhysd/actionlint"
)

func newLinter(t *testing.T, out io.Writer) *actionlint.Linter {
	t.Helper()
	// Scripts are shellchecked when shellcheck is installed (it is on
	// GitHub's Ubuntu runners); pyflakes is not needed (no Python steps).
	opts := &actionlint.LinterOptions{Oneline: true}
	if p, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = p
	} else {
		t.Log("shellcheck not found: run: scripts are not shellchecked")
	}
	l, err := actionlint.NewLinter(out, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestWorkflowsLint lints every workflow with actionlint's Linter, in the
// repository's project so that `uses: ./` also checks action.yml's metadata
// (name, description, runs, and that every input passed exists).
func TestWorkflowsLint(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("expected ci.yml and the example workflow, found %v", files)
	}
	proj, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	errs, err := newLinter(t, &out).LintFiles(files, proj)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
	usesSelf := false
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if regexp.MustCompile(`(?m)^\s*(-\s+)?uses:\s*\./\s*(#.*)?$`).Match(b) {
			usesSelf = true
		}
	}
	if !usesSelf {
		t.Error("no workflow uses the action with `uses: ./`; actionlint would not check action.yml")
	}
}
