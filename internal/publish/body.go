package publish

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// MaxCommentBytes bounds a PR comment body (report.CommentLimit).
const MaxCommentBytes = report.CommentLimit

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

// Body renders the PR comment: the marker line, then the Markdown report
// (report.MarkdownDocument, which is `perfgate report -f markdown` when the
// options are empty) with the Actions environment's links. Publishing adds
// nothing else: a body over the limit is cut at a line boundary with a
// note, always keeping the marker, the verdict and the links. truncated
// reports whether a cut was made.
func Body(res *results.Results, o BodyOptions) (body string, truncated bool) {
	limit := o.Limit
	if limit <= 0 {
		limit = MaxCommentBytes
	}
	d := report.MarkdownDocument(res, report.MarkdownOptions{
		RunURL: o.RunURL, ReportURL: o.ReportURL, ConfigPath: o.ConfigPath, Workspace: o.Workspace, Exit: o.Exit, Limit: limit,
	})
	h := d.Head
	if !o.NoMarker {
		name := ""
		if res != nil {
			name = res.Name
		}
		h = Marker(name) + "\n" + h
	}
	if len(h)+len(d.Body)+len(d.Foot) <= limit {
		return h + d.Body + d.Foot, false
	}
	note := "\n> [!NOTE]\n> This report was cut to fit GitHub's size limit; the full report is in the job summary and the results file.\n"
	room := limit - len(h) - len(d.Foot) - len(note)
	return h + cutMarkdown(d.Body, room) + note + d.Foot, true
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
