package publish

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// actionScript returns the run script of the action step with this id or name.
func actionScript(t *testing.T, key string) string {
	t.Helper()
	md := readAction(t)
	for _, st := range md.Runs.Steps {
		if st["id"] == key || st["name"] == key {
			s, _ := st["run"].(string)
			return s
		}
	}
	t.Fatalf("action.yml has no step %q", key)
	return ""
}

// runStep runs a script the way GitHub runs `shell: bash` steps.
func runStep(t *testing.T, script, dir string, env map[string]string) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := filepath.Join(t.TempDir(), "step.sh")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", f)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// fakePerfgate writes a stand-in perfgate that records its arguments and
// environment, writes a results file for `run`, and exits with code.
func fakePerfgate(t *testing.T, dir string, code int, writeResults bool) {
	t.Helper()
	script := `#!/usr/bin/env bash
printf '%s\n' "$@" > "$RUNNER_TEMP/args-$1"
printf 'token=%s comment=%s\n' "${GITHUB_TOKEN:-}" "${PERFGATE_COMMENT:-}" > "$RUNNER_TEMP/env-$1"
if [ "$1" = run ] && [ "` + map[bool]string{true: "yes", false: "no"}[writeResults] + `" = yes ]; then
  while [ $# -gt 0 ]; do
    if [ "$1" = --out ]; then echo '{"verdict":"fail"}' > "$2"; fi
    shift
  done
fi
exit ` + string(rune('0'+code)) + `
`
	if err := os.WriteFile(filepath.Join(dir, "perfgate"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestActionRunStep(t *testing.T) {
	script := actionScript(t, "run")
	for _, c := range []struct {
		name     string
		code     int
		baseline string
		results  string
	}{
		{"regression", 1, "", ""},
		{"pass with baseline and relative results path", 0, "baselines/x.json", "out/r.json"},
		{"environment failure", 3, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp, work := t.TempDir(), t.TempDir()
			if c.results != "" {
				if err := os.MkdirAll(filepath.Join(work, filepath.Dir(c.results)), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			fakePerfgate(t, tmp, c.code, true)
			outFile := filepath.Join(tmp, "output")
			log, code := runStep(t, script, work, map[string]string{
				"RUNNER_TEMP": tmp, "GITHUB_OUTPUT": outFile,
				"PERFGATE_CONFIG": "my config.yaml", "PERFGATE_BASELINE": c.baseline, "PERFGATE_RESULTS": c.results,
			})
			if code != 0 {
				t.Fatalf("run step exited %d (it must defer the exit code to the gate step):\n%s", code, log)
			}
			outs := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(readFile(t, outFile)), "\n") {
				k, v, ok := strings.Cut(line, "=")
				if !ok {
					t.Fatalf("GITHUB_OUTPUT line %q is not name=value", line)
				}
				outs[k] = v
			}
			if outs["exit-code"] != string(rune('0'+c.code)) {
				t.Errorf("exit-code output %q, want %d", outs["exit-code"], c.code)
			}
			rp := outs["results-path"]
			if !filepath.IsAbs(rp) || readFile(t, rp) == "" {
				t.Errorf("results-path %q is not an absolute path to the written results", rp)
			}
			if c.results != "" && rp != filepath.Join(work, c.results) {
				t.Errorf("results-path %q, want %q", rp, filepath.Join(work, c.results))
			}
			args := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(tmp, "args-run"))), "\n")
			want := []string{"run", "-c", "my config.yaml", "--out", rp}
			if c.baseline != "" {
				want = append(want, "--baseline", c.baseline)
			}
			if strings.Join(args, "|") != strings.Join(want, "|") {
				t.Errorf("perfgate args %q, want %q", args, want)
			}
		})
	}
}

