package publish

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// releaseArchives builds this runner's release archive and checksums.txt
// with scripts/release.sh, the way a release makes them.
func releaseArchives(t *testing.T, version string) (dir, asset string) {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("release archives are for linux and darwin")
	}
	dir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot(t), "scripts", "release.sh"), version, dir)
	cmd.Env = append(os.Environ(), "PERFGATE_TARGETS="+runtime.GOOS+"/"+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
	return dir, "perfgate_" + version + "_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz"
}

// releaseServer serves dir's files as release tag's assets, as
// $URL/<tag>/<file>, with an optional replacement of checksums.txt.
func releaseServer(t *testing.T, tag, dir string, checksums func(string) string, hits *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		name, ok := strings.CutPrefix(r.URL.Path, "/"+tag+"/")
		if !ok || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if name == "checksums.txt" && checksums != nil {
			b = []byte(checksums(string(b)))
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestActionInstallRelease runs the install script's fetch against a local
// server serving the archives scripts/release.sh made.
func TestActionInstallRelease(t *testing.T) {
	const version = "0.9.1"
	dist, asset := releaseArchives(t, version)
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	osName := map[string]string{"linux": "Linux", "darwin": "macOS"}[runtime.GOOS]

	install := func(t *testing.T, url, cacheHit string, tmp string, path string) (string, int, map[string]string, string) {
		t.Helper()
		_, code, plan := runInstall(t, "plan", tmp, map[string]string{"PERFGATE_REF": "v" + version, "RUNNER_OS": osName, "RUNNER_ARCH": arch, "RUNNER_TEMP": tmp})
		if code != 0 || plan["asset"] != asset || plan["release"] != "true" {
			t.Fatalf("plan: exit %d %v", code, plan)
		}
		env := map[string]string{
			"RUNNER_TEMP": tmp, "PERFGATE_RELEASE_URL": url, "PERFGATE_CACHE_HIT": cacheHit,
			"PERFGATE_TAG": plan["tag"], "PERFGATE_ASSET": plan["asset"], "PERFGATE_DIR": plan["dir"],
		}
		if path != "" {
			env["PATH"] = path
		}
		log, code, outs := runInstall(t, "fetch", tmp, env)
		return log, code, outs, plan["dir"]
	}

	t.Run("good download, then the cache", func(t *testing.T) {
		var hits atomic.Int32
		srv := releaseServer(t, "v"+version, dist, nil, &hits)
		tmp := t.TempDir()
		log, code, outs, dir := install(t, srv.URL, "", tmp, "")
		if code != 0 || outs["source"] != "false" {
			t.Fatalf("exit %d outputs %v\n%s", code, outs, log)
		}
		out, err := exec.Command(filepath.Join(tmp, "perfgate"), "--version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "perfgate "+version+" (commit ") {
			t.Fatalf("perfgate --version: %v %q", err, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "perfgate")); err != nil {
			t.Errorf("nothing in the cache folder: %v", err)
		}
		// A cache hit downloads nothing.
		srv.Close()
		os.Remove(filepath.Join(tmp, "perfgate"))
		before := hits.Load()
		log, code, outs, _ = install(t, srv.URL, "true", tmp, "")
		if code != 0 || outs["source"] != "false" || hits.Load() != before || !strings.Contains(log, "using the cached perfgate "+version) {
			t.Errorf("cache hit: exit %d outputs %v hits %d→%d\n%s", code, outs, before, hits.Load(), log)
		}
	})

	t.Run("checksum mismatch", func(t *testing.T) {
		var hits atomic.Int32
		const bad = "0000000000000000000000000000000000000000000000000000000000000000"
		var good string
		srv := releaseServer(t, "v"+version, dist, func(s string) string {
			good, _, _ = strings.Cut(s, " ")
			return strings.Replace(s, good, bad, 1)
		}, &hits)
		tmp := t.TempDir()
		log, code, outs, dir := install(t, srv.URL, "", tmp, "")
		if code != 3 || !strings.Contains(log, "::error title=perfgate::checksum mismatch for "+asset) ||
			!strings.Contains(log, bad) || good == "" || !strings.Contains(log, good) {
			t.Errorf("exit %d outputs %v, want 3 naming %s and %s:\n%s", code, outs, bad, good, log)
		}
		for _, p := range []string{filepath.Join(tmp, "perfgate"), filepath.Join(dir, "perfgate")} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s exists after a mismatch", p)
			}
		}
	})

	t.Run("missing asset falls back to the source build", func(t *testing.T) {
		var hits atomic.Int32
		empty := t.TempDir()
		for _, c := range []struct {
			name string
			dir  string
			sums func(string) string
		}{
			{"no release", empty, nil},
			{"no such archive", dist, func(string) string { return strings.Repeat("1", 64) + "  perfgate_" + version + "_plan9_mips.tar.gz\n" }},
		} {
			srv := releaseServer(t, "v"+version, c.dir, c.sums, &hits)
			tmp := t.TempDir()
			log, code, outs, dir := install(t, srv.URL, "", tmp, "")
			if code != 0 || outs["source"] != "true" || !strings.Contains(log, "building from source") {
				t.Errorf("%s: exit %d outputs %v\n%s", c.name, code, outs, log)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("%s: the cache folder exists; actions/cache would save it", c.name)
			}
			goDir, builds := fakeGo(t, "go1.26.8")
			log, code, _ = runInstall(t, "build", tmp, map[string]string{"RUNNER_TEMP": tmp, "PERFGATE_TAG": "v" + version, "PATH": goDir + ":" + os.Getenv("PATH")})
			if code != 0 || readFile(t, builds) == "" || readFile(t, filepath.Join(tmp, "perfgate")) == "" {
				t.Errorf("%s: source build exit %d\n%s", c.name, code, log)
			}
		}
	})

	t.Run("server error", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) }))
		t.Cleanup(srv.Close)
		log, code, _, _ := install(t, srv.URL, "", t.TempDir(), "")
		if code != 3 || !strings.Contains(log, "HTTP 403") {
			t.Errorf("exit %d\n%s", code, log)
		}
	})
}
