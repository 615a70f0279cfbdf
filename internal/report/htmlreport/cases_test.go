package htmlreport

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The report package's cases (../testdata/<case>.json) rendered as HTML,
// compared with ../testdata/<case>.html (go test -update rewrites them).
func TestCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	if err != nil || len(files) < 6 {
		t.Fatalf("want the six cases in ../testdata: %v %v", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			res, err := results.Read(f)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Write(&buf, res); err != nil {
				t.Fatal(err)
			}
			path := strings.TrimSuffix(f, ".json") + ".html"
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs (run go test -update if the change is meant)", path)
			}
		})
	}
}

// Every report says the same terms: goodput, not throughput_rps; ≤, not
// <=; and an inconclusive verdict is never drawn as a pass.
func TestCaseTerms(t *testing.T) {
	for _, name := range []string{"stored", "paired", "inconclusive", "flow"} {
		res, err := results.Read(filepath.Join("..", "testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, res); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		for _, bad := range []string{">throughput_rps<", "&lt;=", "error_rate (ceiling)"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s: the page says %q", name, bad)
			}
		}
		if name == "inconclusive" && strings.Contains(page, `class="verdict pass`) {
			t.Errorf("inconclusive drawn as a pass")
		}
	}
}

// storedQuickstart is quickstart judged against a stored baseline of
// itself, its goodput half in every measured run than the baseline's.
func storedQuickstart(t *testing.T) *results.Results {
	t.Helper()
	base := baseline.FromResults(quickstart(t))
	res := quickstart(t)
	for i := range res.Scenarios {
		for k := range res.Scenarios[i].Runs {
			res.Scenarios[i].Runs[k].ThroughputRPS *= 0.5
		}
	}
	compare.Apply(config.Gates{}, base, res, compare.Options{BaselinePath: "baselines/quickstart.json"})
	return res
}

// In stored-baseline mode the goodput chart draws the baseline's median
// and the band of its runs.
func TestStoredBaselineDrawn(t *testing.T) {
	res := storedQuickstart(t)
	if res.Verdict != results.VerdictFail {
		t.Fatalf("fixture verdict %s, want fail", res.Verdict)
	}
	var buf bytes.Buffer
	if err := Write(&buf, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"baseline median", "baseline lowest run", "baseline highest run"} {
		if n := strings.Count(buf.String(), want); n < 2 { // one per scenario
			t.Errorf("%q drawn %d times, want one per scenario", want, n)
		}
	}
}

// Quoted config keys become <code>; nothing else is markup.
func TestCodeHTML(t *testing.T) {
	for in, want := range map[string]string{
		"raise `gates.max_rounds` now": "raise <code>gates.max_rounds</code> now",
		"<b> `<i>`":                    "&lt;b&gt; <code>&lt;i&gt;</code>",
		"odd ` tick":                   "odd ` tick",
	} {
		if got := string(codeHTML(in)); got != want {
			t.Errorf("codeHTML(%q) = %q, want %q", in, got, want)
		}
	}
}
