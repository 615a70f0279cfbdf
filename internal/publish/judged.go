package publish

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

// writeJudgedBy says what judged the run: the paired session (base and head
// commits, rounds, load time, why it stopped) or the stored baseline file
// and its date. For an inconclusive verdict it also says, as a note, what
// the run could resolve and whether the job failed on it.
func writeJudgedBy(b *strings.Builder, res *results.Results, o BodyOptions) {
	if p := res.Paired; p != nil && (res.Mode == results.ModePaired || res.Mode == "") {
		b.WriteString("\n**Judged by:** " + pairedLine(p) + "\n")
	} else if c := res.Comparison; c != nil && (c.Baseline != "" || !c.BaselineDate.IsZero()) {
		s := "the stored baseline"
		if c.Baseline != "" {
			s += " `" + codeSpan(relTo(o.Workspace, c.Baseline)) + "`"
		}
		if !c.BaselineDate.IsZero() {
			s += ", recorded " + c.BaselineDate.UTC().Format("2006-01-02 15:04 UTC")
		}
		b.WriteString("\n**Judged by:** " + s + " (stored-baseline mode)\n")
	}
	if res.Verdict == results.VerdictInconclusive && !res.Interrupted && res.EnvironmentFailure == "" {
		writeInconclusive(b, res, o)
	}
}

// pairedLine is one line about a paired session, in Markdown.
func pairedLine(p *results.Paired) string {
	s := "paired run on this runner — base"
	if p.BaseRef != "" && !strings.HasPrefix(p.BaseCommit, p.BaseRef) {
		s += " " + inline(p.BaseRef, 80)
	}
	s += " `" + codeSpan(results.ShortCommit(p.BaseCommit)) + "` vs head"
	if p.HeadCommit != "" {
		s += " `" + codeSpan(results.ShortCommit(p.HeadCommit)) + "`"
	} else {
		s += " (the working tree)"
	}
	if p.HeadDirty {
		s += " with uncommitted changes"
	}
	rounds := fmt.Sprintf("%d rounds", p.Rounds)
	if p.Rounds == 1 {
		rounds = "1 round"
	}
	if p.MaxRounds > 0 {
		rounds += fmt.Sprintf(" of %d", p.MaxRounds)
	}
	if p.Order != "" {
		rounds += " (" + inline(p.Order, 16) + ")"
	}
	s += ", " + rounds + fmt.Sprintf(", %.0f s of load", p.LoadS)
	if st := stoppedBy(p.StoppedBy); st != "" {
		s += ", " + st
	}
	if p.ForeignCPUAdjusted {
		s += "; adjusted for the CPU a neighbour took from each slice"
	}
	return s
}

func stoppedBy(s string) string {
	switch s {
	case "decided":
		return "stopped once every gate was decided"
	case "budget":
		return "stopped at the time budget (gates.max_time)"
	case "interrupted":
		return "interrupted"
	case "":
		return ""
	}
	return "stopped: " + inline(s, 40)
}

// writeInconclusive explains an inconclusive verdict: the resolution, the
// undecided checks, that it did not fail the job (as far as the action's
// exit code says) and how to get a decision.
func writeInconclusive(b *strings.Builder, res *results.Results, o BodyOptions) {
	b.WriteString("\n> [!NOTE]\n> **〰️ INCONCLUSIVE**: ")
	if p := res.Paired; p != nil && p.Detectable > 0 {
		fmt.Fprintf(b, "after %d paired rounds (%.0f s of load) this run could tell a %.1f%% change from none, ", p.Rounds, p.LoadS, 100*p.Detectable)
		b.WriteString("not enough to tell every gate's change from both no change that matters and its threshold.")
	} else if f := neighbourTook(res); f != nil {
		fmt.Fprintf(b, "other processes took %.2f of %d cores during this run against %.2f during the baseline's, "+
			"enough to explain every failed check by itself: a stored baseline cannot tell a busy runner from a slower service.", f.Current, f.CPUs, f.Baseline)
	} else {
		b.WriteString("the round budget was spent before every gate was decided.")
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
	b.WriteString("\n")
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

// neighbourTook is the foreign-CPU comparison of a stored-baseline run
// whose neighbour made checks inconclusive, or nil.
func neighbourTook(res *results.Results) *results.ForeignCPUComparison {
	if res.Paired != nil || res.Comparison == nil || res.Comparison.ForeignCPU == nil || !res.Comparison.ForeignCPU.Guarded {
		return nil
	}
	return res.Comparison.ForeignCPU
}

// codeSpan makes s safe inside a single-backtick code span.
func codeSpan(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '`' || r == '\n' || r == '\r' || r < ' ' {
			return '\''
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// writeNextPaired is "What to do next" for a paired run: there is no
// baseline file to refresh, the base commit is the reference.
func writeNextPaired(b *strings.Builder, res *results.Results, p *results.Paired) {
	switch res.Verdict {
	case results.VerdictFail:
		b.WriteString("- Unexpected? Look at the failed checks above: base and head ran side by side on this runner, so runner drift hit both alike. Profile the change, fix it and push.\n")
		b.WriteString("- Expected (a deliberate trade-off)? There is no baseline to refresh: the pull request's base commit is the reference. Merge with the job failed, or loosen the gate in the config's `gates`.\n")
	case results.VerdictPass:
		b.WriteString("- Nothing to do: the head is within every gate of its base commit.\n")
	case results.VerdictInconclusive:
		budget := "`gates.max_time`"
		if p.MaxTimeS > 0 {
			budget += fmt.Sprintf(" (now %.0f s)", p.MaxTimeS)
		}
		b.WriteString("- To get a decision, give the comparison more time: raise " + budget + " as the warning above says; a quieter runner decides sooner, and `perfgate calibrate` tells which thresholds this runner can judge.\n")
		b.WriteString("- Re-running the job measures again from scratch.\n")
	default:
		b.WriteString("- Nothing was judged; see the warnings above and the job's log.\n")
	}
}
