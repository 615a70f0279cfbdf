// Package report renders results: terminal and Markdown tables (go-pretty),
// JSON and JUnit XML. What a person reads is worked out once, as a View
// (NewView); every format but JSON renders the View.
package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

// MarkdownParts are the pieces of Markdown the report, the PR comment and
// the job summary share. Each is "" or a block ending in a newline.
type MarkdownParts struct {
	// Overview is a table with a row per scenario (Overview): goodput, p50,
	// p95, p99 and error rate, each as value, change and mark; failed and
	// significantly changed rows first (rows past the first 20 that did
	// not fail folded). Then one line per failed scenario naming each
	// failed check once with its gate, and a legend of the marks used.
	Overview string
	// Chart is GoodputChart as a Mermaid xychart in an open <details>.
	Chart string
	// Warnings is the run's and the comparison's warnings, folded.
	Warnings string
	// Checks is every check in a folded table, with the notes of the checks
	// that neither passed nor failed (the failures are in Overview).
	Checks string
	// UnpassedChecks is Checks without the rows of passed checks, saying
	// how many were left out: for a comment that must stay short.
	UnpassedChecks string
	// Figures is the measured figures per scenario, folded.
	Figures string
}

// String joins the parts, a blank line between them.
func (p MarkdownParts) String() string {
	var parts []string
	for _, s := range []string{p.Overview, p.Chart, p.Warnings, p.Checks, p.Figures} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n")
}

// MarkdownSections renders the shared parts of res (all "" for nil).
func MarkdownSections(res *results.Results) MarkdownParts {
	return markdownSections(NewView(res, ViewOptions{}))
}

// markdownSections renders the shared parts of v (all "" for nil).
func markdownSections(v *View) MarkdownParts {
	if v == nil {
		return MarkdownParts{}
	}
	p := MarkdownParts{
		Overview: markdownOverview(v),
		Warnings: markdownWarnings(v.Warnings),
		Figures:  "<details><summary>Measured figures</summary>\n\n" + markdownScenarios(v.Results) + "\n\n</details>\n",
	}
	if c := v.Chart; c != nil {
		per := "measured run"
		if v.Paired {
			per = "round"
		}
		p.Chart = "<details open><summary>Goodput per " + per + ": " + htmlText(cut(c.Scenario, 60)) + "</summary>\n\n```mermaid\n" +
			c.Mermaid() + "```\n\n</details>\n"
	}
	p.Chart += profileMarkdown(v.Profile) // where the time went, after the chart
	if len(v.Checks) > 0 {
		p.Checks = markdownChecks(v, false)
		p.UnpassedChecks = markdownChecks(v, true)
	}
	return p
}

