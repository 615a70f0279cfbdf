package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/results"
)

func TestOverviewOrderAndMarks(t *testing.T) {
	rows := Overview(judged())
	var order []string
	for _, r := range rows {
		order = append(order, r.Mark()+" "+r.Scenario)
	}
	// Failed rows first (in the results' order, the unmeasured one after
	// the measured), then the rest in order.
	if got, want := strings.Join(order, ", "), "❌ login, ❌ errors, ❌ gone, ✅ health, ⚪ search, ❔ new"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	cell := func(scenario, metric string) Cell {
		for _, r := range rows {
			for _, c := range r.Cells {
				if r.Scenario == scenario && c.Metric == metric {
					return c
				}
			}
		}
		t.Fatalf("no cell %s/%s", scenario, metric)
		return Cell{}
	}
	for _, tt := range []struct {
		scenario, metric, text string
	}{
		{"login", "throughput_rps", "752.0 -24.8% ❌"},
		{"login", "p99", "39.9 +33.0% ❌"},
		{"login", "error_rate", "0.00% ~"},
		{"errors", "error_rate", "3.00% +2.90pp ❌"},
		{"health", "p50", "2.00 +0.0% ~"},
		{"search", "p95", "66.4 -0.3% ⚪"},
		{"new", "throughput_rps", "52.0"}, // not in the baseline: no change, no mark
		{"new", "error_rate", "0.00% ✅"},  // only the ceiling judged it
		{"gone", "p50", "—"},              // not measured
	} {
		if got := cellText(cell(tt.scenario, tt.metric)); got != tt.text {
			t.Errorf("%s %s: %q, want %q", tt.scenario, tt.metric, got, tt.text)
		}
	}

	// A significant change within its gate ranks above an unchanged row,
	// below a failure.
	old := resultsOf(scenario("steady", 0, 1000, 1001, 999, 1000, 1002), scenario("faster", 0, 1000, 1001, 999, 1000, 1002),
		scenario("slower", 0, 1000, 1001, 999, 1000, 1002))
	cur := resultsOf(scenario("steady", 0, 1000, 1001, 999, 1000, 1002), scenario("faster", 0, 1200, 1201, 1199, 1200, 1202),
		scenario("slower", 0, 700, 701, 699, 700, 702))
	compare.Apply(runToRun, baseline.FromResults(old), cur, compare.Options{BaselinePath: "b.json"})
	order = nil
	for _, r := range Overview(cur) {
		order = append(order, r.Scenario)
	}
	if got := strings.Join(order, ","); got != "slower,faster,steady" {
		t.Errorf("order %s, want slower,faster,steady", got)
	}
	if Overview(nil) != nil {
		t.Error("nil results have rows")
	}
}

// TestEachFailureSaidOnce: a failed check is described once (its line in
// the overview) and listed once in the folded table of checks, nowhere
// else.
func TestEachFailureSaidOnce(t *testing.T) {
	res := judged()
	md := Markdown(res)
	fails := compare.Failures(res.Comparison)
	if n := strings.Count(md, "❌ FAIL"); n != len(fails) {
		t.Errorf("%d FAIL rows, want %d (one per failed check, in the table only)", n, len(fails))
	}
	for _, want := range []string{
		"**goodput**: 1000.0 req/s → 752.0 req/s (-24.8%, gate drop ≤ 5%)",
		"**p50**: 10.0 ms → 13.3 ms (+33.0%, gate rise ≤ 10% or ≤ 1 ms)",
		"**error rate**: 0.10% → 3.00% (+2.90pp, gate rise ≤ 0.5pp, ceiling ≤ 1%)", // two gates, one metric: one part
		"gone: in the baseline but not measured",
	} {
		if n := strings.Count(md, want); n != 1 {
			t.Errorf("%q said %d times:\n%s", want, n, md)
		}
	}
	for _, ch := range fails {
		if ch.Note != "" && strings.Contains(md, mdText(ch.Note)) && !scenarioLevel(ch) {
			t.Errorf("the note of a failure is repeated: %q", ch.Note)
		}
	}
	// The overview comes first, before anything folded.
	if i, j := strings.Index(md, "❌ login **goodput**"), strings.Index(md, "<details"); i < 0 || j < i {
		t.Errorf("the failures are not before the first <details>")
	}
}

