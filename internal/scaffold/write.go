package scaffold

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Write writes files (paths relative to dir). Without force it writes
// nothing when any of them exists, and says which.
func Write(dir string, files map[string]string, force bool) ([]string, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if !force {
		for _, p := range paths {
			if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
				return nil, fmt.Errorf("%s exists: pass --force to overwrite it", p)
			}
		}
	}
	for _, p := range paths {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
