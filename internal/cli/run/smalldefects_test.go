package run_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

// A name of valid characters but too long is refused for its length.
func TestValidateLongNameSaysLength(t *testing.T) {
	long := strings.Repeat("a", 70)
	for _, tc := range []struct{ field, yaml string }{
		{"name", "name: " + long + "\nscenarios: [{name: s, url: 'http://127.0.0.1:1/'}]\n"},
		{"scenarios[0].name", "name: n\nscenarios: [{name: " + long + ", url: 'http://127.0.0.1:1/'}]\n"},
		{"services[0].name", "name: n\nscenarios: [{name: s, url: 'http://127.0.0.1:1/'}]\nservices: [{name: " + long + ", process: {command: [x]}}]\n"},
	} {
		cfg := writeYAML(t, t.TempDir(), tc.yaml+"load: {measure: {requests: 10}}\n")
		r := clitest.Run(t, context.Background(), nil, "validate", "-c", cfg)
		msg := fmt.Sprint(r.Err)
		if r.Code != 2 || !strings.Contains(msg, tc.field+": ") || !strings.Contains(msg, "70 characters long; a name has at most 63") || strings.Contains(msg, "must be letters") {
			t.Errorf("%s: exit %d: %s", tc.field, r.Code, msg)
		}
	}
}

// `scenarios: []` is bad input at validate, with file:line.
func TestValidateEmptyScenariosExit2(t *testing.T) {
	cfg := writeYAML(t, t.TempDir(), "name: n\nscenarios: []\nload: {measure: {requests: 10}}\n")
	for _, cmd := range []string{"validate", "run"} {
		r := clitest.Run(t, context.Background(), nil, cmd, "-c", cfg)
		if r.Code != 2 || !strings.Contains(fmt.Sprint(r.Err), "perfgate.yaml:2:") {
			t.Errorf("%s: exit %d: %v", cmd, r.Code, r.Err)
		}
	}
}

// A --start-at centuries ahead is a typo: exit 2 at once, not a wait of
// "9223372036.9s".
func TestRunStartAtFarAheadExit2(t *testing.T) {
	cfg := writeYAML(t, t.TempDir(), "name: n\nscenarios: [{name: s, url: 'http://127.0.0.1:1/'}]\nload: {measure: {requests: 10}}\n")
	ctx, cancel := context.WithTimeout(context.Background(), 20e9)
	defer cancel()
	r := clitest.Run(t, ctx, nil, "run", "-c", cfg, "--shard", "0/2", "--start-at", "2999-01-01T00:00:00Z")
	if r.Code != 2 || !strings.Contains(fmt.Sprint(r.Err), "more than the limit of 24h") || strings.Contains(r.ErrOut, "9223372036") {
		t.Errorf("exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
}