// many builds results with n scenarios, 5 runs each, judged against a
// baseline; the first one regressed.
func many(n int) *results.Results {
	var olds, curs []results.Scenario
	for i := range n {
		name := fmt.Sprintf("scenario-%02d-GET-/api/v1/resource", i)
		olds = append(olds, scenario(name, 0, 1000, 1010, 990, 1005, 995))
		rps := []float64{1000, 1010, 990, 1005, 995}
		if i == 0 {
			rps = []float64{700, 710, 690, 705, 695}
		}
		curs = append(curs, scenario(name, 0, rps...))
	}
	cur := resultsOf(curs...)
	compare.Apply(runToRun, baseline.FromResults(resultsOf(olds...)), cur, compare.Options{BaselinePath: "baselines/auth.json"})
	return cur
}

func TestMarkdownSize50Scenarios(t *testing.T) {
	res := many(50)
	md := Markdown(res)
	// GitHub takes 65,536 characters; the comment adds its host block,
	// next steps and marker to this.
	if len(md) > 50000 {
		t.Errorf("50 scenarios: %d bytes of Markdown", len(md))
	}
	before := md[:strings.Index(md, "<details")]
	if n := strings.Count(before, "\n| "); n != overviewRows+2 { // the header, its separator and the rows shown
		t.Errorf("%d table lines before the first <details>, want %d:\n%s", n, overviewRows+2, before)
	}
	if !strings.Contains(md, "<details><summary>30 more scenarios without a failure</summary>") {
		t.Errorf("the rows past %d are not folded", overviewRows)
	}
	if strings.Count(md, "| ❌ scenario-00") != 1 {
		t.Errorf("the failed scenario's row is not shown once")
	}
	t.Logf("50 scenarios: %d bytes", len(md))
}

var (
	mmNum    = `[+-]?(?:\d+(?:\.\d+)?|\.\d+)`
	mmStr    = `"[^"\n]*"`
	mmTitle  = regexp.MustCompile(`^    title (` + mmStr + `)$`)
	mmXAxis  = regexp.MustCompile(`^    x-axis (` + mmStr + `) \[((?:` + mmStr + `)(?:, ` + mmStr + `)*)\]$`)
	mmYAxis  = regexp.MustCompile(`^    y-axis (` + mmStr + `) (` + mmNum + `) --> (` + mmNum + `)$`)
	mmSeries = regexp.MustCompile(`^    (bar|line) (` + mmStr + `) \[((?:` + mmNum + `)(?:, ` + mmNum + `)*)\]$`)
	mmLabel  = regexp.MustCompile(mmStr)
	mmNumRE  = regexp.MustCompile(`^` + mmNum + `$`)
)

// checkXYChart checks that src is what Mermaid's xychart-beta grammar
// accepts, in the subset perfgate writes: the header, one quoted title, an
// x-axis with quoted band labels, a y-axis with a range holding every
// value, one or more bar/line series with as many plain decimal numbers
// (no exponent, NaN or Inf) as there are labels, and no character the
// grammar reads as a comment, separator or entity.
func checkXYChart(t *testing.T, src string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	if len(lines) < 5 || lines[0] != "xychart-beta" {
		t.Fatalf("no xychart-beta header or too short:\n%s", src)
	}
	if !mmTitle.MatchString(lines[1]) {
		t.Errorf("title line %q", lines[1])
	}
	m := mmXAxis.FindStringSubmatch(lines[2])
	if m == nil {
		t.Fatalf("x-axis line %q", lines[2])
	}
	labels := mmLabel.FindAllString(m[2], -1)
	y := mmYAxis.FindStringSubmatch(lines[3])
	if y == nil {
		t.Fatalf("y-axis line %q", lines[3])
	}
	lo, _ := strconv.ParseFloat(y[2], 64)
	hi, _ := strconv.ParseFloat(y[3], 64)
	if !(lo < hi) {
		t.Errorf("y range %v --> %v", lo, hi)
	}
	for _, l := range lines[4:] {
		s := mmSeries.FindStringSubmatch(l)
		if s == nil {
			t.Errorf("series line %q", l)
			continue
		}
		vals := strings.Split(s[3], ", ")
		if len(vals) != len(labels) {
			t.Errorf("%s has %d values for %d labels", s[1], len(vals), len(labels))
		}
		for _, v := range vals {
			f, err := strconv.ParseFloat(v, 64)
			if !mmNumRE.MatchString(v) || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				t.Errorf("value %q", v)
			}
			if f < lo || f > hi {
				t.Errorf("value %v outside the y range %v..%v", f, lo, hi)
			}
		}
	}
	for _, bad := range []string{"%%", ";", "#", "`", "<", ">", "&", "\r", "\t"} {
		if strings.Contains(strings.ReplaceAll(src, " --> ", " "), bad) {
			t.Errorf("chart holds %q:\n%s", bad, src)
		}
	}
}

