package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// scenario and resultsOf are resultstest's builders, for config "auth".
var scenario = resultstest.Scenario

func resultsOf(scs ...results.Scenario) *results.Results { return resultstest.Results("auth", scs...) }

// judged is a realistic comparison: login regressed 25%, health is steady,
// search has too few runs, gone left the run (a failure), new is not in the
// baseline (noted, not failed), errors breaks its ceiling.
func judged() *results.Results {
	old := resultsOf(
		scenario("login", 0, 1000, 1012, 995, 1006, 990),
		scenario("health", 0, 5000, 5020, 4990, 5010, 4980),
		scenario("search", 0, 300, 305, 298),
		scenario("errors", 0.001, 800, 801, 802, 803, 804),
		scenario("gone", 0, 100, 101, 102, 103, 104),
	)
	old.FinishedAt = time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	b := baseline.FromResults(old)
	cur := resultsOf(
		scenario("login", 0, 752, 748, 760, 745, 755),
		scenario("health", 0, 5005, 4995, 5015, 4985, 5000),
		scenario("search", 0, 301, 299, 303),
		scenario("errors", 0.03, 800, 801, 802, 803, 804),
		scenario("new", 0, 50, 51, 52, 53, 54),
	)
	cur.Host.CPUModel = "EPYC"
	gates := config.Gates{SessionDrift: runToRun.SessionDrift, Scenarios: map[string]config.Gate{"health": {LatencyRise: map[string]*config.Percent{"p90": pct(0.2)}}}}
	compare.Apply(gates, b, cur, compare.Options{BaselinePath: "baselines/auth.json"})
	return cur
}

func pct(f float64) *config.Percent { p := config.Percent(f); return &p }

const evilName = "a|b `code` <script>alert(1)</script> [x](http://e.vil) **bold** @team\nsecond line & more"

// evil has a scenario name that tries to break every format.
func evil() *results.Results {
	old := resultsOf(scenario(evilName, 0, 100, 101, 102, 103, 104))
	cur := resultsOf(scenario(evilName, 0.5, 70, 71, 72, 73, 74))
	cur.Name = "name</testsuites><x>"
	compare.Apply(runToRun, baseline.FromResults(old), cur, compare.Options{BaselinePath: "baselines/<b>.json"})
	return cur
}

func plain() *results.Results {
	return resultsOf(scenario("login", 0, 1000, 1012, 995, 1006, 990), scenario("health", 0.0125, 5000, 5020))
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
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
		t.Errorf("%s differs from %s (run go test -update if the change is meant)\n--- got ---\n%s\n--- want ---\n%s", name, path, got, want)
	}
}

// TestGolden: what the testdata cases (TestCases) do not cover: hostile
// names, the JSON, and JUnit's flow suites.
func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		res    *results.Results
		format string
	}{
		{"markdown_evil", evil(), "markdown"},
		{"json", judged(), "json"},
		{"junit_evil", evil(), "junit"},
		{"junit_flow", flowJudged(), "junit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.res, tt.format); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, buf.Bytes())
		})
	}
}

func TestBaselineDiffGolden(t *testing.T) {
	old := baseline.FromResults(resultsOf(scenario("login", 0, 1000, 1010, 990), scenario("gone", 0, 5, 6, 7)))
	cur := baseline.FromResults(resultsOf(scenario("login", 0.002, 900, 910, 890, 905, 895), scenario("new", 0, 50, 51, 52, 53, 54)))
	var buf bytes.Buffer
	if err := BaselineDiff(&buf, baseline.Diff(old, cur), false); err != nil {
		t.Fatal(err)
	}
	golden(t, "baseline_diff", buf.Bytes())
}

