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

// ViewOptions are the options that change what the view says (the
// others change only the document).
func (o MarkdownOptions) ViewOptions() ViewOptions {
	return ViewOptions{Workspace: o.Workspace, ConfigPath: o.ConfigPath, Exit: o.Exit}
}

// Markdown renders res as GitHub-flavoured Markdown: `perfgate report -f
// markdown`, which is the PR comment without its marker line.
func Markdown(res *results.Results) string { return MarkdownDocument(res, MarkdownOptions{}).String() }

// MarkdownDocument renders res (RenderMarkdown of its View).
func MarkdownDocument(res *results.Results, o MarkdownOptions) MarkdownDoc {
	return RenderMarkdown(NewView(res, o.ViewOptions()), o)
}

// RenderMarkdown renders v: the verdict heading and its notes, what judged
// the run (the mode line), for an inconclusive verdict what would decide
// it; then the overview (a row per scenario and flow step with goodput,
// p50, p95, p99 and error rate, each failure said once), the chart, and
// folded under <details> the warnings, every check, the measured figures
// and the host; then what to do next and the links. Text that comes from
// configs or services is escaped. Of o, only the links and the limit are
// read: the rest made the view.
func RenderMarkdown(v *View, o MarkdownOptions) MarkdownDoc {
	if v == nil {
		return MarkdownDoc{Head: "**perfgate: no results**\n"}
	}
	limit := o.Limit
	if limit <= 0 {
		limit = CommentLimit
	}
	var head strings.Builder
	writeHeading(&head, v)
	if len(v.Mode) > 0 {
		head.WriteString("\n**Judged by:** " + v.Mode.Markdown() + "\n")
	}
	if v.Undecided != nil {
		writeUndecided(&head, v)
	}

	parts := markdownSections(v)
	body := func(checks string) string {
		var b strings.Builder
		b.WriteString("\n" + parts.Overview)
		for _, p := range []string{parts.Chart, parts.Warnings, checks, parts.Figures} {
			if p != "" {
				b.WriteString("\n" + p)
			}
		}
		writeHost(&b, v.Host)
		writeNext(&b, v.Next)
		return b.String()
	}
	d := MarkdownDoc{Head: head.String(), Body: body(parts.Checks), Foot: foot(v, o)}
	if len(d.String()) > limit*budgetShare/100 {
		// Many scenarios: the rows of passed checks go first.
		d.Body = body(parts.UnpassedChecks)
	}
	return d
}

// writeHeading writes the heading (the headline, with the config's name)
// and, on the line below it, its notes. The failures are said in the
// overview, once.
func writeHeading(b *strings.Builder, v *View) {
	title := "perfgate"
	if n := inline(v.Name, 100); n != "" {
		title += " " + n
	}
	h := v.Headline
	fmt.Fprintf(b, "### %s %s: %s", h.Icon, title, h.Title)
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

// writeHost writes the folded Host table.
func writeHost(b *strings.Builder, facts []Fact) {
	b.WriteString("\n<details><summary>Host</summary>\n\n| | |\n|---|---|\n")
	for _, f := range facts {
		fmt.Fprintf(b, "| %s | %s |\n", f.Name.Markdown(), f.Value.Markdown())
	}
	b.WriteString("\n</details>\n")
}

// writeNext writes "What to do next": the steps, then the commands in a
// shell block.
func writeNext(b *strings.Builder, n NextSteps) {
	b.WriteString("\n**What to do next**\n\n")
	for _, s := range n.Steps {
		b.WriteString("- " + mdWithCode(s) + "\n")
	}
	if n.Commands != "" {
		fence := codeFence(n.Commands)
		b.WriteString("\n" + fence + "sh\n" + n.Commands + "\n" + fence + "\n")
	}
}

// foot is the links and the version line.
func foot(v *View, o MarkdownOptions) string {
	var b strings.Builder
	b.WriteString("\n")
	if o.RunURL != "" {
		fmt.Fprintf(&b, "[View the workflow run](%s) · ", safeURL(o.RunURL))
	}
	if strings.HasPrefix(o.ReportURL, "https://") {
		fmt.Fprintf(&b, "[HTML report](%s) · ", safeURL(o.ReportURL))
	}
	b.WriteString("<sub>perfgate")
	if v.Version != "" {
		b.WriteString(" " + inline(v.Version, 64))
	}
	if v.ConfigHash != "" {
		b.WriteString(" · config " + inline(v.ConfigHash, 16))
	}
	b.WriteString("</sub>\n")
	return b.String()
}

// describeCheck says in one line of Markdown what a check saw.
func describeCheck(r CheckRow) string {
	if r.Label == "" {
		return inline(r.Scenario, 80) + ": " + inline(r.Note, 300)
	}
	s := fmt.Sprintf("%s **%s**: %s", inline(r.Scenario, 80), inline(r.Label, 32), r.ChangeLine)
	if r.Rule != "—" {
		s += " (gate: " + inline(r.Rule, 60) + ")"
	}
	if r.Interval != "" {
		s += ", interval " + r.Interval
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

// writeUndecided explains an inconclusive verdict: what the run could
// resolve, the undecided checks, whether it failed the job (as far as the
// exit code says) and what would decide it.
func writeUndecided(b *strings.Builder, v *View) {
	u := v.Undecided
	b.WriteString("\n> [!NOTE]\n> **〰️ INCONCLUSIVE**: " + u.Resolved)
	b.WriteString("\n> ")
	switch u.Exit {
	case "1":
		b.WriteString("It **failed the job**, because the config sets `gates.fail_inconclusive`.")
	case "0":
		b.WriteString("This is **not a failure: it did not fail the job** (set `gates.fail_inconclusive: true` to make it one).")
	default:
		b.WriteString("It does **not fail the job** unless the config sets `gates.fail_inconclusive: true`.")
	}
	b.WriteString("\n> To decide it: " + mdWithCode(v.Decide) + "\n")
	if len(u.Open) > 0 {
		b.WriteString("\nStill undecided:\n\n")
		const maxListed = 10
		for i, r := range u.Open {
			if i == maxListed {
				fmt.Fprintf(b, "- … and %d more (see the table)\n", len(u.Open)-maxListed)
				break
			}
			b.WriteString("- " + describeCheck(r) + "\n")
		}
	}
}
