// Package report renders results: terminal and Markdown tables (go-pretty),
// JSON and JUnit XML.
package report

import "github.com/perfgate/perfgate/internal/results"

// Markdown renders res as GitHub-flavoured Markdown: the verdict table when
// res.Comparison is set, otherwise the per-scenario summary table.
// Placeholder signature; the full implementation replaces this body.
func Markdown(res *results.Results) string {
	_ = res
	return ""
}
