package e2e_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/report/htmlreport"
	"github.com/perfgate/perfgate/internal/results"
)

// profiledConfig runs the example auth service in a FROM scratch
// container, serving pprof on its own port, which perfgate publishes on
// 127.0.0.1 and reaches through {{ endpoint "auth" "6060" }}. The load
// is bounded: at most 20 s of judged slices (10 rounds of 1 s a side),
// then the 4 profiled rounds.
const profiledConfig = `name: profiled-containers
prepare:
  - sh build.sh
services:
  - name: auth
    container:
      build:
        context: profiled-auth
      command: ['-addr', ':8080', '-store', 'memory', '-cpu', '20', '-pprof', ':6060']
      ports: ['8080', '6060']
    profile:
      pprof: 'http://{{ endpoint "auth" "6060" }}/debug/pprof/profile'
    ready:
      http: 'http://{{ endpoint "auth" "8080" }}/health'
      timeout: 30s
scenarios:
  - name: signup
    method: POST
    url: 'http://{{ endpoint "auth" "8080" }}/auth/user'
    headers: {Content-Type: application/json}
    body: '{"userId":"{{ letters 8 }}{{ seq }}","userName":"n","email":"{{ email }}","userPw":"{{ alnum 12 }}"}'
    expect: [200]
load:
  workers: 4
  warmup: {requests: 200}
  measure: {duration: 1s}
gates:
  slice: 1s
  max_time: 20s
`

// authDockerfile is the image of the example auth service: its static
// binary (CGO_ENABLED=0) alone, FROM scratch, with extra arguments before
// the config's command.
func authDockerfile(extra string) string {
	return "FROM scratch\nCOPY auth-service /auth-service\nUSER 65534:65534\nENTRYPOINT [\"/auth-service\"" + extra + "]\n"
}

// profiledContainerRepo is a git repository (base: tag base; head: one
// more commit) holding app/perfgate.yaml (profiledConfig), a build
// context and a prepare script that copies the statically built auth
// service into each tree's context. The head's config serves both sides,
// so the two commits differ where each side builds from: the head's
// Dockerfile adds -extra-hash, CPU work in a function of its own
// (main.extraHash). It returns the repository and the config.
func profiledContainerRepo(t *testing.T) (string, string) {
	t.Helper()
	auth := clitest.Build(t, "./examples/auth-service") // CGO_ENABLED=0: static
	dir := t.TempDir()
	app := filepath.Join(dir, "app")
	if err := os.MkdirAll(filepath.Join(app, "profiled-auth"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(app, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("perfgate.yaml", profiledConfig)
	write("build.sh", "set -e\ncp '"+auth+"' profiled-auth/auth-service\n")
	write(".gitignore", "profiled-auth/auth-service\n")
	write("profiled-auth/Dockerfile", authDockerfile(""))
	gitRepo(t, dir, func(string) {
		write("profiled-auth/Dockerfile", authDockerfile(`, "-extra-hash", "20000"`))
	})
	return dir, filepath.Join(app, "perfgate.yaml")
}

// findFrame returns the first frame named fn in the tree, depth first.
func findFrame(n *results.ProfileNode, fn string) *results.ProfileNode {
	if n == nil {
		return nil
	}
	if n.Function == fn {
		return n
	}
	for i := range n.Children {
		if f := findFrame(&n.Children[i], fn); f != nil {
			return f
		}
	}
	return nil
}

// Paired mode on containers: the head's image spends extra CPU in
// extraHash, and the profile diff fetched from each side's container
// through its published pprof port names it first, in the results, the
// comment's Markdown and the call tree; both merged profiles are written
// beside the results; nothing is left in Docker or git.
func TestContainerPairedProfileNamesTheSlowerFunction(t *testing.T) {
	requireDocker(t)
	dir, cfg := profiledContainerRepo(t)
	cli := docker(t)
	assertClean(t, cli)

	out := filepath.Join(t.TempDir(), "results.json")
	res, _ := runBaseOut(t, cfg, out)
	assertProfileNames(t, res, out, "auth", "main.extraHash")
	if len(res.Paired.RoundLog) != res.Paired.Rounds || res.Paired.Rounds > 10 {
		t.Errorf("round log %d, rounds %d (at most 10 in 20 s of 1 s slices)", len(res.Paired.RoundLog), res.Paired.Rounds)
	}
	assertClean(t, cli)
	assertNoWorktree(t, dir)
}

// assertProfileNames checks the paired profile diff of res, whose results
// file is out: one profiled service, four profiled rounds with requests on
// both sides, and fn, grown, first in the results' rows, in the comment's
// "Where the time went" table and in the HTML report's call tree; both
// merged profiles are written beside out and parse.
func assertProfileNames(t *testing.T, res *results.Results, out, service, fn string) {
	t.Helper()
	d := res.ProfileDiff
	if d == nil || len(d.Functions) == 0 {
		t.Fatalf("no profile diff: %+v\nwarnings %q", d, res.Warnings)
	}
	if top := d.Functions[0]; top.Function != fn || top.HeadFlatUS <= top.BaseFlatUS {
		t.Fatalf("top row %+v, want %s grown; rows %+v", top, fn, d.Functions)
	}
	if d.Source != "paired" || d.Rounds != 4 || d.BaseRequests == 0 || d.HeadRequests == 0 ||
		len(d.Services) != 1 || d.Services[0] != service || len(d.Warnings) != 0 {
		t.Errorf("diff %+v", d)
	}
	if f := findFrame(d.Tree, fn); f == nil || f.HeadUS <= f.BaseUS {
		t.Errorf("call tree: %s %+v, want it grown", fn, f)
	}
	// The comment's table starts with it.
	if first := clitest.MarkdownTopFunction(report.Markdown(res)); first != fn {
		t.Errorf("Markdown top row names %q, want %q", first, fn)
	}
	// The HTML report draws the tree.
	var page bytes.Buffer
	if err := htmlreport.Write(&page, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), `<svg class="pg-icicle"`) || !strings.Contains(page.String(), fn) {
		t.Errorf("the HTML report has no call tree naming %s", fn)
	}
	// Both merged profiles, beside the results.
	clitest.AssertProfileFiles(t, d, out)
}
