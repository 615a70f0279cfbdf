package publish

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// installScript is the action's install script, run directly by the tests.
func installScript(t *testing.T) string {
	t.Helper()
	return readFile(t, filepath.Join(repoRoot(t), "scripts", "action-install.sh"))
}

// runInstall runs `action-install.sh step` in dir with env (plus PATH)
// and returns its log, exit code and outputs.
func runInstall(t *testing.T, step, dir string, env map[string]string) (string, int, map[string]string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "output")
	e := map[string]string{"GITHUB_OUTPUT": out}
	for k, v := range env {
		e[k] = v
	}
	if _, ok := e["PATH"]; !ok {
		e["PATH"] = os.Getenv("PATH")
	}
	script := "set -- " + step + "\n" + installScript(t)
	log, code := runStep(t, script, dir, e)
	return log, code, readOutputs(t, out)
}

// fakeGo writes a `go` that answers `go env GOVERSION|GOMODCACHE|GOCACHE`,
// and for `go build ... -o out` writes a stand-in perfgate at out and counts
// the builds.
func fakeGo(t *testing.T, version string) (binDir, builds string) {
	t.Helper()
	binDir = t.TempDir()
	builds = filepath.Join(binDir, "builds")
	script := `#!/usr/bin/env bash
if [ "$1" = env ]; then
  case $2 in GOVERSION) echo ` + version + ` ;; GOMODCACHE) echo /gomod ;; GOCACHE) echo /gocache ;; esac
  exit 0
fi
if [ "$1" = build ]; then
  echo "build $*" >> "` + builds + `"
  while [ $# -gt 0 ]; do
    if [ "$1" = -o ]; then printf '#!/usr/bin/env bash\necho "perfgate test-build"\n' > "$2"; chmod +x "$2"; fi
    shift
  done
  exit 0
fi
exit 1
`
	if err := os.WriteFile(filepath.Join(binDir, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return binDir, builds
}

// TestInstallPlan: which tag, asset and cache key a version input or the
// action's ref leads to, and which are built from source.
func TestInstallPlan(t *testing.T) {
	for _, c := range []struct {
		version, ref, os, arch string
		tag, asset, release    string
	}{
		{"", "v1.2.3", "Linux", "X64", "v1.2.3", "perfgate_1.2.3_linux_amd64.tar.gz", "true"},
		{"", "v1", "Linux", "ARM64", "v1", "perfgate_1_linux_arm64.tar.gz", "true"},
		{"v1.4.0", "v1", "macOS", "ARM64", "v1.4.0", "perfgate_1.4.0_darwin_arm64.tar.gz", "true"},
		{"1.4.0", "main", "Linux", "X64", "v1.4.0", "perfgate_1.4.0_linux_amd64.tar.gz", "true"},
		{"", "v2.0.0-rc.1", "Linux", "X64", "v2.0.0-rc.1", "perfgate_2.0.0-rc.1_linux_amd64.tar.gz", "true"},
		{"", "main", "Linux", "X64", "main", "", "false"},
		{"", "0123456789abcdef0123456789abcdef01234567", "Linux", "X64", "", "", "false"},
		{"", "", "Linux", "X64", "dev", "", "false"},
		{"", "v1.2.3", "macOS", "X64", "v1.2.3", "", "false"},
		{"", "v1.2.3", "Windows", "X64", "v1.2.3", "", "false"},
	} {
		tmp := t.TempDir()
		log, code, outs := runInstall(t, "plan", tmp, map[string]string{
			"PERFGATE_VERSION": c.version, "PERFGATE_REF": c.ref,
			"RUNNER_OS": c.os, "RUNNER_ARCH": c.arch, "RUNNER_TEMP": tmp,
		})
		name := c.version + "@" + c.ref + " " + c.os + "/" + c.arch
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, log)
		}
		if outs["release"] != c.release || (c.tag != "" && outs["tag"] != c.tag) {
			t.Errorf("%s: release %q tag %q, want %q %q", name, outs["release"], outs["tag"], c.release, c.tag)
		}
		if c.release == "true" {
			v := strings.TrimPrefix(c.tag, "v")
			if outs["asset"] != c.asset || !strings.Contains(outs["key"], v) || !strings.HasPrefix(outs["dir"], tmp) {
				t.Errorf("%s: outputs %v", name, outs)
			}
		} else if !strings.Contains(log, "building perfgate from source") {
			t.Errorf("%s: log %q", name, log)
		}
	}
	// The key tells versions, systems and architectures apart.
	keys := map[string]bool{}
	for _, v := range [][3]string{{"v1.2.3", "Linux", "X64"}, {"v1.2.4", "Linux", "X64"}, {"v1.2.3", "Linux", "ARM64"}, {"v1.2.3", "macOS", "ARM64"}} {
		tmp := t.TempDir()
		_, _, outs := runInstall(t, "plan", tmp, map[string]string{"PERFGATE_REF": v[0], "RUNNER_OS": v[1], "RUNNER_ARCH": v[2], "RUNNER_TEMP": tmp})
		keys[outs["key"]] = true
	}
	if len(keys) != 4 {
		t.Errorf("keys %v: want 4 different", keys)
	}
}

