package clitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// PairedRepo makes a git repository with two commits of a project whose
// perfgate.yaml builds (prepare) and starts the example auth service on
// {{ port 8080 }}: base runs `build.sh` and the service with baseArgs,
// head with headArgs. It returns the repo folder.
func PairedRepo(t *testing.T, baseBuild, baseArgs, headBuild, headArgs string) string {
	t.Helper()
	auth := Build(t, "./examples/auth-service")
	dir := t.TempDir()
	gitc := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(build, args string) {
		os.MkdirAll(filepath.Join(dir, "app"), 0o755)
		os.WriteFile(filepath.Join(dir, "app", "build.sh"), []byte("set -e\nmkdir -p bin\n"+build+"\ncp '"+auth+"' bin/auth\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "app", "run.sh"), []byte("exec ./bin/auth -addr \"127.0.0.1:$1\" -store memory "+args+"\n"), 0o644)
	}
	gitc("init", "-q", "-b", "main")
	write(baseBuild, baseArgs)
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("bin/\n"), 0o644)
	gitc("add", ".")
	gitc("commit", "-q", "-m", "base")
	gitc("tag", "base")
	write(headBuild, headArgs)
	os.WriteFile(filepath.Join(dir, "app", "perfgate.yaml"), []byte(`name: paired
prepare:
  - sh build.sh
services:
  - name: auth
    process:
      command: [sh, run.sh, '{{ port 8080 }}']
      ports: [8080]
    ready:
      http: http://{{ endpoint "auth" "8080" }}/health
scenarios:
  - name: signup
    method: POST
    url: http://{{ endpoint "auth" "8080" }}/auth/user
    headers: {Content-Type: application/json}
    body: '{"userId":"{{ letters 8 }}{{ seq }}","userName":"n","email":"{{ email }}","userPw":"{{ alnum 12 }}"}'
    expect: [200]
load:
  workers: 4
  warmup: {requests: 200}
  measure: {duration: 300ms}
gates:
  slice: 300ms
  max_rounds: 10
`), 0o644)
	gitc("add", ".")
	gitc("commit", "-q", "-m", "head")
	return dir
}
