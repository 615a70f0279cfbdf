package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const validYAML = `name: demo
services:
  - name: db
    process:
      command: ["sleep", "100"]
      ports: [5432]
    ready:
      tcp: 127.0.0.1:5432
  - name: auth
    depends_on: [db]
    process:
      command: ["./auth", "-addr", "127.0.0.1:18080"]
      env: {MODE: test}
      ports: [18080]
    ready:
      http: http://{{ endpoint "auth" "18080" }}/health
scenarios:
  - name: signup
    method: post
    url: http://{{ endpoint "auth" "18080" }}/auth/user
    headers: {Content-Type: application/json}
    body: '{"userId":"{{ letters 8 }}"}'
    expect: [200]
    weight: 3
  - name: health
    url: http://127.0.0.1:18080/health
load:
  workers: 20
  warmup: {duration: 2s}
  measure: {requests: 1000, duration: 10s}
gates:
  default:
    throughput_drop: 5%
    latency_rise: {p95: 10%, p99: 0.2}
  scenarios:
    health:
      error_rate_max: 1%
`

func TestParseValid(t *testing.T) {
	cfg, err := Parse("perfgate.yaml", []byte(validYAML))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", cfg.Name, "demo"},
		{"services", len(cfg.Services), 2},
		{"provider", cfg.Services[1].Provider(), "process"},
		{"ready default status", cfg.Services[1].Ready.Status, 200},
		{"ready default timeout", cfg.Services[1].Ready.Timeout.D(), 30 * time.Second},
		{"method upper", cfg.Scenarios[0].Method, "POST"},
		{"method default", cfg.Scenarios[1].Method, "GET"},
		{"weight", cfg.Scenarios[0].Weight, 3},
		{"weight default", cfg.Scenarios[1].Weight, 1},
		{"model default", cfg.Load.Model, "closed"},
		{"workers", cfg.Load.Workers, 20},
		{"repeat default", cfg.Load.Repeat, DefaultRepeat},
		{"measure requests", cfg.Load.Measure.Requests, int64(1000)},
		{"measure duration", cfg.Load.Measure.Duration.D(), 10 * time.Second},
		{"warmup", cfg.Load.Warmup.Duration.D(), 2 * time.Second},
		{"throughput drop", float64(*cfg.Gates.Default.ThroughputDrop), 0.05},
		{"p99 fraction", float64(*cfg.Gates.Default.LatencyRise["p99"]), 0.2},
		{"scenario gate", float64(*cfg.Gates.Scenarios["health"].ErrorRateMax), 0.01},
		{"keepalive default", cfg.Client.KeepAliveOn(), true},
		{"timeout default", cfg.Client.Timeout.D(), DefaultTimeout},
		{"baselines default", cfg.Baselines, "baselines"},
		{"service line", cfg.Services[1].Line, 9},
		{"scenario line", cfg.Scenarios[1].Line, 25},
		{"hash len", len(cfg.Hash), 16},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	base := "name: demo\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\nload:\n  measure: {duration: 1s}\n"
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error, in order of appearance not required
	}{
		{"empty", "", []string{"empty"}},
		{"not mapping", "- a\n- b\n", []string{":1:1:", "expected a mapping"}},
		{"syntax", "name: [\n", []string{"YAML syntax"}},
		{"unknown top key", base + "lod: {}\n", []string{":7:1: lod: unknown key", `did you mean "load"?`}},
		{"unknown nested key", "name: d\nscenarios:\n  - name: a\n    url: http://x/\n    bdy: x\nload:\n  measure: {duration: 1s}\n", []string{":5:5: scenarios[0].bdy: unknown key"}},
		{"duplicate key", base + "name: again\n", []string{":7:1:", "appears twice"}},
		{"wrong type", strings.Replace(base, "load:\n", "load:\n  workers: many\n", 1), []string{":6:", "load.workers", "expected a whole number"}},
		{"duration no unit", strings.Replace(base, "1s", "5", 1), []string{"load.measure.duration", "has no unit"}},
		{"bad duration", strings.Replace(base, "1s", "soon", 1), []string{"expected a duration"}},
		{"bad percent", base + "gates:\n  default:\n    throughput_drop: lots\n", []string{":9:", "expected a percentage"}},
		{"missing name", strings.Replace(base, "name: demo\n", "", 1), []string{"name: required"}},
		{"bad name", strings.Replace(base, "name: demo", "name: a/b", 1), []string{"must be letters"}},
		{"no scenarios", "name: d\nload:\n  measure: {duration: 1s}\n", []string{"at least one scenario"}},
		{"no url", "name: d\nscenarios:\n  - name: a\nload:\n  measure: {duration: 1s}\n", []string{":3:5: scenarios[0].url: required"}},
		{"bad url", strings.Replace(base, "http://127.0.0.1:1/", "ftp://x", 1), []string{"not an http"}},
		{"bad method", strings.Replace(base, "url:", "method: 'G T'\n    url:", 1), []string{"not an HTTP method"}},
		{"bad status", strings.Replace(base, "url:", "expect: [99]\n    url:", 1), []string{"expect[0]", "not an HTTP status"}},
		{"no measure", "name: d\nscenarios:\n  - name: a\n    url: http://x/\nload: {workers: 2}\n", []string{"load.measure: required"}},
		{"bad model", strings.Replace(base, "load:\n", "load:\n  model: burst\n", 1), []string{"expected closed"}},
		{"open needs rate", strings.Replace(base, "load:\n", "load:\n  model: open\n", 1), []string{"load.rate: required"}},
		{"rate on closed", strings.Replace(base, "load:\n", "load:\n  rate: 5\n", 1), []string{"rate is for the open model"}},
		{"repeat too big", strings.Replace(base, "load:\n", "load:\n  repeat: 1000\n", 1), []string{"load.repeat"}},
		{"dup scenario", strings.Replace(base, "load:", "  - name: a\n    url: http://x/\nload:", 1), []string{"defined twice"}},
		{"service both", base + "services:\n  - name: s\n    process: {command: [x]}\n    container: {image: x}\n", []string{"both process and container"}},
		{"service none", base + "services:\n  - name: s\n", []string{"needs a provider"}},
		{"no command", base + "services:\n  - name: s\n    process: {ports: [1]}\n", []string{"process.command: required"}},
		{"bad port", base + "services:\n  - name: s\n    process: {command: [x], ports: [70000]}\n", []string{"not a TCP port"}},
		{"unknown dep", base + "services:\n  - name: s\n    depends_on: [t]\n    process: {command: [x]}\n", []string{`unknown service "t"`}},
		{"cycle", base + "services:\n  - name: a\n    depends_on: [b]\n    process: {command: [x]}\n  - name: b\n    depends_on: [a]\n    process: {command: [x]}\n", []string{"dependency cycle: a -> b -> a"}},
		{"ready two checks", base + "services:\n  - name: s\n    process: {command: [x]}\n    ready: {http: 'http://x/', tcp: 'x:1'}\n", []string{"exactly one of"}},
		{"endpoint unknown", strings.Replace(base, "http://127.0.0.1:1/", `http://{{ endpoint "nope" "80" }}/`, 1), []string{`endpoint "nope": no such service`}},
		{"container no image", base + "services:\n  - name: s\n    container: {ports: ['80']}\n", []string{"needs image"}},
		{"container bad network", base + "services:\n  - name: s\n    container: {image: x, network: weird}\n", []string{"expected bridge"}},
		{"container bad memory", base + "services:\n  - name: s\n    container: {image: x, memory: lots}\n", []string{"size like 512m"}},
		{"container bad port", base + "services:\n  - name: s\n    container: {image: x, ports: ['http']}\n", []string{"container port"}},
		{"gate unknown scenario", base + "gates:\n  scenarios:\n    zzz: {throughput_drop: 5%}\n", []string{`no scenario named "zzz"`}},
		{"gate unknown percentile", base + "gates:\n  default:\n    latency_rise: {p42: 5%}\n", []string{"unknown percentile"}},
		{"gate alpha", base + "gates:\n  alpha: 0.9\n", []string{"gates.alpha"}},
		{"all weights zero", strings.Replace(base, "url:", "weight: 0\n    url:", 1), []string{":2:1: scenarios: every scenario has weight 0: nothing would be sent"}},
		{"all weights zero of two", strings.Replace(base, "load:", "    weight: 0\n  - name: b\n    weight: 0\n    url: http://x/\nload:", 1), []string{":2:1:", "every scenario has weight 0"}},
		{"negative weight", strings.Replace(base, "url:", "weight: -1\n    url:", 1), []string{":4:5: scenarios[0].weight: must be 0 (no traffic) or more, got -1"}},
		{"merge key", "x: &a {name: d}\n<<: *a\n", []string{}},
		{"bad body template", strings.Replace(base, "url:", "body: '{{ lettres 8 }}'\n    url:", 1), []string{"scenarios[0].body: template:", "lettres"}},
		{"bad header template", strings.Replace(base, "url:", "headers: {X-Id: '{{ uuid'}\n    url:", 1), []string{"scenarios[0].headers.X-Id: template:"}},
		{"url if action", strings.Replace(base, "http://127.0.0.1:1/", "http://127.0.0.1:1/{{ if true }}x{{ end }}", 1), []string{}},
		{"url host template", strings.Replace(base, "http://127.0.0.1:1/", "http://{{ if true }}x{{ end }}/", 1), []string{"a template in the host is not supported"}},
		{"url path unknown func", strings.Replace(base, "http://127.0.0.1:1/", "http://127.0.0.1:1/{{ sequence }}", 1), []string{"scenarios[0].url", `function "sequence" is not defined`}},
		{"url path seq", strings.Replace(base, "http://127.0.0.1:1/", "http://127.0.0.1:1/users/{{ seq }}?q={{ int 1 9 }}", 1), []string{}},
		{"url field", strings.Replace(base, "http://127.0.0.1:1/", "http://{{ .Host }}/", 1), []string{"scenarios[0].url"}},
		{"url endpoint without port", base + "services:\n  - name: s\n    process: {command: [x], ports: [80]}\n", []string{}},
		{"undeclared port", strings.Replace(base, "http://127.0.0.1:1/", `http://{{ endpoint "s" "81" }}/`, 1) + "services:\n  - name: s\n    process: {command: [x], ports: [80]}\n", []string{"port not declared (declared: 80)"}},
		{"no ports declared", strings.Replace(base, "http://127.0.0.1:1/", `http://{{ endpoint "s" 80 }}/`, 1) + "services:\n  - name: s\n    container: {image: x}\n", []string{"declares no ports; add 80 to its container.ports"}},
		{"endpoint one arg", strings.Replace(base, "http://127.0.0.1:1/", `http://{{ endpoint "s" }}/`, 1) + "services:\n  - name: s\n    process: {command: [x], ports: [80]}\n", []string{"scenarios[0].url"}},
		{"ready path without ports", base + "services:\n  - name: s\n    process: {command: [x]}\n    ready: {http: /health}\n", []string{"needs a declared port"}},
		{"profile ok", base + "services:\n  - name: s\n    process: {command: [x], ports: [6060]}\n    profile: {pprof: 'http://{{ endpoint \"s\" \"6060\" }}/debug/pprof/profile'}\n", []string{}},
		{"profile empty", base + "services:\n  - name: s\n    process: {command: [x]}\n    profile: {}\n", []string{":10:5:", "services[0].profile.pprof: required"}},
		{"profile not url", base + "services:\n  - name: s\n    process: {command: [x]}\n    profile: {pprof: 'localhost'}\n", []string{"profile.pprof", "not an http:// or https:// URL"}},
		{"profile undeclared port", base + "services:\n  - name: s\n    process: {command: [x], ports: [80]}\n    profile: {pprof: 'http://{{ endpoint \"s\" \"6060\" }}/debug/pprof/profile'}\n", []string{"profile.pprof", "port not declared"}},
		{"ready tcp bad", base + "services:\n  - name: s\n    process: {command: [x]}\n    ready: {tcp: nohost}\n", []string{"expected host:port"}},
		{"workers on open", strings.Replace(base, "load:\n", "load:\n  model: open\n  rate: 5\n  workers: 3\n", 1), []string{"workers is for the closed model"}},
		{"in flight on closed", strings.Replace(base, "load:\n", "load:\n  max_in_flight: 3\n", 1), []string{"max_in_flight is for the open model"}},
		{"bad client impl", base + "client: {impl: fasthttp}\n", []string{"client.impl", "expected auto, perfgate-h1 or net/http"}},
		{"h1 with http2", base + "client: {impl: perfgate-h1, http2: true}\n", []string{"HTTP/1.1 only"}},
		{"h1 with https", strings.Replace(base, "http://127.0.0.1:1/", "https://127.0.0.1:1/", 1) + "client: {impl: perfgate-h1}\n", []string{"plain http only"}},
		{"content-length header", strings.Replace(base, "url:", "headers: {content-length: '{{ int 1 1 }}'}\n    url:", 1), []string{"sets content-length from the body"}},
		{"connection header", strings.Replace(base, "url:", "headers: {Connection: close}\n    url:", 1), []string{"client.keepalive"}},
		{"ceiling off", base + "gates:\n  default:\n    error_rate_max: off\n", []string{"always on"}},
		{"two documents", base + "---\nname: b\n", []string{"more than one YAML document"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("perfgate.yaml", []byte(tt.yaml))
			if tt.name == "url if action" || tt.name == "url endpoint without port" || tt.name == "url path seq" || tt.name == "profile ok" {
				if err != nil {
					t.Fatalf("valid: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("expected an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "perfgate.yaml") && !strings.Contains(msg, "problems in config") {
				t.Errorf("error does not name the file: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("want *config.Error, got %T", err)
			}
		})
	}
}

// TestPositions checks that an error names the right field and its
// line:col, in block and in flow style (where one line holds many fields).
func TestPositions(t *testing.T) {
	const head = "name: d\nscenarios: [{name: s, url: 'http://x/'}]\nload: {measure: {duration: 1s}}\n"
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"flow percent, sibling map after", head + "gates: {default: {throughput_drop: 'abc%'}, scenarios: {s: {throughput_drop: 5%}}}\n",
			"p.yaml:4:36: gates.default.throughput_drop: expected a percentage"},
		{"flow percent in scenarios", head + "gates: {default: {throughput_drop: 5%}, scenarios: {s: {throughput_drop: 'abc%'}}}\n",
			"p.yaml:4:74: gates.scenarios.s.throughput_drop: expected a percentage"},
		{"block percent", head + "gates:\n  default:\n    throughput_drop: 'abc%'\n  scenarios:\n    s: {throughput_drop: 5%}\n",
			"p.yaml:6:22: gates.default.throughput_drop: expected a percentage"},
		{"flow int after a nested map", "name: d\nscenarios: [{name: s, url: 'http://x/'}]\nload: {measure: {duration: 1s}, workers: many}\n",
			"p.yaml:3:42: load.workers: expected a whole number, got \"many\""},
		{"block int", "name: d\nscenarios: [{name: s, url: 'http://x/'}]\nload:\n  measure: {duration: 1s}\n  workers: many\n",
			"p.yaml:5:12: load.workers: expected a whole number"},
		{"flow duration", "name: d\nscenarios: [{name: s, url: 'http://x/'}]\nload: {warmup: {duration: 1s}, measure: {duration: 5}}\n",
			"p.yaml:3:52: load.measure.duration: duration \"5\" has no unit"},
		{"flow second scenario", "name: d\nscenarios: [{name: s, url: 'http://x/'}, {name: t, url: 'http://x/', weight: x}]\nload: {measure: {duration: 1s}}\n",
			"p.yaml:2:78: scenarios[1].weight: expected a whole number"},
		{"flow latency percentile", head + "gates: {default: {latency_rise: {p50: 5%, p99: lots}}}\n",
			"p.yaml:4:48: gates.default.latency_rise.p99: expected a percentage"},
		{"flow bool", head + "client: {http2: false, keepalive: maybe}\n",
			"p.yaml:4:35: client.keepalive: expected true or false"},
		{"flow validation error", "name: d\nscenarios: [{name: s, url: 'http://x/', weight: -2}]\nload: {measure: {duration: 1s}}\n",
			"p.yaml:2:41: scenarios[0].weight: must be 0"},
		{"flow list where value", head + "client: {timeout: 1s, impl: [a]}\n",
			"p.yaml:4:29: client.impl: expected a single value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got  %q\nwant %q...", err, tt.want)
			}
		})
	}
}

