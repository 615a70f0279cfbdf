package report

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/perfgate/perfgate/internal/results"
)

// Chart is a bar/line chart over measured rounds, the data of the Mermaid
// xychart the comment shows (and of any other renderer that draws it).
// Every series has one value per label; values are finite.
type Chart struct {
	Scenario string
	Title    string
	XTitle   string
	Labels   []string
	YTitle   string
	YMin     float64
	YMax     float64
	Series   []Series
}

// Series is one bar or line of a Chart.
type Series struct {
	Kind   string // "bar" or "line"
	Name   string
	Values []float64
}

// maxChartPoints bounds the rounds charted (the last ones are dropped).
const maxChartPoints = 100

// GoodputChart is the goodput of one scenario per measured round: in
// paired mode the base (bars) and the head (line) of each round, from
// res.Paired.RoundLog; otherwise this run's measured runs (bars, runs cut
// short left out) against the baseline's median (line) when a throughput
// check has one. The scenario is the first of the overview (the worst
// failure, else the largest change) that has at least two rounds to show.
// ok is false when no scenario has.
func GoodputChart(res *results.Results) (c Chart, ok bool) {
	if res == nil {
		return Chart{}, false
	}
	return goodputChart(res, Overview(res))
}

// goodputChart is GoodputChart with res's overview rows.
func goodputChart(res *results.Results, rows []Row) (c Chart, ok bool) {
	for _, row := range rows {
		if !row.Measured {
			continue
		}
		if p := res.Paired; p != nil && len(p.RoundLog) > 0 {
			c, ok = pairedChart(p, row.Scenario)
		} else {
			c, ok = storedChart(res, row.Scenario)
		}
		if ok {
			c.Scenario = row.Scenario
			c.YTitle = "req/s"
			c.YMin, c.YMax = axisRange(c.Series)
			return c, true
		}
	}
	return Chart{}, false
}

func pairedChart(p *results.Paired, name string) (Chart, bool) {
	var labels []string
	var base, head []float64
	for _, r := range p.RoundLog {
		b, okb := r.Base[name]
		h, okh := r.Head[name]
		if !okb || !okh || !finite(b) || !finite(h) {
			continue // a round without both sides shows nothing to compare
		}
		labels = append(labels, strconv.Itoa(r.Round))
		base, head = append(base, b), append(head, h)
	}
	if len(labels) < 2 {
		return Chart{}, false
	}
	labels, base, head = lastN(labels, maxChartPoints), lastN(base, maxChartPoints), lastN(head, maxChartPoints)
	baseName, headName := "base", "head"
	if s := results.ShortCommit(p.BaseCommit); s != "" {
		baseName += " " + s
	}
	if s := results.ShortCommit(p.HeadCommit); s != "" {
		headName += " " + s
	}
	return Chart{
		Title:  name + ": goodput per paired round, req/s (bars: " + baseName + ", line: " + headName + ")",
		XTitle: "round", Labels: labels,
		Series: []Series{{Kind: "bar", Name: "base", Values: base}, {Kind: "line", Name: "head", Values: head}},
	}, true
}

func storedChart(res *results.Results, name string) (Chart, bool) {
	var sc *results.Scenario
	for i := range res.Scenarios {
		if res.Scenarios[i].Name == name {
			sc = &res.Scenarios[i]
			break
		}
	}
	if sc == nil {
		return Chart{}, false
	}
	var labels []string
	var cur []float64
	for _, r := range sc.Runs {
		if r.Incomplete || !finite(r.ThroughputRPS) {
			continue
		}
		labels = append(labels, strconv.Itoa(r.Index))
		cur = append(cur, r.ThroughputRPS)
	}
	if len(labels) < 2 {
		return Chart{}, false
	}
	labels, cur = lastN(labels, maxChartPoints), lastN(cur, maxChartPoints)
	c := Chart{XTitle: "measured run", Labels: labels, Series: []Series{{Kind: "bar", Name: "this run", Values: cur}}}
	c.Title = name + ": goodput per measured run, req/s (bars)"
	if cmp := res.Comparison; cmp != nil {
		for _, ch := range cmp.Checks {
			if ch.Scenario == name && ch.Metric == "throughput_rps" && ch.SamplesBase > 0 && finite(ch.Baseline) && ch.Baseline > 0 {
				line := make([]float64, len(labels))
				for i := range line {
					line[i] = ch.Baseline
				}
				c.Series = append(c.Series, Series{Kind: "line", Name: "baseline median", Values: line})
				c.Title = name + ": goodput per measured run, req/s (bars: this run, line: baseline median)"
				break
			}
		}
	}
	return c, true
}

