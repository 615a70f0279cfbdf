package publish

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The workflows and action.yml's steps are linted with actionlint in the
// nested module tools/workflowlint (see its doc.go for why it is separate).

// repoRoot walks up from the test's directory to go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// TestActionMetadata checks action.yml beyond what actionlint does for a
// local action: composite steps, shells, ids, every ${{ inputs.x }} and
// ${{ steps.x }} reference, and the inputs and outputs users rely on.
func TestActionMetadata(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkAction(b) {
		t.Error("action.yml: " + p)
	}
	var md actionMeta
	if err := yaml.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"config", "mode", "base", "baseline", "github-token", "comment", "fail-on-regression", "working-directory"} {
		if _, ok := md.Inputs[in]; !ok {
			t.Errorf("action.yml lacks input %q", in)
		}
	}
	for _, out := range []string{"verdict", "results-path", "mode"} {
		if _, ok := md.Outputs[out]; !ok {
			t.Errorf("action.yml lacks output %q", out)
		}
	}
	if d := md.Inputs["github-token"].Default; d != "${{ github.token }}" {
		t.Errorf("github-token default %q", d)
	}
	if d := md.Inputs["mode"].Default; d != "auto" {
		t.Errorf("mode default %q, want auto (paired on pull_request)", d)
	}
	for _, in := range []string{"comment", "fail-on-regression"} {
		if d := md.Inputs[in].Default; d != "true" {
			t.Errorf("%s default %q, want 'true'", in, d)
		}
	}
}

// TestCheckActionCatchesMistakes shows the checker can fail.
func TestCheckActionCatchesMistakes(t *testing.T) {
	bad := []byte(`
name: x
inputs:
  a:
    description: a
runs:
  using: composite
  steps:
    - run: echo "${{ inputs.missing }}"
    - id: s
      uses: actions/checkout@v5
      run: echo both
    - id: s
      shell: bash
      run: echo "${{ steps.nope.outputs.x }}"
`)
	got := strings.Join(checkAction(bad), "\n")
	for _, want := range []string{"description is required", "has no shell", "inputs.missing", "both run and uses", "duplicate step id", "steps.nope"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if p := checkAction([]byte("name: x\ndescription: y\nruns:\n  using: node20\n  main: index.js\n")); len(p) == 0 {
		t.Error("a non-composite action passed")
	}
	if p := checkAction([]byte("name: [")); len(p) == 0 {
		t.Error("invalid YAML passed")
	}
}

// readAction parses the repository's action.yml.
func readAction(t *testing.T) actionMeta {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var md actionMeta
	if err := yaml.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	return md
}

type actionMeta struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string           `yaml:"using"`
		Steps []map[string]any `yaml:"steps"`
	} `yaml:"runs"`
}

var (
	reInputRef = regexp.MustCompile(`\binputs\.([A-Za-z0-9_-]+)`)
	reStepRef  = regexp.MustCompile(`\bsteps\.([A-Za-z0-9_-]+)\.`)
	reExpr     = regexp.MustCompile(`\$\{\{(.*?)\}\}`)
)

// checkAction returns the problems found in a composite action's metadata.
func checkAction(b []byte) []string {
	var md actionMeta
	if err := yaml.Unmarshal(b, &md); err != nil {
		return []string{"not valid YAML: " + err.Error()}
	}
	var ps []string
	if md.Name == "" {
		ps = append(ps, "name is required")
	}
	if md.Description == "" {
		ps = append(ps, "description is required")
	}
	if md.Runs.Using != "composite" {
		return append(ps, fmt.Sprintf("runs.using is %q, want composite", md.Runs.Using))
	}
	if len(md.Runs.Steps) == 0 {
		ps = append(ps, "runs.steps is empty")
	}
	for name, in := range md.Inputs {
		if in.Description == "" {
			ps = append(ps, fmt.Sprintf("input %q has no description", name))
		}
	}
	for name, out := range md.Outputs {
		if out.Value == "" {
			ps = append(ps, fmt.Sprintf("output %q has no value (composite outputs need one)", name))
		}
	}
	ids := map[string]int{}
	for i, st := range md.Runs.Steps {
		where := fmt.Sprintf("step %d", i+1)
		if n, ok := st["name"].(string); ok {
			where += " (" + n + ")"
		}
		_, hasRun := st["run"]
		_, hasUses := st["uses"]
		switch {
		case hasRun && hasUses:
			ps = append(ps, where+" has both run and uses")
		case !hasRun && !hasUses:
			ps = append(ps, where+" has neither run nor uses")
		case hasRun:
			if s, _ := st["shell"].(string); s == "" {
				ps = append(ps, where+" has no shell (composite run steps need one)")
			}
		}
		if id, ok := st["id"].(string); ok {
			if _, dup := ids[id]; dup {
				ps = append(ps, where+": duplicate step id "+id)
			}
			ids[id] = i
		}
		// A step may refer only to steps before it.
		raw, _ := yaml.Marshal(st)
		for _, m := range exprRefs(string(raw), reStepRef) {
			if j, ok := ids[m]; !ok || j >= i {
				ps = append(ps, fmt.Sprintf("%s refers to steps.%s, which is not an earlier step", where, m))
			}
		}
	}
	for _, m := range exprRefs(string(b), reInputRef) {
		if _, ok := md.Inputs[m]; !ok {
			ps = append(ps, fmt.Sprintf("${{ inputs.%s }} is not a declared input", m))
		}
	}
	for name, out := range md.Outputs {
		for _, m := range exprRefs(out.Value, reStepRef) {
			if _, ok := ids[m]; !ok {
				ps = append(ps, fmt.Sprintf("output %q refers to unknown step %q", name, m))
			}
		}
	}
	sort.Strings(ps)
	return ps
}

// exprRefs returns the names re captures inside ${{ }} expressions of s.
func exprRefs(s string, re *regexp.Regexp) []string {
	var names []string
	for _, e := range reExpr.FindAllStringSubmatch(s, -1) {
		for _, m := range re.FindAllStringSubmatch(e[1], -1) {
			names = append(names, m[1])
		}
	}
	return names
}
