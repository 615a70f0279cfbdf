package cmdutil_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// devNode makes a character device (major 1: 3 is /dev/null, 7 is
// /dev/full) in a temporary folder, or "" if that is not possible here.
func devNode(t *testing.T, minor int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dev")
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|minor); err != nil {
		return ""
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return "" // a nodev mount
	}
	f.Close()
	return p
}

func isCharDevice(p string) bool {
	st, err := os.Lstat(p)
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.json")
	os.WriteFile(file, []byte("old"), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	os.Symlink("file.json", link)
	dangling := filepath.Join(dir, "dangling.json")
	os.Symlink("later/new.json", dangling)
	toDir := filepath.Join(dir, "todir")
	os.Symlink(".", toDir)

	tests := []struct {
		name, path string
		want       int    // exit code, 0 for accepted
		msg        string // part of the error
	}{
		{"new file", filepath.Join(dir, "new.json"), 0, ""},
		{"new file in a new folder", filepath.Join(dir, "a", "b", "r.json"), 0, ""},
		{"existing file", file, 0, ""},
		{"fifo", fifo, 0, ""},
		{"symlink to a file", link, 0, ""},
		{"dangling symlink", dangling, 0, ""},
		{"/dev/null", "/dev/null", 0, ""},
		{"folder", dir, 2, "is a folder"},
		{"symlink to a folder", toDir, 2, "is a folder"},
		{"file in the way of the folder", filepath.Join(file, "r.json"), 2, "--out " + filepath.Join(file, "r.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- cmdutil.CheckWritable("--out", tt.path) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("CheckWritable blocked (opened a FIFO?)")
			}
			if got := cmdutil.Code(err); got != tt.want || (tt.msg != "" && !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("CheckWritable(%s) = exit %d %v, want exit %d with %q", tt.path, got, err, tt.want, tt.msg)
			}
		})
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO changed: %v", err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link changed: %v", err)
	}
	if !isCharDevice("/dev/null") {
		t.Errorf("/dev/null is no longer a character device")
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".perfgate-probe-*"))
	if len(matches) != 0 {
		t.Errorf("probes left: %v", matches)
	}
}

// compareFixture writes a results file and its baseline for `perfgate
// compare`, which writes --out without starting anything.
func compareFixture(t *testing.T) (res, base string) {
	dir := t.TempDir()
	base = filepath.Join(dir, "base.json")
	clitest.Must(baseline.Write(base, baseline.FromResults(resultstest.Synthetic("api", resultstest.Throughputs(1000, 20, 5)...))))
	res = filepath.Join(dir, "r.json")
	clitest.Must(results.Write(res, resultstest.Synthetic("api", resultstest.Throughputs(1001, 20, 5)...)))
	return res, base
}

func TestOutOntoFIFOAndSymlink(t *testing.T) {
	res, base := compareFixture(t)
	dir := t.TempDir()

	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- nil
				return
			}
			defer f.Close()
			data, _ := io.ReadAll(f)
			got <- data
		}()
		r := clitest.Run(t, context.Background(), nil, "compare", res, "--baseline", base, "--out", fifo)
		if r.Code != 0 {
			t.Fatalf("exit %d: %v", r.Code, r.Err)
		}
		select {
		case data := <-got:
			if _, err := results.Parse("fifo", data); err != nil {
				t.Errorf("the FIFO's reader got no results (%d bytes): %v", len(data), err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the FIFO's reader got nothing")
		}
		if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced")
		}
	})

	t.Run("symlink", func(t *testing.T) {
		os.MkdirAll(filepath.Join(dir, "store"), 0o755)
		link := filepath.Join(dir, "latest.json")
		os.Symlink(filepath.Join("store", "r1.json"), link)
		r := clitest.Run(t, context.Background(), nil, "compare", res, "--baseline", base, "--out", link)
		if r.Code != 0 {
			t.Fatalf("exit %d: %v", r.Code, r.Err)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the link was replaced")
		}
		if _, err := results.Read(filepath.Join(dir, "store", "r1.json")); err != nil {
			t.Errorf("the link's target: %v", err)
		}
	})

	t.Run("/dev/null", func(t *testing.T) {
		if !isCharDevice("/dev/null") {
			t.Skip("no /dev/null")
		}
		// A copy first: if it would be replaced, leave the real one alone.
		if cp := devNode(t, 3); cp != "" {
			clitest.Run(t, context.Background(), nil, "compare", res, "--baseline", base, "--out", cp)
			if !isCharDevice(cp) {
				t.Fatal("--out replaced a copy of /dev/null; not trying the real one")
			}
		}
		r := clitest.Run(t, context.Background(), nil, "compare", res, "--baseline", base, "--out", "/dev/null")
		if r.Code != 0 {
			t.Errorf("exit %d: %v", r.Code, r.Err)
		}
		if !isCharDevice("/dev/null") {
			t.Fatal("/dev/null is no longer a character device")
		}
	})
}

// A device that refuses the write (ENOSPC, like /dev/full) is an error,
// exit 3, with the results saved elsewhere; the device stays a device.
func TestOutOntoFullDevice(t *testing.T) {
	full := devNode(t, 7)
	if full == "" {
		t.Skip("cannot make a device node here (not root, or nodev)")
	}
	res, base := compareFixture(t)
	r := clitest.Run(t, context.Background(), nil, "compare", res, "--baseline", base, "--out", full)
	if r.Code != 3 || !strings.Contains(r.Err.Error(), "no space left on device") || !strings.Contains(r.Err.Error(), "saved to") {
		t.Fatalf("exit %d: %v", r.Code, r.Err)
	}
	if !isCharDevice(full) {
		t.Error("the device was replaced by a regular file")
	}
	i := strings.Index(r.Err.Error(), "saved to ")
	fallback := strings.Fields(r.Err.Error()[i+len("saved to "):])[0]
	if strings.HasPrefix(fallback, os.TempDir()) {
		os.Remove(strings.TrimSuffix(fallback, "."))
		os.Remove(fallback)
	}
}

// `run --out` onto a folder is refused before any service starts.
func TestRunOutFolderExit2(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "perfgate.yaml")
	os.WriteFile(cfg, []byte(`name: out
services:
  - name: never
    process:
      command: ["/bin/false"]
      ports: [1]
    ready:
      tcp: 127.0.0.1:1
      timeout: 1s
scenarios:
  - name: s
    url: http://127.0.0.1:1/
load:
  measure: {duration: 1s}
`), 0o644)
	for _, out := range []string{dir, filepath.Join(cfg, "r.json")} {
		r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
		if r.Code != 2 || !strings.Contains(r.Err.Error(), "--out "+out) {
			t.Errorf("--out %s: exit %d: %v\n%s", out, r.Code, r.Err, r.ErrOut)
		}
		if strings.Contains(r.ErrOut, "starting") {
			t.Errorf("--out %s: services were started before --out was checked:\n%s", out, r.ErrOut)
		}
	}
}
