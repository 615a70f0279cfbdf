package publish

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var goBuildRe = regexp.MustCompile(`(^|[\s;&|(])go\s+(build|install|test|vet|run)\b`)

// uncachedGoBuilds lists the steps of a workflow that run the go tool with
// no Go cache set up before them in their job: actions/setup-go (its cache
// is on unless `cache: false`) or actions/cache.
func uncachedGoBuilds(b []byte) ([]string, error) {
	var wf struct {
		Jobs map[string]struct {
			Steps []map[string]any `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		return nil, err
	}
	var bad []string
	for name, job := range wf.Jobs {
		cached := false
		for i, st := range job.Steps {
			uses, _ := st["uses"].(string)
			with, _ := st["with"].(map[string]any)
			switch {
			case strings.HasPrefix(uses, "actions/setup-go@"):
				cached = fmt.Sprint(with["cache"]) != "false"
			case strings.HasPrefix(uses, "actions/cache@"):
				cached = true
			}
			if run, _ := st["run"].(string); goBuildRe.MatchString(run) && !cached {
				bad = append(bad, fmt.Sprintf("job %s step %d (%v)", name, i+1, st["name"]))
			}
		}
	}
	return bad, nil
}

// TestWorkflowsCacheGoBuilds: no workflow builds with an empty Go cache.
func TestWorkflowsCacheGoBuilds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), ".github", "workflows", "*.y*ml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("workflows: %v %v", files, err)
	}
	for _, f := range files {
		bad, err := uncachedGoBuilds([]byte(readFile(t, f)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, b := range bad {
			t.Errorf("%s: %s runs go without a Go cache: add actions/setup-go before it", filepath.Base(f), b)
		}
	}
	for _, c := range []struct {
		wf   string
		want int
	}{
		{"jobs: {a: {steps: [{uses: actions/checkout@v5}, {run: go build ./cmd/perfgate}]}}", 1},
		{"jobs: {a: {steps: [{uses: actions/setup-go@v6, with: {cache: false}}, {run: 'cd x && go test ./...'}]}}", 1},
		{"jobs: {a: {steps: [{uses: actions/setup-go@v6}, {run: go build ./cmd/perfgate}]}}", 0},
		{"jobs: {a: {steps: [{uses: actions/cache@v4}, {run: go install x@latest}]}}", 0},
		{"jobs: {a: {steps: [{run: echo go}]}}", 0},
	} {
		if bad, _ := uncachedGoBuilds([]byte(c.wf)); len(bad) != c.want {
			t.Errorf("%s: %v, want %d", c.wf, bad, c.want)
		}
	}
}
