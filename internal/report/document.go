package report

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

// CommentLimit bounds a PR comment body in bytes. GitHub rejects bodies over
// 65536 characters; a byte is never fewer than a character, so this leaves
// room.
const CommentLimit = 65536 - 536

// budgetShare is the share of the limit (in percent) past which a document
// leaves out the rows of passed checks, so that a config with many
// scenarios still stays well under the limit.
const budgetShare = 60

// MarkdownOptions is what the Markdown document says besides the results.
// The zero value is `perfgate report -f markdown`.
type MarkdownOptions struct {
	// RunURL links to the workflow run ("" links none).
	RunURL string
	// ReportURL links to the HTML report; only an https URL is linked.
	ReportURL string
	// ConfigPath is the config file to name in the baseline hint (default:
	// the results' config_path, else perfgate.yaml), relative to Workspace
	// when it lies inside it.
	ConfigPath string
	Workspace  string
	// Exit is perfgate run's exit code as the caller saw it ("" when
	// unknown): it lets an inconclusive verdict say whether it failed the
	// job.
	Exit string
	// Limit is the size the document must fit (default CommentLimit): past
	// budgetShare percent of it, the rows of passed checks are left out.
	Limit int
}

// MarkdownDoc is the Markdown report, in the three parts a size limit
// treats differently: Head (verdict, notes, what judged the run) and Foot
// (links, version) are always kept; Body may be cut.
type MarkdownDoc struct {
	Head, Body, Foot string
}

// String is the whole document.
func (d MarkdownDoc) String() string { return d.Head + d.Body + d.Foot }

// Markdown renders res as GitHub-flavoured Markdown: `perfgate report -f
// markdown`, which is the PR comment without its marker line.
func Markdown(res *results.Results) string { return MarkdownDocument(res, MarkdownOptions{}).String() }

// MarkdownDocument renders res: the verdict heading and its notes, what
// judged the run (ModeLine), for an inconclusive verdict what would decide
// it; then the overview (a row per scenario and flow step with goodput, p50,
// p95, p99 and error rate, each failure said once), the chart, and folded
// under <details> the warnings, every check, the measured figures and the
// host; then what to do next and the links. Text that comes from configs or
// services is escaped.
func MarkdownDocument(res *results.Results, o MarkdownOptions) MarkdownDoc {
	if res == nil {
		return MarkdownDoc{Head: "**perfgate: no results**\n"}
	}
	limit := o.Limit
	if limit <= 0 {
		limit = CommentLimit
	}
	var head strings.Builder
	writeHeading(&head, res)
	if line := ModeLine(res, o.Workspace); len(line) > 0 {
		head.WriteString("\n**Judged by:** " + line.Markdown() + "\n")
	}
	if res.Verdict == results.VerdictInconclusive && !res.Interrupted && res.EnvironmentFailure == "" {
		writeInconclusive(&head, res, o)
	}

	parts := MarkdownSections(res)
	body := func(checks string) string {
		var b strings.Builder
		b.WriteString("\n" + parts.Overview)
		for _, p := range []string{parts.Chart, parts.Warnings, checks, parts.Figures} {
			if p != "" {
				b.WriteString("\n" + p)
			}
		}
		writeHost(&b, res)
		writeNext(&b, res, o)
		return b.String()
	}
	d := MarkdownDoc{Head: head.String(), Body: body(parts.Checks), Foot: foot(res, o)}
	if len(d.String()) > limit*budgetShare/100 {
		// Many scenarios: the rows of passed checks go first.
		d.Body = body(parts.UnpassedChecks)
	}
	return d
}

// writeHeading writes the heading (VerdictHeadline, with the config's name)
// and, on the line below it, its notes. The failures are said in the
// overview, once.
func writeHeading(b *strings.Builder, res *results.Results) {
	name := "perfgate"
	if n := inline(res.Name, 100); n != "" {
		name += " " + n
	}
	h := VerdictHeadline(res)
	fmt.Fprintf(b, "### %s %s: %s", h.Icon, name, h.Title)
	if h.Summary != "" {
		b.WriteString(" — " + mdWithCode(cut(h.Summary, 500)))
	}
	b.WriteString("\n")
	var notes []string
	for _, n := range h.Notes {
		notes = append(notes, mdWithCode(cut(n, 300)))
	}
	if len(notes) > 0 {
		b.WriteString(strings.Join(notes, " · ") + "\n")
	}
}

