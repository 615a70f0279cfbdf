package workflowlint

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// compositeAction is the part of action.yml that the wrapped lint needs; the
// main module's internal/publish tests check the rest of the metadata.
type compositeAction struct {
	Inputs map[string]any `yaml:"inputs"`
	Runs   struct {
		Steps []map[string]any `yaml:"steps"`
	} `yaml:"runs"`
}

// actionAsWorkflow wraps the composite steps in a reusable workflow whose
// inputs are the action's inputs, so actionlint type-checks every expression
// (unknown inputs, contexts, step outputs) and the steps' keys.
func actionAsWorkflow(b []byte) ([]byte, error) {
	var md compositeAction
	if err := yaml.Unmarshal(b, &md); err != nil {
		return nil, err
	}
	inputs := map[string]any{}
	for name := range md.Inputs {
		inputs[name] = map[string]any{"type": "string", "required": false}
	}
	wf := map[string]any{
		"name": "action steps",
		"on":   map[string]any{"workflow_call": map[string]any{"inputs": inputs}},
		"jobs": map[string]any{"steps": map[string]any{"runs-on": "ubuntu-latest", "steps": md.Runs.Steps}},
	}
	return yaml.Marshal(wf)
}

// TestActionStepsLint lints action.yml's steps' expressions and scripts with
// actionlint by wrapping them in a reusable workflow.
func TestActionStepsLint(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	wf, err := actionAsWorkflow(b)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	errs, err := newLinter(t, &out).Lint("action.yml (steps as a workflow)", wf, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("action.yml steps: line %d (of the wrapped workflow): %s [%s]", e.Line, e.Message, e.Kind)
	}
	if t.Failed() {
		t.Logf("wrapped workflow:\n%s", wf)
	}
}

// TestWrappedActionLintCatchesMistakes shows the wrapped lint can fail.
func TestWrappedActionLintCatchesMistakes(t *testing.T) {
	bad := []byte(`
name: x
description: y
inputs:
  a:
    description: a
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "${{ inputs.missing }}"
    - shell: bash
      run: echo "${{ nonexistent_context.x }}"
`)
	wf, err := actionAsWorkflow(bad)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := newLinter(t, io.Discard).Lint("bad", wf, nil)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Message)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{"missing", "nonexistent_context"} {
		if !strings.Contains(got, want) {
			t.Errorf("actionlint did not flag %q: %s", want, got)
		}
	}
}