func markdownWarnings(ws []string) string {
	if len(ws) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>⚠️ %s</summary>\n\n", plural(len(ws), "warning", "warnings"))
	for _, w := range ws {
		b.WriteString("- " + mdWithCode(w) + "\n")
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

// Overview layout.
const (
	overviewRows     = 20 // rows shown before the rest is folded (failed rows always shown)
	overviewFailures = 10 // failed scenarios spelled out
)

func markdownOverview(v *View) string {
	rows := v.Rows
	if len(rows) == 0 {
		return "_No scenario was measured._\n"
	}
	header := "| Scenario | Goodput req/s | p50 ms | p95 ms | p99 ms | Error rate |\n| --- | ---:| ---:| ---:| ---:| ---:|\n"
	shown := overviewRows
	for i, r := range rows {
		if r.Status == results.CheckFail || r.Status == results.CheckInconclusive {
			shown = max(shown, i+1)
		}
	}
	shown = min(shown, len(rows))
	var b strings.Builder
	b.WriteString(header)
	for _, r := range rows[:shown] {
		b.WriteString(overviewLine(r))
	}

	var failed []Row
	for _, r := range rows {
		if len(r.Failed) > 0 {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		b.WriteString("\n")
		for i, r := range failed {
			if i == overviewFailures {
				fmt.Fprintf(&b, "- … and %s with failures (all checks are below)\n", plural(len(failed)-i, "more scenario", "more scenarios"))
				break
			}
			b.WriteString("- " + failureLine(r) + "\n")
		}
	}
	if v.Legend != "" {
		b.WriteString("\n<sub>" + v.Legend + "</sub>\n")
	}
	if rest := rows[shown:]; len(rest) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%s without a failure</summary>\n\n", plural(len(rest), "more scenario", "more scenarios"))
		b.WriteString(header)
		for _, r := range rest {
			b.WriteString(overviewLine(r))
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

func overviewLine(r Row) string {
	name := mdText(cut(r.Scenario, 80))
	if m := r.Mark(); m != "" {
		name = m + " " + name
	}
	cells := []string{name}
	for _, c := range r.Cells {
		cells = append(cells, cellText(c))
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// cellText is "752.0 -24.8% ❌": value (its unit is in the header),
// change, mark; short, so the table fits 800 px.
func cellText(c Cell) string {
	if !c.HasValue {
		return "—"
	}
	v := fMS(c.Value)
	switch c.Metric {
	case "throughput_rps":
		v = strconv.FormatFloat(c.Value, 'f', 1, 64)
	case "error_rate":
		v = FormatValue(c.Metric, c.Value)
	}
	parts := []string{v}
	if c.HasChange && (c.Significant || c.Metric != "error_rate" || c.Change != 0) {
		parts = append(parts, num.Signed(c.Change, c.Metric == "error_rate"))
	}
	if m := c.Mark(); m != "" {
		parts = append(parts, m)
	}
	return strings.Join(parts, " ")
}

// failureLine says once what failed in a row: "❌ login **goodput**:
// 1000.0 req/s → 752.0 req/s (-24.8%, gate drop ≤ 5%); **p99**: …".
func failureLine(r Row) string {
	parts := make([]string, 0, len(r.Failures))
	for _, p := range r.Failures {
		if p.Label == "" {
			parts = append(parts, mdWithCode(p.Text))
			continue
		}
		parts = append(parts, "**"+mdText(p.Label)+"**: "+mdText(p.Text))
	}
	name := mdText(cut(r.Scenario, 80))
	if len(r.Failures) > 0 && r.Failures[0].Label != "" {
		return "❌ " + name + " " + strings.Join(parts, "; ")
	}
	return "❌ " + name + ": " + strings.Join(parts, "; ")
}

// htmlText escapes s for HTML (a <summary>, where Markdown is not read);
// what Markdown would read becomes a character reference too, so the text
// stays inert wherever it is rendered.
func htmlText(s string) string { return htmlReplacer.Replace(singleLine(s)) }

var htmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "@", "&#64;", "`", "&#96;", "*", "&#42;", "_", "&#95;",
	"[", "&#91;", "]", "&#93;", "~", "&#126;", `\`, "&#92;", "|", "&#124;", "#", "&#35;", "!", "&#33;")

// cut shortens s to at most n runes, with "…".
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// markdownChecks is the folded table of every check of v, or of those
// that did not pass.
func markdownChecks(v *View, unpassed bool) string {
	n := v.Counts
	var counts []string
	for _, k := range []struct {
		n    int
		text string
	}{{n.Fail, "failed"}, {n.Pass, "passed"}, {n.Inconclusive, "undecided"}, {n.Insufficient, "with too few runs"}, {n.Missing, "not in the baseline"}} {
		if k.n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", k.n, k.text))
		}
	}
	var b strings.Builder
	switch {
	case !unpassed:
		fmt.Fprintf(&b, "<details><summary>All %s: %s</summary>\n\n", plural(n.Total, "check", "checks"), strings.Join(counts, ", "))
	case n.Pass == n.Total:
		fmt.Fprintf(&b, "<details><summary>%s passed</summary>\n\n", plural(n.Total, "check", "checks"))
		fmt.Fprintf(&b, "The table of checks is in the job summary and the results file.\n\n</details>\n")
		return b.String()
	default:
		fmt.Fprintf(&b, "<details><summary>The %s that did not pass (of %d: %s)</summary>\n\n",
			plural(n.Total-n.Pass, "check", "checks"), n.Total, strings.Join(counts, ", "))
	}
	t := table.NewWriter()
	t.AppendHeader(table.Row{"Scenario", "Metric", v.BaseColumn, v.CurrentColumn, "Change [" + v.Interval + "]", "p", "Rule", "Result"})
	prev := "\x00"
	for _, ch := range v.Checks {
		if unpassed && ch.Status == results.CheckPass {
			continue
		}
		// Only the scenario name comes from outside; the other cells are
		// numbers and fixed words, safe as they are. A scenario's name is
		// written on its first row only.
		name := mdCell(ch.Scenario)
		if ch.Scenario == prev {
			name = ""
		}
		prev = ch.Scenario
		t.AppendRow(table.Row{name, ch.Metric, ch.Baseline, ch.Current, ch.Change, ch.P, ch.Rule, markdownStatus(ch.Status)})
	}
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 3, Align: text.AlignRight}, {Number: 4, Align: text.AlignRight},
		{Number: 5, Align: text.AlignRight}, {Number: 6, Align: text.AlignRight},
	})
	b.WriteString(t.RenderMarkdown())
	b.WriteString("\n")
	if unpassed && n.Pass > 0 {
		fmt.Fprintf(&b, "\n%s left out here: the job summary and the results file have every check.\n", plural(n.Pass, "passed check", "passed checks"))
	}
	var ns []CheckNote
	for _, x := range v.Notes {
		if x.Status != results.CheckFail { // said once, in the overview
			ns = append(ns, x)
		}
	}
	if len(ns) > 0 {
		b.WriteString("\n")
		for _, n := range ns {
			fmt.Fprintf(&b, "- %s **%s**: %s\n", markdownStatus(n.Status), mdText(n.What), mdWithCode(n.Note))
		}
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

func markdownStatus(s string) string {
	switch s {
	case results.CheckPass:
		return "✅ PASS"
	case results.CheckFail:
		return "❌ FAIL"
	case results.CheckInsufficient:
		return "⚪ INSUFFICIENT"
	case results.CheckMissing:
		return "❔ MISSING"
	case results.CheckInconclusive:
		return "〰️ INCONCLUSIVE"
	}
	return mdCell(strings.ToUpper(s))
}

// markdownScenarios is the per-scenario table of measured figures: merged
// over the measured runs, the spread of goodput across runs, errors by
// class; latency percentiles are those of successful responses.
func markdownScenarios(res *results.Results) string {
	if len(res.Scenarios) == 0 {
		return "_No scenario was measured._"
	}
	t := table.NewWriter()
	t.AppendHeader(table.Row{"Scenario", "Requests", "Goodput/s", "Runs min..max", "Errors", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms"})
	for _, s := range displayRows(res.Scenarios, "└ ") {
		t.AppendRow(table.Row{
			mdCell(s.Name), s.Requests, strconv.FormatFloat(s.ThroughputRPS, 'f', 1, 64), runSpread(s.Runs), errorCell(s.Figures),
			fMS(s.LatencyMS.P50), fMS(s.LatencyMS.P90), fMS(s.LatencyMS.P95), fMS(s.LatencyMS.P99), fMS(s.LatencyMS.Max),
		})
	}
	cfg := []table.ColumnConfig{}
	for _, n := range []int{2, 3, 4, 5, 6, 7, 8, 9, 10} {
		cfg = append(cfg, table.ColumnConfig{Number: n, Align: text.AlignRight})
	}
	t.SetColumnConfigs(cfg)
	return t.RenderMarkdown() + markdownShards(res)
}
