package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// gitRepo turns dir into a git repository with one commit tagged base,
// then a second commit of change(dir) as the head; it returns dir.
func gitRepo(t *testing.T, dir string, change func(dir string)) {
	t.Helper()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q", "-b", "main")
	run("add", "-A")
	run("commit", "-q", "-m", "base")
	run("tag", "base")
	change(dir)
	run("add", "-A")
	run("commit", "-q", "-m", "head")
}

// Paired mode on the container stack: base and head each get their own
// nginx and two auth containers on their own network, at once; both are
// removed afterwards, and the worktree too.
func TestAuthStackPaired(t *testing.T) {
	requireDocker(t)
	dir, cfg := pairedStack(t, "300ms")
	cli := docker(t)
	assertClean(t, cli)

	res, r := runBase(t, cfg)
	if res.Mode != results.ModePaired || res.Paired == nil || res.Paired.Rounds != 10 || len(res.Paired.BaseScenarios) != 2 {
		t.Fatalf("mode %q paired %+v", res.Mode, res.Paired)
	}
	for _, s := range append(res.Scenarios, res.Paired.BaseScenarios...) {
		if s.Requests == 0 || s.Errors.Total() != 0 {
			t.Errorf("scenario %s: %d requests, errors %+v", s.Name, s.Requests, s.Errors)
		}
	}
	if strings.Count(r.ErrOut, "services ready") != 2 {
		t.Errorf("want both sides started:\n%s", r.ErrOut)
	}
	assertClean(t, cli)
	assertNoWorktree(t, dir)
}

// Ctrl-C during a paired run on the container stack: exit 3, and no
// container, network or worktree of either side is left.
func TestAuthStackPairedInterrupt(t *testing.T) {
	requireDocker(t)
	dir, cfg := pairedStack(t, "3s")
	cli := docker(t)
	assertClean(t, cli)
	pg := clitest.Build(t, "./cmd/perfgate")
	pr := clitest.Start(t, pg, "run", "-c", cfg, "--base", "base")
	pr.WaitFor("warming up head", 2*time.Minute)
	time.Sleep(1500 * time.Millisecond)
	pr.Signal(os.Interrupt)
	if code := pr.Wait(2 * time.Minute); code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, pr.Stderr())
	}
	assertClean(t, cli)
	assertNoWorktree(t, dir)
}

func assertNoWorktree(t *testing.T, dir string) {
	t.Helper()
	wt, _ := exec.Command("git", "-C", dir, "worktree", "list").Output()
	if n := len(strings.Split(strings.TrimSpace(string(wt)), "\n")); n != 1 {
		t.Errorf("worktrees left:\n%s", wt)
	}
}

// runBase runs `perfgate run --base base` on cfg (within 4 minutes),
// wants exit 0 or 1, and returns the results and the run.
func runBase(t *testing.T, cfg string) (*results.Results, clitest.Result) {
	t.Helper()
	return runBaseOut(t, cfg, filepath.Join(t.TempDir(), "results.json"))
}

// runBaseOut is runBase writing the results file (and any profiles beside
// it) to out.
func runBaseOut(t *testing.T, cfg, out string) (*results.Results, clitest.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r := clitest.Run(t, ctx, nil, "run", "-c", cfg, "--base", "base", "--out", out)
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("perfgate run --base: exit %d (%v)\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.ErrOut)
	}
	return res, r
}

// pairedStack is a git repository holding a prepared copy of the
// auth-stack (base: tag base; head: one more commit) whose config measures
// slices of the given duration; it returns the folder and the config.
func pairedStack(t *testing.T, slice string) (string, string) {
	t.Helper()
	src := authStack(t)
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", src+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	cfg := writeConfig(t, dir, "perfgate.yaml", "model: closed\nworkers: 4\nwarmup: {requests: 200}\nmeasure: {duration: "+slice+"}\n")
	// Each tree builds its own contexts (the build outputs are not
	// committed): the example's build.sh, pointed at the tree's folder.
	b, _ := os.ReadFile(cfg)
	build := filepath.Join(clitest.RepoRoot(t), "examples", "auth-stack", "build.sh")
	b = append([]byte("prepare:\n  - ["+"bash, '"+build+"', .]\n"), b...)
	os.WriteFile(cfg, append(b, []byte("gates:\n  slice: "+slice+"\n  max_rounds: 10\n")...), 0o644)
	gitRepo(t, dir, func(dir string) {
		os.WriteFile(filepath.Join(dir, "CHANGELOG"), []byte("head\n"), 0o644)
	})
	return dir, cfg
}
