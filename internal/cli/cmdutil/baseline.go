package cmdutil

import (
	"path/filepath"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
)

// BaselinePath is where the config's baseline lives unless override names
// another file: <baselines>/<name>.json, the directory relative to the
// config's.
func BaselinePath(cfg *config.Config, override string) (string, error) {
	if override != "" {
		return override, nil
	}
	dir := cfg.Baselines
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(cfg.Dir, dir)
	}
	return baseline.Path(dir, cfg.Name)
}
