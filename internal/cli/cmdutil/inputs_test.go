package cmdutil_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// Results and baselines that are too large or hold a histogram that does
// not decode are bad input: exit 2, naming the file and what is wrong.
func TestBadInputFilesExit2(t *testing.T) {
	dir := t.TempDir()
	goodRes, goodBase := compareFixture(t)

	badHist := func(name string, b any) string {
		p := filepath.Join(dir, name)
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, data, 0o644)
		return p
	}
	res := resultstest.Synthetic("api", resultstest.Throughputs(1000, 20, 5)...)
	res.Scenarios[0].Histogram = "%%%not base64"
	badHistRes := badHist("badhist-results.json", res)
	base := baseline.FromResults(resultstest.Synthetic("api", resultstest.Throughputs(1000, 20, 5)...))
	base.Scenarios[0].Histogram = "AAAAAAAAAAAA"
	badHistBase := badHist("badhist-baseline.json", base)

	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(results.MaxFileSize + 1) // sparse
	f.Close()

	tests := []struct {
		name      string
		res, base string
		want      []string
	}{
		{"results histogram", badHistRes, goodBase, []string{"badhist-results.json", `scenario "signup": histogram is not base64`}},
		{"baseline histogram", goodRes, badHistBase, []string{"badhist-baseline.json", `scenario "signup": histogram is not an HdrHistogram`}},
		{"results too large", huge, goodBase, []string{"huge.json", "256 MiB limit"}},
		{"baseline too large", goodRes, huge, []string{"huge.json", "64 MiB limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clitest.Run(t, context.Background(), nil, "compare", tt.res, "--baseline", tt.base)
			if r.Code != 2 {
				t.Fatalf("exit %d: %v", r.Code, r.Err)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Err.Error(), w) {
					t.Errorf("%q lacks %q", r.Err, w)
				}
			}
		})
	}
}
