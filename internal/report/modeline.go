package report

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

// Phrase is a piece of a line said the same in every format: perfgate's
// own words (written as they are), a name from a config or a repository
// (escaped where it is rendered), or code (a commit, a file).
type Phrase struct {
	Text        string
	Code, Named bool
}

func words(s string) Phrase { return Phrase{Text: s} }
func name(s string) Phrase  { return Phrase{Text: s, Named: true} }
func code(s string) Phrase  { return Phrase{Text: s, Code: true} }

// Phrases is a line of phrases.
type Phrases []Phrase

// Plain is the line as plain text, code unmarked.
func (ps Phrases) Plain() string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Text)
	}
	return singleLine(b.String())
}

// Markdown is the line as Markdown inline content, code as code spans.
func (ps Phrases) Markdown() string {
	var b strings.Builder
	for _, p := range ps {
		switch {
		case p.Code:
			b.WriteString("`" + codeSpan(p.Text) + "`")
		case p.Named:
			b.WriteString(inline(p.Text, 500))
		default:
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// ModeLine says what judged the run ("Judged by"): the paired session (base
// and head commits, rounds, load time, why it stopped, the smallest change
// it could tell from none) or the stored baseline file and its date; empty
// when nothing judged it. workspace makes the baseline's path relative to
// the repository ("" finds the repository from the path).
func ModeLine(res *results.Results, workspace string) Phrases {
	if res == nil {
		return nil
	}
	if p := res.Paired; p != nil && (res.Mode == results.ModePaired || res.Mode == "") {
		return pairedLine(p)
	}
	c := res.Comparison
	if c == nil || (c.Baseline == "" && c.BaselineDate.IsZero()) {
		return nil
	}
	ps := Phrases{words("the stored baseline")}
	if c.Baseline != "" {
		ps = append(ps, words(" "), code(relTo(workspace, c.Baseline)))
	}
	if !c.BaselineDate.IsZero() {
		ps = append(ps, words(", recorded "+c.BaselineDate.UTC().Format("2006-01-02 15:04 UTC")))
	}
	return append(ps, words(" (stored-baseline mode)"))
}

// pairedLine is what a paired session was.
func pairedLine(p *results.Paired) Phrases {
	ps := Phrases{words("paired run on this runner — base")}
	if p.BaseRef != "" && !strings.HasPrefix(p.BaseCommit, p.BaseRef) {
		ps = append(ps, words(" "), name(cut(p.BaseRef, 80)))
	}
	ps = append(ps, words(" "), code(results.ShortCommit(p.BaseCommit)), words(" vs head"))
	if p.HeadCommit != "" {
		ps = append(ps, words(" "), code(results.ShortCommit(p.HeadCommit)))
	} else {
		ps = append(ps, words(" (the working tree)"))
	}
	if p.HeadDirty {
		ps = append(ps, words(" with uncommitted changes"))
	}
	rounds := plural(p.Rounds, "round", "rounds")
	if p.MaxRounds > 0 {
		rounds += fmt.Sprintf(" of %d", p.MaxRounds)
	}
	ps = append(ps, words(", "+rounds))
	if p.Order != "" {
		ps = append(ps, words(" ("), name(cut(p.Order, 16)), words(")"))
	}
	s := fmt.Sprintf(", %.0f s of load", p.LoadS)
	if st := stoppedBy(p.StoppedBy); st != "" {
		s += ", " + st
	}
	if p.Detectable > 0 {
		s += ", " + Detectable(p.Detectable)
	}
	if p.ForeignCPUAdjusted {
		s += "; adjusted for the CPU a neighbour took from each slice"
	}
	return append(ps, words(s))
}

// Detectable is "this run could tell a 3% change from none".
func Detectable(d float64) string {
	return "this run could tell a " + strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", 100*d), "0"), ".") + "% change from none"
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
	return "stopped: " + strings.Map(func(r rune) rune {
		if r < '0' || r > 'z' {
			return '-'
		}
		return r
	}, cut(s, 40))
}

// relTo is p relative to the repository (RepoPath): the git work tree
// holding it, else base (the workspace), else the working directory; never
// a path of the machine.
func relTo(base, p string) string {
	if base == "" {
		return RepoPath(p)
	}
	return RepoPath(p, base)
}

// neighbourTook is the foreign-CPU comparison of a stored-baseline run
// whose neighbour made checks inconclusive, or nil.
func neighbourTook(res *results.Results) *results.ForeignCPUComparison {
	if res.Paired != nil || res.Comparison == nil || res.Comparison.ForeignCPU == nil || !res.Comparison.ForeignCPU.Guarded {
		return nil
	}
	return res.Comparison.ForeignCPU
}
