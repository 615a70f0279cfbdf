package calibrate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// calibrate runs an A/A session over the whole budget (no early stop, even
// though an A/A decides at the first look) and prints what the runner can
// judge; a gate tighter than that makes it exit 1.
func TestCalibrate(t *testing.T) {
	dir := clitest.PairedRepo(t, "", "", "", "")
	cfg := filepath.Join(dir, "app", "perfgate.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The same code on both sides, a budget of 12 rounds of 300 ms slices;
	// a goodput gate of 0.01% no runner can judge.
	yaml := strings.Replace(string(b), "  max_rounds: 10\n", "  max_rounds: 12\n  default: {throughput_drop: 0.01%}\n", 1)
	if yaml == string(b) {
		t.Fatal("fixture changed: no max_rounds line")
	}
	os.WriteFile(cfg, []byte(yaml), 0o644)
	out := filepath.Join(t.TempDir(), "aa.json")
	r := clitest.Run(t, context.Background(), nil, "calibrate", "-c", cfg, "--base", "HEAD", "-o", out)
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1 (a 0.01%% gate is too tight): %v\n%s", r.Code, r.Err, r.Out)
	}
	for _, want := range []string{"tells from none", "judgeable threshold", "goodput", "too tight", "a/a over 12 paired rounds"} {
		if !strings.Contains(strings.ToLower(r.Out), want) {
			t.Errorf("output lacks %q:\n%s", want, r.Out)
		}
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Paired; p == nil || p.Rounds != 12 || len(p.Looks) == 0 {
		t.Fatalf("not the whole budget: %+v", res.Paired)
	}
}
