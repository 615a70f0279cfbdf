package run_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// profiledRepo is a paired repo whose service also listens for pprof on
// {{ port 6060 }} (when its args pass -pprof) and whose config fetches
// CPU profiles from profileURL.
func profiledRepo(t *testing.T, baseArgs, headArgs, profileURL string) string {
	dir := clitest.PairedRepo(t, "", baseArgs, "", headArgs)
	cfg := filepath.Join(dir, "app", "perfgate.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(string(b), "command: [sh, run.sh, '{{ port 8080 }}']\n      ports: [8080]",
		"command: [sh, run.sh, '{{ port 8080 }}', '{{ port 6060 }}']\n      ports: [8080, 6060]", 1)
	y = strings.Replace(y, "    ready:\n", "    profile:\n      pprof: '"+profileURL+"'\n    ready:\n", 1)
	if !strings.Contains(y, "6060") || !strings.Contains(y, "profile:") {
		t.Fatalf("config not rewritten:\n%s", y)
	}
	os.WriteFile(cfg, []byte(y), 0o644)
	return cfg
}

// The head spends extra CPU in extraHash: the profile diff's top row, in
// the results and in the Markdown the comment is made of, names it, and
// both merged profiles are written beside the results for pprof.
func TestRunPairedProfileNamesTheSlowerFunction(t *testing.T) {
	for _, pairing := range []string{"alternate", "duet"} {
		t.Run(pairing, func(t *testing.T) { testRunPairedProfile(t, pairing) })
	}
}

func testRunPairedProfile(t *testing.T, pairing string) {
	const pprofArgs = `-cpu 20 -pprof "127.0.0.1:$2"`
	cfg := profiledRepo(t, pprofArgs, pprofArgs+" -extra-hash 20000", `http://{{ endpoint "auth" "6060" }}/debug/pprof/profile`)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, []byte("  pairing: "+pairing+"\n")...), 0o644)
	out := filepath.Join(t.TempDir(), "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--base", "base", "--out", out)
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("exit %d: %v\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	d := res.ProfileDiff
	if d == nil || len(d.Functions) == 0 {
		t.Fatalf("no profile diff: %+v\n%s", d, r.ErrOut)
	}
	if top := d.Functions[0]; top.Function != "main.extraHash" || top.HeadFlatUS <= top.BaseFlatUS {
		t.Fatalf("top row %+v, want main.extraHash grown; rows %+v", top, d.Functions)
	}
	if d.Source != "paired" || d.Rounds != 4 || d.BaseRequests == 0 || d.HeadRequests == 0 || d.BaseOverhead == nil ||
		len(d.Services) != 1 || d.Services[0] != "auth" {
		t.Errorf("diff %+v", d)
	}
	// The judged rounds are the session's own: profiling added none.
	if len(res.Paired.RoundLog) != res.Paired.Rounds {
		t.Errorf("round log %d, rounds %d", len(res.Paired.RoundLog), res.Paired.Rounds)
	}
	md := report.Markdown(res)
	if !strings.Contains(md, "Where the time went") {
		t.Fatalf("no section in\n%s", md)
	}
	if first := clitest.MarkdownTopFunction(md); first != "main.extraHash" {
		t.Errorf("top row names %q, want main.extraHash", first)
	}
	clitest.AssertProfileFiles(t, d, out)
}

// A profile URL that answers something that is not a profile (the
// health check), on a base that does not even listen for pprof: a warning
// naming the service; the run is judged as without profiles.
func TestRunPairedProfileErrorsAreWarnings(t *testing.T) {
	for name, url := range map[string]string{
		"not a profile": `http://{{ endpoint "auth" "8080" }}/health`,
		"no answer":     `http://{{ endpoint "auth" "6060" }}/debug/pprof/profile`,
	} {
		t.Run(name, func(t *testing.T) {
			cfg := profiledRepo(t, "", `-pprof "127.0.0.1:$2"`, url)
			out := filepath.Join(t.TempDir(), "r.json")
			r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--base", "base", "--out", out)
			// The verdict is not what this test is about: the head listens for
			// pprof and the base does not, and a busy machine's bursts can
			// land on one side; any judged run (0 or 1) will do.
			if r.Code != 0 && r.Code != 1 {
				t.Fatalf("exit %d, want a judged run (0 or 1): %v\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
			}
			res, err := results.Read(out)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, w := range res.Warnings {
				if strings.Contains(w, "service auth (base): no CPU profile") {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning naming the service: %q", res.Warnings)
			}
			if res.ProfileDiff == nil || len(res.ProfileDiff.Functions) != 0 || len(res.Scenarios) != 1 || res.Verdict == "" {
				t.Errorf("diff %+v, verdict %q", res.ProfileDiff, res.Verdict)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(out), "base.pb.gz")); err == nil {
				t.Error("base.pb.gz written without a base profile")
			}
		})
	}
}
