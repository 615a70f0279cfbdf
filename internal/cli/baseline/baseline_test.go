package baseline_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bl "github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

func TestBaselineUpdateThenRunJudges(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := clitest.AuthConfig(t, dir, "load:\n  workers: 4\n  warmup: {requests: 200}\n  measure: {requests: 400, duration: 10s}\n  repeat: 4\n")
	r := clitest.Run(t, context.Background(), nil, "baseline", "update", "-c", cfg, "--sessions", "2", "--pause", "0")
	if r.Code != 0 {
		t.Fatalf("baseline update: exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	path := filepath.Join(dir, "baselines", "e2e.json")
	b, err := bl.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	// Two sessions of 4 runs: kept apart, and pooled in samples.
	if b.Name != "e2e" || len(b.Scenarios) != 2 || len(b.Scenarios[0].Samples.ThroughputRPS) != 8 || len(b.Scenarios[0].Sessions) != 2 ||
		b.Scenarios[0].Sessions[0].Samples.Len() != 4 {
		t.Fatalf("baseline: name %q scenarios %d samples %d sessions %d", b.Name, len(b.Scenarios), b.Scenarios[0].Samples.Len(), len(b.Scenarios[0].Sessions))
	}
	for _, want := range []string{"baseline written to", "session 2 of 2", "throughput medians of 2 sessions"} {
		if !strings.Contains(r.ErrOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.ErrOut)
		}
	}

	// The same build judged against it: a verdict with checks, exit per verdict.
	out := filepath.Join(dir, "r.json")
	r = clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--no-gate")
	if r.Code != 0 {
		t.Fatalf("run --no-gate: exit %d: %v", r.Code, r.Err)
	}
	for _, want := range []string{"goodput", "p95", "CHANGE"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("verdict table lacks %q:\n%s", want, r.Out)
		}
	}
	if !strings.Contains(r.Out+r.ErrOut, "judged per session") {
		t.Errorf("the verdict does not say it was judged per session:\n%s\n%s", r.Out, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Comparison == nil || res.Comparison.ResolvableChange <= 0 {
		t.Errorf("no resolvable change in the results: %+v", res.Comparison)
	}

	// A second update with --add keeps the stored sessions and shows old vs new.
	r = clitest.Run(t, context.Background(), nil, "baseline", "update", "-c", cfg, "--sessions", "1", "--add")
	if r.Code != 0 {
		t.Fatalf("second update: exit %d: %v", r.Code, r.Err)
	}
	if b, err = bl.Read(path); err != nil || len(b.Scenarios[0].Sessions) != 3 || b.Scenarios[0].Samples.Len() != 12 {
		t.Fatalf("--add: %v, sessions %d", err, len(b.Scenarios[0].Sessions))
	}
	// Without --add, one session replaces them all.
	r = clitest.Run(t, context.Background(), nil, "baseline", "update", "-c", cfg, "--sessions", "1")
	if r.Code != 0 || !strings.Contains(r.ErrOut, "one session recorded") {
		t.Fatalf("third update: exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	if b, err = bl.Read(path); err != nil || len(b.Scenarios[0].Sessions) != 0 || b.Scenarios[0].Samples.Len() != 4 {
		t.Fatalf("replace: %v, sessions %d", err, len(b.Scenarios[0].Sessions))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("left files behind: %v", entries)
	}
}

func TestBaselineUpdateRefusesBrokenRun(t *testing.T) {
	dir := t.TempDir()
	// Every sign-up is a duplicate after the first: 409s break the error ceiling.
	cfg, _ := clitest.AuthConfig(t, dir, "load:\n  workers: 2\n  measure: {requests: 100, duration: 10s}\n  repeat: 1\n")
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(data), `{{ letters 8 }}{{ seq }}`, `same-user`, 1)), 0o644)
	r := clitest.Run(t, context.Background(), nil, "baseline", "update", "-c", cfg)
	if r.Code != 1 || strings.Contains(r.ErrOut, "session 2 of") {
		t.Fatalf("exit %d err %v", r.Code, r.Err)
	}
	// The advice is given once: exactly the candidate's reasons and what to do.
	var ce *compare.CandidateError
	if !errors.As(r.Err, &ce) || len(ce.Problems) == 0 {
		t.Fatalf("error does not carry the candidate's problems: %v", r.Err)
	}
	want := "baseline not written: this run should not become a baseline: " + strings.Join(ce.Problems, "; ") +
		"; fix the cause and run again, or pass --force to keep it anyway"
	if got := r.Err.Error(); got != want || strings.Count(got, "--force") != 1 {
		t.Errorf("message:\n got %q\nwant %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "baselines", "e2e.json")); err == nil {
		t.Fatal("a broken run became the baseline")
	}
	r = clitest.Run(t, context.Background(), nil, "baseline", "update", "-c", cfg, "--force", "--sessions", "1")
	if r.Code != 0 {
		t.Fatalf("--force: exit %d: %v", r.Code, r.Err)
	}
	warn := "warning: this run should not become a baseline: "
	i := strings.Index(r.ErrOut, warn)
	if i < 0 {
		t.Fatalf("--force: no warning:\n%s", r.ErrOut)
	}
	line, _, _ := strings.Cut(r.ErrOut[i:], "\n")
	if !strings.HasSuffix(line, "; written anyway (--force)") || strings.Count(line, "--force") != 1 {
		t.Errorf("--force warning: %q", line)
	}
}

func TestBaselineUpdateCorruptExisting(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := clitest.AuthConfig(t, dir, "")
	p := filepath.Join(dir, "baselines", "e2e.json")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte(`{"schema":"perfgate/baseline/v99"}`), 0o644)
	r := clitest.Run(t, context.Background(), nil, "baseline", "update", "-c", cfg)
	if r.Code != 2 || !strings.Contains(r.Err.Error(), "e2e.json") {
		t.Fatalf("exit %d err %v", r.Code, r.Err)
	}
	if data, _ := os.ReadFile(p); string(data) != `{"schema":"perfgate/baseline/v99"}` {
		t.Error("unreadable baseline was overwritten without --force")
	}
}