func TestPrepare(t *testing.T) {
	const head = "name: d\nscenarios: [{name: s, url: 'http://x/'}]\nload: {measure: {duration: 1s}}\n"
	cfg, err := Parse("p.yaml", []byte(head+"prepare:\n  - [go, build, -o, bin/app, ./cmd/app]\n  - make -C sub && echo ok\n  - [sleep, 1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{
		{Args: []string{"go", "build", "-o", "bin/app", "./cmd/app"}, Line: 5, Col: 5},
		{Shell: "make -C sub && echo ok", Line: 6, Col: 5},
		{Args: []string{"sleep", "1"}, Line: 7, Col: 5},
	}
	if len(cfg.Prepare) != len(want) {
		t.Fatalf("got %d commands", len(cfg.Prepare))
	}
	for i, w := range want {
		g := cfg.Prepare[i]
		if !slices.Equal(g.Args, w.Args) || g.Shell != w.Shell || g.Line != w.Line || g.Col != w.Col {
			t.Errorf("prepare[%d] = %+v, want %+v", i, g, w)
		}
	}
	if got := cfg.Prepare[1].Argv(); !slices.Equal(got, []string{"sh", "-c", "make -C sub && echo ok"}) {
		t.Errorf("shell argv %q", got)
	}
	errs := []struct {
		name, yaml, want string
	}{
		{"not a list", "prepare: make\n", "p.yaml:4:10: prepare: expected a list"},
		{"empty argv", "prepare: [[]]\n", "p.yaml:4:11: prepare[0]: empty argument list"},
		{"empty string", "prepare:\n  - ''\n", "p.yaml:5:5: prepare[0]: empty command"},
		{"null", "prepare:\n  - ~\n  - [x]\n", "p.yaml:5:5: prepare[0]: empty list item"},
		{"empty program", "prepare: [['', x]]\n", "p.yaml:4:11: prepare[0]: the command's program (its first argument) is empty"},
		{"mapping", "prepare:\n  - {run: make}\n", "p.yaml:5:5: prepare[0]: expected a command"},
		{"nested list arg", "prepare:\n  - [go, build]\n  - [go, [x]]\n", "p.yaml:6:10: prepare[1]: argument 2 of the command is not a single value"},
		{"block nested", "prepare:\n  -\n    - go\n    - {a: b}\n", "p.yaml:7:7: prepare[0]: argument 2"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(head+tt.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got  %v\nwant %s...", err, tt.want)
			}
		})
	}
}

