package publish

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type workflowFile struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		If          string            `yaml:"if"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []map[string]any  `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) (workflowFile, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflowFile
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	return wf, string(b)
}

// TestForkWorkflows checks what makes the two-workflow fork pattern safe:
// the measuring job has no write permission, the commenting workflow is
// started by the measuring one, never checks out or runs the fork's code,
// and publishes with --expect-head-sha from the triggering run.
func TestForkWorkflows(t *testing.T) {
	pr, prText := readWorkflow(t, "perfgate-fork-pr.yml")
	cm, cmText := readWorkflow(t, "perfgate-fork-comment.yml")

	if _, ok := pr.On["pull_request"]; !ok || len(pr.On) != 1 {
		t.Errorf("perfgate-fork-pr.yml triggers on %v, want pull_request only (never pull_request_target)", pr.On)
	}
	for name, j := range pr.Jobs {
		for scope, level := range j.Permissions {
			if level != "read" && level != "none" {
				t.Errorf("perfgate-fork-pr.yml job %s has %s: %s; the fork's job must stay read-only", name, scope, level)
			}
		}
	}
	if !strings.Contains(prText, "name: perfgate-pr") || !strings.Contains(prText, "actions/upload-artifact@") {
		t.Error("perfgate-fork-pr.yml does not upload the perfgate-pr artifact")
	}

	wr, _ := cm.On["workflow_run"].(map[string]any)
	ws, _ := wr["workflows"].([]any)
	if len(ws) != 1 || ws[0] != pr.Name {
		t.Errorf("perfgate-fork-comment.yml listens to workflows %v, want [%q] (the measuring workflow's name)", ws, pr.Name)
	}
	if len(cm.Jobs) != 1 {
		t.Fatalf("perfgate-fork-comment.yml has %d jobs, want 1", len(cm.Jobs))
	}
	for _, j := range cm.Jobs {
		if j.Permissions["pull-requests"] != "write" || j.Permissions["actions"] != "read" {
			t.Errorf("comment job permissions %v: want pull-requests: write and actions: read", j.Permissions)
		}
		for scope, level := range j.Permissions {
			if level == "write" && scope != "pull-requests" {
				t.Errorf("comment job can write %s", scope)
			}
		}
		for _, st := range j.Steps {
			uses, _ := st["uses"].(string)
			with, _ := st["with"].(map[string]any)
			if strings.HasPrefix(uses, "actions/checkout@") {
				if ref, ok := with["ref"]; ok {
					t.Errorf("the comment job checks out ref %v: it must run the default branch, never the fork's head", ref)
				}
			}
			if uses == "./" {
				t.Error("the comment job runs the action from the workspace")
			}
			if strings.HasPrefix(uses, "actions/download-artifact@") {
				if with["run-id"] != "${{ github.event.workflow_run.id }}" || with["name"] != "perfgate-pr" {
					t.Errorf("download-artifact with %v: want name perfgate-pr from run-id github.event.workflow_run.id", with)
				}
			}
		}
	}
	for _, want := range []string{
		"HEAD_SHA: ${{ github.event.workflow_run.head_sha }}",
		`publish --pr-metadata "$DIR/pr.json" --expect-head-sha "$HEAD_SHA"`,
	} {
		if !strings.Contains(cmText, want) {
			t.Errorf("perfgate-fork-comment.yml lacks %q", want)
		}
	}
}

// TestForkMetadataStep runs the step that writes pr.json and parses its
// output as the publishing side does.
func TestForkMetadataStep(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq not found (it is on GitHub's runners)")
	}
	pr, _ := readWorkflow(t, "perfgate-fork-pr.yml")
	var script string
	for _, j := range pr.Jobs {
		for _, st := range j.Steps {
			if st["id"] == "meta" {
				script, _ = st["run"].(string)
			}
		}
	}
	if script == "" {
		t.Fatal("perfgate-fork-pr.yml has no step with id meta")
	}
	tmp := t.TempDir()
	res := filepath.Join(tmp, "r.json")
	if err := os.WriteFile(res, []byte(`{"schema":"perfgate/results/v1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	head, base := strings.Repeat("1", 40), strings.Repeat("2", 40)
	log, code := runStep(t, script, tmp, map[string]string{
		"RUNNER_TEMP": tmp, "GITHUB_OUTPUT": filepath.Join(tmp, "out"), "PR_NUMBER": "42",
		"HEAD_SHA": head, "BASE_SHA": base, "REPOSITORY": "acme/shop", "RESULTS": res,
	})
	if code != 0 {
		t.Fatalf("step exited %d:\n%s", code, log)
	}
	b, err := os.ReadFile(filepath.Join(tmp, "perfgate-pr", "pr.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParsePRMetadata(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if want := (PRMetadata{PullRequest: 42, HeadSHA: head, BaseSHA: base, Repository: "acme/shop"}); m != want {
		t.Errorf("pr.json %+v, want %+v", m, want)
	}
	if readFile(t, filepath.Join(tmp, "perfgate-pr", "results.json")) == "" {
		t.Error("results.json not copied next to pr.json")
	}
	if !strings.Contains(readFile(t, filepath.Join(tmp, "out")), "dir="+filepath.Join(tmp, "perfgate-pr")) {
		t.Error("no dir output")
	}
}
