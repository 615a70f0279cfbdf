package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// perfgate init in a repository that holds only a Dockerfile: the service
// becomes a container built from it, and the generated config passes
// validate and a paired run against HEAD (both images built, both
// containers on their own mapped ports), leaving nothing behind in Docker.
func TestInitContainerPaired(t *testing.T) {
	requireDocker(t)
	dir := t.TempDir()
	testdata := filepath.Join(clitest.RepoRoot(t), "internal", "scaffold", "testdata")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(testdata, "hello-container"))); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "hello"), "./cmd/hello")
	build.Dir = filepath.Join(testdata, "hello")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "hello"}} {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out := filepath.Join(t.TempDir(), "results.json")
	for _, args := range [][]string{
		{"init", "-C", dir, "--quick"},
		{"validate", "-c", filepath.Join(dir, "perfgate.yaml")},
		{"run", "-c", filepath.Join(dir, "perfgate.yaml"), "--base", "HEAD", "--out", out},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		run := clitest.Run
		if args[0] == "run" {
			run = clitest.RunAA // base HEAD against the same tree
		}
		r := run(t, ctx, nil, args...)
		cancel()
		if r.Code != 0 {
			t.Fatalf("perfgate %v: exit %d: %v\n%s\n%s", args, r.Code, r.Err, r.Out, r.ErrOut)
		}
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != results.ModePaired || len(res.Services) != 1 || res.Services[0].Provider != "container" {
		t.Errorf("mode %q, services %+v", res.Mode, res.Services)
	}
	assertClean(t, docker(t))
}
