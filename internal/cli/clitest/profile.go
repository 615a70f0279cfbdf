package clitest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/profdiff"
	"github.com/perfgate/perfgate/internal/results"
)

// MarkdownTopFunction is the function named by the first row of md's
// "Where the time went" table, its Markdown escapes undone ("" when there
// is no such row).
func MarkdownTopFunction(md string) string {
	i := strings.Index(md, "Where the time went")
	if i < 0 {
		return ""
	}
	rows := strings.Split(md[i:], "\n")
	for k, l := range rows {
		if !strings.HasPrefix(l, "|---") || k+1 == len(rows) {
			continue
		}
		cell, _, _ := strings.Cut(strings.TrimPrefix(rows[k+1], "| "), " | ")
		var b strings.Builder
		for j := 0; j < len(cell); j++ {
			if cell[j] == '\\' && j+1 < len(cell) {
				j++
			}
			b.WriteByte(cell[j])
		}
		return b.String()
	}
	return ""
}

// AssertProfileFiles checks that d's merged base and head profiles were
// written beside the results file out and parse as pprof profiles.
func AssertProfileFiles(t *testing.T, d *results.ProfileDiff, out string) {
	t.Helper()
	for _, f := range []string{d.BaseFile, d.HeadFile} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(out), f))
		if err != nil || f == "" {
			t.Fatalf("profile %q: %v", f, err)
		}
		if _, err := profdiff.Parse(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
