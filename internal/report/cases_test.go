package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

// Cases: testdata/<case>.json rendered in every text format, compared with
// testdata/<case>.<ext> (go test -update rewrites them). The HTML goldens
// are htmlreport's, from the same inputs.
var caseFormats = []struct{ format, ext string }{
	{"markdown", "md"},
	{"table", "txt"},
	{"junit", "xml"},
}

// Cases lists the input cases: stored, paired, flow, inconclusive,
// nobaseline, sharded.
func cases(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) < 6 {
		t.Fatalf("want the six cases in testdata: %v %v", files, err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	return names
}

func readCase(t *testing.T, name string) *results.Results {
	t.Helper()
	res, err := results.Read(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCases(t *testing.T) {
	for _, name := range cases(t) {
		for _, f := range caseFormats {
			t.Run(name+"."+f.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, readCase(t, name), f.format); err != nil {
					t.Fatal(err)
				}
				caseGolden(t, name+"."+f.ext, buf.Bytes())
			})
		}
	}
}

// Write renders res in one of the text formats, as render.Write does (the
// format switch lives there; this package cannot import it).
func Write(w io.Writer, res *results.Results, format string) error {
	switch format {
	case "table":
		return Terminal(w, res, false)
	case "markdown":
		_, err := io.WriteString(w, Markdown(res))
		return err
	case "json":
		return JSON(w, res)
	case "junit":
		return JUnit(w, res)
	}
	return fmt.Errorf("format %q", format)
}

func caseGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update if the change is meant)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// The first screen of a failing run of three scenarios, one a flow, fits:
// at most 20 lines before the first <details>, and no overview cell so
// wide that the table wraps at 800 px.
func TestFirstScreen(t *testing.T) {
	md := Markdown(readCase(t, "flow"))
	head, _, ok := strings.Cut(md, "<details")
	if !ok {
		t.Fatal("nothing folded")
	}
	if n := strings.Count(head, "\n"); n > 20 {
		t.Errorf("%d lines before the first <details>, want at most 20:\n%s", n, head)
	}
	for _, line := range strings.Split(head, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| ---") {
			continue
		}
		// About 7 px a character in GitHub's table font: 800 px hold
		// some 110 characters of cells.
		if n := len([]rune(line)); n > 110 {
			t.Errorf("overview row of %d characters wraps at 800 px: %s", n, line)
		}
	}
}

// Every step of a flow has its figures in the overview, not "—".
func TestFlowStepRows(t *testing.T) {
	rows := Overview(readCase(t, "flow"))
	seen := 0
	for _, r := range rows {
		if !strings.Contains(r.Scenario, results.StepSep) {
			continue
		}
		if r.Scenario == "login-me"+results.StepSep+"old" {
			continue // in the baseline, not measured
		}
		seen++
		for _, c := range r.Cells {
			if !c.HasValue {
				t.Errorf("%s %s has no value", r.Scenario, c.Metric)
			}
		}
	}
	if seen != 2 {
		t.Errorf("%d step rows, want 2", seen)
	}
}

// A latency rise past its gate's share that passed only because it stayed
// under the floor is not drawn like an improvement.
func TestUnderFloorMark(t *testing.T) {
	res := &results.Results{Verdict: results.VerdictPass, Scenarios: []results.Scenario{{Name: "s"}},
		Comparison: &results.Comparison{Baseline: "b.json", Checks: []results.Check{
			{Scenario: "s", Metric: "p50", Gate: gateLatencyRise, Baseline: 0.3, Current: 0.39, Change: 0.30, Threshold: 0.10, Significant: true,
				Status: results.CheckPass, Rule: "rise <= 10% or <= 1 ms", SamplesBase: 5, SamplesCur: 5},
			{Scenario: "s", Metric: "p95", Gate: gateLatencyRise, Baseline: 3, Current: 2, Change: -0.33, Threshold: 0.10, Significant: true,
				Status: results.CheckPass, Rule: "rise <= 10% or <= 1 ms", SamplesBase: 5, SamplesCur: 5},
		}}}
	cells := Overview(res)[0].Cells
	if m := cells[1].Mark(); m != "≈" {
		t.Errorf("p50 +30%% under the floor: mark %q, want ≈", m)
	}
	if m := cells[2].Mark(); m != "✅" {
		t.Errorf("p95 improved: mark %q, want ✅", m)
	}
	if md := Markdown(res); !strings.Contains(md, "≈ rose past its gate's share but less than its floor") {
		t.Errorf("no legend for ≈:\n%s", md)
	}
}
