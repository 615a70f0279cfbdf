package publish

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/perfgate/perfgate/internal/config"
)

// TestSelfGateConfig: the repository's own perfgate.yaml is valid, builds
// its service with prepare, and can run paired (two copies at once).
func TestSelfGateConfig(t *testing.T) {
	root := repoRoot(t)
	path := filepath.Join(root, "perfgate.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Parse, not ReadFile: ReadFile also wants ./bin/auth-service to exist,
	// which only prepare makes.
	cfg, err := config.Parse(path, data)
	if err != nil {
		t.Fatalf("perfgate.yaml: %v", err)
	}
	if err := cfg.CheckPairable(); err != nil {
		t.Errorf("perfgate.yaml cannot run paired: %v", err)
	}
	if len(cfg.Prepare) == 0 {
		t.Error("perfgate.yaml has no prepare step to build the service")
	}
	if !strings.Contains(string(data), "-cpu") {
		t.Error("perfgate.yaml does not give the auth service CPU work (-cpu)")
	}
	if _, err := os.Stat(filepath.Join(root, "baselines", "README.md")); err != nil {
		t.Errorf("baselines/README.md: %v", err)
	}

	// The check can fail: the same config on a fixed port is not pairable.
	fixed := strings.ReplaceAll(string(data), "{{ port 18080 }}", "18080")
	bad, err := config.Parse(path, []byte(fixed))
	if err != nil {
		t.Fatalf("fixed-port variant: %v", err)
	}
	if bad.CheckPairable() == nil {
		t.Error("a fixed-port variant of perfgate.yaml passed CheckPairable")
	}
}

// TestSelfGateWorkflow: a pull_request workflow runs this repository's
// action on perfgate.yaml, paired, failing on a regression.
func TestSelfGateWorkflow(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "workflows", "perfgate.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("perfgate.yml does not run on pull_request")
	}
	found := false
	for _, j := range wf.Jobs {
		for _, st := range j.Steps {
			if st.Uses != "./" {
				continue
			}
			found = true
			if st.With["config"] != "perfgate.yaml" {
				t.Errorf("config %q, want perfgate.yaml", st.With["config"])
			}
			if m := st.With["mode"]; m != "" && m != "auto" && m != "paired" {
				t.Errorf("mode %q: pull requests would not run paired", m)
			}
			if st.With["fail-on-regression"] != "true" {
				t.Errorf("fail-on-regression %q, want 'true'", st.With["fail-on-regression"])
			}
		}
	}
	if !found {
		t.Error("perfgate.yml does not use the action with uses: ./")
	}
}
