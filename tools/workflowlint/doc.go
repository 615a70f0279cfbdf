// Package workflowlint lints the repository's GitHub workflows and the
// composite steps of action.yml with actionlint. Its tests are all it has.
//
// It is a module of its own because actionlint and compose-go (which the
// main module needs) require different pre-releases of go.yaml.in/yaml/v4
// whose APIs are incompatible. A replace directive in the main module is no
// way out: `go install github.com/perfgate/perfgate/cmd/perfgate@latest`
// refuses modules with replace directives. Run the tests from this directory:
//
//	go test ./...
package workflowlint
