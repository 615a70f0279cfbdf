package run_test

// --out onto what is not a plain file: a pipe reached through /dev/stdout,
// a FIFO, the config itself, a log the shell opened for appending.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

// okConfig is a small run against a local server that answers 200.
func okConfig(t *testing.T, dir string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	return writeYAML(t, dir, fmt.Sprintf(`name: out
scenarios:
  - name: s
    url: %s/
load:
  workers: 2
  measure: {requests: 100, duration: 5s}
  repeat: 1
`, srv.URL))
}

// `perfgate run --out /dev/stdout | jq`: stdout is a pipe, written in
// place, and once.
func TestRunOutDevStdoutPipe(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	cfg := okConfig(t, t.TempDir())
	var out, errOut bytes.Buffer
	cmd := exec.Command(pg, "run", "-c", cfg, "--out", "/dev/stdout")
	cmd.Stdout, cmd.Stderr = &out, &errOut // a buffer: the child's stdout is a pipe
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d (%v):\n%s", code, err, errOut.String())
	}
	if n := strings.Count(out.String(), `"perfgate_version"`); n != 1 {
		t.Errorf("the results reached the pipe %d times, want once:\n%s", n, out.String())
	}
}

// A FIFO given as --out receives the results once, at the end.
func TestRunOutFIFOOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := okConfig(t, dir)
	fifo := filepath.Join(dir, "results.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// The reader opens the FIFO again after each writer closes it, and
	// collects everything until the run ends.
	var got bytes.Buffer
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for {
			f, err := os.OpenFile(fifo, os.O_RDONLY, 0)
			if err != nil {
				return
			}
			_, _ = got.ReadFrom(f)
			f.Close()
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", fifo)
	close(stop)
	// Unblock the reader's last open, if it is waiting for a writer.
	if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("FIFO reader did not finish")
	}
	if r.Code != 0 {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	if n := strings.Count(got.String(), `"perfgate_version"`); n != 1 {
		t.Errorf("the FIFO received the results %d times, want once", n)
	}
}

// --out naming the config (or a link to it) is refused before anything
// runs, and the config is left as it was.
func TestRunOutIsConfigExit2(t *testing.T) {
	dir := t.TempDir()
	cfg := okConfig(t, dir)
	before, _ := os.ReadFile(cfg)
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(cfg, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{cfg, link} {
		r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
		if r.Code != 2 || !strings.Contains(r.ErrOut+fmt.Sprint(r.Err), "overwrite") {
			t.Errorf("--out %s: exit %d: %v", out, r.Code, r.Err)
		}
	}
	if after, _ := os.ReadFile(cfg); !bytes.Equal(before, after) {
		t.Errorf("the config was changed:\n%s", after)
	}
}

// `perfgate run --out /dev/stdout >> log`: writing would replace the log;
// refused (exit 2) and the log keeps its lines.
func TestRunOutAppendLogExit2(t *testing.T) {
	pg := clitest.Build(t, "./cmd/perfgate")
	dir := t.TempDir()
	cfg := okConfig(t, dir)
	logPath := filepath.Join(dir, "ci.log")
	if err := os.WriteFile(logPath, []byte("earlier lines\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	var errOut bytes.Buffer
	cmd := exec.Command(pg, "run", "-c", cfg, "--out", "/dev/stdout")
	cmd.Stdout, cmd.Stderr = log, &errOut
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(errOut.String(), "append") {
		t.Errorf("exit %d, want 2 naming the append mode:\n%s", code, errOut.String())
	}
	if data, _ := os.ReadFile(logPath); !strings.HasPrefix(string(data), "earlier lines\n") {
		t.Errorf("the log lost its lines:\n%s", data)
	}
}
