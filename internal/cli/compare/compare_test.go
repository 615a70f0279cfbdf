package compare_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	basePath := filepath.Join(dir, "base.json")
	clitest.Must(baseline.Write(basePath, baseline.FromResults(resultstest.Synthetic("api", resultstest.Throughputs(1000, 20, 5)...))))
	same := filepath.Join(dir, "same.json")
	clitest.Must(results.Write(same, resultstest.Synthetic("api", resultstest.Throughputs(1002, 20, 5)...)))
	slow := filepath.Join(dir, "slow.json")
	clitest.Must(results.Write(slow, resultstest.Synthetic("api", resultstest.Throughputs(500, 20, 5)...)))
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"schema": "perfgate/baseline/v1", "name": `), 0o644)
	judged := filepath.Join(dir, "judged.json")
	// A config whose baseline is base.json: baselines: ., name: base.
	cfgBody := "name: %s\nbaselines: %s\nscenarios:\n  - name: signup\n    url: http://127.0.0.1:1/\nload:\n  measure: {duration: 1s}\n"
	cfgPath := filepath.Join(dir, "perfgate.yaml")
	clitest.Must(os.WriteFile(cfgPath, []byte(fmt.Sprintf(cfgBody, "base", ".")), 0o644))
	emptyCfg := filepath.Join(dir, "other.yaml")
	clitest.Must(os.WriteFile(emptyCfg, []byte(fmt.Sprintf(cfgBody, "api", "empty")), 0o644))

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"same build passes", []string{"compare", "--baseline", basePath, same}, 0, "PASS"},
		{"50% slower fails", []string{"compare", "--baseline", basePath, slow, "--out", judged}, 1, "FAIL"},
		{"no baseline, no config", []string{"compare", same}, 2, "give --baseline FILE"},
		{"the config's baseline", []string{"compare", "-c", cfgPath, slow, "-o", judged}, 1, "FAIL"},
		{"the config's baseline, none yet", []string{"compare", "-c", emptyCfg, same}, 2, "empty/api.json"},
		{"corrupt baseline", []string{"compare", "--baseline", corrupt, same}, 2, "corrupt.json"},
		{"missing results", []string{"compare", "--baseline", basePath, filepath.Join(dir, "none.json")}, 2, "not found"},
		{"baseline given as results", []string{"compare", "--baseline", basePath, basePath}, 2, "schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clitest.Run(t, context.Background(), nil, tt.args...)
			if r.Code != tt.code {
				t.Fatalf("exit %d, want %d: %v\n%s", r.Code, tt.code, r.Err, r.Out)
			}
			text := r.Out
			if r.Err != nil {
				text += r.Err.Error()
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, text)
			}
		})
	}
	res, err := results.Read(judged)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != results.VerdictFail || res.Comparison == nil || res.Comparison.Baseline != basePath {
		t.Errorf("judged results: verdict %q comparison %+v", res.Verdict, res.Comparison)
	}
}

// withForeign sets every run's foreign CPU (cores) of a synthetic result,
// whose service perfgate started.
var withForeign = resultstest.WithForeign

// A 50% drop beside a neighbour taking 0.8 of 2 cores (the baseline's had
// none) is inconclusive: exit 0, or exit 1 when the config's gates say
// fail_inconclusive — against a stored baseline as in paired mode.
func TestCompareNeighbourInconclusive(t *testing.T) {
	dir := t.TempDir()
	basePath := filepath.Join(dir, "base.json")
	clitest.Must(baseline.Write(basePath, baseline.FromResults(withForeign(resultstest.Synthetic("api", resultstest.Throughputs(1000, 20, 5)...), 0))))
	busy := filepath.Join(dir, "busy.json")
	clitest.Must(results.Write(busy, withForeign(resultstest.Synthetic("api", resultstest.Throughputs(500, 20, 5)...), 0.8)))
	cfg := func(file, extra string) string {
		p := filepath.Join(dir, file)
		clitest.Must(os.WriteFile(p, []byte("name: api\nscenarios:\n  - name: signup\n    url: http://127.0.0.1:1/\nload:\n  measure: {duration: 1s}\n"+extra), 0o644))
		return p
	}
	for _, tt := range []struct {
		name string
		cfg  string
		code int
	}{
		{"exit 0 by default", cfg("default.yaml", ""), 0},
		{"exit 1 with fail_inconclusive", cfg("strict.yaml", "gates: {fail_inconclusive: true}\n"), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "judged.json")
			r := clitest.Run(t, context.Background(), nil, "compare", "-c", tt.cfg, "--baseline", basePath, busy, "--out", out)
			if r.Code != tt.code || !strings.Contains(r.Out, "INCONCLUSIVE") || !strings.Contains(r.Out, "a neighbour took 0.80 of 2 cores") {
				t.Fatalf("exit %d, want %d: %v\n%s", r.Code, tt.code, r.Err, r.Out)
			}
			res, err := results.Read(out)
			if err != nil || res.Verdict != results.VerdictInconclusive {
				t.Fatalf("judged: %v, verdict %v", err, res)
			}
		})
	}
}
