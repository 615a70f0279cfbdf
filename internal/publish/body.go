package publish

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// MaxCommentBytes bounds a PR comment body. GitHub rejects bodies over 65536
// characters; a byte is never fewer than a character, so this leaves room.
const MaxCommentBytes = 65536 - 536

// budgetShare is the share of the limit (in percent) past which a body
// leaves out the rows of passed checks, so that a config with many
// scenarios still gets a comment well under GitHub's limit.
const budgetShare = 60

// MaxSummaryBytes bounds what one step appends to GITHUB_STEP_SUMMARY (the
// runner refuses more than 1 MiB per step).
const MaxSummaryBytes = 1<<20 - 4096

// Marker is the hidden first line that identifies the comment of one
// configuration: `<!-- perfgate:<name> -->`. Characters other than
// letters, digits, '.', '_' and '-' are percent-encoded, so a name can never
// close the HTML comment or collide with another name's marker.
func Marker(name string) string {
	if name == "" {
		name = "default"
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < utf8.RuneSelf && (c == '.' || c == '_' || c == '-' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return "<!-- perfgate:" + b.String() + " -->"
}

// BodyOptions is what the comment says besides the results.
type BodyOptions struct {
	// RunURL links to the workflow run ("" outside Actions).
	RunURL string
	// ConfigPath is the config file to name in the baseline hint (default:
	// the results' config_path, else perfgate.yaml), relative to Workspace
	// when it lies inside it.
	ConfigPath string
	Workspace  string
	// Limit bounds the body in bytes (default MaxCommentBytes).
	Limit int
	// NoMarker leaves out the hidden marker line (the job summary).
	NoMarker bool
	// Exit is perfgate run's exit code as the action saw it
	// (PERFGATE_EXIT), "" when unknown: it lets an inconclusive verdict
	// say whether it failed the job.
	Exit string
	// ReportURL links to the HTML report (the Action's uploaded artifact,
	// PERFGATE_REPORT_URL); only an https URL is linked, "" links none.
	ReportURL string
}

// Body renders the PR comment: the marker, the verdict heading (with its
// notes) and what judged the run, then report.MarkdownSections: a row per
// scenario with goodput, p50, p95, p99 and error rate (value, change and
// mark; failed and changed rows first), each failure said once, the chart
// of goodput per round, and folded under <details> the warnings, every
// check, the measured figures and the host; then what to do next and a link
// to the run. Paths are relative to the repository (report.RepoPath).
// Text that comes from configs or services is escaped. Bodies over the
// limit are cut at a line boundary with a note; the marker, verdict and run
// link are always kept. truncated reports whether a cut was made.
func Body(res *results.Results, o BodyOptions) (body string, truncated bool) {
	limit := o.Limit
	if limit <= 0 {
		limit = MaxCommentBytes
	}
	var head strings.Builder
	if !o.NoMarker {
		head.WriteString(Marker(res.Name) + "\n")
	}
	writeVerdict(&head, res)
	writeJudgedBy(&head, res, o)

	parts := report.MarkdownSections(res)
	middle := func(checks string) string {
		var mid strings.Builder
		mid.WriteString("\n" + parts.Overview)
		for _, p := range []string{parts.Chart, parts.Warnings, checks, parts.Figures} {
			if p != "" {
				mid.WriteString("\n" + p)
			}
		}
		writeHost(&mid, res)
		writeNext(&mid, res, o)
		return mid.String()
	}
	m := middle(parts.Checks)

	var tail strings.Builder
	tail.WriteString("\n")
	if o.RunURL != "" {
		fmt.Fprintf(&tail, "[View the workflow run](%s)", safeURL(o.RunURL))
		tail.WriteString(" · ")
	}
	if strings.HasPrefix(o.ReportURL, "https://") {
		fmt.Fprintf(&tail, "[HTML report](%s)", safeURL(o.ReportURL))
		tail.WriteString(" · ")
	}
	tail.WriteString("<sub>perfgate")
	if v := res.PerfgateVersion; v != "" {
		tail.WriteString(" " + inline(v, 64))
	}
	if h := res.ConfigHash; h != "" {
		tail.WriteString(" · config " + inline(h, 16))
	}
	tail.WriteString("</sub>\n")

	h, t := head.String(), tail.String()
	if len(h)+len(m)+len(t) > limit*budgetShare/100 {
		// Many scenarios: the rows of passed checks go first (the job
		// summary, with its larger limit, keeps them).
		m = middle(parts.UnpassedChecks)
	}
	if len(h)+len(m)+len(t) <= limit {
		return h + m + t, false
	}
	note := "\n> [!NOTE]\n> This report was cut to fit GitHub's size limit; the full report is in the job summary and the results file.\n"
	room := limit - len(h) - len(t) - len(note)
	return h + cutMarkdown(m, room) + note + t, true
}

// writeVerdict writes the heading (report.VerdictHeadline, with the
// config's name) and, on the line below it, its notes. The failures are
// said in the overview, once.
func writeVerdict(b *strings.Builder, res *results.Results) {
	name := "perfgate"
	if n := inline(res.Name, 100); n != "" {
		name += " " + n
	}
	h := report.VerdictHeadline(res)
	fmt.Fprintf(b, "### %s %s: %s", h.Icon, name, h.Title)
	if h.Summary != "" {
		b.WriteString(" — " + inline(h.Summary, 500))
	}
	b.WriteString("\n")
	var notes []string
	for _, n := range h.Notes {
		// The "Judged by" line says more about the paired session.
		if res.Paired != nil && strings.HasPrefix(n, "paired against ") {
			continue
		}
		notes = append(notes, inline(n, 300))
	}
	if len(notes) > 0 {
		b.WriteString(strings.Join(notes, " · ") + "\n")
	}
}

// describeCheck says in one line what a failed check saw.
func describeCheck(ch results.Check) string {
	if ch.Metric == "" {
		return inline(ch.Scenario, 80) + ": " + inline(ch.Note, 300)
	}
	s := fmt.Sprintf("%s **%s**: %s", inline(ch.Scenario, 80), inline(ch.Metric, 32), changeLine(ch, " → "))
	if ch.Rule != "" {
		s += " (gate: " + inline(ch.Rule, 60) + ")"
	}
	return s
}

// changeLine is "baseline → current (change)" in report's formats; arrow
// separates the two values.
func changeLine(ch results.Check, arrow string) string {
	s := report.FormatValue(ch.Metric, ch.Current)
	if ch.SamplesBase > 0 || ch.Baseline != 0 {
		s = report.FormatValue(ch.Metric, ch.Baseline) + arrow + s
	}
	if c := report.FormatChange(ch); c != "—" {
		s += " (" + c + ")"
	}
	return s
}

func writeHost(b *strings.Builder, res *results.Results) {
	h := res.Host
	b.WriteString("\n<details><summary>Host</summary>\n\n| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(b, "| %s | %s |\n", k, v)
		}
	}
	cpu := inline(h.CPUModel, 120)
	if cpu == "" {
		cpu = "unknown model"
	}
	if h.CPUCount > 0 {
		cpu += fmt.Sprintf(" × %d", h.CPUCount)
	}
	if h.GOMAXPROCS > 0 {
		cpu += fmt.Sprintf(" (GOMAXPROCS %d)", h.GOMAXPROCS)
	}
	row("CPU", cpu)
	osv := inline(strings.Trim(h.OS+"/"+h.Arch, "/"), 40)
	if h.Kernel != "" {
		osv += ", kernel " + inline(h.Kernel, 80)
	}
	row("OS", osv)
	row("somaxconn", intOrUnknown(h.Somaxconn))
	if h.TCPMaxSynBacklog > 0 {
		row("tcp_max_syn_backlog", strconv.Itoa(h.TCPMaxSynBacklog))
	}
	files := "unknown"
	if h.OpenFilesSoft > 0 || h.OpenFilesHard > 0 {
		files = fmt.Sprintf("%d soft / %d hard", h.OpenFilesSoft, h.OpenFilesHard)
	}
	row("open files", files)
	row("Go", orUnknown(inline(h.GoVersion, 40)))
	if res.Client != "" {
		row("client", inline(res.Client, 60))
	}
	for _, s := range res.Services {
		d := inline(s.Provider, 20)
		if s.Image != "" {
			d += " " + inline(s.Image, 120)
		}
		if s.CPUs > 0 {
			d += fmt.Sprintf(", %g CPUs", s.CPUs)
		}
		if s.Memory != "" {
			d += ", memory " + inline(s.Memory, 20)
		}
		row("service "+inline(s.Name, 60), d)
	}
	b.WriteString("\n</details>\n")
}

func intOrUnknown(n int) string {
	if n <= 0 {
		return "unknown"
	}
	return strconv.Itoa(n)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// failedLimits counts c's failed checks that are limits, and the others.
func failedLimits(c *results.Comparison) (limits, others int) {
	if c == nil {
		return 0, 0
	}
	for _, ch := range c.Checks {
		switch {
		case ch.Status != results.CheckFail:
		case ch.Gate == "limit":
			limits++
		default:
			others++
		}
	}
	return limits, others
}

func writeNext(b *strings.Builder, res *results.Results, o BodyOptions) {
	cfg := o.ConfigPath
	if cfg == "" {
		cfg = res.ConfigPath
	}
	if cfg == "" {
		cfg = "perfgate.yaml"
	}
	cfg = relTo(o.Workspace, cfg)
	dir := "baselines/"
	if res.Comparison != nil && res.Comparison.Baseline != "" {
		dir = relTo(o.Workspace, filepath.Dir(res.Comparison.Baseline)) + "/"
	} else if d := filepath.Dir(cfg); d != "." {
		dir = filepath.ToSlash(filepath.Join(d, "baselines")) + "/"
	}
	b.WriteString("\n**What to do next**\n\n")
	if res.Interrupted {
		b.WriteString("- The run did not finish, so there is no verdict to trust: see the warnings above and the job's log, fix the cause and re-run the job.\n")
		return
	}
	limits, others := failedLimits(res.Comparison)
	if limits > 0 {
		b.WriteString("- A limit not met? Make the scenario meet it, or change its `limits:` in `" + codeSpan(cfg) + "`: limits are absolute, no baseline moves them.\n")
		if others == 0 {
			return
		}
	}
	if p := res.Paired; p != nil {
		writeNextPaired(b, res, p)
		return
	}
	switch res.Verdict {
	case results.VerdictFail:
		b.WriteString("- Unexpected? Look at the failed checks above and at the run's log; re-run the job to rule out a noisy runner.\n")
		b.WriteString("- Expected (a deliberate trade-off)? Refresh the baseline locally, on a machine like the one that made it, and commit it:\n")
	case results.VerdictPass:
		b.WriteString("- Nothing to do. After an intended performance change, refresh the baseline locally and commit it:\n")
	case results.VerdictInconclusive:
		b.WriteString("- Re-run the job when the runner is quieter, or judge pull requests in paired mode (`perfgate run --base REF`, the action's default on `pull_request`), which runs base and head beside the same neighbour and adjusts for it.\n")
		b.WriteString("- If the baseline itself is out of date, refresh it locally and commit it:\n")
	default:
		b.WriteString("- Create a baseline locally, on a machine like the CI runner, and commit it:\n")
	}
	cmds := "perfgate baseline update -c " + shellQuote(cfg) + "\ngit add " + shellQuote(dir) + "\ngit commit -m 'perfgate: refresh baseline'"
	fence := codeFence(cmds)
	b.WriteString("\n" + fence + "sh\n" + cmds + "\n" + fence + "\n")
}

// relTo is p relative to the repository (report.RepoPath): the git work
// tree holding it, else base (the workspace), else the working directory;
// never a path of the machine.
func relTo(base, p string) string {
	if base == "" {
		return report.RepoPath(p)
	}
	return report.RepoPath(p, base)
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9._/+=:@-]+$`)

// shellQuote quotes s for a POSIX shell, dropping control characters.
func shellQuote(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// codeFence returns a backtick fence longer than any backtick run in s.
func codeFence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// inline escapes untrusted text for Markdown inline content (also inside a
// table cell): control characters become spaces, the punctuation that opens
// emphasis, code, links, images, HTML, entities or table cells is
// backslash-escaped, @mentions and #references are defused with a zero-width space,
// and the text is cut to at most maxRunes runes.
func inline(s string, maxRunes int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxRunes {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r) || r == utf8.RuneError:
			b.WriteRune('\uFFFD')
		case r == '@' || r == '#':
			b.WriteByte('\\')
			b.WriteRune(r)
			b.WriteRune('\u200B')
		case strings.ContainsRune("\\`*_{}[]<>()!|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// safeURL percent-encodes the characters that could end a Markdown link
// destination or start HTML.
func safeURL(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>[]\"'`\\|", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// cutMarkdown keeps the longest prefix of whole lines of s that, with what
// closes a code fence or <details> block the cut left open, fits in room bytes.
func cutMarkdown(s string, room int) string {
	if len(s) <= room {
		return s
	}
	try := room
	for range 8 {
		if try <= 0 {
			return ""
		}
		cut := strings.LastIndexByte(s[:min(try, len(s))], '\n')
		if cut < 0 {
			return ""
		}
		kept := s[:cut+1]
		out := kept + closers(kept)
		if len(out) <= room {
			return out
		}
		try -= len(out) - room
	}
	return ""
}

// closers returns what closes the code fence and <details> blocks left open
// at the end of s.
func closers(s string) string {
	var fence string
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if fence == "" {
			if strings.HasPrefix(t, "```") {
				fence = t[:len(t)-len(strings.TrimLeft(t, "`"))]
			}
		} else if strings.TrimRight(t, "`") == "" && len(t) >= len(fence) {
			fence = ""
		}
	}
	var c string
	if fence != "" {
		c += fence + "\n"
	}
	if open := strings.Count(s, "<details>") - strings.Count(s, "</details>"); open > 0 {
		c += strings.Repeat("\n</details>\n", open)
	}
	return c
}
