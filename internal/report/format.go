package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

// Gate names as compare sets them in results.Check.Gate (repeated here so
// rendering does not depend on the judging package).
const (
	gateErrorRateMax  = "error_rate_max"
	gateLatencyRise   = "latency_rise"
	gateErrorRateRise = "error_rate_rise"
	// gateLimit is an absolute limit of the config (p95: "< 200ms"): no
	// baseline value, change or p-value, like the error-rate ceiling.
	gateLimit = "limit"
)

// absoluteGate reports whether c holds a figure to a fixed bound (the
// error-rate ceiling, a limit) rather than judging a change.
func absoluteGate(c results.Check) bool { return c.Gate == gateErrorRateMax || c.Gate == gateLimit }

// isAbsolute reports whether the check's change is an absolute difference
// (error rate) rather than a relative one.
func isAbsolute(c results.Check) bool {
	return c.Metric == "error_rate" || c.Gate == gateErrorRateRise || c.Gate == gateErrorRateMax
}

// FormatValue formats a metric's value with its unit: "752.0 req/s",
// "3.00%" (error rate), "1.33 ms"; "—" for no metric. It is the number
// format of every report and of the PR comment.
func FormatValue(metric string, v float64) string {
	switch metric {
	case "throughput_rps":
		return strconv.FormatFloat(v, 'f', 1, 64) + " req/s"
	case "error_rate":
		return num.Percent(v, 2)
	case "":
		return "—"
	}
	return num.Value(v) + " ms"
}

// fMS formats milliseconds (num.Value).
func fMS(v float64) string { return num.Value(v) }

// scenarioLevel reports whether c is about a whole scenario (absent from
// the baseline or from the run) rather than one metric.
func scenarioLevel(c results.Check) bool {
	return c.Status == results.CheckMissing || (c.Gate == "" && c.Metric == "")
}

// FormatChange formats a check's change with its confidence interval, e.g.
// "-24.8% [-26.1%, -23.0%]", or "+2.90pp [...]" for the error rate (an
// absolute change); "—" where no change applies (a missing scenario, the
// error-rate ceiling, no runs on one side). It is the change format of
// every report and of the PR comment.
func FormatChange(c results.Check) string {
	switch {
	case scenarioLevel(c):
		return "—"
	case absoluteGate(c):
		return "—"
	case c.SamplesBase == 0 || c.SamplesCur == 0:
		return "—"
	}
	abs := isAbsolute(c)
	s := num.Signed(c.Change, abs)
	if c.Confidence > 0 {
		s += " [" + num.Signed(c.ChangeLow, abs) + ", " + num.Signed(c.ChangeHigh, abs) + "]"
	}
	return s
}

// fPValue is the p-value when the change is significant, "~ (p)" when it is
// not, and "—" when no test was run.
func fPValue(c results.Check) string {
	switch {
	case scenarioLevel(c), c.Status == results.CheckInsufficient, absoluteGate(c),
		c.Test == results.TestPairedSignedRank: // decided by its interval, no p-value
		return "—"
	case c.Significant:
		return num.PValue(c.PValue)
	}
	return "~ (" + num.PValue(c.PValue) + ")"
}

// fRule is what the check holds the metric to.
func fRule(c results.Check) string {
	if scenarioLevel(c) || c.Rule == "" {
		return "—"
	}
	return ruleText(c.Rule)
}

// fMetric names the metric of a check for a table cell.
func fMetric(c results.Check) string {
	if c.Metric == "" {
		return "—"
	}
	switch {
	case c.Gate == gateErrorRateMax:
		return "error rate (ceiling)"
	case c.Gate == gateLimit:
		return metricLabel(c.Metric) + " (limit)"
	}
	return metricLabel(c.Metric)
}

// statusWord is the upper-case status for tables.
func statusWord(s string) string {
	switch s {
	case results.CheckPass:
		return "PASS"
	case results.CheckFail:
		return "FAIL"
	case results.CheckInsufficient:
		return "INSUFFICIENT"
	case results.CheckMissing:
		return "MISSING"
	}
	return strings.ToUpper(s)
}

// intervalLabel is the confidence label of c's intervals: that of its
// paired checks (each look uses alpha/looks), else of alpha.
func intervalLabel(c *results.Comparison) string {
	for _, ch := range c.Checks {
		if ch.Test == results.TestPairedSignedRank && ch.Confidence > 0 && ch.Confidence < 1 {
			return confidenceLabel(1 - ch.Confidence)
		}
	}
	return confidenceLabel(c.Alpha)
}

// confidenceLabel is e.g. "95% CI" for alpha 0.05.
func confidenceLabel(alpha float64) string {
	if !(alpha > 0 && alpha < 1) {
		alpha = 0.05
	}
	return strconv.FormatFloat(math.Round((1-alpha)*1000)/10, 'f', -1, 64) + "% CI"
}

// counts tallies checks by status.
type counts struct{ pass, fail, insufficient, missing int }

func tally(c *results.Comparison) counts {
	var n counts
	if c == nil {
		return n
	}
	for _, ch := range c.Checks {
		switch ch.Status {
		case results.CheckPass:
			n.pass++
		case results.CheckFail:
			n.fail++
		case results.CheckInsufficient:
			n.insufficient++
		case results.CheckMissing:
			n.missing++
		}
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// verdictOf is the verdict to show: the stored one, or compare.VerdictOf
// the comparison when the results carry none.
func verdictOf(res *results.Results) string {
	if res.Verdict != "" {
		return res.Verdict
	}
	j := compare.Judging{}
	if p := res.Paired; p != nil {
		j = compare.Judging{Paired: true, Decided: p.StoppedBy == "decided"}
	}
	return compare.VerdictOf(res.Comparison, j)
}

// singleLine replaces control characters (newlines included) with spaces,
// so a name from a config cannot break a line-oriented format.
func singleLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// mdReplacer escapes what Markdown or HTML would interpret. "|" is left to
// the table renderer (go-pretty escapes it in cells); mdText adds it.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`,
	"`", "\\`",
	"*", `\*`,
	"_", `\_`,
	"[", `\[`,
	"]", `\]`,
	"~", `\~`,
	"#", `\#`,
	"!", `\!`,
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	"@", "&#64;", // no @mentions from names in a PR comment
)

// mdCell escapes s for a Markdown table cell rendered by go-pretty.
func mdCell(s string) string { return mdReplacer.Replace(singleLine(s)) }

// mdText escapes s for Markdown running text (outside a table).
func mdText(s string) string { return strings.ReplaceAll(mdCell(s), "|", `\|`) }
