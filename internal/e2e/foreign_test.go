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

// go-httpbin, a public HTTP service nobody in this project wrote: the
// module, the version vendored, and the function the head's patch slows
// down, by the name a CPU profile gives it (the import path: vendoring
// does not change it).
const (
	httpbinModule  = "github.com/mccutchen/go-httpbin/v2"
	httpbinVersion = "v2.26.0"
	httpbinPatched = httpbinModule + "/httpbin.(*base64Helper).encode"
)

// httpbinMain is the team's own code: go-httpbin's handler on -addr and,
// added to profile it, net/http/pprof on its own port (-pprof). Both
// default to loopback; in a container they are given as ":port", all of
// the container's interfaces, for Docker to publish.
const httpbinMain = `package main

import (
	"flag"
	"log"
	"net/http"
	_ "net/http/pprof"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve httpbin on")
	pprofAddr := flag.String("pprof", "127.0.0.1:6060", "address to serve net/http/pprof on")
	flag.Parse()
	go func() { log.Fatal(http.ListenAndServe(*pprofAddr, nil)) }()
	log.Fatal(http.ListenAndServe(*addr, httpbin.New()))
}
`

// httpbinConfig builds the service from each side's tree (vendored, so
// no network) and starts it as a process; httpbinLoad follows.
const httpbinConfig = `name: httpbin
prepare:
  - [go, build, -mod=vendor, -buildvcs=false, -o, bin/httpbin, .]
services:
  - name: httpbin
    process:
      command: [./bin/httpbin, -addr, '127.0.0.1:{{ port 8080 }}', -pprof, '127.0.0.1:{{ port 6060 }}']
      ports: [8080, 6060]
    profile:
      pprof: 'http://{{ endpoint "httpbin" "6060" }}/debug/pprof/profile'
    ready:
      http: 'http://{{ endpoint "httpbin" "8080" }}/status/200'
      timeout: 60s
` + httpbinLoad

// httpbinLoad is the end of every go-httpbin config: it loads
// /base64/encode, which runs the patched function. The load is bounded:
// at most 20 s of judged slices (1 s a side), then the 4 profiled rounds.
const httpbinLoad = `scenarios:
  - name: base64
    url: 'http://{{ endpoint "httpbin" "8080" }}/base64/encode/perfgate'
    expect: [200]
load:
  workers: 4
  warmup: {requests: 200}
  measure: {duration: 1s}
gates:
  slice: 1s
  max_time: 20s
`

// httpbinAnchor is the end of (*base64Helper).encode in the vendored
// helpers.go; httpbinPatch replaces it with the same lines and, before
// the return, a checksum of the encoded bytes recomputed 20 000 times:
// CPU work in the function itself, on every request of the scenario.
const (
	httpbinAnchor = `	base64.URLEncoding.Encode(buff, []byte(b.data))
	return buff
}
`
	httpbinPatch = `	base64.URLEncoding.Encode(buff, []byte(b.data))
	sum := uint64(0x9E3779B97F4A7C15)
	for i := range 20000 {
		sum ^= uint64(buff[i%len(buff)])
		sum ^= sum << 13
		sum ^= sum >> 7
		sum ^= sum << 17
	}
	if sum == 0 {
		return nil
	}
	return buff
}
`
)