// TestInstallSourceBuild: the source build stamps the version, writes
// $RUNNER_TEMP/perfgate, and names Go's cache folders for actions/cache.
func TestInstallSourceBuild(t *testing.T) {
	goDir, builds := fakeGo(t, "go1.26.8")
	tmp := t.TempDir()
	env := map[string]string{"RUNNER_TEMP": tmp, "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "PERFGATE_TAG": "main", "PATH": goDir + ":" + os.Getenv("PATH")}
	log, code, outs := runInstall(t, "gocache", t.TempDir(), env)
	if code != 0 || outs["modcache"] != "/gomod" || outs["buildcache"] != "/gocache" || !strings.HasPrefix(outs["key"], outs["restore"]) || outs["restore"] == "" {
		t.Fatalf("gocache: exit %d outputs %v\n%s", code, outs, log)
	}
	log, code, _ = runInstall(t, "build", t.TempDir(), env)
	if code != 0 || readFile(t, filepath.Join(tmp, "perfgate")) == "" {
		t.Fatalf("build: exit %d\n%s", code, log)
	}
	if b := readFile(t, builds); !strings.Contains(b, "internal/version.Version=main") || !strings.Contains(b, "-trimpath") {
		t.Errorf("go %s", b)
	}
}

// TestActionInstallSteps: the cache steps are actions/cache on the plan's
// and gocache's outputs, switched by cache-build; the order is plan, cache,
// fetch, gocache, Go caches, build, run.
func TestActionInstallSteps(t *testing.T) {
	var md actionMeta
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(repoRoot(t), "action.yml"))), &md); err != nil {
		t.Fatal(err)
	}
	order := map[string]int{}
	var caches []map[string]any
	for i, st := range md.Runs.Steps {
		if id, ok := st["id"].(string); ok {
			order[id] = i
		}
		if u, _ := st["uses"].(string); strings.HasPrefix(u, "actions/cache@") {
			caches = append(caches, st)
			order["cache"+string(rune('0'+len(caches)))] = i
		}
	}
	if len(caches) != 2 {
		t.Fatalf("%d actions/cache steps, want 2 (the release, Go's caches)", len(caches))
	}
	with0, _ := caches[0]["with"].(map[string]any)
	if with0["key"] != "${{ steps.plan.outputs.key }}" || with0["path"] != "${{ steps.plan.outputs.dir }}" {
		t.Errorf("release cache with %v", with0)
	}
	with1, _ := caches[1]["with"].(map[string]any)
	if p, _ := with1["path"].(string); with1["key"] != "${{ steps.gocache.outputs.key }}" || !strings.Contains(p, "modcache") || !strings.Contains(p, "buildcache") {
		t.Errorf("Go cache with %v", with1)
	}
	for _, c := range caches {
		if s, _ := c["if"].(string); !strings.Contains(s, "inputs.cache-build == 'true'") {
			t.Errorf("cache step if %v", c["if"])
		}
	}
	seq := []string{"plan", "cache1", "fetch", "gocache", "cache2", "build", "run"}
	for i := 1; i < len(seq); i++ {
		if order[seq[i-1]] >= order[seq[i]] {
			t.Errorf("step order %v: want %v", order, seq)
		}
	}
	if md.Inputs["cache-build"].Default != "true" {
		t.Errorf("cache-build default %q", md.Inputs["cache-build"].Default)
	}
	if _, ok := md.Inputs["version"]; !ok {
		t.Error("no version input")
	}
}