func TestMarkdownSections(t *testing.T) {
	res := judged()
	full, parts := Markdown(res), MarkdownSections(res)
	for _, p := range []string{parts.Overview, parts.Chart, parts.Warnings, parts.Checks, parts.Figures} {
		if !strings.Contains(full, p) {
			t.Errorf("Markdown lacks its section %q", p)
		}
	}
	for name, s := range map[string]string{"overview": parts.Overview, "chart": parts.Chart, "warnings": parts.Warnings, "checks": parts.Checks, "figures": parts.Figures} {
		if s == "" || !strings.HasSuffix(s, "\n") || strings.Contains(s, "perfgate: ") {
			t.Errorf("%s part is empty, unterminated or has the verdict: %q", name, s)
		}
	}
	for name, s := range map[string]string{"chart": parts.Chart, "warnings": parts.Warnings, "checks": parts.Checks, "figures": parts.Figures} {
		if !strings.HasPrefix(s, "<details") || !strings.HasSuffix(s, "</details>\n") {
			t.Errorf("%s part is not folded: %q", name, s)
		}
	}
	if MarkdownSections(nil) != (MarkdownParts{}) {
		t.Error("nil")
	}
}

func TestMarkdownVerdictLine(t *testing.T) {
	first := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }
	if got := first(Markdown(judged())); !strings.HasPrefix(got, "### ❌ perfgate auth: FAIL — 6 regressions in 2 scenarios, 1 baseline scenario not measured") {
		t.Errorf("fail line: %q", got)
	}
	pass := resultsOf(scenario("s", 0, 1, 2, 3, 4, 5))
	compare.Apply(runToRun, baseline.FromResults(pass), pass, compare.Options{BaselinePath: "b.json"})
	if got := first(Markdown(pass)); got != "### ✅ perfgate auth: PASS — 6 checks passed" {
		t.Errorf("pass line: %q", got)
	}
	if got := first(Markdown(plain())); got != "### ⚪ perfgate auth: NO BASELINE — nothing judged" {
		t.Errorf("no-baseline line: %q", got)
	}
	if got := Markdown(nil); !strings.Contains(got, "no results") {
		t.Errorf("nil: %q", got)
	}
}

// TestInterruptedHeadline: an interrupted run's headline is the
// interruption with its note, never a pass, in every format.
func TestInterruptedHeadline(t *testing.T) {
	pass := resultsOf(scenario("s", 0, 1, 2, 3, 4, 5))
	compare.Apply(runToRun, baseline.FromResults(pass), pass, compare.Options{BaselinePath: "b.json"})
	if pass.Verdict != results.VerdictPass {
		t.Fatalf("fixture verdict %s", pass.Verdict)
	}
	pass.Interrupted = true
	pass.Note = "service <auth> died"
	first := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }
	if got, want := first(Markdown(pass)), "### ⚠️ perfgate auth: INTERRUPTED — the run did not finish: service &lt;auth&gt; died"; got != want {
		t.Errorf("markdown:\n got %q\nwant %q", got, want)
	}
	var out bytes.Buffer
	if err := Checks(&out, pass, false); err != nil {
		t.Fatal(err)
	}
	if got, want := first(out.String()), "perfgate: INTERRUPTED — the run did not finish: service <auth> died · figures cover only the runs that finished; this is not a pass"; got != want {
		t.Errorf("terminal:\n got %q\nwant %q", got, want)
	}
	fail := judged()
	fail.Interrupted = true
	h := VerdictHeadline(fail)
	if h.Title != "INTERRUPTED" || h.Verdict != results.VerdictFail || h.Summary != "the run did not finish" ||
		h.Notes[0] != "the runs that finished already show 6 regressions in 2 scenarios, 1 baseline scenario not measured" {
		t.Errorf("interrupted failure: %+v", h)
	}
}

// unescapedPipes counts "|" not preceded by an odd number of backslashes.
func unescapedPipes(line string) int {
	n, bs := 0, 0
	for _, r := range line {
		switch {
		case r == '\\':
			bs++
			continue
		case r == '|' && bs%2 == 0:
			n++
		}
		bs = 0
	}
	return n
}

