package report

import (
	"os"
	"path/filepath"
	"strings"
)

// RepoPath is p as someone reading the repository writes it, never a path
// of the machine that measured: a relative p is returned cleaned; an
// absolute one relative to the root of the git work tree that holds it (the
// nearest folder above it with a .git entry), else to the first of roots
// that holds it (e.g. GITHUB_WORKSPACE), else to the working directory.
// A path inside none of them is cut to its base name. A relative p is kept
// as it is. Slashes are forward.
func RepoPath(p string, roots ...string) string {
	if p == "" {
		return ""
	}
	if !filepath.IsAbs(p) {
		return filepath.ToSlash(p)
	}
	p = filepath.Clean(p)
	cands := []string{gitRoot(filepath.Dir(p))}
	cands = append(cands, roots...)
	if wd, err := os.Getwd(); err == nil {
		cands = append(cands, wd)
	}
	for _, root := range cands {
		if r, ok := inside(root, p); ok {
			return r
		}
	}
	// Symlinked folders (/tmp on macOS, a runner's work dir): compare the
	// resolved paths too.
	rp := resolved(p)
	for _, root := range cands {
		if root == "" {
			continue
		}
		if r, ok := inside(resolved(root), rp); ok {
			return r
		}
	}
	return filepath.Base(p)
}

// resolved is p with the symbolic links of its longest existing prefix
// resolved (the rest need not exist: a results file read on another
// machine).
func resolved(p string) string {
	rest := ""
	for dir := p; ; {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		up := filepath.Dir(dir)
		if up == dir {
			return p
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = up
	}
}

// inside is p relative to root when p lies in root.
func inside(root, p string) (string, bool) {
	if root == "" || !filepath.IsAbs(root) {
		return "", false
	}
	r, err := filepath.Rel(root, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// gitRoot is the nearest folder from dir upwards holding a .git entry (a
// folder, or a file in worktrees and submodules), "" when there is none.
func gitRoot(dir string) string {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}
