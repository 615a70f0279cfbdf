package publish

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// judgedRun builds a run of the named scenarios (5 runs each, ~rps[i]
// req/s) judged against a baseline where every scenario ran at base[i].
func judgedRun(name, cfgPath, basePath string, scenarios []string, base, now []float64) *results.Results {
	mk := func(rps []float64) *results.Results {
		res := &results.Results{
			Schema: results.Schema, Name: name, PerfgateVersion: "v0.1.0", ConfigHash: "sha256:0123456789abcdef",
			ConfigPath: cfgPath, Client: "net/http", StartedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
			Load: results.LoadInfo{Model: "closed", Workers: 20, Repeat: 5},
			Host: results.Host{OS: "linux", Arch: "amd64", CPUModel: "AMD EPYC 7763", CPUCount: 4, GOMAXPROCS: 4, GoVersion: "go1.26.8", Somaxconn: 4096},
		}
		for i, sc := range scenarios {
			s := results.Scenario{Name: sc}
			for k, d := range []float64{-0.01, 0.005, 0, 0.01, -0.005} {
				r := rps[i] * (1 + d)
				p := 20000 / r
				s.Runs = append(s.Runs, results.Run{Index: k + 1, Figures: results.Figures{Requests: int64(3 * r), OK: int64(3 * r), DurationS: 3,
					ThroughputRPS: r, StatusCounts: map[string]int64{"200": int64(3 * r)},
					LatencyMS: results.Latency{P50: p, P90: 1.5 * p, P95: 2 * p, P99: 3 * p, Max: 9 * p, Mean: 1.1 * p}}})
			}
			p := 20000 / rps[i]
			s.Figures = results.Figures{Requests: int64(15 * rps[i]), OK: int64(15 * rps[i]), DurationS: 15, ThroughputRPS: rps[i],
				StatusCounts: map[string]int64{"200": int64(15 * rps[i])},
				LatencyMS:    results.Latency{P50: p, P90: 1.5 * p, P95: 2 * p, P99: 3 * p, Max: 9 * p, Mean: 1.1 * p}}
			res.Scenarios = append(res.Scenarios, s)
		}
		return res
	}
	cur := mk(now)
	compare.Apply(runToRun, baseline.FromResults(mk(base)), cur, compare.Options{BaselinePath: basePath})
	cur.Mode = results.ModeBaseline
	return cur
}

// gitRepo makes a folder that git would call a work tree.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var machinePath = regexp.MustCompile(`(/home/|/tmp/|/Users/|/runner/|[A-Z]:\\)`)

// TestBodyQuickstartOneFailure is the comment of the quickstart (sign-ups
// and health checks) with sign-ups 25% slower: short before the first
// <details>, a Mermaid chart, the failure said once, and no path of the
// machine — the config and baseline are named from the repository root.
func TestBodyQuickstartOneFailure(t *testing.T) {
	repo := gitRepo(t)
	cfg := filepath.Join(repo, "examples", "quickstart", "perfgate.yaml")
	basePath := filepath.Join(repo, "examples", "quickstart", "baselines", "quickstart.json")
	res := judgedRun("quickstart", cfg, basePath, []string{"signup", "health"}, []float64{3000, 1000}, []float64{2250, 1000})
	if res.Verdict != results.VerdictFail {
		t.Fatalf("fixture verdict %s", res.Verdict)
	}
	for _, ws := range []string{"", "/home/runner/work/other/other", repo} {
		for _, summary := range []bool{false, true} {
			t.Run(fmt.Sprintf("workspace %q summary %v", ws, summary), func(t *testing.T) {
				body, cut := Body(res, BodyOptions{Workspace: ws, NoMarker: summary, RunURL: "https://github.example/o/r/actions/runs/9"})
				if cut {
					t.Fatal("cut")
				}
				before := body[:strings.Index(body, "<details")]
				if n := strings.Count(before, "\n"); n > 15 {
					t.Errorf("%d lines before the first <details>, want ≤ 15:\n%s", n, before)
				}
				for _, want := range []string{
					"### ❌ perfgate quickstart: FAIL — 4 regressions in 1 scenario\n",
					"**Judged by:** the stored baseline `examples/quickstart/baselines/quickstart.json`",
					"| ❌ signup | 2250.0 -25.0% ❌ |",
					"- ❌ signup **goodput**: 3000.0 req/s → 2250.0 req/s (-25.0%, gate drop ≤ 5%); **p50**: ",
					"\n```mermaid\nxychart-beta\n    title \"signup: goodput per measured run",
					"perfgate baseline update -c examples/quickstart/perfgate.yaml\ngit add examples/quickstart/baselines/\n",
				} {
					if !strings.Contains(body, want) {
						t.Errorf("body lacks %q:\n%s", want, body)
					}
				}
				for _, once := range []string{"**goodput**: 3000.0 req/s → 2250.0 req/s", "signup **goodput**"} {
					if n := strings.Count(body, once); n != 1 {
						t.Errorf("%q said %d times", once, n)
					}
				}
				if strings.Contains(body, repo) || machinePath.MatchString(strings.ReplaceAll(body, "https://github.example/", "")) {
					t.Errorf("a machine path in the body:\n%s", body)
				}
				if o, c := strings.Count(body, "<details"), strings.Count(body, "</details>"); o != c || o < 4 {
					t.Errorf("%d <details>, %d </details>", o, c)
				}
				if os.Getenv("PERFGATE_SHOW_BODY") != "" {
					t.Logf("\n%s", body)
				}
			})
		}
	}
}

