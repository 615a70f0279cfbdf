package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

// profileRowsMarkdown is how many functions the comment lists.
const profileRowsMarkdown = 5

// ProfileView is where the time went: the functions whose CPU per
// request changed most (self time), largest change first, with the totals
// and where the profiles came from.
type ProfileView struct {
	// Totals is "CPU per request: base 100.0 µs, head 250.0 µs (+150.0
	// µs)."; "" when no profiles could be compared (Rows is empty).
	Totals string
	Rows   []ProfileRow
	// Note says where the profiles came from and what they cost;
	// backticks quote the pprof command that compares them.
	Note     string
	Warnings []string
	// Tree is the merged call tree of both sides (nil when the results
	// hold none), for a graph.
	Tree *results.ProfileNode
}

// ProfileRow is one function: µs of CPU per request, self (flat) and
// cumulative, base and head.
type ProfileRow struct {
	// Function is the full name, Short without its package path.
	Function, Short string
	// Base, Head and Change are self time; Share is the change's share of
	// the total change ("—" for none).
	Base, Head, Change, Share, BaseCum, HeadCum string
	// Rose and Fell say which way self time went.
	Rose, Fell bool
}

// profileView is d as the reports show it; nil for nil.
func profileView(d *results.ProfileDiff) *ProfileView {
	if d == nil {
		return nil
	}
	p := &ProfileView{Note: profileFootnote(d), Warnings: d.Warnings, Tree: d.Tree}
	if len(d.Functions) > 0 {
		p.Totals = fmt.Sprintf("CPU per request: base %s µs, head %s µs (%s µs).", profUS(d.BaseTotalUS, false), profUS(d.HeadTotalUS, false), profUS(d.HeadTotalUS-d.BaseTotalUS, true))
	}
	for _, f := range d.Functions {
		p.Rows = append(p.Rows, ProfileRow{
			Function: f.Function, Short: shortFunc(f.Function),
			Base: profUS(f.BaseFlatUS, false), Head: profUS(f.HeadFlatUS, false), Change: profUS(f.HeadFlatUS-f.BaseFlatUS, true),
			Share: profShare(f.Share), BaseCum: profUS(f.BaseCumUS, false), HeadCum: profUS(f.HeadCumUS, false),
			Rose: f.HeadFlatUS > f.BaseFlatUS, Fell: f.HeadFlatUS < f.BaseFlatUS,
		})
	}
	return p
}

// ProfileMarkdown is the folded "Where the time went" section of res
// (profileMarkdown); "" when the results hold no profile diff.
func ProfileMarkdown(res *results.Results) string {
	if res == nil {
		return ""
	}
	return profileMarkdown(profileView(res.ProfileDiff))
}

// profileMarkdown is the folded "Where the time went" section: the first
// profileRowsMarkdown functions, base and head µs per request, the change
// and its share of the total change; "" for nil. It starts with a blank
// line.
func profileMarkdown(p *ProfileView) string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n<details><summary>Where the time went")
	if len(p.Rows) > 0 {
		f := p.Rows[0]
		fmt.Fprintf(&b, ": %s %s µs/req", htmlText(cut(f.Short, 60)), f.Change)
	}
	b.WriteString("</summary>\n\n")
	if len(p.Rows) == 0 {
		b.WriteString("_No CPU profiles could be compared; the warnings say why._\n\n</details>\n")
		return b.String()
	}
	b.WriteString(p.Totals + "\n\n")
	b.WriteString("| Function | Base µs/req | Head µs/req | Change | Share of change | Cumulative µs/req |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|\n")
	for i, f := range p.Rows {
		if i == profileRowsMarkdown {
			break
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s → %s |\n", mdText(cut(f.Function, 90)), f.Base, f.Head, f.Change, f.Share, f.BaseCum, f.HeadCum)
	}
	b.WriteString("\n" + mdWithCode(p.Note) + "\n\n</details>\n")
	return b.String()
}

// profileFootnote says where the profiles came from and what they cost.
func profileFootnote(d *results.ProfileDiff) string {
	var s string
	switch d.Source {
	case "paired":
		s = fmt.Sprintf("Self CPU time per request from %d profiled rounds of %gs per side, measured after the judged rounds and not judged", d.Rounds, d.SliceS)
	default:
		s = "Self CPU time per request, the base's from the stored baseline"
	}
	if len(d.Services) > 0 {
		s += " (" + strings.Join(d.Services, ", ") + ")"
	}
	s += fmt.Sprintf("; %d base and %d head requests.", d.BaseRequests, d.HeadRequests)
	if d.BaseOverhead != nil && d.HeadOverhead != nil {
		s += fmt.Sprintf(" Profiling changed throughput by %+.1f%% (base) and %+.1f%% (head).", 100**d.BaseOverhead, 100**d.HeadOverhead)
	}
	if d.BaseFile != "" && d.HeadFile != "" {
		s += fmt.Sprintf(" Compare them yourself: `go tool pprof -diff_base %s %s`.", codeSpan(d.BaseFile), codeSpan(d.HeadFile))
	}
	return s
}

// shortFunc drops a function name's package path: pkg/sub.(*T).f is sub.(*T).f.
func shortFunc(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return name
}

func profUS(v float64, signed bool) string {
	prec := 1
	if math.Abs(v) < 10 {
		prec = 2
	}
	if signed {
		return fmt.Sprintf("%+.*f", prec, v)
	}
	return fmt.Sprintf("%.*f", prec, v)
}

func profShare(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}
