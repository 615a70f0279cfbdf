package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b.json")
	if err := Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(data) != "two" || st.Mode().Perm() != 0o644 {
		t.Errorf("got %q %v", data, st.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestWriteFailureLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	os.WriteFile(p, []byte("old"), 0o644)
	// A folder where the file should be: the rename fails.
	bad := filepath.Join(dir, "sub")
	os.MkdirAll(filepath.Join(bad, "keep"), 0o755)
	if err := Write(bad, []byte("new"), 0o644); err == nil {
		t.Fatal("want an error renaming over a non-empty folder")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "x.json" && e.Name() != "sub" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if data, _ := os.ReadFile(p); string(data) != "old" {
		t.Errorf("old file changed: %q", data)
	}
}

func TestWriteFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	os.WriteFile(real, []byte("old"), 0o644)
	tests := []struct {
		name, link, target, wantAt string
	}{
		{"absolute", filepath.Join(dir, "abs.json"), real, real},
		{"relative", filepath.Join(dir, "rel.json"), "real.json", real},
		{"chain", filepath.Join(dir, "chain.json"), "abs.json", real},
		{"dangling", filepath.Join(dir, "dangling.json"), "sub/new.json", filepath.Join(dir, "sub", "new.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.Symlink(tt.target, tt.link); err != nil {
				t.Fatal(err)
			}
			if err := Write(tt.link, []byte(tt.name), 0o644); err != nil {
				t.Fatal(err)
			}
			st, err := os.Lstat(tt.link)
			if err != nil || st.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the link was replaced: %v %v", st.Mode(), err)
			}
			if got, _ := os.Readlink(tt.link); got != tt.target {
				t.Errorf("link now points to %q", got)
			}
			if data, _ := os.ReadFile(tt.wantAt); string(data) != tt.name {
				t.Errorf("target holds %q, want %q", data, tt.name)
			}
		})
	}
	loop := filepath.Join(dir, "loop.json")
	os.Symlink("loop.json", loop)
	if err := Write(loop, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("link loop: %v", err)
	}
}

func TestWriteFIFOInPlace(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(p) // waits for the writer
		if err != nil {
			got <- []byte("open: " + err.Error())
			return
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		got <- data
	}()
	if err := Write(p, []byte("results"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case data := <-got:
		if string(data) != "results" {
			t.Errorf("reader got %q", data)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the FIFO's reader got nothing")
	}
	if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", st.Mode(), err)
	}
}

// mknod makes a character device like /dev/null (1,3) or /dev/full (1,7)
// in a temporary folder, so a broken Write can only replace that copy.
// It returns "" when that is not possible (not root, a nodev mount).
func mknod(t *testing.T, name string, minor int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, int(1<<8|minor)); err != nil {
		return ""
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return ""
	}
	f.Close()
	return p
}

func TestWriteDeviceInPlace(t *testing.T) {
	tests := []struct {
		name    string
		minor   int
		wantErr error
	}{
		{"null", 3, nil},
		{"full", 7, syscall.ENOSPC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mknod(t, tt.name, tt.minor)
			if p == "" {
				t.Skip("cannot make a usable device node here (not root, or nodev)")
			}
			err := Write(p, []byte("results"), 0o644)
			if tt.wantErr == nil && err != nil {
				t.Errorf("Write: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Write: %v, want %v", err, tt.wantErr)
			}
			st, err := os.Lstat(p)
			if err != nil || st.Mode()&os.ModeCharDevice == 0 {
				t.Errorf("the device was replaced: %v %v", st.Mode(), err)
			}
			if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
				t.Errorf("files left beside the device: %v", entries)
			}
		})
	}
}

func TestWriteDevNull(t *testing.T) {
	st, err := os.Stat("/dev/null")
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Skip("no /dev/null character device here")
	}
	// Guard the machine: try a copy first, and leave the real one alone if
	// Write would replace the copy. (Without root the rename in /dev fails
	// anyway.)
	if cp := mknod(t, "null", 3); cp != "" {
		if err := Write(cp, []byte("results"), 0o644); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Lstat(cp); err != nil || st.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("Write replaced a copy of /dev/null (%v); not trying the real one", st.Mode())
		}
	}
	if err := Write("/dev/null", []byte("results"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat("/dev/null"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a character device: %v %v", st.Mode(), err)
	}
}

func TestWriteDevFullReportsENOSPC(t *testing.T) {
	if st, err := os.Stat("/dev/full"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Skip("no /dev/full character device here")
	}
	// Opening /dev/full for writing and getting ENOSPC does not change it.
	if err := writeInPlace("/dev/full", []byte("x")); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("want ENOSPC, got %v", err)
	}
}
