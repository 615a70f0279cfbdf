package report

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

// Headline is a run's verdict in words: the first line of the terminal
// report, of the Markdown report (and so of the PR comment) and of the HTML
// page, worded the same in all of them.
type Headline struct {
	// Verdict is the verdict shown: the stored one, or derived from the
	// comparison when the results carry none.
	Verdict string
	// Icon is "✅" (pass), "❌" (fail), "⚪" (no baseline), "⚠️"
	// (interrupted).
	Icon string
	// Title is "PASS", "FAIL", "NO BASELINE", or "INTERRUPTED" whenever
	// the run was interrupted (res.Interrupted), whatever its verdict.
	Title string
	// Summary says what the verdict rests on, e.g. "6 regressions in 2
	// scenarios", "14 checks passed", "only the error-rate ceiling was
	// judged", "the run did not finish: <res.Note>"; it may be empty. It
	// is plain text: Markdown escapes it.
	Summary string
	// Notes qualify it, e.g. "5 checks could not be judged (too few runs)".
	Notes []string
}

// VerdictHeadline is the headline of res (which must not be nil).
func VerdictHeadline(res *results.Results) Headline {
	n := tally(res.Comparison)
	h := Headline{Verdict: verdictOf(res)}
	switch h.Verdict {
	case results.VerdictPass:
		h.Icon, h.Title = "✅", "PASS"
		if n.pass > 0 {
			h.Summary = plural(n.pass, "check passed", "checks passed")
		}
	case results.VerdictFail:
		h.Icon, h.Title = "❌", "FAIL"
		if n.fail > 0 {
			h.Summary = failCount(res.Comparison)
		}
	case results.VerdictInconclusive:
		h.Icon, h.Title = "〰️", "INCONCLUSIVE"
		h.Summary = "the budget was spent before every gate was decided"
		if res.Paired == nil {
			h.Summary = "a check could not be decided"
		}
		if p := res.Paired; p != nil && p.Detectable > 0 {
			h.Summary = "undecided within the budget: " + Detectable(p.Detectable)
		} else if c := res.Comparison; res.Paired == nil && c != nil && c.ForeignCPU != nil && c.ForeignCPU.Guarded {
			f := c.ForeignCPU
			h.Summary = fmt.Sprintf("a neighbour took %.2f of %d cores (baseline: %.2f), enough to explain what failed", f.Current, f.CPUs, f.Baseline)
		}
	default:
		h.Icon, h.Title = "⚪", "NO BASELINE"
		c := res.Comparison
		only := "only the error-rate ceiling was judged"
		if hasLimits(c) {
			only = "only the error-rate ceiling and the limits were judged"
		}
		switch {
		case c == nil:
			h.Summary = "nothing judged"
		case c.Baseline != "" || !c.BaselineDate.IsZero():
			h.Summary = "no check could be judged against the baseline; " + only
		default:
			h.Summary = only
		}
	}
	if res.EnvironmentFailure != "" {
		h.Icon, h.Title = "⚠️", "ENVIRONMENT FAILURE"
		h.Summary = "not judged: " + res.EnvironmentFailure
		return h
	}
	if res.Interrupted {
		// An incomplete run never reads as passed: what it measured is
		// shown, but the headline is the interruption.
		judged := h.Summary
		h.Icon, h.Title = "⚠️", "INTERRUPTED"
		h.Summary = "the run did not finish"
		if note := strings.TrimSpace(res.Note); note != "" {
			h.Summary += ": " + note
		}
		if h.Verdict == results.VerdictFail && judged != "" {
			h.Notes = append(h.Notes, "the runs that finished already show "+judged)
		} else {
			h.Notes = append(h.Notes, "figures cover only the runs that finished; this is not a pass")
		}
	}
	if n.insufficient > 0 {
		h.Notes = append(h.Notes, plural(n.insufficient, "check", "checks")+" could not be judged (too few runs)")
	}
	return h
}

// hasLimits reports whether c judged a limit.
func hasLimits(c *results.Comparison) bool {
	if c == nil {
		return false
	}
	for _, ch := range c.Checks {
		if ch.Gate == gateLimit {
			return true
		}
	}
	return false
}

// Text is the headline as plain text: "perfgate: FAIL — 6 regressions in
// 2 scenarios · 5 checks could not be judged (too few runs)". Names from
// configs do not appear in it.
func (h Headline) Text() string {
	s := "perfgate: " + h.Title
	if h.Summary != "" {
		s += " — " + h.Summary
	}
	return singleLine(s + notesSuffix(h.Notes))
}

// Interrupted reports whether the headline is about a run whose figures
// cannot be judged as a whole: interrupted, or an environment failure.
func (h Headline) Interrupted() bool {
	return h.Title == "INTERRUPTED" || h.Title == "ENVIRONMENT FAILURE"
}

func notesSuffix(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return " · " + strings.Join(notes, " · ")
}