func TestWeight(t *testing.T) {
	const head = "name: w\nload:\n  measure: {duration: 1s}\nscenarios:\n"
	tests := []struct {
		name string
		yaml string
		want []int
	}{
		{"absent is 1", "  - {name: a, url: 'http://x/'}\n", []int{1}},
		{"null is 1", "  - {name: a, url: 'http://x/', weight: ~}\n", []int{1}},
		{"explicit", "  - {name: a, url: 'http://x/', weight: 3}\n", []int{3}},
		{"zero kept", "  - {name: a, url: 'http://x/', weight: 0}\n  - {name: b, url: 'http://x/'}\n", []int{0, 1}},
		{"zero kept block", "  - name: a\n    url: http://x/\n    weight: 2\n  - name: b\n    weight: 0\n    url: http://x/\n", []int{2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("perfgate.yaml", []byte(head+tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, sc := range cfg.Scenarios {
				got = append(got, sc.Weight)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("weights %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "perfgate.yaml")
	if err := os.WriteFile(p, []byte(validYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), "perfgate.yaml:12:7: services[1].process.command:") {
		t.Fatalf("missing ./auth binary not reported: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "auth"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dir != dir || cfg.Path != p {
		t.Errorf("Dir=%q Path=%q", cfg.Dir, cfg.Path)
	}
	if _, err := ReadFile(filepath.Join(dir, "nope.yaml")); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing file: %v", err)
	}
}

func TestPercent(t *testing.T) {
	var p Percent
	if err := yaml.Unmarshal([]byte("off"), &p); err != nil || !p.Off() || p.String() != "off" {
		t.Errorf("off: %v %v", p, err)
	}
	for _, tt := range []struct {
		in   string
		want float64
		ok   bool
	}{{"5%", 0.05, true}, {"0.5%", 0.005, true}, {"0.05", 0.05, true}, {"-1%", 0, false}, {"x", 0, false}, {"NaN", 0, false}} {
		got, err := ParsePercent(tt.in)
		if (err == nil) != tt.ok || (tt.ok && abs(got-tt.want) > 1e-12) {
			t.Errorf("ParsePercent(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// A var reads the vars declared above it (file order, kept in VarOrder);
// a later var, itself, a step's capture or an unknown name is an error
// that says where and what to do.
func TestParseVars(t *testing.T) {
	head := "name: f\nload: {measure: {requests: 10}}\nscenarios:\n  - name: f\n" // vars: on line 5
	url := "    url: 'http://127.0.0.1:1/{{ var \"mail\" }}'\n"
	tests := []struct {
		name, yaml string
		order      []string // VarOrder of a valid config
		want       []string // empty: valid
	}{
		{"chain, not in name order", "    vars:\n      user: '{{ letters 8 }}{{ seq }}'\n      mail: '{{ var \"user\" }}@example.com'\n      hi: 'hi {{ var \"mail\" }} {{ var \"user\" }}'\n" + url,
			[]string{"user", "mail", "hi"}, nil},
		{"flow style", "    vars: {z: '{{ seq }}', mail: 'u{{ var \"z\" }}@x', a: '{{ var \"mail\" }}{{ var \"mail\" }}'}\n" + url,
			[]string{"z", "mail", "a"}, nil},
		{"later var", "    vars:\n      mail: '{{ var \"user\" }}@example.com'\n      user: '{{ seq }}'\n" + url, nil,
			[]string{"perfgate.yaml:6:", "scenarios[0].vars.mail", `var "mail" uses "user", declared after it on line 7: move "user" above "mail"`}},
		{"itself", "    vars: {mail: 'x{{ var \"mail\" }}'}\n" + url, nil,
			[]string{"perfgate.yaml:5:", "scenarios[0].vars.mail", `var "mail" uses itself`}},
		{"unknown", "    vars: {a: '{{ seq }}', mail: '{{ var \"usr\" }}'}\n" + url, nil,
			[]string{"perfgate.yaml:5:", `var "mail" uses {{ var "usr" }}, which is not defined: declare "usr" in vars: above "mail" (declared above it: a)`}},
		{"unknown, first var", "    vars: {mail: '{{ var \"usr\" }}'}\n" + url, nil,
			[]string{`(declared above it: none)`}},
		{"a capture", "    vars: {mail: '{{ var \"token\" }}'}\n    steps:\n      - {name: login, url: 'http://127.0.0.1:1/', capture: [{json: token, as: token}]}\n      - {name: me, url: 'http://127.0.0.1:1/{{ var \"mail\" }}'}\n", nil,
			[]string{"perfgate.yaml:5:", `var "mail" uses "token", which step "login" captures`, "rendered before the first step", `in the steps after "login"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("perfgate.yaml", []byte(head+tt.yaml))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("valid config rejected: %v", err)
				}
				if got := cfg.Scenarios[0].VarNames(); !slices.Equal(got, tt.order) {
					t.Errorf("var order %q; want %q", got, tt.order)
				}
				return
			}
			wantErrs(t, err, tt.want)
			if n := len(err.(*Error).Problems); n != 1 {
				t.Errorf("%d problems; want 1:\n%v", n, err)
			}
		})
	}
}

// wantErrs fails t unless err holds each of want.
func wantErrs(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

// VarNames keeps VarOrder's names that Vars holds, then the rest by name.
func TestVarNames(t *testing.T) {
	sc := Scenario{Vars: map[string]string{"b": "", "a": "", "c": ""}, VarOrder: []string{"c", "gone", "c", "b"}}
	if got := sc.VarNames(); !slices.Equal(got, []string{"c", "b", "a"}) {
		t.Errorf("VarNames %q; want c b a", got)
	}
	sc.VarOrder = nil
	if got := sc.VarNames(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("VarNames without order %q; want a b c", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validYAML))
	f.Add([]byte("name: x\nscenarios: [{name: a, url: 'http://x/'}]\nload: {measure: {duration: 1s}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("name: x\nscenarios: [{name: a, url: 'http://x/{{ var \"b\" }}', vars: {a: '{{ seq }}', b: '{{ var \"a\" }}{{ var \"c\" }}', c: '{{ var \"c\" }}'}}]\nload: {measure: {duration: 1s}}\n"))
	f.Add([]byte("services:\n  - {name: a, depends_on: [a], process: {command: [x]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
		if err != nil && !strings.Contains(err.Error(), "fuzz.yaml") {
			t.Fatalf("error without file name: %v", err)
		}
	})
}

func TestReadFileChecksFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "ctx"), 0o755)
	cfgText := "name: f\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\nload:\n  measure: {duration: 1s}\nservices:\n" +
		"  - name: p\n    process: {command: [./bin/x], dir: nowhere}\n" +
		"  - name: q\n    process: {command: [sh, -c, 'true']}\n" +
		"  - name: c\n    container:\n      build: {context: ctx}\n      files: [{source: missing.conf, target: /etc/x}]\n"
	p := filepath.Join(dir, "perfgate.yaml")
	os.WriteFile(p, []byte(cfgText), 0o644)
	_, err := ReadFile(p)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"services[0].process.dir: folder", "services[2].container.build.dockerfile: Dockerfile not found", "services[2].container.files[0].source:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nlacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "services[1]") {
		t.Errorf("a PATH command was checked as a file: %v", err)
	}
}

// Flows: steps, captures, vars and data parse with file:line errors.
func TestParseFlow(t *testing.T) {
	head := "name: f\nload: {measure: {requests: 10}}\nscenarios:\n  - name: f\n"
	tests := []struct {
		name, yaml string
		want       []string // empty: valid
	}{
		{"valid", "    vars: {u: '{{ seq }}'}\n    steps:\n      - {name: a, method: post, url: 'http://127.0.0.1:1/a/{{ var \"u\" }}', capture: [{header: X-Id, as: id}]}\n      - {name: b, url: 'http://127.0.0.1:1/b/{{ var \"id\" }}'}\n", nil},
		{"unknown step key", "    steps:\n      - {name: a, uri: 'http://127.0.0.1:1/'}\n", []string{"perfgate.yaml:6:", "uri"}},
		{"unknown capture key", "    steps:\n      - {name: a, url: 'http://127.0.0.1:1/', capture: [{jsn: x, as: y}]}\n", []string{"perfgate.yaml:6:", "jsn"}},
		{"url beside steps", "    url: http://127.0.0.1:1/\n    steps:\n      - {name: a, url: 'http://127.0.0.1:1/'}\n", []string{"perfgate.yaml:5:", "a flow's requests are its steps"}},
		{"step without url", "    steps:\n      - {name: a}\n", []string{"steps[0].url", "required"}},
		{"step name twice", "    steps:\n      - {name: a, url: 'http://127.0.0.1:1/'}\n      - {name: a, url: 'http://127.0.0.1:1/'}\n", []string{"perfgate.yaml:7:", "defined twice"}},
		{"bad var name", "    vars: {a-b: x}\n    url: http://127.0.0.1:1/\n", []string{"vars.a-b", "letters, digits and _"}},
		{"row without data", "    url: 'http://127.0.0.1:1/{{ row \"id\" }}'\n", []string{"perfgate.yaml:5:", "needs a data file"}},
		{"var in a single request", "    url: 'http://127.0.0.1:1/{{ var \"id\" }}'\n", []string{"perfgate.yaml:5:", `{{ var "id" }} is not defined`}},
		{"data order", "    url: http://127.0.0.1:1/\n    data: {file: u.csv, order: shuffle}\n", []string{"data.order", "sequential"}},
		{"gate on a step", "    steps:\n      - {name: a, url: 'http://127.0.0.1:1/'}\ngates: {scenarios: {f/a: {throughput_drop: 10%}}}\n", nil},
	}
	runParseCases(t, head, tests, func(t *testing.T, name string, cfg *Config) {
		if name == "valid" && (len(cfg.Scenarios[0].Steps) != 2 || cfg.Scenarios[0].Steps[0].Method != "POST" || cfg.Scenarios[0].Steps[0].Capture[0].As != "id") {
			t.Errorf("steps %+v", cfg.Scenarios[0].Steps)
		}
	})
}

// runParseCases parses head+yaml of each case: a case without wanted
// errors must parse (then valid looks at the config), the others must fail
// with each of their errors.
func runParseCases(t *testing.T, head string, tests []struct {
	name, yaml string
	want       []string
}, valid func(t *testing.T, name string, cfg *Config)) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("perfgate.yaml", []byte(head+tt.yaml))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("valid config rejected: %v", err)
				}
				valid(t, tt.name, cfg)
				return
			}
			wantErrs(t, err, tt.want)
		})
	}
}