func pairedRes(name string, rounds int, base, head func(r int) float64) *results.Results {
	res := resultsOf(scenario(name, 0, 1000, 1000))
	res.Mode = results.ModePaired
	res.Paired = &results.Paired{BaseRef: "main", BaseCommit: "4f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a098", HeadCommit: "9a8b7c6d5e4f3a2b", Rounds: rounds}
	for r := 1; r <= rounds; r++ {
		res.Paired.RoundLog = append(res.Paired.RoundLog, results.PairedRound{Round: r, First: "base",
			Base: map[string]float64{name: base(r)}, Head: map[string]float64{name: head(r)}})
	}
	return res
}

func TestGoodputChart(t *testing.T) {
	withRuns := func(rps ...float64) *results.Results { return resultsOf(scenario("s", 0, rps...)) }
	cut := withRuns(100, 200, 300)
	cut.Scenarios[0].Runs[2].Incomplete = true
	inf := withRuns(100, math.Inf(1), math.NaN(), 120)
	var long []float64
	for i := range 150 {
		long = append(long, 1000+float64(i))
	}
	gap := pairedRes("api", 4, func(r int) float64 { return 1000 }, func(r int) float64 { return 950 })
	delete(gap.Paired.RoundLog[1].Head, "api") // a round cut short: no head figure
	for _, tt := range []struct {
		name   string
		res    *results.Results
		ok     bool
		points int
		series []string // kind and name
		want   []string // substrings of the Mermaid
	}{
		{"stored, with the baseline's median", judged(), true, 5, []string{"bar this run", "line baseline median"},
			[]string{`title "login: goodput per measured run, req/s (bars: this run, line: baseline median)"`, `x-axis "measured run" ["1", "2", "3", "4", "5"]`, `[752, 748, 760, 745, 755]`}},
		{"no baseline", plain(), true, 5, []string{"bar this run"}, []string{`"login: goodput per measured run, req/s (bars)"`}},
		{"evil name", evil(), true, 5, []string{"bar this run", "line baseline median"}, nil},
		{"paired", pairedRes("api", 12, func(r int) float64 { return 1000 + float64(r) }, func(r int) float64 { return 900.25 + float64(r%3) }), true, 12,
			[]string{"bar base", "line head"}, []string{"bars: base 4f1c2a9, line: head 9a8b7c6", `x-axis "round"`, "900.3"}},
		{"paired round without both sides", gap, true, 3, []string{"bar base", "line head"}, []string{`["1", "3", "4"]`}},
		{"paired name with quotes", pairedRes(`a "b" ; %%c #d`, 3, func(int) float64 { return 1 }, func(int) float64 { return 1 }), true, 3, nil, nil},
		{"incomplete run left out", cut, true, 2, nil, []string{`["1", "2"]`}},
		{"non-finite runs left out", inf, true, 2, nil, []string{`["1", "4"]`, "[100, 120]"}},
		{"long: last 100 runs", withRuns(long...), true, 100, nil, []string{`"51", `, "1149]"}},
		{"all equal", withRuns(500, 500, 500), true, 3, nil, nil},
		{"all zero", withRuns(0, 0, 0), true, 3, nil, []string{"y-axis \"req/s\" 0 --> "}},
		{"tiny", withRuns(0.001, 0.002), true, 2, nil, nil},
		{"huge", withRuns(1e9, 1.1e9), true, 2, nil, nil},
		{"one run: nothing to chart", withRuns(100), false, 0, nil, nil},
		{"no runs", resultsOf(results.Scenario{Name: "x"}), false, 0, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := GoodputChart(tt.res)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				if s := MarkdownSections(tt.res).Chart; s != "" {
					t.Errorf("a chart without data: %q", s)
				}
				return
			}
			src := c.Mermaid()
			checkXYChart(t, src)
			if len(c.Labels) != tt.points {
				t.Errorf("%d points, want %d", len(c.Labels), tt.points)
			}
			if tt.series != nil {
				var got []string
				for _, s := range c.Series {
					got = append(got, s.Kind+" "+s.Name)
				}
				if strings.Join(got, ",") != strings.Join(tt.series, ",") {
					t.Errorf("series %v, want %v", got, tt.series)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(src, w) {
					t.Errorf("chart lacks %q:\n%s", w, src)
				}
			}
			md := MarkdownSections(tt.res).Chart
			if !strings.Contains(md, "```mermaid\n"+src+"```\n") || !strings.HasPrefix(md, "<details open>") {
				t.Errorf("chart block:\n%s", md)
			}
		})
	}
	// The chart shows the worst scenario: the first failed one.
	if c, _ := GoodputChart(judged()); c.Scenario != "login" {
		t.Errorf("charted %q, want the failed login", c.Scenario)
	}
}

