package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/results"
)

// DefaultConfig is the config path when -c is not given.
const DefaultConfig = "perfgate.yaml"

// ConfigFlag adds -c/--config.
func ConfigFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "config", "c", DefaultConfig, "config file")
}

// CheckWritable makes sure a file can be written at path before a long run
// (creating its folder), so a typo costs a second, not a whole run.
func CheckWritable(flag, path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return BadInput(fmt.Errorf("%s %s: cannot create its folder: %w", flag, path, err))
	}
	probe, err := os.CreateTemp(dir, ".perfgate-probe-*")
	if err != nil {
		return BadInput(fmt.Errorf("%s %s: cannot write there: %w", flag, path, err))
	}
	probe.Close()
	os.Remove(probe.Name())
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return BadInput(fmt.Errorf("%s %s is a folder; give a file name", flag, path))
	}
	return nil
}

// SaveResults writes res to path; if that fails, to a file in the temporary
// folder, so measured results are never lost. It returns where they went.
func SaveResults(path string, res *results.Results) (string, error) {
	err := results.Write(path, res)
	if err == nil {
		return path, nil
	}
	fallback := filepath.Join(os.TempDir(), fmt.Sprintf("perfgate-results-%s-%d.json", res.Name, time.Now().Unix()))
	if ferr := results.Write(fallback, res); ferr == nil {
		return fallback, EnvFailed(fmt.Errorf("writing results to %s: %w; they were saved to %s instead", path, err, fallback))
	}
	return "", EnvFailed(fmt.Errorf("writing results to %s: %w", path, err))
}