// goTool runs the go command in dir with the module cache and proxy of
// this environment (-mod=mod in GOFLAGS, replacing any -mod there: go.mod
// may be updated) and returns its output.
func goTool(ctx context.Context, dir string, args ...string) (string, error) {
	flags := []string{"-mod=mod"}
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if !strings.HasPrefix(strings.TrimLeft(f, "-"), "mod=") {
			flags = append(flags, f)
		}
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.Join(flags, " "), "GOWORK=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// httpbinRepo is a git repository as a team would have it: the main
// package above, go.mod requiring go-httpbin and the module vendored, and
// files (by slash-separated path; perfgate.yaml among them), committed
// and tagged base; the head commit patches one function in the vendored
// go-httpbin (see httpbinPatch) and changes nothing else. It skips the
// test when the module can be had neither from the module cache nor from
// the proxy. It returns the repository and its perfgate.yaml.
func httpbinRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	if _, ok := files["perfgate.yaml"]; !ok {
		t.Fatal("httpbinRepo: no perfgate.yaml among the files")
	}
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/httpbin-service\n\ngo 1.26.0\n\nrequire "+httpbinModule+" "+httpbinVersion+"\n")
	write("main.go", httpbinMain)
	for name, content := range files {
		write(filepath.FromSlash(name), content)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := goTool(ctx, dir, "mod", "download", httpbinModule+"@"+httpbinVersion); err != nil {
		t.Skipf("skipping: %s@%s is neither in the module cache nor available from the module proxy (GOPROXY): %v\n%s",
			httpbinModule, httpbinVersion, err, out)
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"mod", "vendor"}} {
		if out, err := goTool(ctx, dir, args...); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	helpers := filepath.Join("vendor", filepath.FromSlash(httpbinModule), "httpbin", "helpers.go")
	src, err := os.ReadFile(filepath.Join(dir, helpers))
	if err != nil {
		t.Fatalf("the vendored go-httpbin: %v", err)
	}
	if n := strings.Count(string(src), httpbinAnchor); n != 1 {
		t.Fatalf("%s of %s@%s holds the end of (*base64Helper).encode %d times, want once: "+
			"the patch no longer fits this version; rewrite httpbinAnchor and httpbinPatch for it",
			helpers, httpbinModule, httpbinVersion, n)
	}
	gitRepo(t, dir, func(string) {
		write(helpers, strings.Replace(string(src), httpbinAnchor, httpbinPatch, 1))
	})
	return dir, filepath.Join(dir, "perfgate.yaml")
}

// Paired mode on a third-party service, a local process: the head's
// vendored go-httpbin spends extra CPU in (*base64Helper).encode, and the
// profile diff, fetched from each side's net/http/pprof, names that
// function first in the results, the comment's Markdown and the call
// tree; both merged profiles are written beside the results.
func TestThirdPartyServicePairedProfileNamesThePatchedFunction(t *testing.T) {
	dir, cfg := httpbinRepo(t, map[string]string{
		"perfgate.yaml": httpbinConfig,
		".gitignore":    "bin/\n",
	})
	out := filepath.Join(t.TempDir(), "results.json")
	res, r := runBaseOut(t, cfg, out)
	assertHTTPBinProfile(t, res, r, out)
	assertNoWorktree(t, dir)
}

// assertHTTPBinProfile checks a paired run of a go-httpbin config, whose
// results file is out: one scenario, requests without errors on both
// sides, a verdict, and the profile diff naming httpbinPatched first
// (assertProfileNames). It logs the top row.
func assertHTTPBinProfile(t *testing.T, res *results.Results, r clitest.Result, out string) {
	t.Helper()
	if res.Mode != results.ModePaired || res.Paired == nil || len(res.Scenarios) != 1 {
		t.Fatalf("mode %q, paired %+v, %d scenarios\n%s", res.Mode, res.Paired, len(res.Scenarios), r.ErrOut)
	}
	switch res.Verdict {
	case results.VerdictPass, results.VerdictFail, results.VerdictInconclusive:
	default:
		t.Errorf("verdict %q", res.Verdict)
	}
	for _, s := range append(res.Scenarios, res.Paired.BaseScenarios...) {
		if s.Requests == 0 || s.Errors.Total() != 0 {
			t.Errorf("scenario %s: %d requests, errors %+v", s.Name, s.Requests, s.Errors)
		}
	}
	if d := res.ProfileDiff; d != nil && len(d.Functions) > 0 {
		top := d.Functions[0]
		t.Logf("verdict %s in %d rounds; top row %s: %.1f → %.1f µs/req (share %.0f%%); total %.1f → %.1f µs/req",
			res.Verdict, res.Paired.Rounds, top.Function, top.BaseFlatUS, top.HeadFlatUS, 100*top.Share, d.BaseTotalUS, d.HeadTotalUS)
	}
	assertProfileNames(t, res, out, "httpbin", httpbinPatched)
}