func TestMarkdownEscaping(t *testing.T) {
	md := Markdown(evil())
	// Drop backslash-escaped characters: what is left is what Markdown
	// interprets.
	live := regexp.MustCompile(`\\.`).ReplaceAllString(md, "")
	if strings.Contains(live, "`code`") {
		t.Errorf("markdown contains raw `code`:\n%s", md)
	}
	// What is left in code spans is inert.
	live = regexp.MustCompile("`[^`\n]*`").ReplaceAllString(live, "")
	for _, bad := range []string{"<script", "</script", "](http", "**bold**", "@team", "`code`", "second line & more", "<b>"} {
		if strings.Contains(live, bad) {
			t.Errorf("markdown contains raw %q:\n%s", bad, md)
		}
	}
	// Every table row has as many cell separators as its header.
	var cols int
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := unescapedPipes(line)
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row has %d separators, header %d: %q", n, cols, line)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"a|b", `a\|b`},
		{`a\|b`, `a\\\|b`},
		{"x\ny\rz\tw", "x y z w"},
		{"[l](u)", `\[l\](u)`},
		{"<i>&", "&lt;i&gt;&amp;"},
		{"@me", "&#64;me"},
	} {
		if got := mdText(tt.in); got != tt.want {
			t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if u := unescapedPipes(`a\\\|b|`); u != 1 {
		t.Errorf("unescapedPipes self-test: %d", u)
	}
}

func TestJUnitIsValidXML(t *testing.T) {
	for name, res := range map[string]*results.Results{"judged": judged(), "evil": evil(), "plain": plain()} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JUnit(&buf, res); err != nil {
				t.Fatal(err)
			}
			var doc junitSuites
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("not valid XML: %v\n%s", err, buf.String())
			}
			dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("token: %v", err)
				}
			}
			wantTests, wantFail := 0, 0
			if res.Comparison != nil {
				wantTests = len(res.Comparison.Checks)
				wantFail = len(compare.Failures(res.Comparison))
			} else {
				wantTests = len(res.Scenarios)
			}
			if doc.Tests != wantTests || doc.Failures != wantFail {
				t.Errorf("tests=%d failures=%d, want %d, %d", doc.Tests, doc.Failures, wantTests, wantFail)
			}
			if name == "evil" && doc.Suites[0].Name != strings.ReplaceAll(evilName, "\n", " ") {
				t.Errorf("suite name did not survive: %q", doc.Suites[0].Name)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	res := judged()
	var buf bytes.Buffer
	if err := Write(&buf, res, "json"); err != nil {
		t.Fatal(err)
	}
	var back results.Results
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Verdict != results.VerdictFail || len(back.Comparison.Checks) != len(res.Comparison.Checks) {
		t.Errorf("round trip lost the comparison")
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTerminal(t *testing.T) {
	var plainOut, colored bytes.Buffer
	if err := Terminal(&plainOut, judged(), false); err != nil {
		t.Fatal(err)
	}
	if err := Terminal(&colored, judged(), true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plainOut.String(), "\x1b[") {
		t.Error("color=false wrote ANSI codes")
	}
	stripped := ansi.ReplaceAllString(colored.String(), "")
	for _, want := range []string{"perfgate: FAIL — 6 regressions in 2 scenarios, 1 baseline scenario not measured", "-24.8% [", "INSUFFICIENT", "MISSING", "WARNING", `"EPYC"`} {
		if !strings.Contains(stripped, want) || !strings.Contains(plainOut.String(), want) {
			t.Errorf("terminal output lacks %q", want)
		}
	}
	// A name with a newline stays on one line.
	var ev bytes.Buffer
	if err := Checks(&ev, evil(), false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ev.String(), "\nsecond line") {
		t.Errorf("newline in a name broke the table:\n%s", ev.String())
	}
	var nb bytes.Buffer
	if err := Checks(&nb, plain(), false); err != nil || nb.String() != "perfgate: NO BASELINE — nothing judged\n" {
		t.Errorf("no comparison: %v %q", err, nb.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsPropagate(t *testing.T) {
	for _, f := range []string{"markdown", "json", "junit"} {
		if err := Write(failWriter{}, judged(), f); err == nil {
			t.Errorf("%s: write error lost", f)
		}
	}
	if err := Checks(failWriter{}, judged(), false); err == nil {
		t.Error("Checks: write error lost")
	}
}