// foot is the links and the version line.
func foot(res *results.Results, o MarkdownOptions) string {
	var b strings.Builder
	b.WriteString("\n")
	if o.RunURL != "" {
		fmt.Fprintf(&b, "[View the workflow run](%s) · ", safeURL(o.RunURL))
	}
	if strings.HasPrefix(o.ReportURL, "https://") {
		fmt.Fprintf(&b, "[HTML report](%s) · ", safeURL(o.ReportURL))
	}
	b.WriteString("<sub>perfgate")
	if v := res.PerfgateVersion; v != "" {
		b.WriteString(" " + inline(v, 64))
	}
	if h := res.ConfigHash; h != "" {
		b.WriteString(" · config " + inline(h, 16))
	}
	b.WriteString("</sub>\n")
	return b.String()
}

// describeCheck says in one line of Markdown what a check saw.
func describeCheck(ch results.Check) string {
	if ch.Metric == "" {
		return inline(ch.Scenario, 80) + ": " + inline(ch.Note, 300)
	}
	s := fmt.Sprintf("%s **%s**: %s", inline(ch.Scenario, 80), inline(metricLabel(ch.Metric), 32), ChangeLine(ch, " → "))
	if ch.Rule != "" {
		s += " (gate: " + inline(ruleText(ch.Rule), 60) + ")"
	}
	return s
}

// ChangeLine is "baseline → current (change)" in FormatValue's and
// FormatChange's formats; arrow separates the two values.
func ChangeLine(ch results.Check, arrow string) string {
	s := FormatValue(ch.Metric, ch.Current)
	if ch.SamplesBase > 0 || ch.Baseline != 0 {
		s = FormatValue(ch.Metric, ch.Baseline) + arrow + s
	}
	if c := FormatChange(ch); c != "—" {
		s += " (" + c + ")"
	}
	return s
}

// writeInconclusive explains an inconclusive verdict: what the run could
// resolve, the undecided checks, whether it failed the job (as far as
// o.Exit says) and what would decide it.
func writeInconclusive(b *strings.Builder, res *results.Results, o MarkdownOptions) {
	b.WriteString("\n> [!NOTE]\n> **〰️ INCONCLUSIVE**: ")
	p := res.Paired
	switch f := neighbourTook(res); {
	case p != nil && p.Detectable > 0:
		fmt.Fprintf(b, "after %s (%.0f s of load) %s, not enough to tell every gate's change from both no change that matters and its threshold.",
			plural(p.Rounds, "paired round", "paired rounds"), p.LoadS, Detectable(p.Detectable))
	case f != nil:
		fmt.Fprintf(b, "other processes took %.2f of %d cores during this run against %.2f during the baseline's, "+
			"enough to explain every failed check by itself: a stored baseline cannot tell a busy runner from a slower service.", f.Current, f.CPUs, f.Baseline)
	default:
		b.WriteString("the time budget was spent before every gate was decided.")
	}
	b.WriteString("\n> ")
	switch o.Exit {
	case "1":
		b.WriteString("It **failed the job**, because the config sets `gates.fail_inconclusive`.")
	case "0":
		b.WriteString("This is **not a failure: it did not fail the job** (set `gates.fail_inconclusive: true` to make it one).")
	default:
		b.WriteString("It does **not fail the job** unless the config sets `gates.fail_inconclusive: true`.")
	}
	b.WriteString("\n> To decide it: " + mdWithCode(decideHint(res)) + "\n")
	var open []results.Check
	if c := res.Comparison; c != nil {
		for _, ch := range c.Checks {
			if ch.Status == results.CheckInconclusive {
				open = append(open, ch)
			}
		}
	}
	if len(open) > 0 {
		b.WriteString("\nStill undecided:\n\n")
		const maxListed = 10
		for i, ch := range open {
			if i == maxListed {
				fmt.Fprintf(b, "- … and %d more (see the table)\n", len(open)-maxListed)
				break
			}
			s := describeCheck(ch)
			if ch.ChangeLow != 0 || ch.ChangeHigh != 0 {
				s += fmt.Sprintf(", interval %+.1f%% … %+.1f%%", 100*ch.ChangeLow, 100*ch.ChangeHigh)
			}
			b.WriteString("- " + s + "\n")
		}
	}
}

// decideHint says what would decide an inconclusive verdict, with config
// keys in backticks.
func decideHint(res *results.Results) string {
	p := res.Paired
	if p == nil {
		return "re-run when the runner is quieter, or judge in paired mode (`perfgate run --base REF`), which runs base and head beside the same neighbour."
	}
	s := "give the comparison more time: raise `gates.max_time`"
	if p.MaxTimeS > 0 {
		s += fmt.Sprintf(" (now %.0f s)", p.MaxTimeS)
	}
	return s + " as the warning says; a quieter runner decides sooner, and `perfgate calibrate` tells which thresholds this runner can judge."
}