func lastN[T any](xs []T, n int) []T {
	if len(xs) > n {
		return xs[len(xs)-n:]
	}
	return xs
}

// axisRange is a y range holding every value with a margin, on round
// numbers, from 0 up when no value is negative: a bar's length is its
// value, so run-to-run noise never looks like a cliff.
func axisRange(series []Series) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range s.Values {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi {
		return 0, 1
	}
	span := hi - lo
	if span <= 0 {
		span = math.Max(math.Abs(hi)*0.1, 1)
	}
	if lo >= 0 {
		hi = math.Max(hi*1.1, 1)
		step := niceStep(hi / 6)
		return 0, math.Ceil(hi/step) * step
	}
	lo, hi = lo-span*0.2, hi+span*0.2
	step := niceStep((hi - lo) / 5)
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step
}

// niceStep is 1, 2 or 5 times a power of ten, at least x.
func niceStep(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// Mermaid renders c as a Mermaid xychart-beta block (without the fence):
//
//	xychart-beta
//	    title "…"
//	    x-axis "measured run" ["1", "2", "3"]
//	    y-axis "req/s" 900 --> 1100
//	    bar "this run" [1000.5, 990, 1010]
//	    line "baseline median" [1000, 1000, 1000]
//
// Text is quoted and stripped of what the grammar or a renderer could
// read as syntax; numbers are plain decimals (the grammar has no exponent,
// no NaN).
func (c Chart) Mermaid() string {
	var b strings.Builder
	b.WriteString("xychart-beta\n")
	b.WriteString("    title " + mermaidString(c.Title, 120) + "\n")
	labels := make([]string, len(c.Labels))
	for i, l := range c.Labels {
		labels[i] = mermaidString(l, 24)
	}
	b.WriteString("    x-axis " + mermaidString(c.XTitle, 40) + " [" + strings.Join(labels, ", ") + "]\n")
	b.WriteString("    y-axis " + mermaidString(c.YTitle, 40) + " " + mermaidNumber(c.YMin) + " --> " + mermaidNumber(c.YMax) + "\n")
	for _, s := range c.Series {
		kind := "line"
		if s.Kind == "bar" {
			kind = "bar"
		}
		vals := make([]string, len(s.Values))
		for i, v := range s.Values {
			vals[i] = mermaidNumber(v)
		}
		b.WriteString("    " + kind + " " + mermaidString(s.Name, 40) + " [" + strings.Join(vals, ", ") + "]\n")
	}
	return b.String()
}

// mermaidString quotes s for Mermaid: letters, digits, spaces and
// ".,:/()+-_=" are kept, anything else (quotes, "%%" comments, "#"
// entities, "<", backticks, control characters) becomes "?"; cut to max
// runes.
func mermaidString(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == ' ' || unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".,:/()+-_=", r):
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return `"` + b.String() + `"`
}

// mermaidNumber formats a finite value as a plain decimal: one decimal
// from 1 up ("1000", "12.5"), four significant digits below ("0.002");
// anything else as 0.
func mermaidNumber(v float64) string {
	if !finite(v) {
		return "0"
	}
	dec := 1
	if a := math.Abs(v); a > 0 && a < 1 {
		dec = min(12, 3-int(math.Floor(math.Log10(a))))
	}
	p := math.Pow(10, float64(dec))
	return strconv.FormatFloat(noNegZero(math.Round(v*p)/p), 'f', -1, 64)
}

func noNegZero(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}
