package run_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

func pairedRepo(t *testing.T, baseBuild, baseArgs, headBuild, headArgs string) string {
	return clitest.PairedRepo(t, baseBuild, baseArgs, headBuild, headArgs)
}

func worktrees(t *testing.T, dir string) int {
	out, err := exec.Command("git", "-C", dir, "worktree", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	return len(strings.Split(strings.TrimSpace(string(out)), "\n"))
}

// The head's service sleeps 20 ms per request, the base's does not: the
// paired run fails at its first look, with both sides measured, and leaves
// no worktree or process behind.
func TestRunPairedCatchesSlowdown(t *testing.T) {
	for _, pairing := range []string{"duet", "alternate"} {
		t.Run(pairing, func(t *testing.T) { testRunPairedCatchesSlowdown(t, pairing) })
	}
}

func testRunPairedCatchesSlowdown(t *testing.T, pairing string) {
	dir := pairedRepo(t, "", "", "", "-latency 5ms")
	cfg := filepath.Join(dir, "app", "perfgate.yaml")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, []byte("  pairing: "+pairing+"\n")...), 0o644)
	out := filepath.Join(t.TempDir(), "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--base", "base", "--out", out)
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1: %v\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Paired
	if res.Mode != results.ModePaired || p == nil || p.BaseRef != "base" || len(p.BaseCommit) != 40 || p.Rounds != 10 ||
		p.StoppedBy != "decided" || len(p.RoundLog) != 10 || len(p.BaseScenarios) != 1 || len(res.Scenarios[0].Runs) != 10 {
		t.Fatalf("paired %+v", p)
	}
	switch {
	case pairing == "alternate" && (p.Order != "ABBA" || p.RoundLog[0].First != "base" || p.RoundLog[1].First != "head" ||
		p.RoundLog[2].First != "head" || p.RoundLog[3].First != "base"):
		t.Errorf("not ABBA: %+v", p.RoundLog[:4])
	case pairing == "duet" && (p.Order != "duet" || p.RoundLog[0].First != "both"):
		t.Errorf("not a duet: %s %+v", p.Order, p.RoundLog[:2])
	}
	if res.Verdict != results.VerdictFail || !strings.Contains(r.Out, "paired rounds") {
		t.Errorf("verdict %q\n%s", res.Verdict, r.Out)
	}
	// Every slice knows the foreign CPU beside it (Linux /proc: readable;
	// 2 CPUs cannot lose more than 2).
	for _, rl := range p.RoundLog {
		if rl.BaseForeignCPU < 0 || rl.HeadForeignCPU < 0 || rl.BaseForeignCPU > float64(runtime.NumCPU())+0.1 || rl.HeadForeignCPU > float64(runtime.NumCPU())+0.1 {
			t.Errorf("round %d: foreign CPU base %v head %v", rl.Round, rl.BaseForeignCPU, rl.HeadForeignCPU)
		}
	}
	if n := worktrees(t, dir); n != 1 {
		t.Errorf("%d worktrees left", n)
	}
}

// Same code on both sides: not a failure. `go test ./...` runs other
// packages beside this one, a neighbour that follows no side's slices at
// random (the design's alpha assumes it does), and 10 rounds of 300 ms
// leave a wide interval; so the gate here is 20%, whose "no change that
// matters" (10%) such a neighbour does not reach, while a judged A/A
// still has to come out pass or undecided.
func TestRunPairedSameCodePasses(t *testing.T) {
	dir := pairedRepo(t, "", "", "", "")
	cfg := filepath.Join(dir, "app", "perfgate.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "gates:\n", "gates:\n  default: {throughput_drop: 20%}\n", 1)), 0o644)
	out := filepath.Join(t.TempDir(), "r.json")
	// A regression verdict is run once more (clitest.RunAA): beside the
	// suite an A/A run can come out one by chance; two in a row fail.
	r := clitest.RunAA(t, context.Background(), nil, "run", "-c", cfg, "--base", "base", "--out", out)
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("%v (exit %d: %v)\n%s", err, r.Code, r.Err, r.ErrOut)
	}
	if r.Code != 0 || res.Verdict == results.VerdictFail {
		t.Fatalf("exit %d verdict %q\n%s", r.Code, res.Verdict, r.Out)
	}
}

func TestRunPairedBadRefExit2(t *testing.T) {
	dir := pairedRepo(t, "", "", "", "")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", filepath.Join(dir, "app", "perfgate.yaml"), "--base", "no-such-ref")
	if r.Code != 2 || !strings.Contains(r.Err.Error(), "no such git revision") {
		t.Fatalf("exit %d: %v", r.Code, r.Err)
	}
}

// The base tree's build fails: exit 3 naming the side, with the build's
// output, and nothing left behind.
func TestRunPairedBaseBuildFailsExit3(t *testing.T) {
	dir := pairedRepo(t, "echo 'compile error: broken.go:3' >&2; exit 1", "", "", "")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", filepath.Join(dir, "app", "perfgate.yaml"), "--base", "base")
	if r.Code != 3 || !strings.Contains(r.Err.Error(), "base") || !strings.Contains(r.Err.Error()+r.ErrOut, "broken.go:3") {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	if n := worktrees(t, dir); n != 1 {
		t.Errorf("%d worktrees left", n)
	}
}

// Ctrl-C in the middle of a paired run: exit 3, the partial results
// written, and no process, port or worktree left behind.
func TestRunPairedInterrupt(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := pairedRepo(t, "", "", "", "")
	cfgPath := filepath.Join(dir, "app", "perfgate.yaml")
	b, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(b), "slice: 300ms", "slice: 2s", 1)), 0o644)
	out := filepath.Join(t.TempDir(), "r.json")
	pr := clitest.Start(t, pg, "run", "-c", cfgPath, "--base", "base", "--out", out)
	if !pr.WaitFor("warming up head", 60*time.Second) {
		t.Errorf("the head never warmed up:\n%s", pr.Stderr())
	}
	time.Sleep(2500 * time.Millisecond) // into the first measured round
	pr.Signal(syscall.SIGINT)
	if code := pr.Wait(60 * time.Second); code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, pr.Stderr())
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("partial results not written: %v\n%s", err, pr.Stderr())
	}
	if !res.Interrupted || res.Paired == nil || res.Paired.StoppedBy != "interrupted" || res.Verdict == results.VerdictFail {
		t.Errorf("interrupted %v verdict %q paired %+v", res.Interrupted, res.Verdict, res.Paired)
	}
	if n := worktrees(t, dir); n != 1 {
		t.Errorf("%d worktrees left", n)
	}
	// Both sides' services ran the auth binary copied into their tree.
	time.Sleep(200 * time.Millisecond)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, dir) || strings.Contains(exe, "perfgate-base-") {
			t.Errorf("process %s (%s) left running", e.Name(), exe)
		}
	}
}
