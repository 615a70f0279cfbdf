package initcmd_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

// readmeSteps returns the commands of the README's block marked
// <!-- newcomer -->: the steps a new user follows in their own repository.
func readmeSteps(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(clitest.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- newcomer -->")
	if !ok {
		t.Fatal("README.md has no <!-- newcomer --> block")
	}
	_, rest, _ = strings.Cut(rest, "```sh\n")
	block, _, _ := strings.Cut(rest, "```")
	var steps [][]string
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "cd" {
			continue
		}
		if f[0] != "perfgate" {
			t.Fatalf("README newcomer step %q: expected a perfgate command", line)
		}
		steps = append(steps, f[1:])
	}
	return steps
}

// copyRepo copies testdata/<name> into a new git repository with one commit.
func copyRepo(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "scaffold", "testdata", name)
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "hello"}} {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// A new user follows the README in a clean copy of a small Go service
// repository: init, validate, then a paired run against HEAD. Every step
// exits 0. init gets --quick, so the run's load stays short (passes of a
// few hundred milliseconds, at most 10 s of load, on loopback).
func TestNewcomerFollowsREADME(t *testing.T) {
	steps := readmeSteps(t)
	want := []string{"init", "validate", "run --base HEAD"}
	var got []string
	for _, s := range steps {
		got = append(got, strings.Join(s, " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("README newcomer steps %q, this test expects %q: keep the two in step", got, want)
	}
	dir := copyRepo(t, "hello")
	t.Chdir(dir)
	out := filepath.Join(t.TempDir(), "results.json")
	for _, s := range steps {
		switch s[0] {
		case "init":
			s = append(s, "--quick")
		case "run":
			s = append(s, "--out", out)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		run := clitest.Run
		if s[0] == "run" {
			run = clitest.RunAA // two builds of one commit
		}
		r := run(t, ctx, nil, s...)
		cancel()
		if r.Code != 0 {
			t.Fatalf("perfgate %s: exit %d: %v\n%s\n%s", strings.Join(s, " "), r.Code, r.Err, r.Out, r.ErrOut)
		}
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != results.ModePaired || len(res.Scenarios) != 1 || res.Verdict == results.VerdictFail {
		t.Errorf("mode %q, %d scenarios, verdict %q", res.Mode, len(res.Scenarios), res.Verdict)
	}
	for _, p := range []string{"perfgate.yaml", ".github/workflows/perfgate.yml"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
}

// The README's example perfgate.yaml is a config perfgate accepts and can
// pair.
func TestREADMEConfigValid(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(clitest.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	block, _, _ := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README.md has no yaml block")
	}
	cfg, err := config.Parse("README.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckPairable(); err != nil {
		t.Fatal(err)
	}
}

// The README stays short enough to read through, and its commands run as
// any user (a root container has no sudo).
func TestREADMEShape(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(clitest.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 300 {
		t.Errorf("README.md has %d lines; keep it at most 300 and move reference text to docs/", len(lines))
	}
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "sudo ") {
			t.Errorf("README.md:%d: a command starts with sudo: %s", i+1, l)
		}
	}
}
