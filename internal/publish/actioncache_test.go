package publish

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// fakeActionTree writes a minimal copy of the action's sources.
func fakeActionTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":                       "module example\n",
		"go.sum":                       "",
		"cmd/perfgate/main.go":         "package main\n",
		"internal/a/a.go":              "package a\n",
		"internal/a/a_test.go":         "package a\n",
		"internal/a/testdata/x.golden": "x\n",
		"internal/a/page.js":           "// embedded\n",
		"README.md":                    "docs\n",
		"schema/results.v1.json":       "{}\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeGo writes a `go` that answers `go env GOVERSION`, and for `go build
// ... -o out` writes a stand-in perfgate at out and counts the builds.
func fakeGo(t *testing.T, version string) (binDir, builds string) {
	t.Helper()
	binDir = t.TempDir()
	builds = filepath.Join(binDir, "builds")
	script := `#!/usr/bin/env bash
if [ "$1" = env ]; then echo ` + version + `; exit 0; fi
if [ "$1" = build ]; then
  echo build >> "` + builds + `"
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

func cacheKey(t *testing.T, tree, goDir, ref string) (key, dir string) {
	t.Helper()
	tmp := t.TempDir()
	out := filepath.Join(tmp, "output")
	log, code := runStep(t, actionScript(t, "key"), tree, map[string]string{
		"RUNNER_TEMP": tmp, "GITHUB_OUTPUT": out, "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
		"PERFGATE_VERSION": ref, "PATH": goDir + ":" + os.Getenv("PATH"),
	})
	if code != 0 {
		t.Fatalf("key step exited %d:\n%s", code, log)
	}
	outs := readOutputs(t, out)
	return outs["key"], outs["dir"]
}

// TestActionCacheKey: the key follows the action's sources, ref and Go,
// and nothing else.
func TestActionCacheKey(t *testing.T) {
	tree := fakeActionTree(t)
	goDir, _ := fakeGo(t, "go1.26.8")
	base, dir := cacheKey(t, tree, goDir, "v1")
	if !strings.HasPrefix(base, "perfgate-build-Linux-X64-") || len(base) < len("perfgate-build-Linux-X64-")+32 {
		t.Fatalf("key %q", base)
	}
	if !strings.HasSuffix(dir, "perfgate-build") {
		t.Errorf("dir %q", dir)
	}
	if again, _ := cacheKey(t, tree, goDir, "v1"); again != base {
		t.Errorf("same sources, another key: %q vs %q", again, base)
	}
	edit := func(name, body string) func() {
		p := filepath.Join(tree, name)
		old, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return func() {
			if old == nil {
				os.Remove(p)
			} else {
				os.WriteFile(p, old, 0o644)
			}
		}
	}
	for _, c := range []struct {
		name    string
		change  func() func()
		changes bool
	}{
		{"a source", func() func() { return edit("internal/a/a.go", "package a // v2\n") }, true},
		{"go.sum", func() func() { return edit("go.sum", "x v1 h1:...\n") }, true},
		{"an embedded file", func() func() { return edit("internal/a/page.js", "// v2\n") }, true},
		{"a new source", func() func() { return edit("internal/a/b.go", "package a\n") }, true},
		{"a schema", func() func() { return edit("schema/results.v1.json", "{\"x\":1}\n") }, true},
		{"a test", func() func() { return edit("internal/a/a_test.go", "package a // more\n") }, false},
		{"testdata", func() func() { return edit("internal/a/testdata/x.golden", "y\n") }, false},
		{"docs", func() func() { return edit("README.md", "more docs\n") }, false},
	} {
		undo := c.change()
		got, _ := cacheKey(t, tree, goDir, "v1")
		undo()
		if (got != base) != c.changes {
			t.Errorf("changing %s: key changed %v, want %v", c.name, got != base, c.changes)
		}
	}
	if k, _ := cacheKey(t, tree, goDir, "v2"); k == base {
		t.Error("another ref, same key: the version stamped into the binary would be stale")
	}
	// An older perfgate without schema/: the key step still works.
	if err := os.RemoveAll(filepath.Join(tree, "schema")); err != nil {
		t.Fatal(err)
	}
	if k, _ := cacheKey(t, tree, goDir, "v1"); k == base || k == "" {
		t.Errorf("without schema/: key %q", k)
	}
	go2, _ := fakeGo(t, "go1.27.0")
	if k, _ := cacheKey(t, tree, go2, "v1"); k == base {
		t.Error("another Go on the runner, same key")
	}
}

// TestActionCachedBuild: a cache miss builds into the cache folder; a hit
// with a working binary skips go entirely; a hit with a broken binary
// rebuilds. Every way ends with $RUNNER_TEMP/perfgate.
func TestActionCachedBuild(t *testing.T) {
	script := actionScript(t, "build")
	tree := fakeActionTree(t)
	goDir, builds := fakeGo(t, "go1.26.8")
	tmp := t.TempDir()
	cacheDir := filepath.Join(tmp, "perfgate-build")
	run := func(hit string) string {
		t.Helper()
		os.Remove(filepath.Join(tmp, "perfgate"))
		log, code := runStep(t, script, tree, map[string]string{
			"RUNNER_TEMP": tmp, "PERFGATE_BUILD_DIR": cacheDir, "PERFGATE_CACHE_HIT": hit,
			"PERFGATE_VERSION": "v1", "PATH": goDir + ":" + os.Getenv("PATH"),
		})
		if code != 0 {
			t.Fatalf("build step (cache-hit %q) exited %d:\n%s", hit, code, log)
		}
		if readFile(t, filepath.Join(tmp, "perfgate")) == "" {
			t.Fatalf("no $RUNNER_TEMP/perfgate after cache-hit %q", hit)
		}
		return log
	}
	nbuilds := func() int {
		b, _ := os.ReadFile(builds)
		return strings.Count(string(b), "build")
	}
	run("")
	if nbuilds() != 1 {
		t.Fatalf("miss: %d builds, want 1", nbuilds())
	}
	if log := run("true"); nbuilds() != 1 || !strings.Contains(log, "cached build") {
		t.Errorf("hit: %d builds, want still 1:\n%s", nbuilds(), log)
	}
	if err := os.WriteFile(filepath.Join(cacheDir, "perfgate"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run("true")
	if nbuilds() != 2 {
		t.Errorf("hit with a broken binary: %d builds, want 2", nbuilds())
	}
	run("false")
	if nbuilds() != 3 {
		t.Errorf("miss again: %d builds, want 3", nbuilds())
	}
}

// TestActionCacheStep: the cache step is actions/cache on the key step's
// key and folder, switched by the cache-build input, and the build step
// reads its hit.
func TestActionCacheStep(t *testing.T) {
	var md actionMeta
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(repoRoot(t), "action.yml"))), &md); err != nil {
		t.Fatal(err)
	}
	order := map[string]int{}
	var cache map[string]any
	for i, st := range md.Runs.Steps {
		if id, ok := st["id"].(string); ok {
			order[id] = i
		}
		if st["id"] == "cache" {
			cache = st
		}
	}
	if cache == nil {
		t.Fatal("action.yml has no step with id cache")
	}
	if u, _ := cache["uses"].(string); !strings.HasPrefix(u, "actions/cache@") {
		t.Errorf("cache step uses %q", u)
	}
	with, _ := cache["with"].(map[string]any)
	if with["key"] != "${{ steps.key.outputs.key }}" || with["path"] != "${{ steps.key.outputs.dir }}" {
		t.Errorf("cache step with %v", with)
	}
	if cache["if"] != "${{ inputs.cache-build == 'true' }}" {
		t.Errorf("cache step if %v", cache["if"])
	}
	if !(order["key"] < order["cache"] && order["cache"] < order["build"] && order["build"] < order["run"]) {
		t.Errorf("step order %v: want key, cache, build, run", order)
	}
	if md.Inputs["cache-build"].Default != "true" {
		t.Errorf("cache-build default %q", md.Inputs["cache-build"].Default)
	}
}
