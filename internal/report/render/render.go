// Package render is the one place a report format is chosen: every format
// of `perfgate report` renders the same results through report's View
// (headline, mode line, rows, checks) to an io.Writer.
package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/report/htmlreport"
	"github.com/perfgate/perfgate/internal/results"
)

// Formats are the values Write accepts, in the order help texts list them.
var Formats = []string{"table", "markdown", "json", "junit", "html"}

// Valid reports whether format is one of Formats.
func Valid(format string) bool {
	for _, f := range Formats {
		if f == format {
			return true
		}
	}
	return false
}

// Write renders res in format: "table" (report.RenderTerminal; color adds
// ANSI colors), "markdown" (the PR comment without its marker line),
// "json", "junit" or "html" (one self-contained page). Every format but
// JSON renders the one report.View of res. An unknown format is an error
// naming the valid ones.
func Write(w io.Writer, res *results.Results, format string, color bool) error {
	if res == nil {
		return fmt.Errorf("report: no results to render")
	}
	if !Valid(format) {
		return fmt.Errorf("unknown report format %q: valid formats are %s", format, strings.Join(Formats, ", "))
	}
	if format == "json" {
		return report.JSON(w, res)
	}
	v := report.NewView(res, report.ViewOptions{})
	switch format {
	case "table":
		return report.RenderTerminal(w, v, color)
	case "markdown":
		_, err := io.WriteString(w, report.RenderMarkdown(v, report.MarkdownOptions{}).String())
		return err
	case "junit":
		return report.RenderJUnit(w, v)
	}
	return htmlreport.Render(w, v)
}
