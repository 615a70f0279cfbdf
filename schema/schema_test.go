package schema_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
	"github.com/perfgate/perfgate/internal/scaffold"
	"github.com/perfgate/perfgate/schema"
)

func compile(t *testing.T, name string, b []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("%s does not compile: %v", name, err)
	}
	return s
}

// instance turns JSON or YAML into what the validator takes.
func instance(t *testing.T, data []byte, isYAML bool) any {
	t.Helper()
	if isYAML {
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		var err error
		if data, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func root(t *testing.T) string { return clitest.RepoRoot(t) }

// referenceDoc holds the configuration reference: a yaml block with every key.
const referenceDoc = "docs/configuration.md"

// referenceBlock names that block among the example configs.
const referenceBlock = referenceDoc + " (reference block)"

// exampleConfigs returns every example config: the top-level perfgate.yaml,
// examples/*/perfgate.yaml and the reference block of docs/configuration.md.
func exampleConfigs(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(root(t), "examples", "*", "perfgate.yaml"))
	files = append(files, filepath.Join(root(t), "perfgate.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root(t), f)
		out[rel] = b
	}
	if len(out) < 3 {
		t.Fatalf("found only %v", files)
	}
	doc, err := os.ReadFile(filepath.Join(root(t), referenceDoc))
	if err != nil {
		t.Fatal(err)
	}
	var block string
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		if strings.HasPrefix(m[1], "name:") && block == "" {
			block = m[1] // the reference, not the modeline snippet
		}
	}
	if block == "" {
		t.Fatal(referenceDoc + " has no yaml block starting with name:")
	}
	out[referenceBlock] = []byte(block)
	return out
}

// What perfgate init writes validates against the schema, in each of its
// shapes, and names the schema on its first line.
func TestInitConfigsValidate(t *testing.T) {
	s := compile(t, "perfgate.schema.json", schema.Config)
	base := scaffold.Options{Name: "svc", Service: "api", Provider: scaffold.Process, GoMain: "./cmd/api", Port: 8080, URL: "/", Health: "/healthz", Branch: "main"}
	for _, edit := range []func(o *scaffold.Options){
		func(o *scaffold.Options) {},
		func(o *scaffold.Options) { o.PortStyle, o.Quick, o.Health = scaffold.PortAddrFlag, true, "" },
		func(o *scaffold.Options) { o.PortStyle = scaffold.PortFlag },
		func(o *scaffold.Options) { o.Provider, o.Dockerfile = scaffold.Container, "deploy/Dockerfile" },
	} {
		o := base
		edit(&o)
		b := []byte(scaffold.Config(o))
		if err := s.Validate(instance(t, b, true)); err != nil {
			t.Errorf("%+v: does not validate: %v\n%s", o, err, b)
		}
		if !bytes.HasPrefix(b, []byte("# yaml-language-server: $schema="+scaffold.SchemaURL+"\n")) {
			t.Errorf("no schema modeline:\n%s", b)
		}
	}
}

func TestExampleConfigsValidate(t *testing.T) {
	s := compile(t, "perfgate.schema.json", schema.Config)
	reModeline := regexp.MustCompile(`(?m)^# yaml-language-server: \$schema=(\S+)$`)
	for name, b := range exampleConfigs(t) {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(instance(t, b, true)); err != nil {
				t.Errorf("does not validate against %s:\n%v", schema.ConfigFile, err)
			}
			if _, err := config.Parse(name, b); err != nil && name != referenceBlock {
				t.Errorf("perfgate rejects it too (fix the example): %v", err)
			}
			if name == referenceBlock {
				return
			}
			// Editors find the schema through the modeline, relative to the file.
			m := reModeline.FindSubmatch(b)
			if m == nil || !bytes.HasPrefix(b, m[0]) {
				t.Fatalf("first line is not `# yaml-language-server: $schema=...`")
			}
			target := filepath.Join(root(t), filepath.Dir(name), string(m[1]))
			if got, err := os.ReadFile(target); err != nil || !bytes.Equal(got, schema.Config) {
				t.Errorf("modeline %s does not point at %s (%v)", m[1], schema.ConfigFile, err)
			}
		})
	}
}

