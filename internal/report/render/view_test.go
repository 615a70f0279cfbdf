package render

import (
	"bytes"
	"fmt"
	"html"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/report/htmlreport"
	"github.com/perfgate/perfgate/internal/results"
)

// renderAll renders v in Markdown, for the terminal, as JUnit and as HTML,
// entities decoded, so what each shows can be compared as text.
func renderAll(t *testing.T, v *report.View) map[string]string {
	t.Helper()
	out := map[string]string{"markdown": report.RenderMarkdown(v, report.MarkdownOptions{}).String()}
	var term, junit, page bytes.Buffer
	if err := report.RenderTerminal(&term, v, false); err != nil {
		t.Fatal(err)
	}
	if err := report.RenderJUnit(&junit, v); err != nil {
		t.Fatal(err)
	}
	if err := htmlreport.Render(&page, v); err != nil {
		t.Fatal(err)
	}
	out["terminal"] = term.String()
	out["junit"] = html.UnescapeString(junit.String())
	out["html"] = html.UnescapeString(page.String())
	return out
}

// skippedBare reports whether JUnit skips ch with its note alone, no
// figures (too few runs, or not in the baseline).
func skippedBare(ch report.CheckRow) bool {
	return ch.Status == results.CheckInsufficient || ch.Status == results.CheckMissing
}

func readView(t *testing.T, name string) *report.View {
	t.Helper()
	res, err := results.Read(filepath.Join("..", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return report.NewView(res, report.ViewOptions{})
}

// Every format says the view's headline and every check's change, rule
// and result: for a paired, a stored, an inconclusive and a flow run.
func TestFormatsRenderTheView(t *testing.T) {
	for _, name := range []string{"paired", "stored", "inconclusive", "flow"} {
		t.Run(name, func(t *testing.T) {
			v := readView(t, name)
			if len(v.Checks) == 0 {
				t.Fatal("the case has no checks")
			}
			for format, text := range renderAll(t, v) {
				if format != "junit" && !strings.Contains(text, v.Headline.Title) {
					t.Errorf("%s lacks the headline %q", format, v.Headline.Title)
				}
				if format == "terminal" && !strings.Contains(text, v.Headline.Text()) {
					t.Errorf("terminal lacks the headline %q", v.Headline.Text())
				}
				for _, ch := range v.Checks {
					for _, want := range []string{ch.Change, ch.Rule, ch.Metric} {
						if format == "junit" && skippedBare(ch) && want == ch.Change {
							continue
						}
						if !strings.Contains(text, want) {
							t.Errorf("%s lacks %q (check %s %s)", format, want, ch.Scenario, ch.Metric)
						}
					}
				}
			}
		})
	}
}

// The formats render what the view says, not what they work out from the
// results themselves: words changed in the view show in every format.
func TestFormatsFollowTheView(t *testing.T) {
	for _, name := range []string{"paired", "stored", "inconclusive", "flow"} {
		t.Run(name, func(t *testing.T) {
			v := readView(t, name)
			v.Headline.Title = "SENTINEL-TITLE"
			for i := range v.Checks {
				v.Checks[i].Change = fmt.Sprintf("SENTINEL-CHANGE-%d.", i)
				v.Checks[i].Rule = fmt.Sprintf("SENTINEL-RULE-%d.", i)
			}
			for format, text := range renderAll(t, v) {
				if format != "junit" && !strings.Contains(text, "SENTINEL-TITLE") {
					t.Errorf("%s does not take its headline from the view", format)
				}
				for i, ch := range v.Checks {
					for _, want := range []string{ch.Change, ch.Rule} {
						if format == "junit" && (ch.ScenarioLevel && want == ch.Rule || skippedBare(ch) && want == ch.Change) {
							continue // named for the scenario, not a rule; skipped with its note alone
						}
						if !strings.Contains(text, want) {
							t.Errorf("%s lacks %s of check %d: it does not render the view's checks", format, want, i)
						}
					}
				}
			}
		})
	}
}