// TestBodyFiftyScenarios: a config with 50 scenarios stays well under
// GitHub's 65,536 characters without a cut (the rows of passed checks give
// way, the job summary keeps them), and the failure is in it.
func TestBodyFiftyScenarios(t *testing.T) {
	var names []string
	var base, cur []float64
	for i := range 50 {
		names = append(names, fmt.Sprintf("scenario-%02d-GET-/api/v1/resource/{id}", i))
		base, cur = append(base, 1000+float64(i)), append(cur, 1000+float64(i))
	}
	cur[17] = 700
	res := judgedRun("big", "perfgate.yaml", "baselines/big.json", names, base, cur)
	res.Warnings = []string{"a warning"}
	for i := range 5 {
		res.Services = append(res.Services, results.ServiceInfo{Name: fmt.Sprintf("svc%d", i), Provider: "container", Image: "example/app:1.2.3"})
	}
	body, cut := Body(res, BodyOptions{RunURL: "https://github.example/o/r/actions/runs/9"})
	if cut || len(body) > 32768 {
		t.Errorf("50 scenarios: %d bytes (cut %v), want ≤ 32768 and no cut", len(body), cut)
	}
	for _, want := range []string{"| ❌ scenario-17", "- ❌ scenario-17-GET-/api/v1/resource/{id} **goodput**", "```mermaid", "passed checks left out here",
		"<details><summary>30 more scenarios without a failure</summary>", "<details><summary>Host</summary>"} {
		if !strings.Contains(body, strings.ReplaceAll(strings.ReplaceAll(want, "{", "\\{"), "}", "\\}")) && !strings.Contains(body, want) {
			t.Errorf("body lacks %q", want)
		}
	}
	summary, cut := Body(res, BodyOptions{NoMarker: true, Limit: MaxSummaryBytes})
	if cut || !strings.Contains(summary, "<details><summary>All 300 checks: ") {
		t.Errorf("the job summary lost the full table of checks (cut %v)", cut)
	}
	t.Logf("comment %d bytes, job summary %d bytes", len(body), len(summary))
}

// TestBodyHintOutsideGit: without a git work tree the hint is relative to
// the working directory, and a config outside it is named by its base name
// rather than by a machine path.
func TestBodyHintOutsideGit(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ cfg, wd, want string }{
		{filepath.Join(dir, "bench", "perfgate.yaml"), dir, "perfgate baseline update -c bench/perfgate.yaml\ngit add bench/baselines/\n"},
		{"/opt/ci/checkout/perfgate.yaml", dir, "perfgate baseline update -c perfgate.yaml\ngit add baselines/\n"},
	} {
		t.Run(c.cfg, func(t *testing.T) {
			t.Chdir(c.wd)
			res := resultstest.Sample(results.VerdictNoBaseline)
			res.ConfigPath = c.cfg
			body, _ := Body(res, BodyOptions{})
			if !strings.Contains(body, c.want) || strings.Contains(body, dir) || strings.Contains(body, "/opt/") {
				t.Errorf("body lacks %q or holds a machine path:\n%s", c.want, body)
			}
		})
	}
}
