package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
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