// TestConfigSchemaRejects: the schema catches what an editor should flag.
func TestConfigSchemaRejects(t *testing.T) {
	s := compile(t, "perfgate.schema.json", schema.Config)
	ok := "name: x\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\n"
	if err := s.Validate(instance(t, []byte(ok), true)); err != nil {
		t.Fatalf("minimal config rejected: %v", err)
	}
	for _, c := range []struct{ name, yaml string }{
		{"no name", "scenarios: [{name: a, url: u}]\n"},
		{"no scenarios", "name: x\n"},
		{"unknown top-level key", ok + "loads: {}\n"},
		{"misspelt load key", ok + "load: {worker: 3}\n"},
		{"workers as text", ok + "load: {workers: many}\n"},
		{"duration without unit", ok + "load: {measure: {duration: 10}}\n"},
		{"duration nonsense", ok + "client: {timeout: soon}\n"},
		{"percent nonsense", ok + "gates: {default: {throughput_drop: lots}}\n"},
		{"unknown percentile", ok + "gates: {default: {latency_rise: {p42: 5%}}}\n"},
		{"unknown model", ok + "load: {model: half-open}\n"},
		{"expect out of range", "name: x\nscenarios: [{name: a, url: u, expect: [99]}]\n"},
		{"empty prepare command", ok + "prepare: [[]]\n"},
		{"service without name", ok + "services: [{process: {command: [a]}}]\n"},
		{"port too big", ok + "services: [{name: s, process: {command: [a], ports: [70000]}}]\n"},
	} {
		if err := s.Validate(instance(t, []byte(c.yaml), true)); err == nil {
			t.Errorf("%s: accepted:\n%s", c.name, c.yaml)
		}
	}
	for _, c := range []struct{ name, yaml string }{
		{"percent forms", ok + "gates: {default: {throughput_drop: 5%, error_rate_max: 0.01, error_rate_rise: \"0.5%\", latency_rise: {p99: off, p50: 10%}}}\n"},
		{"duration forms", ok + "load: {warmup: {duration: 1m30s}, measure: {duration: 250ms, requests: 10}}\nclient: {timeout: 0, dial_timeout: 1.5s}\n"},
		{"prepare forms", ok + "prepare: [[go, build, ./...], make assets]\n"},
		{"env numbers", ok + "services: [{name: s, process: {command: [a], env: {LEVEL: 3, ON: true}}}]\n"},
	} {
		if err := s.Validate(instance(t, []byte(c.yaml), true)); err != nil {
			t.Errorf("%s: rejected: %v", c.name, err)
		}
	}
}

