package run_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// writeLimitsConfig writes a config against url with a plain scenario
// whose p95 is limited by p95 and a flow whose second step has limits of
// its own.
func writeLimitsConfig(t *testing.T, dir, url, p95 string) string {
	t.Helper()
	cfg := filepath.Join(dir, "perfgate.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`name: limits
scenarios:
  - name: hello
    url: %[1]s/hello
    expect: [200]
    limits:
      p95: %[2]q
      error_rate: "< 1%%"
  - name: pair
    steps:
      - name: first
        url: %[1]s/first
      - name: second
        url: %[1]s/second
        limits: {error_rate: "<= 0.5%%", goodput: "> 1/s"}
load:
  workers: 2
  measure: {requests: 60, duration: 5s}
  repeat: 2
`, url, p95)), 0o644)
	return cfg
}

func limitChecks(res *results.Results) map[string]string {
	out := map[string]string{}
	if res.Comparison == nil {
		return out
	}
	for _, c := range res.Comparison.Checks {
		if c.Gate == "limit" {
			out[c.Scenario+" "+c.Metric+" "+c.Rule] = c.Status
		}
	}
	return out
}

// A limit is judged with no baseline at all: an impossible one fails the
// run (exit 1), one that holds leaves it at no-baseline (exit 0); and
// against a stored baseline, and in `perfgate compare`, alike.
func TestRunLimits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ctx := context.Background()

	// Passable limits, no baseline: exit 0, every limit judged and held.
	cfg := writeLimitsConfig(t, dir, srv.URL, "< 30s")
	held := filepath.Join(dir, "held.json")
	r := clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", held)
	if r.Code != 0 {
		t.Fatalf("passable limits: exit %d: %v\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(held)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"hello p95 < 30s": "pass", "hello error_rate < 1%": "pass", "pair/second error_rate <= 0.5%": "pass", "pair/second throughput_rps > 1/s": "pass"}
	if got := limitChecks(res); fmt.Sprint(got) != fmt.Sprint(want) || res.Verdict != results.VerdictNoBaseline {
		t.Fatalf("verdict %s, limit checks %v; want no-baseline, %v", res.Verdict, got, want)
	}
	if !strings.Contains(r.Out, "p95 (limit)") || !strings.Contains(r.Out, "< 30s") || !strings.Contains(r.Out, "the limits were judged") {
		t.Errorf("the terminal report does not show the limits:\n%s", r.Out)
	}

	// An impossible limit, no baseline: exit 1, verdict fail.
	cfg = writeLimitsConfig(t, dir, srv.URL, "< 1us")
	broken := filepath.Join(dir, "broken.json")
	r = clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", broken)
	if r.Code != 1 {
		t.Fatalf("impossible limit, no baseline: exit %d, want 1: %v\n%s", r.Code, r.Err, r.Out)
	}
	if res, err = results.Read(broken); err != nil {
		t.Fatal(err)
	}
	if got := limitChecks(res)["hello p95 < 1µs"]; got != "fail" || res.Verdict != results.VerdictFail {
		t.Errorf("verdict %s, limit checks %v", res.Verdict, limitChecks(res))
	}
	if !strings.Contains(r.Out, "FAIL") || !strings.Contains(r.Out, "outside the limit p95 < 1µs") {
		t.Errorf("the terminal report does not say which limit broke:\n%s", r.Out)
	}

	// Against a stored baseline of the same figures: the limit still fails.
	first, err := results.Read(held)
	if err != nil {
		t.Fatal(err)
	}
	basePath := filepath.Join(dir, "baselines", "limits.json")
	if err := baseline.Write(basePath, baseline.FromResults(first)); err != nil {
		t.Fatal(err)
	}
	r = clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", broken)
	if res, err = results.Read(broken); err != nil {
		t.Fatal(err)
	}
	if r.Code != 1 || res.Comparison.Baseline == "" || limitChecks(res)["hello p95 < 1µs"] != "fail" {
		t.Errorf("impossible limit, stored baseline: exit %d, baseline %q, limit checks %v", r.Code, res.Comparison.Baseline, limitChecks(res))
	}

	// perfgate compare judges the held run under the config's limits.
	r = clitest.Run(t, ctx, nil, "compare", "--baseline", basePath, "-c", cfg, held)
	if r.Code != 1 || !strings.Contains(r.Out, "p95 (limit)") {
		t.Errorf("compare with an impossible limit: exit %d: %v\n%s", r.Code, r.Err, r.Out)
	}
}

// Paired mode judges the head's merged figures against the limits: the
// same code on both sides passes the gates, and an impossible limit still
// fails the run.
func TestRunPairedLimit(t *testing.T) {
	dir := pairedRepo(t, "", "", "", "")
	cfg := filepath.Join(dir, "app", "perfgate.yaml")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "    expect: [200]\n", "    expect: [200]\n    limits: {p95: \"< 1us\", goodput: \"> 1/s\"}\n", 1)), 0o644)
	out := filepath.Join(t.TempDir(), "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--base", "base", "--out", out)
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("%v (exit %d: %v)\n%s", err, r.Code, r.Err, r.ErrOut)
	}
	want := map[string]string{"signup p95 < 1µs": "fail", "signup throughput_rps > 1/s": "pass"}
	if got := limitChecks(res); r.Code != 1 || res.Verdict != results.VerdictFail || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("exit %d verdict %q limit checks %v; want exit 1, fail, %v\n%s", r.Code, res.Verdict, got, want, r.Out)
	}
}
