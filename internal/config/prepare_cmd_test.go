package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A command that a prepare step builds need not exist before the run; with
// no prepare step, a missing one is still caught before anything starts.
func TestCommandBuiltByPrepare(t *testing.T) {
	for _, tc := range []struct {
		prepare string
		wantErr bool
	}{{"prepare:\n  - [go, build, -o, bin/app, .]\n", false}, {"", true}} {
		dir := t.TempDir()
		p := filepath.Join(dir, "perfgate.yaml")
		os.WriteFile(p, []byte("name: x\n"+tc.prepare+`services:
  - name: app
    process:
      command: [./bin/app, -addr, '127.0.0.1:{{ port 8080 }}']
      ports: [8080]
scenarios:
  - name: s
    url: http://{{ endpoint "app" "8080" }}/
load:
  measure: {requests: 10}
`), 0o644)
		_, err := ReadFile(p)
		if (err != nil) != tc.wantErr || (err != nil && !strings.Contains(err.Error(), "not an executable file")) {
			t.Errorf("prepare %q: err %v, want error %v", tc.prepare, err, tc.wantErr)
		}
	}
}

func TestPairedGateSettings(t *testing.T) {
	for _, tc := range []struct{ gates, want string }{
		{"gates: {pairing: duet, max_rounds: 16}\n", ""},
		{"gates: {pairing: alternate}\n", ""},
		{"gates: {pairing: both}\n", `unknown pairing "both"`},
		{"gates: {max_rounds: 4}\n", "at least 10"},
		{"gates: {slice: 10ms}\n", "between 100ms and 1m"},
		{"gates: {max_time: 1h, slice: 2s, power: 90%}\n", ""},
		{"gates: {power: 40%}\n", "between 50% and 100%"},
	} {
		_, err := Parse("perfgate.yaml", []byte("name: x\nscenarios:\n  - name: s\n    url: http://127.0.0.1:1/\nload:\n  measure: {requests: 10}\n"+tc.gates))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: err %v, want %q", tc.gates, err, tc.want)
		}
	}
}
