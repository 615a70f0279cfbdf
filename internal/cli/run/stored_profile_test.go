package run_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// baseline update stores the service's CPU profile beside the baseline;
// a run whose service spends extra CPU in extraHash names it first.
func TestRunStoredProfileNamesTheSlowerFunction(t *testing.T) {
	dir := t.TempDir()
	pport := clitest.FreePort(t)
	cfg, port := clitest.AuthConfig(t, dir, "load:\n  workers: 4\n  warmup: {requests: 200}\n  measure: {requests: 2000, duration: 5s}\n  repeat: 2\n",
		"-cpu", "20", "-pprof", fmt.Sprintf("127.0.0.1:%d", pport))
	b, _ := os.ReadFile(cfg)
	y := strings.Replace(string(b), fmt.Sprintf("ports: [%d]", port), fmt.Sprintf("ports: [%d, %d]", port, pport), 1)
	y = strings.Replace(y, "    ready:\n", fmt.Sprintf("    profile: {pprof: 'http://{{ endpoint \"auth\" \"%d\" }}/debug/pprof/profile'}\n    ready:\n", pport), 1)
	os.WriteFile(cfg, []byte(y), 0o644)

	r := clitest.Run(t, context.Background(), nil, "baseline", "update", "-c", cfg, "--sessions", "1")
	if r.Code != 0 {
		t.Fatalf("baseline update: exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	stored := filepath.Join(dir, "baselines", "e2e.cpu.pb.gz")
	if fi, err := os.Stat(stored); err != nil || fi.Size() == 0 || fi.Size() > 2<<20 {
		t.Fatalf("stored profile: %v %v\n%s", fi, err, r.ErrOut)
	}

	os.WriteFile(cfg, []byte(strings.Replace(y, `"-pprof"`, `"-extra-hash", "20000", "-pprof"`, 1)), 0o644)
	out := filepath.Join(t.TempDir(), "r.json")
	r = clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("run: exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	d := res.ProfileDiff
	if d == nil || d.Source != "baseline" || len(d.Functions) == 0 || d.BaseRequests == 0 || d.HeadRequests == 0 {
		t.Fatalf("diff %+v\n%s", d, r.ErrOut)
	}
	if top := d.Functions[0]; top.Function != "main.extraHash" || top.HeadFlatUS <= top.BaseFlatUS {
		t.Fatalf("top row %+v; rows %+v", top, d.Functions)
	}
	if d.BaseFile != "base.pb.gz" || d.HeadFile != "head.pb.gz" {
		t.Errorf("files %q %q", d.BaseFile, d.HeadFile)
	}
}