// TestActionRunStepRemovesStaleResults: a results file from an earlier run
// at the user's results-path must be gone when this run writes none, so the
// publish step cannot report it as this run's verdict.
func TestActionRunStepRemovesStaleResults(t *testing.T) {
	runScript, publishScript := actionScript(t, "run"), actionScript(t, "publish")
	for _, code := range []int{2, 3} {
		tmp, work := t.TempDir(), t.TempDir()
		stale := filepath.Join(work, "results.json")
		if err := os.WriteFile(stale, []byte(`{"schema":"perfgate/results/v1","verdict":"pass"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		fakePerfgate(t, tmp, code, false) // dies before writing results
		outFile := filepath.Join(tmp, "output")
		log, rc := runStep(t, runScript, work, map[string]string{
			"RUNNER_TEMP": tmp, "GITHUB_OUTPUT": outFile, "PERFGATE_CONFIG": "perfgate.yaml", "PERFGATE_RESULTS": "results.json",
		})
		if rc != 0 {
			t.Fatalf("exit %d: run step exited %d:\n%s", code, rc, log)
		}
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Errorf("exit %d: the stale results file is still there (%v)", code, err)
		}
		log, rc = runStep(t, publishScript, work, map[string]string{
			"RUNNER_TEMP": tmp, "PERFGATE_RESULTS": stale, "PERFGATE_EXIT": string(rune('0' + code)),
		})
		if rc != 0 || !strings.Contains(log, "::warning title=perfgate::perfgate run exited "+string(rune('0'+code))+" without writing results") {
			t.Errorf("exit %d: publish step exited %d:\n%s", code, rc, log)
		}
		if _, err := os.Stat(filepath.Join(tmp, "args-publish")); err == nil {
			t.Errorf("exit %d: publish ran on stale results", code)
		}
	}
}

func TestActionPublishStep(t *testing.T) {
	script := actionScript(t, "publish")
	t.Run("publishes with the token in the environment", func(t *testing.T) {
		tmp := t.TempDir()
		fakePerfgate(t, tmp, 1, false) // publish may restate a failing verdict with exit 1
		res := filepath.Join(tmp, "results.json")
		if err := os.WriteFile(res, []byte(`{"verdict":"fail"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		log, code := runStep(t, script, tmp, map[string]string{"RUNNER_TEMP": tmp, "GITHUB_TOKEN": "ghs_secret", "PERFGATE_COMMENT": "false", "PERFGATE_RESULTS": res, "PERFGATE_EXIT": "1"})
		if code != 0 {
			t.Fatalf("publish step exited %d:\n%s", code, log)
		}
		if got := readFile(t, filepath.Join(tmp, "args-publish")); got != "publish\n"+res+"\n" {
			t.Errorf("args %q", got)
		}
		if got := readFile(t, filepath.Join(tmp, "env-publish")); got != "token=ghs_secret comment=false\n" {
			t.Errorf("env %q", got)
		}
		if strings.Contains(log, "ghs_secret") {
			t.Error("the step printed the token")
		}
	})
	t.Run("no results: warns, does not fail", func(t *testing.T) {
		tmp := t.TempDir()
		fakePerfgate(t, tmp, 0, false)
		log, code := runStep(t, script, tmp, map[string]string{"RUNNER_TEMP": tmp, "PERFGATE_RESULTS": filepath.Join(tmp, "none.json"), "PERFGATE_EXIT": "3"})
		if code != 0 || !strings.Contains(log, "::warning title=perfgate::perfgate run exited 3") {
			t.Errorf("exit %d, log:\n%s", code, log)
		}
		if _, err := os.Stat(filepath.Join(tmp, "args-publish")); err == nil {
			t.Error("publish ran without results")
		}
	})
	t.Run("publish failure is a warning", func(t *testing.T) {
		tmp := t.TempDir()
		fakePerfgate(t, tmp, 2, false)
		res := filepath.Join(tmp, "results.json")
		if err := os.WriteFile(res, []byte(`{}`), 0o644); err != nil {
			t.Fatal(err)
		}
		log, code := runStep(t, script, tmp, map[string]string{"RUNNER_TEMP": tmp, "PERFGATE_RESULTS": res, "PERFGATE_EXIT": "0"})
		if code != 0 || !strings.Contains(log, "::warning title=perfgate::perfgate publish exited 2") {
			t.Errorf("exit %d, log:\n%s", code, log)
		}
	})
}

func TestActionGateStep(t *testing.T) {
	script := actionScript(t, "Gate")
	for _, c := range []struct {
		exit, failOn string
		want         int
	}{
		{"0", "true", 0}, {"1", "true", 1}, {"1", "false", 0}, {"2", "false", 2}, {"3", "true", 3},
	} {
		log, code := runStep(t, script, t.TempDir(), map[string]string{"PERFGATE_EXIT": c.exit, "PERFGATE_FAIL_ON_REGRESSION": c.failOn})
		if code != c.want {
			t.Errorf("exit-code %s, fail-on-regression %s: step exited %d, want %d\n%s", c.exit, c.failOn, code, c.want, log)
		}
	}
}
