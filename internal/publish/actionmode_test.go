package publish

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// git runs git in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// shallowPR makes an origin repository with a base and a head commit, and a
// depth-1 clone of the head (as actions/checkout leaves it). It returns the
// clone and the base commit.
func shallowPR(t *testing.T) (clone, base string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	origin := t.TempDir()
	git(t, origin, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(origin, "f"), []byte("base\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, origin, "add", "f")
	git(t, origin, "commit", "-q", "-m", "base")
	base = git(t, origin, "rev-parse", "HEAD")
	if err := os.WriteFile(filepath.Join(origin, "f"), []byte("head\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, origin, "commit", "-q", "-am", "head")
	clone = filepath.Join(t.TempDir(), "clone")
	git(t, filepath.Dir(clone), "clone", "-q", "--depth=1", "--no-local", "file://"+origin, clone)
	if out, err := exec.Command("git", "-C", clone, "cat-file", "-e", base+"^{commit}").CombinedOutput(); err == nil {
		t.Fatalf("the shallow clone already has the base commit %s\n%s", base, out)
	}
	return clone, base
}

func readOutputs(t *testing.T, file string) map[string]string {
	t.Helper()
	outs := map[string]string{}
	b, err := os.ReadFile(file)
	if err != nil {
		return outs
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			outs[k] = v
		}
	}
	return outs
}

// TestActionModeStep: auto is paired on pull_request (against
// pull_request.base.sha, fetched into a shallow checkout) and the stored
// baseline otherwise; bad input stops the action before perfgate runs.
func TestActionModeStep(t *testing.T) {
	script := actionScript(t, "mode")
	clone, base := shallowPR(t)
	for _, c := range []struct {
		name, mode, baseIn, event, prBase string
		dir                               string // "" = the clone
		wantCode                          int
		wantMode, wantBase, wantLog       string
	}{
		{name: "auto on pull_request: paired, base fetched", mode: "auto", event: "pull_request", prBase: base, wantMode: "paired", wantBase: base, wantLog: "fetching the base commit"},
		{name: "auto on push: stored baseline", mode: "auto", event: "push", prBase: "", wantMode: "baseline", wantBase: ""},
		{name: "auto on workflow_dispatch: stored baseline", mode: "", event: "workflow_dispatch", wantMode: "baseline"},
		{name: "baseline forced on pull_request", mode: "baseline", event: "pull_request", prBase: base, wantMode: "baseline", wantBase: ""},
		{name: "paired on push with a base input", mode: "paired", baseIn: base, event: "push", wantMode: "paired", wantBase: base},
		{name: "auto with a base input on push: paired", mode: "auto", baseIn: base, event: "push", wantMode: "paired", wantBase: base},
		{name: "paired on push without a base", mode: "paired", event: "push", wantCode: 2, wantLog: "::error title=perfgate::paired mode needs a base revision"},
		{name: "unknown mode", mode: "duet", event: "push", wantCode: 2, wantLog: "mode must be auto, paired or baseline"},
		{name: "base that is an option", mode: "paired", baseIn: "--upload-pack=x", event: "push", wantCode: 2, wantLog: "is not a git revision"},
		{name: "base origin lacks", mode: "paired", baseIn: strings.Repeat("ab", 20), event: "push", wantCode: 2, wantLog: "could not fetch the base commit"},
		{name: "paired outside a git checkout", mode: "paired", baseIn: base, event: "push", dir: "notgit", wantCode: 2, wantLog: "needs a git checkout"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			dir := clone
			if c.dir != "" {
				dir = t.TempDir()
			}
			outFile := filepath.Join(tmp, "output")
			log, code := runStep(t, script, dir, map[string]string{
				"RUNNER_TEMP": tmp, "GITHUB_OUTPUT": outFile, "HOME": tmp, "GIT_CONFIG_NOSYSTEM": "1",
				"PERFGATE_MODE": c.mode, "PERFGATE_BASE": c.baseIn, "PERFGATE_EVENT": c.event, "PERFGATE_PR_BASE": c.prBase,
			})
			if code != c.wantCode {
				t.Fatalf("exit %d, want %d:\n%s", code, c.wantCode, log)
			}
			if c.wantLog != "" && !strings.Contains(log, c.wantLog) {
				t.Errorf("log lacks %q:\n%s", c.wantLog, log)
			}
			if c.wantCode != 0 {
				if outs := readOutputs(t, outFile); outs["mode"] != "" {
					t.Errorf("a failed mode step wrote mode=%q", outs["mode"])
				}
				return
			}
			outs := readOutputs(t, outFile)
			if outs["mode"] != c.wantMode || outs["base"] != c.wantBase {
				t.Errorf("outputs mode=%q base=%q, want %q %q\n%s", outs["mode"], outs["base"], c.wantMode, c.wantBase, log)
			}
			if c.wantMode == "paired" {
				// perfgate run --base needs the commit in the repository.
				git(t, clone, "cat-file", "-e", c.wantBase+"^{commit}")
			}
		})
	}
}

// TestActionRunStepPaired: paired mode passes --base (and no --baseline).
func TestActionRunStepPaired(t *testing.T) {
	script := actionScript(t, "run")
	tmp, work := t.TempDir(), t.TempDir()
	fakePerfgate(t, tmp, 0, true)
	outFile := filepath.Join(tmp, "output")
	log, code := runStep(t, script, work, map[string]string{
		"RUNNER_TEMP": tmp, "GITHUB_OUTPUT": outFile, "PERFGATE_CONFIG": "perfgate.yaml",
		"PERFGATE_BASELINE": "baselines/x.json", "PERFGATE_MODE": "paired", "PERFGATE_BASE": "0123abcd",
	})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, log)
	}
	rp := readOutputs(t, outFile)["results-path"]
	args := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(tmp, "args-run"))), "\n")
	want := []string{"run", "-c", "perfgate.yaml", "--out", rp, "--base", "0123abcd"}
	if strings.Join(args, "|") != strings.Join(want, "|") {
		t.Errorf("perfgate args %q, want %q", args, want)
	}
}

// TestActionBuildStep: without go on PATH the source build fails with an
// error that says to add actions/setup-go; the action never sets Go up itself.
func TestActionBuildStep(t *testing.T) {
	script := "set -- build\n" + installScript(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	// A PATH with bash and coreutils-free builtins only: no go.
	bin := t.TempDir()
	if err := os.Symlink(bash, filepath.Join(bin, "bash")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	log, code := runStep(t, script, t.TempDir(), map[string]string{"RUNNER_TEMP": t.TempDir()})
	if code != 3 || !strings.Contains(log, "::error title=perfgate::no 'go' on this runner's PATH") || !strings.Contains(log, "actions/setup-go") {
		t.Errorf("exit %d, log:\n%s", code, log)
	}
	raw := readFile(t, filepath.Join(repoRoot(t), "action.yml"))
	var md actionMeta
	if err := yaml.Unmarshal([]byte(raw), &md); err != nil {
		t.Fatal(err)
	}
	for _, st := range md.Runs.Steps {
		if u, _ := st["uses"].(string); strings.HasPrefix(u, "actions/setup-go") {
			t.Error("action.yml uses actions/setup-go, which replaces the Go of the job's later steps")
		}
	}
	for _, bad := range []string{"GITHUB_PATH", "GITHUB_ENV"} {
		if strings.Contains(raw, bad) {
			t.Errorf("action.yml writes %s: later steps' environment would change", bad)
		}
	}
}
