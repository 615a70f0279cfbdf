package paired

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A base worktree lives in a temporary folder perfgate-base-* holding the
// checkout (tree) and an owner file: the pid and start time of the
// perfgate that made it. A later paired run removes the worktrees whose
// owner is gone (a perfgate that was SIGKILLed) and only those.
const (
	tmpPrefix = "perfgate-base-"
	ownerFile = "perfgate-owner"
	treeName  = "tree"
	// addTimeout bounds `git worktree add`, which runs to its end even
	// after Ctrl-C (see addWorktree).
	addTimeout = 5 * time.Minute
)

// worktree is a temporary checkout of the base revision; remove deletes it
// and its registration in the repository.
type worktree struct {
	repo, tmp, dir string
}

// addWorktree checks commit out into a new temporary worktree of repo,
// first removing the worktrees earlier runs left behind. `git worktree
// add` is never killed half-way: a killed add leaves its registration
// locked as "initializing", which `git worktree prune` keeps for ever. It
// runs to its end (bounded by addTimeout) on a context Ctrl-C does not
// end; if ctx ended meanwhile, the new worktree is removed at once and
// ctx's error returned.
func addWorktree(ctx context.Context, repo, commit string) (*worktree, error) {
	sweepWorktrees(repo)
	tmp, err := os.MkdirTemp("", tmpPrefix)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, ownerFile), []byte(selfOwner()), 0o644); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	w := &worktree{repo: repo, tmp: tmp, dir: filepath.Join(tmp, treeName)}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), addTimeout)
	defer cancel()
	if _, err := git(actx, repo, "worktree", "add", "--detach", "--quiet", w.dir, commit); err != nil {
		w.remove(io.Discard)
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		w.remove(io.Discard)
		return nil, err
	}
	return w, nil
}

func (w *worktree) remove(logw io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Twice --force: a worktree still locked by an add that failed.
	if _, err := git(ctx, w.repo, "worktree", "remove", "--force", "--force", w.dir); err != nil && fileExists(w.dir) {
		fmt.Fprintf(logw, "perfgate: removing the base worktree: %v\n", err)
	}
	os.RemoveAll(w.tmp)
	removeAdminEntries(ctx, w.repo, func(tmp string) bool { return tmp == w.tmp })
	_, _ = git(ctx, w.repo, "worktree", "prune")
}

// sweepWorktrees removes what paired runs that died without cleaning up
// left behind: their registrations in repo (even locked ones), their
// checkouts and their temporary folders. Only a folder named
// perfgate-base-* whose owner file names a process that no longer runs is
// touched.
func sweepWorktrees(repo string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if removeAdminEntries(ctx, repo, staleTmp) {
		_, _ = git(ctx, repo, "worktree", "prune")
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tmpPrefix+"*"))
	for _, d := range dirs {
		if staleTmp(d) {
			os.RemoveAll(d)
		}
	}
}

// removeAdminEntries deletes repo's registrations of worktrees whose
// checkout is tmp/tree for a tmp that match accepts, with their folders;
// it reports whether it deleted any.
func removeAdminEntries(ctx context.Context, repo string, match func(tmp string) bool) bool {
	common, err := git(ctx, repo, "rev-parse", "--git-common-dir")
	if err != nil {
		return false
	}
	if !filepath.IsAbs(common) {
		common = filepath.Join(repo, common)
	}
	entries, _ := os.ReadDir(filepath.Join(common, "worktrees"))
	removed := false
	for _, e := range entries {
		admin := filepath.Join(common, "worktrees", e.Name())
		gitdir, err := os.ReadFile(filepath.Join(admin, "gitdir"))
		if err != nil {
			continue
		}
		// gitdir holds <checkout>/.git.
		tree := filepath.Dir(strings.TrimSpace(string(gitdir)))
		tmp := filepath.Dir(tree)
		if filepath.Base(tree) != treeName || !strings.HasPrefix(filepath.Base(tmp), tmpPrefix) || !match(tmp) {
			continue
		}
		os.RemoveAll(tmp)
		if os.RemoveAll(admin) == nil {
			removed = true
		}
	}
	return removed
}

// staleTmp is true for a perfgate-base-* folder whose owner is gone.
func staleTmp(tmp string) bool {
	if !strings.HasPrefix(filepath.Base(tmp), tmpPrefix) {
		return false
	}
	data, err := os.ReadFile(filepath.Join(tmp, ownerFile))
	if err != nil {
		return false // no owner recorded: not known to be perfgate's to remove
	}
	f := strings.Fields(string(data))
	if len(f) != 2 {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return false
	}
	return !running(pid, f[1])
}

// selfOwner is this process's owner record: "pid start-time".
func selfOwner() string {
	pid := os.Getpid()
	return fmt.Sprintf("%d %s\n", pid, startTime(pid))
}

// running reports whether pid runs and is the process that started at
// start (not another one given the same pid since).
func running(pid int, start string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	st := startTime(pid)
	return st == "?" || start == "?" || st == start
}

// startTime is field 22 of /proc/pid/stat (clock ticks since boot), "?"
// when it cannot be read.
func startTime(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "?"
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return "?"
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return "?"
	}
	return f[19]
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
