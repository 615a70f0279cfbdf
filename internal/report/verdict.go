package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/termtext"
)

// Terminal renders res for a terminal or a CI log (RenderTerminal of its
// View).
func Terminal(w io.Writer, res *results.Results, color bool) error {
	if res == nil {
		return fmt.Errorf("report: no results to render")
	}
	return RenderTerminal(w, NewView(res, ViewOptions{}), color)
}

// RenderTerminal renders v for a terminal or a CI log: the measured
// figures (SummaryTable) and, when the results were judged, the verdict and
// the table of checks (RenderChecks). color adds ANSI colors.
func RenderTerminal(w io.Writer, v *View, color bool) error {
	if v == nil {
		return fmt.Errorf("report: no results to render")
	}
	// Names, notes and sample errors may hold escape sequences: only the
	// report's own colours reach the terminal.
	w = termtext.Writer{W: w, Style: color}
	if err := SummaryTable(w, v.Results, color); err != nil {
		return err
	}
	if err := ShardsTable(w, v.Results, color); err != nil {
		return err
	}
	if !v.Judged {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return RenderChecks(w, v, color)
}

// Checks renders the judgement of res for a terminal (RenderChecks of its
// View).
func Checks(w io.Writer, res *results.Results, color bool) error {
	if res == nil {
		return fmt.Errorf("report: no results to render")
	}
	return RenderChecks(w, NewView(res, ViewOptions{}), color)
}

// RenderChecks renders the judgement of v for a terminal: a verdict line,
// the mode line, the table of checks (scenario, metric, baseline, current,
// change with its confidence interval, p-value or "~", rule, result), the
// notes of checks that did not pass, and the comparison's warnings (the
// run's own are logged as they happen). It renders a one-line notice when
// nothing was judged.
func RenderChecks(w io.Writer, v *View, color bool) error {
	if v == nil {
		return fmt.Errorf("report: no results to render")
	}
	ew := &errWriter{w: w}
	h := v.Headline
	if !v.Judged {
		ew.printf("%s\n", paint(color, h.Text(), text.FgYellow))
		return ew.err
	}
	vc := verdictColor(h.Verdict)
	if h.Interrupted() {
		vc = text.Colors{text.FgYellow, text.Bold}
	}
	ew.printf("%s\n", paint(color, h.Text(), vc...))
	if len(v.Mode) > 0 {
		ew.printf("judged by %s\n", v.Mode.Plain())
	}

	t := table.NewWriter()
	if color {
		t.SetStyle(table.StyleRounded)
	} else {
		t.SetStyle(table.StyleLight)
	}
	t.AppendHeader(table.Row{"Scenario", "Metric", v.BaseColumn, v.CurrentColumn, "Change [" + v.Interval + "]", "p", "Rule", "Result"})
	for _, ch := range v.Checks {
		t.AppendRow(table.Row{
			singleLine(ch.Scenario), ch.Metric, ch.Baseline, ch.Current,
			ch.Change, ch.P, ch.Rule, paint(color, ch.Word, statusColor(ch.Status)...),
		})
	}
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 3, Align: text.AlignRight}, {Number: 4, Align: text.AlignRight},
		{Number: 5, Align: text.AlignRight}, {Number: 6, Align: text.AlignRight},
	})
	ew.printf("%s\n", t.Render())

	for _, n := range v.Notes {
		ew.printf("  %s %s: %s\n", paint(color, statusWord(n.Status), statusColor(n.Status)...), singleLine(n.What), singleLine(n.Note))
	}
	for _, wn := range v.JudgeWarnings {
		ew.printf("  %s %s\n", paint(color, "WARNING", text.FgYellow), singleLine(wn))
	}
	return ew.err
}

// failCount is e.g. "6 regressions in 2 scenarios", with ", 1 baseline
// scenario not measured" when baselined scenarios were absent from the run.
func failCount(c *results.Comparison) string {
	regressions, unmeasured, limits := 0, 0, 0
	scen := map[string]bool{}
	for _, ch := range c.Checks {
		if ch.Status != results.CheckFail {
			continue
		}
		if scenarioLevel(ch) {
			unmeasured++
			continue
		}
		if ch.Gate == gateLimit {
			limits++
			continue
		}
		regressions++
		scen[ch.Scenario] = true
	}
	var parts []string
	if regressions > 0 {
		parts = append(parts, plural(regressions, "regression", "regressions")+" in "+plural(len(scen), "scenario", "scenarios"))
	}
	if limits > 0 {
		parts = append(parts, plural(limits, "limit", "limits")+" not met")
	}
	if unmeasured > 0 {
		parts = append(parts, plural(unmeasured, "baseline scenario", "baseline scenarios")+" not measured")
	}
	return strings.Join(parts, ", ")
}

func dateSuffix(c *results.Comparison) string {
	if c.BaselineDate.IsZero() {
		return ""
	}
	return " (" + c.BaselineDate.UTC().Format("2006-01-02 15:04 UTC") + ")"
}

// fBase is the baseline value, or "—" when there is none.
func fBase(ch results.Check) string {
	if ch.SamplesBase == 0 && ch.Baseline == 0 {
		return "—"
	}
	return FormatValue(ch.Metric, ch.Baseline)
}

func statusColor(s string) text.Colors {
	switch s {
	case results.CheckPass:
		return text.Colors{text.FgGreen}
	case results.CheckFail:
		return text.Colors{text.FgRed, text.Bold}
	case results.CheckInsufficient:
		return text.Colors{text.FgYellow}
	case results.CheckMissing:
		return text.Colors{text.FgMagenta}
	}
	return nil
}

func verdictColor(v string) text.Colors {
	switch v {
	case results.VerdictPass:
		return text.Colors{text.FgGreen, text.Bold}
	case results.VerdictFail:
		return text.Colors{text.FgRed, text.Bold}
	}
	return text.Colors{text.FgYellow}
}

func paint(on bool, s string, c ...text.Color) string {
	if !on || len(c) == 0 {
		return s
	}
	return text.Colors(c).Sprint(s)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

// ruleText is a rule for display: "<=" shown as "≤", ">=" as "≥".
func ruleText(r string) string { return ruleReplacer.Replace(r) }

var ruleReplacer = strings.NewReplacer("<=", "≤", ">=", "≥")