func FuzzMermaid(f *testing.F) {
	f.Add("login", 1000.0, 990.5, 0.0)
	f.Add(`"]; %%{init}%% #x <b>`, -1.0, 1e300, 5e-324)
	f.Add("\n\r\t`", math.MaxFloat64, 1.0, 2.0)
	f.Fuzz(func(t *testing.T, name string, a, b, c float64) {
		res := resultsOf(scenario(name, 0, 1, 2, 3))
		for i, v := range []float64{a, b, c} {
			res.Scenarios[0].Runs[i].ThroughputRPS = v
		}
		if ch, ok := GoodputChart(res); ok {
			if math.Abs(a) > 1e15 || math.Abs(b) > 1e15 || math.Abs(c) > 1e15 {
				return // far beyond any goodput; rounding makes the range check meaningless
			}
			checkXYChart(t, ch.Mermaid())
		}
	})
}

func TestRepoPath(t *testing.T) {
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(repo, "examples", "quickstart", "perfgate.yaml")
	wt := t.TempDir() // a worktree or submodule: .git is a file
	if err := os.WriteFile(filepath.Join(wt, ".git"), []byte("gitdir: /elsewhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plainDir := t.TempDir() // no git anywhere above
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(plainDir, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, p string
		roots   []string
		wd      string
		want    string
	}{
		{"relative kept", "examples/quickstart/perfgate.yaml", nil, "", "examples/quickstart/perfgate.yaml"},
		{"in a git work tree", cfg, nil, "", "examples/quickstart/perfgate.yaml"},
		{"git root wins over the workspace", cfg, []string{filepath.Dir(repo)}, "", "examples/quickstart/perfgate.yaml"},
		{"worktree (.git file)", filepath.Join(wt, "perfgate.yaml"), nil, "", "perfgate.yaml"},
		{"workspace, no git", filepath.Join(plainDir, "bench", "perfgate.yaml"), []string{plainDir}, "", "bench/perfgate.yaml"},
		{"working dir, no git", filepath.Join(plainDir, "bench", "perfgate.yaml"), nil, plainDir, "bench/perfgate.yaml"},
		{"working dir through a symlink", filepath.Join(link, "bench", "p.yaml"), nil, plainDir, "bench/p.yaml"},
		{"outside everything: the base name", "/nonexistent/machine/path/perfgate.yaml", []string{plainDir}, plainDir, "perfgate.yaml"},
		{"empty", "", nil, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wd != "" {
				t.Chdir(tt.wd)
			}
			if got := RepoPath(tt.p, tt.roots...); got != tt.want {
				t.Errorf("RepoPath(%q, %q) = %q, want %q", tt.p, tt.roots, got, tt.want)
			}
		})
	}
}
