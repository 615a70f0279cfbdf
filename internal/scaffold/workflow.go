package scaffold

import (
	"fmt"
	"strings"
)

// WorkflowPath is where Workflow's file goes, relative to the repository.
const WorkflowPath = ".github/workflows/perfgate.yml"

// Workflow renders the GitHub workflow: on pull requests the paired gate
// (base and head on one runner, a comment on the pull request); on pushes to
// the default branch a refreshed stored baseline, kept as an artifact. It
// runs on pull_request, never pull_request_target: code from a fork runs with
// a read-only token and no secrets, and the report goes to the job summary.
func Workflow(o Options, config string) string {
	setupGo := ""
	if o.Provider == Process {
		setupGo = `      - uses: actions/setup-go@v6
        with:
          go-version-file: go.mod
`
	}
	goForBaseline := setupGo // perfgate installs itself with it
	if goForBaseline == "" {
		goForBaseline = "      - uses: actions/setup-go@v6\n        with:\n          go-version: stable\n"
	}
	r := strings.NewReplacer("BRANCH", o.Branch, "CONFIG", config, "SETUPGO\n", setupGo,
		"GOFORBASELINE\n", goForBaseline, "NAME", o.Name)
	return r.Replace(workflowText)
}

const workflowText = `# perfgate: gate every pull request on performance.
#   pull_request: base and head are built and measured on the same runner,
#     in alternating slices, and judged with a sequential test (paired mode);
#     the verdict is one pull request comment, updated on every push.
#   push to BRANCH: the stored baseline (baselines/NAME.json) is measured
#     again and kept as the artifact perfgate-baseline; commit it to judge
#     local runs without --base against it.
# Reference: https://github.com/perfgate/perfgate/blob/main/docs/action.md
name: perfgate

on:
  pull_request:
  push:
    branches: [BRANCH]

permissions:
  contents: read

concurrency:
  # One measurement per pull request (or branch) at a time.
  group: perfgate-${{ github.event.pull_request.number || github.ref }}
  cancel-in-progress: true

jobs:
  gate:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read
      pull-requests: write # the comment; pull requests from forks get the job summary only
    steps:
      - uses: actions/checkout@v5
SETUPGO
      - uses: perfgate/perfgate@v1
        with:
          config: CONFIG
          mode: paired # against the pull request's base commit
          fail-on-regression: 'true'

  baseline:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v5
GOFORBASELINE
      - name: measure the baseline
        run: |
          go install github.com/perfgate/perfgate/cmd/perfgate@v1
          "$(go env GOPATH)/bin/perfgate" baseline update -c CONFIG --force
      - uses: actions/upload-artifact@v4
        with:
          name: perfgate-baseline
          path: baselines/
`

// Files are the generated files by path relative to the repository.
func Files(o Options) map[string]string {
	return map[string]string{
		"perfgate.yaml": Config(o),
		WorkflowPath:    Workflow(o, "perfgate.yaml"),
	}
}

// Summary is what init prints after writing the files.
func Summary(o Options) string {
	what := fmt.Sprintf("the Go main package %s, built by prepare and started as a process", o.GoMain)
	switch o.Provider {
	case Container:
		what = fmt.Sprintf("a container built from %s", o.Dockerfile)
	case Compose:
		what = fmt.Sprintf("a service of %s (all its services start as containers)", o.Compose)
	}
	return fmt.Sprintf("service %q: %s, on port %d\n", o.Service, what, o.Port)
}
