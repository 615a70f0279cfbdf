// Package render is the one place a report format is chosen: every format
// of `perfgate report` renders the same results through report's model
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

// Write renders res in format: "table" (report.Terminal; color adds ANSI
// colors), "markdown" (the PR comment without its marker line), "json",
// "junit" or "html" (one self-contained page). An unknown format is an
// error naming the valid ones.
func Write(w io.Writer, res *results.Results, format string, color bool) error {
	if res == nil {
		return fmt.Errorf("report: no results to render")
	}
	switch format {
	case "table":
		return report.Terminal(w, res, color)
	case "markdown":
		_, err := io.WriteString(w, report.Markdown(res))
		return err
	case "json":
		return report.JSON(w, res)
	case "junit":
		return report.JUnit(w, res)
	case "html":
		return htmlreport.Write(w, res)
	}
	return fmt.Errorf("unknown report format %q: valid formats are %s", format, strings.Join(Formats, ", "))
}
