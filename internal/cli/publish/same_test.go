package publish_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	pub "github.com/perfgate/perfgate/internal/publish"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// The PR comment is `perfgate report -f markdown`, byte for byte: publish
// adds only its marker line (and, past GitHub's limit, a cut).
func TestCommentIsTheMarkdownReport(t *testing.T) {
	dir := t.TempDir()
	fail := resultstest.Synthetic("api", resultstest.Throughputs(700, 10, 5)...)
	compare.Apply(config.Gates{}, baseline.FromResults(resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)), fail, compare.Options{BaselinePath: filepath.Join(dir, "baselines", "api.json")})
	pass := resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)
	compare.Apply(config.Gates{}, baseline.FromResults(resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)), pass, compare.Options{BaselinePath: "baselines/api.json"})
	none := resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...)
	for name, res := range map[string]*results.Results{"fail": fail, "pass": pass, "no baseline": none} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
			clitest.Must(results.Write(p, res))
			md := clitest.Run(t, context.Background(), nil, "report", "-f", "markdown", p)
			posted := clitest.Run(t, context.Background(), nil, "publish", p)
			if md.Code != 0 || md.Out == "" {
				t.Fatalf("report: exit %d: %s", md.Code, md.ErrOut)
			}
			marker := pub.Marker(res.Name) + "\n"
			if !strings.HasPrefix(posted.Out, marker) {
				t.Fatalf("the comment does not start with its marker:\n%s", posted.Out)
			}
			if got := strings.TrimPrefix(posted.Out, marker); got != md.Out {
				t.Errorf("the comment differs from report -f markdown:\n--- comment ---\n%s\n--- report ---\n%s", got, md.Out)
			}
		})
	}
}
