package validate_test

// Inputs that are not plain files: a FIFO as a data file or config, an
// oversized data file, and SIGTERM while a read waits.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

func dataConfig(t *testing.T, dir, data string) string {
	t.Helper()
	cfg := filepath.Join(dir, "perfgate.yaml")
	text := "name: d\nscenarios:\n  - name: a\n    url: 'http://127.0.0.1:1/{{ row \"id\" }}'\n    data: {file: " + data + "}\nload:\n  measure: {requests: 10}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A FIFO as data file: refused at once (exit 2), not a read that waits
// for a writer forever.
func TestValidateDataFileFIFOExit2(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "users.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := dataConfig(t, dir, "users.csv")
	pr := clitest.Start(t, pg, "validate", "-c", cfg)
	if code := pr.Wait(15 * time.Second); code != 2 || !strings.Contains(pr.Stderr(), "regular file") {
		t.Errorf("exit %d, want 2 saying a data file must be a regular file:\n%s", code, pr.Stderr())
	}
}

// A 300 MB data file is refused by its size, before it is read.
func TestValidateDataFileTooLargeNotRead(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	big := filepath.Join(dir, "users.csv")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk space, but 300 MB to whoever reads it.
	if _, err := f.WriteString("id\n1\n"); err != nil || f.Truncate(300<<20) != nil {
		t.Fatal(err)
	}
	f.Close()
	cfg := dataConfig(t, dir, "users.csv")
	var errOut bytes.Buffer
	cmd := exec.Command(pg, "validate", "-c", cfg)
	cmd.Stderr = &errOut
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(errOut.String(), "larger than 256 MB") {
		t.Errorf("exit %d:\n%s", code, errOut.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > 100<<10 { // KiB
		t.Errorf("validate peaked at %d MB of memory: the file was read", ru.Maxrss>>10)
	}
}

// SIGTERM while perfgate reads a config from a pipe whose writer sends
// nothing: it stops (exit 3, interrupted) instead of waiting on.
func TestValidateSIGTERMDuringConfigRead(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "perfgate.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A writer that holds the FIFO open and never writes.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	pr := clitest.Start(t, pg, "validate", "-c", fifo)
	time.Sleep(500 * time.Millisecond)
	pr.Signal(syscall.SIGTERM)
	if code := pr.Wait(10 * time.Second); code != 3 || !strings.Contains(pr.Stderr(), "interrupted") {
		t.Errorf("exit %d, want 3 (interrupted):\n%s", code, pr.Stderr())
	}
}

// An error quoting a path with escape sequences reaches stderr without
// them.
func TestStderrStripsEscapes(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	var errOut bytes.Buffer
	cmd := exec.Command(pg, "validate", "-c", "nope\x1b]0;owned\x07\x1b[2J.yaml")
	cmd.Stderr = &errOut
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 2 || strings.ContainsAny(errOut.String(), "\x1b\x07") || !strings.Contains(errOut.String(), "nope.yaml") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

// SIGTERM while a command waits for a FIFO's writer (a results file, a
// baseline, a config): every command stops, exit 3.
func TestSIGTERMWhileWaitingForFIFOWriter(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"validate", "-c", fifo},
		{"report", fifo},
		{"compare", fifo, "--baseline", fifo},
		{"publish", fifo},
		{"merge", fifo, "--out", filepath.Join(dir, "m.json")},
	} {
		pr := clitest.Start(t, pg, args...)
		pr.WaitCatches(int(syscall.SIGTERM), 10*time.Second)
		time.Sleep(300 * time.Millisecond)
		pr.Signal(syscall.SIGTERM)
		if code := pr.Wait(10 * time.Second); code != 3 {
			t.Errorf("%v: exit %d, want 3 (interrupted):\n%s", args, code, pr.Stderr())
		}
	}
}
