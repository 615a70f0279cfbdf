// Package report renders results: terminal and Markdown tables (go-pretty),
// JSON and JUnit XML.
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

// Markdown renders res as GitHub-flavoured Markdown: the verdict line first
// (VerdictHeadline: "**perfgate: ✅ PASS — 14 checks passed**",
// "**perfgate: ❌ FAIL — 2 regressions in 1 scenario**"), then
// the table of checks when res.Comparison is set, notes and warnings, and
// the measured figures per scenario (folded away under a verdict, shown
// plainly without one). Every text from a config or a host (scenario names,
// CPU models, notes) is escaped so it cannot break the table or inject
// Markdown or HTML.
func Markdown(res *results.Results) string {
	if res == nil {
		return "**perfgate: no results**\n"
	}
	var b strings.Builder
	b.WriteString(markdownVerdict(res))
	b.WriteString("\n\n")
	if line := markdownContext(res); line != "" {
		b.WriteString(line)
		b.WriteString("\n\n")
	}
	b.WriteString(markdownTables(res, true))
	return b.String()
}

// MarkdownTables is Markdown without the verdict line, the context line and
// the warnings, for callers that write those themselves (the PR comment):
// the table of checks and the notes of checks that did not pass, then the
// measured figures (folded under <details> when there are checks).
func MarkdownTables(res *results.Results) string {
	if res == nil {
		return ""
	}
	return markdownTables(res, false)
}

func markdownTables(res *results.Results, warnings bool) string {
	var b strings.Builder
	c := res.Comparison
	if c == nil {
		b.WriteString(markdownScenarios(res))
		b.WriteString("\n")
		return b.String()
	}

	t := table.NewWriter()
	t.AppendHeader(table.Row{"Scenario", "Metric", "Baseline", "Current", "Change [" + intervalLabel(c) + "]", "p", "Rule", "Result"})
	for _, ch := range c.Checks {
		t.AppendRow(table.Row{
			// Only the scenario name comes from outside; the other cells
			// are numbers and fixed words, safe as they are.
			mdCell(ch.Scenario), fMetric(ch), fBase(ch), FormatValue(ch.Metric, ch.Current),
			FormatChange(ch), fPValue(ch), fRule(ch), markdownStatus(ch.Status),
		})
	}
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 3, Align: text.AlignRight}, {Number: 4, Align: text.AlignRight},
		{Number: 5, Align: text.AlignRight}, {Number: 6, Align: text.AlignRight},
	})
	b.WriteString(t.RenderMarkdown())
	b.WriteString("\n")

	if ns := notes(c); len(ns) > 0 {
		b.WriteString("\n")
		for _, n := range ns {
			fmt.Fprintf(&b, "- %s **%s**: %s\n", markdownStatus(n.status), mdText(n.what), mdText(n.note))
		}
	}
	if warnings && len(c.Warnings) > 0 {
		lines := make([]string, len(c.Warnings))
		for i, w := range c.Warnings {
			lines[i] = "> ⚠️ " + mdText(w)
		}
		b.WriteString("\n" + strings.Join(lines, "\n>\n") + "\n")
	}
	b.WriteString("\n<details><summary>Measured figures</summary>\n\n")
	b.WriteString(markdownScenarios(res))
	b.WriteString("\n\n</details>\n")
	return b.String()
}

// markdownVerdict is the first line.
func markdownVerdict(res *results.Results) string { return VerdictHeadline(res).Markdown() }

// markdownContext says what was compared: config name, baseline, runs.
func markdownContext(res *results.Results) string {
	var parts []string
	if res.Name != "" {
		parts = append(parts, "config **"+mdText(res.Name)+"**")
	}
	if c := res.Comparison; c != nil && (c.Baseline != "" || !c.BaselineDate.IsZero()) {
		s := "baseline"
		if c.Baseline != "" {
			s += " " + mdText(c.Baseline)
		}
		s += dateSuffix(c)
		parts = append(parts, s)
		parts = append(parts, "alpha "+strconv.FormatFloat(c.Alpha, 'g', -1, 64))
	}
	if res.Load.Repeat > 0 {
		parts = append(parts, plural(res.Load.Repeat, "measured run", "measured runs"))
	}
	return strings.Join(parts, " · ")
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
	}
	return mdCell(strings.ToUpper(s))
}

// markdownScenarios is the per-scenario table of measured figures.
func markdownScenarios(res *results.Results) string {
	t := table.NewWriter()
	t.AppendHeader(table.Row{"Scenario", "Requests", "Req/s", "Error rate", "p50 ms", "p95 ms", "p99 ms"})
	for _, s := range res.Scenarios {
		t.AppendRow(table.Row{
			mdCell(s.Name), s.Requests, strconv.FormatFloat(s.ThroughputRPS, 'f', 1, 64), num.Percent(s.ErrorRate, 2),
			fMS(s.LatencyMS.P50), fMS(s.LatencyMS.P95), fMS(s.LatencyMS.P99),
		})
	}
	if len(res.Scenarios) == 0 {
		return "_No scenario was measured._"
	}
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 2, Align: text.AlignRight}, {Number: 3, Align: text.AlignRight}, {Number: 4, Align: text.AlignRight},
		{Number: 5, Align: text.AlignRight}, {Number: 6, Align: text.AlignRight}, {Number: 7, Align: text.AlignRight},
	})
	return t.RenderMarkdown() + markdownShards(res)
}
