// Package schema holds the JSON Schemas perfgate publishes (draft 2020-12):
//
//   - results.v1.json: the results file that `perfgate run --out` writes and
//     `perfgate report --format json` prints ("schema": "perfgate/results/v1").
//     It is open: readers ignore properties they do not know, since later
//     perfgate versions add optional ones within v1.
//   - perfgate.schema.json: perfgate.yaml, for editors (yaml-language-server:
//     `# yaml-language-server: $schema=<url or path>` on the file's first
//     line). It is closed, as the loader is: an unknown key is an error. It
//     checks shapes and types; `perfgate validate` checks the rest (exclusive
//     fields, references between services, templates).
//
// The tests keep both in step with the Go types (internal/results with its
// json tags, internal/config with its yaml tags): every field has a property
// and every property a field.
package schema

import _ "embed"

// Results is results.v1.json.
//
//go:embed results.v1.json
var Results []byte

// Config is perfgate.schema.json.
//
//go:embed perfgate.schema.json
var Config []byte

// Names of the files, relative to the repository root.
const (
	ResultsFile = "schema/results.v1.json"
	ConfigFile  = "schema/perfgate.schema.json"
)