func TestBaselineUpdateBadSessionFlags(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := clitest.AuthConfig(t, dir, "")
	for _, args := range [][]string{{"--sessions", "0"}, {"--sessions", "21"}, {"--pause", "-1s"}} {
		r := clitest.Run(t, context.Background(), nil, append([]string{"baseline", "update", "-c", cfg}, args...)...)
		if r.Code != 2 || !strings.Contains(r.Err.Error(), args[0]) || strings.Contains(r.ErrOut, "starting") {
			t.Errorf("%v: exit %d err %v", args, r.Code, r.Err)
		}
	}
}

func TestBaselineSubcommands(t *testing.T) {
	for _, args := range [][]string{{"baseline"}, {"baseline", "updte"}} {
		r := clitest.Run(t, context.Background(), nil, args...)
		if r.Code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.Code)
		}
	}
	r := clitest.Run(t, context.Background(), nil, "baseline", "updte")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "did you mean update") {
		t.Errorf("err %v", r.Err)
	}
}

// An existing baseline whose histogram does not decode is bad input (exit
// 2) found before anything starts, naming the file and the scenario.
func TestBaselineUpdateBadHistogramExit2(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := clitest.AuthConfig(t, dir, "")
	p := filepath.Join(dir, "baselines", "e2e.json")
	os.MkdirAll(filepath.Dir(p), 0o755)
	b := bl.FromResults(resultstest.Synthetic("e2e", 1000, 1010, 990))
	b.Scenarios[0].Histogram = "bm90IGFuIEhEUiBoaXN0b2dyYW0=" // base64 of "not an HDR histogram"
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, data, 0o644)
	r := clitest.Run(t, context.Background(), nil, "baseline", "update", "-c", cfg)
	if r.Code != 2 || !strings.Contains(r.Err.Error(), "e2e.json") || !strings.Contains(r.Err.Error(), `scenario "signup": histogram is not an HdrHistogram`) {
		t.Fatalf("exit %d err %v", r.Code, r.Err)
	}
	if strings.Contains(r.ErrOut, "starting") {
		t.Errorf("services started before the baseline was checked:\n%s", r.ErrOut)
	}
	if got, _ := os.ReadFile(p); string(got) != string(data) {
		t.Error("the baseline was overwritten without --force")
	}
}