func writeJSON(t *testing.T, res *results.Results) []byte {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResultsValidate: the golden report, synthetic results judged against
// a baseline and in paired mode, and the results of a real short run (and
// `perfgate report --format json` of them) validate.
func TestResultsValidate(t *testing.T) {
	s := compile(t, "results.v1.json", schema.Results)
	docs := map[string][]byte{}
	goldens, _ := filepath.Glob(filepath.Join(root(t), "internal", "*", "testdata", "*.golden"))
	jsons, _ := filepath.Glob(filepath.Join(root(t), "internal", "*", "testdata", "*.json"))
	for _, f := range append(goldens, jsons...) {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte(`"schema": "`+results.Schema+`"`)) {
			docs[filepath.Base(f)] = b
		}
	}
	if _, ok := docs["json.golden"]; !ok {
		t.Fatal("internal/report/testdata/json.golden not found")
	}

	judged := resultstest.Synthetic("api", resultstest.Throughputs(700, 10, 5)...)
	compare.Apply(config.Gates{}, baseline.FromResults(resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)), judged, compare.Options{BaselinePath: "b.json"})
	if judged.Comparison == nil || len(judged.Comparison.Checks) == 0 {
		t.Fatal("no comparison to validate")
	}
	docs["synthetic judged"] = writeJSON(t, judged)

	paired := resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)
	paired.Mode = results.ModePaired
	paired.Paired = &results.Paired{BaseRef: "origin/main", BaseCommit: strings.Repeat("a", 40), HeadCommit: strings.Repeat("b", 40),
		Rounds: 8, MaxRounds: 32, Order: "ABBA", SliceS: 2, LoadS: 32, Looks: []int{8}, StoppedBy: "decided",
		BaseScenarios: paired.Scenarios, RoundLog: []results.PairedRound{{Round: 1, First: "base", Base: map[string]float64{"signup": 990}, Head: map[string]float64{"signup": 1000}}}}
	paired.ProfileDiff = &results.ProfileDiff{Source: "paired", Rounds: 4, SliceS: 1, BaseRequests: 100, HeadRequests: 90,
		BaseTotalUS: 10, HeadTotalUS: 15, BaseFile: "base.pb.gz", HeadFile: "head.pb.gz",
		Functions: []results.FunctionDiff{{Function: "main.extraHash", HeadFlatUS: 5, HeadCumUS: 5, Share: 1}},
		Tree: &results.ProfileNode{Function: "total", BaseUS: 10, HeadUS: 15, Children: []results.ProfileNode{
			{Function: "main.main", BaseUS: 10, HeadUS: 15, Children: []results.ProfileNode{{Function: "main.extraHash", HeadUS: 5}}}}}}
	docs["synthetic paired"] = writeJSON(t, paired)

	dir := t.TempDir()
	cfg, _ := clitest.AuthConfig(t, dir, "load:\n  workers: 2\n  warmup: {requests: 40}\n  measure: {requests: 60, duration: 5s}\n  repeat: 2\n")
	out := filepath.Join(dir, "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if r := clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", out); r.Code != 0 {
		t.Fatalf("perfgate run: exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	docs["real run"] = b
	r := clitest.Run(t, ctx, nil, "report", "--format", "json", out)
	if r.Code != 0 {
		t.Fatalf("perfgate report: exit %d: %v", r.Code, r.Err)
	}
	docs["report --format json"] = []byte(r.Out)

	for name, b := range docs {
		if err := s.Validate(instance(t, b, false)); err != nil {
			t.Errorf("%s does not validate against %s:\n%v", name, schema.ResultsFile, err)
		}
	}
	// And it can fail.
	for _, bad := range []string{
		`{"schema":"perfgate/results/v2","name":"x","verdict":"pass","scenarios":[]}`,
		`{"schema":"perfgate/results/v1","name":"x","verdict":"great","scenarios":[]}`,
		`{"schema":"perfgate/results/v1","name":"x","verdict":"pass","scenarios":[{"name":"a","requests":-1,"throughput_rps":1,"latency_ms":{}}]}`,
		`{"schema":"perfgate/results/v1","name":"x","verdict":"pass","started_at":"yesterday","scenarios":[]}`,
	} {
		if err := s.Validate(instance(t, []byte(bad), false)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestSchemaCoversGoTypes fails when a Go field has no schema property, or a
// schema property no Go field: the schema cannot drift from the code.
func TestSchemaCoversGoTypes(t *testing.T) {
	for _, c := range []struct {
		name string
		doc  []byte
		typ  reflect.Type
		tag  string
	}{
		{schema.ResultsFile, schema.Results, reflect.TypeFor[results.Results](), "json"},
		{schema.ConfigFile, schema.Config, reflect.TypeFor[config.Config](), "yaml"},
	} {
		var doc map[string]any
		if err := json.Unmarshal(c.doc, &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range drift(c.typ, doc, doc, c.tag, c.typ.Name()) {
			t.Errorf("%s: %s", c.name, p)
		}
	}
}

// TestDriftCatchesMissing shows the drift check can fail, both ways.
func TestDriftCatchesMissing(t *testing.T) {
	type inner struct {
		A int `json:"a"`
	}
	type outer struct {
		Name  string  `json:"name"`
		New   string  `json:"new_field,omitempty"`
		Skip  string  `json:"-"`
		Items []inner `json:"items"`
	}
	doc := map[string]any{"$defs": map[string]any{"inner": map[string]any{"properties": map[string]any{"b": map[string]any{}}}},
		"properties": map[string]any{"name": map[string]any{}, "stale": map[string]any{},
			"items": map[string]any{"items": map[string]any{"$ref": "#/$defs/inner"}}}}
	got := strings.Join(drift(reflect.TypeFor[outer](), doc, doc, "json", "outer"), "\n")
	for _, want := range []string{"outer.new_field", "outer.stale", "outer.items[].a", "outer.items[].b"} {
		if !strings.Contains(got, want) {
			t.Errorf("drift lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Skip") || strings.Contains(got, `"-"`) {
		t.Errorf("a field tagged - was checked:\n%s", got)
	}
}

var (
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// drift walks Go type typ beside schema node and returns the mismatches.
func drift(typ reflect.Type, node, doc map[string]any, tag, path string) []string {
	return driftIn(typ, node, doc, tag, path, map[reflect.Type]bool{})
}

// driftIn is drift with the struct types being walked on the current path:
// a recursive type (a flow's steps are scenarios) is walked once.
func driftIn(typ reflect.Type, node, doc map[string]any, tag, path string, walking map[reflect.Type]bool) []string {
	node = resolve(node, doc)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ == timeType || reflect.PointerTo(typ).Implements(yamlUnmarshaler) {
		return nil // a leaf with its own syntax
	}
	if typ.Kind() == reflect.Struct {
		if walking[typ] {
			return nil
		}
		walking[typ] = true
		defer delete(walking, typ)
	}
	var ps []string
	switch typ.Kind() {
	case reflect.Struct:
		props, ok := node["properties"].(map[string]any)
		if !ok {
			return []string{path + ": the schema has no properties for Go type " + typ.String()}
		}
		seen := map[string]bool{}
		var walkFields func(reflect.Type)
		walkFields = func(st reflect.Type) {
			for f := range st.Fields() {
				if f.Anonymous && f.Type.Kind() == reflect.Struct {
					walkFields(f.Type) // inlined (results.Figures)
					continue
				}
				if !f.IsExported() {
					continue
				}
				name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
				if name == "-" {
					continue
				}
				if name == "" {
					name = f.Name
					if tag == "yaml" {
						name = strings.ToLower(name)
					}
				}
				seen[name] = true
				p, ok := props[name].(map[string]any)
				if !ok {
					ps = append(ps, fmt.Sprintf("%s.%s: Go field %s.%s has no schema property", path, name, typ.Name(), f.Name))
					continue
				}
				ps = append(ps, driftIn(f.Type, p, doc, tag, path+"."+name, walking)...)
			}
		}
		walkFields(typ)
		var stale []string
		for name := range props {
			if !seen[name] {
				stale = append(stale, fmt.Sprintf("%s.%s: schema property has no Go field in %s", path, name, typ.String()))
			}
		}
		sort.Strings(stale)
		ps = append(ps, stale...)
	case reflect.Slice, reflect.Array:
		if typ.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		items, ok := node["items"].(map[string]any)
		if !ok {
			return []string{path + ": the schema has no items for Go type " + typ.String()}
		}
		ps = driftIn(typ.Elem(), items, doc, tag, path+"[]", walking)
	case reflect.Map:
		if ap, ok := node["additionalProperties"].(map[string]any); ok {
			ps = driftIn(typ.Elem(), ap, doc, tag, path+"{}", walking)
		} else {
			ps = []string{path + ": the schema has no additionalProperties for Go map " + typ.String()}
		}
	}
	return ps
}

// resolve follows a local $ref ("#/$defs/name").
func resolve(node, doc map[string]any) map[string]any {
	for i := 0; i < 10; i++ {
		r, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		name, ok := strings.CutPrefix(r, "#/$defs/")
		defs, _ := doc["$defs"].(map[string]any)
		next, _ := defs[name].(map[string]any)
		if !ok || next == nil {
			return map[string]any{}
		}
		node = next
	}
	return node
}
