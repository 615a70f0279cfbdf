package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

// profileRowsMarkdown is how many functions the comment lists.
const profileRowsMarkdown = 5

// ProfileMarkdown is the folded "Where the time went" section: the
// functions whose CPU per request changed most (self time), base and head
// µs per request, the change and its share of the total change; "" when
// the results hold no profile diff. It starts with a blank line.
func ProfileMarkdown(res *results.Results) string {
	if res == nil || res.ProfileDiff == nil {
		return ""
	}
	d := res.ProfileDiff
	var b strings.Builder
	b.WriteString("\n<details><summary>Where the time went")
	if len(d.Functions) > 0 {
		f := d.Functions[0]
		fmt.Fprintf(&b, ": %s %s µs/req", htmlText(cut(shortFunc(f.Function), 60)), profUS(f.HeadFlatUS-f.BaseFlatUS, true))
	}
	b.WriteString("</summary>\n\n")
	if len(d.Functions) == 0 {
		b.WriteString("_No CPU profiles could be compared; the warnings say why._\n\n</details>\n")
		return b.String()
	}
	fmt.Fprintf(&b, "CPU per request: base %s µs, head %s µs (%s µs).\n\n", profUS(d.BaseTotalUS, false), profUS(d.HeadTotalUS, false), profUS(d.HeadTotalUS-d.BaseTotalUS, true))
	b.WriteString("| Function | Base µs/req | Head µs/req | Change | Share of change | Cumulative µs/req |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|\n")
	for i, f := range d.Functions {
		if i == profileRowsMarkdown {
			break
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s → %s |\n", mdText(cut(f.Function, 90)),
			profUS(f.BaseFlatUS, false), profUS(f.HeadFlatUS, false), profUS(f.HeadFlatUS-f.BaseFlatUS, true), profShare(f.Share),
			profUS(f.BaseCumUS, false), profUS(f.HeadCumUS, false))
	}
	b.WriteString("\n" + profileFootnote(d) + "\n\n</details>\n")
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
		s += " (" + mdText(strings.Join(d.Services, ", ")) + ")"
	}
	s += fmt.Sprintf("; %d base and %d head requests.", d.BaseRequests, d.HeadRequests)
	if d.BaseOverhead != nil && d.HeadOverhead != nil {
		s += fmt.Sprintf(" Profiling changed throughput by %+.1f%% (base) and %+.1f%% (head).", 100**d.BaseOverhead, 100**d.HeadOverhead)
	}
	if d.BaseFile != "" && d.HeadFile != "" {
		s += fmt.Sprintf(" Compare them yourself: `go tool pprof -diff_base %s %s`.", mdText(d.BaseFile), mdText(d.HeadFile))
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
