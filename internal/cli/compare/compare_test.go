package compare_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	basePath := filepath.Join(dir, "base.json")
	clitest.Must(baseline.Write(basePath, baseline.FromResults(clitest.Synthetic("api", clitest.Throughputs(1000, 20, 5)...))))
	same := filepath.Join(dir, "same.json")
	clitest.Must(results.Write(same, clitest.Synthetic("api", clitest.Throughputs(1002, 20, 5)...)))
	slow := filepath.Join(dir, "slow.json")
	clitest.Must(results.Write(slow, clitest.Synthetic("api", clitest.Throughputs(750, 20, 5)...)))
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"schema": "perfgate/baseline/v1", "name": `), 0o644)
	judged := filepath.Join(dir, "judged.json")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"same build passes", []string{"compare", "--baseline", basePath, same}, 0, "PASS"},
		{"25% slower fails", []string{"compare", "--baseline", basePath, slow, "--out", judged}, 1, "FAIL"},
		{"missing --baseline", []string{"compare", same}, 2, "--baseline FILE is required"},
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
