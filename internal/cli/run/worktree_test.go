package run_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

// noFolderRepo is a git repository whose tag base lacks the folder app/
// that holds the config: a paired run checks base out, then stops (exit
// 3) without starting anything.
// files files make the checkout take a little while.
func noFolderRepo(t *testing.T, files int) (repo, cfg string) {
	t.Helper()
	repo = t.TempDir()
	gitc := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitc("init", "-q")
	os.WriteFile(filepath.Join(repo, "README"), []byte("x\n"), 0o644)
	for i := range files {
		os.WriteFile(filepath.Join(repo, fmt.Sprintf("f%d.txt", i)), []byte(strings.Repeat("x", 4096)), 0o644)
	}
	gitc("add", ".")
	gitc("commit", "-qm", "base")
	gitc("tag", "base")
	os.MkdirAll(filepath.Join(repo, "app"), 0o755)
	cfg = filepath.Join(repo, "app", "perfgate.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("name: n\nscenarios: [{name: s, url: 'http://127.0.0.1:%d/'}]\nload: {measure: {requests: 10}}\n", clitest.FreePort(t))), 0o644)
	gitc("add", ".")
	gitc("commit", "-qm", "head")
	return repo, cfg
}

// adminEntries lists the repository's registered worktrees.
func adminEntries(t *testing.T, repo string) []string {
	ents, _ := os.ReadDir(filepath.Join(repo, ".git", "worktrees"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// leftover makes what a SIGKILLed paired run of owner leaves: a temporary
// folder with its owner file and a worktree registered in repo, locked
// as a killed `git worktree add` leaves it.
func leftover(t *testing.T, repo, owner string) string {
	t.Helper()
	tmp, err := os.MkdirTemp("", "perfgate-base-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	os.WriteFile(filepath.Join(tmp, "perfgate-owner"), []byte(owner), 0o644)
	tree := filepath.Join(tmp, "tree")
	for _, args := range [][]string{{"worktree", "add", "--detach", "--quiet", tree, "base"}, {"worktree", "lock", "--reason", "initializing", tree}} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return tmp
}

// A paired run removes the worktree and temporary folder an earlier,
// SIGKILLed run left behind (its owner is dead), even locked, and leaves
// alone one whose owner still runs.
func TestRunPairedSweepsDeadRunsWorktrees(t *testing.T) {
	repo, cfg := noFolderRepo(t, 0)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := leftover(t, repo, fmt.Sprintf("%d 1\n", dead.Process.Pid))
	live := leftover(t, repo, fmt.Sprintf("%d ?\n", os.Getpid()))
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--base", "base")
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3 (base has no app/): %v", r.Code, r.Err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("the dead run's folder %s is still there", stale)
	}
	if _, err := os.Stat(filepath.Join(live, "tree")); err != nil {
		t.Errorf("the live run's worktree was removed: %v", err)
	}
	if got := adminEntries(t, repo); len(got) != 1 {
		t.Errorf("registered worktrees %v, want only the live run's", got)
	}
}

// Ctrl-C while `git worktree add` checks the base out (the moment its
// registration appears): no worktree stays registered, locked or not.
func TestRunPairedInterruptDuringCheckoutLeavesNoWorktree(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	repo, cfg := noFolderRepo(t, 500)
	for attempt := range 5 {
		cmd := exec.Command(pg, "run", "-c", cfg, "--base", "base")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		deadline := time.Now().Add(20 * time.Second)
	poll:
		for time.Now().Before(deadline) {
			select {
			case <-done:
				break poll
			default:
			}
			if len(adminEntries(t, repo)) > 0 {
				cmd.Process.Signal(syscall.SIGINT)
				break
			}
		}
		<-done
		if code := cmd.ProcessState.ExitCode(); code != 3 {
			t.Errorf("attempt %d: exit %d, want 3", attempt, code)
		}
		if got := adminEntries(t, repo); len(got) != 0 {
			out, _ := exec.Command("git", "-C", repo, "worktree", "list", "--porcelain").Output()
			t.Fatalf("attempt %d: SIGINT during the checkout left worktrees %v:\n%s", attempt, got, strings.TrimSpace(string(out)))
		}
	}
}
