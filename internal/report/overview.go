package report

import (
	"math"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

// OverviewMetrics are the overview's columns, in order: goodput, p50, p95,
// p99 and the error rate (results.Check metric names).
var OverviewMetrics = []string{"throughput_rps", "p50", "p95", "p99", "error_rate"}

// Row is one row of the overview that opens the PR comment, the job summary
// and the Markdown report: one scenario with its judged metrics.
//
// Rows are keyed by the scenario name of the checks, so a check about
// something that is not among res.Scenarios (a baselined scenario the run
// did not measure, and, once results carry them, a flow's steps judged
// under their own names) gets a row of its own.
type Row struct {
	Scenario string
	// Status is the worst status among the row's checks (fail, inconclusive,
	// missing, insufficient, pass) or "" when nothing was judged.
	Status string
	// Measured is false for a scenario of the baseline this run did not
	// measure: its cells hold no value.
	Measured bool
	// Cells holds one cell per OverviewMetrics entry.
	Cells []Cell
	// Failed lists the row's failed checks in the comparison's order,
	// metrics outside the columns (p90) included.
	Failed []results.Check
	// Failures say once what failed (Failed), a part per metric.
	Failures []FailurePart
}

// FailurePart is one part of a row's failure line: a metric ("p99") and
// what it did ("12.0 ms → 15.0 ms (+25.0%, gate rise ≤ 10%)"), or, for
// a scenario in the baseline the run did not measure, only the judge's
// note (Label "").
type FailurePart struct {
	Label, Text string
}

// Cell is one metric of a row: this run's value and its change.
type Cell struct {
	Metric   string
	Value    float64
	HasValue bool
	// Change is relative (absolute for the error rate), as in
	// results.Check; HasChange is false without a baseline value.
	Change    float64
	HasChange bool
	// Status is the worst status of the metric's checks ("" unjudged).
	Status string
	// Tested: a statistical check judged it (the error-rate ceiling alone
	// is not a test); Significant: that check found a significant change.
	Tested, Significant bool
	// UnderFloor: a latency rose significantly past its gate's share but
	// passed because the rise stayed under the gate's floor (e.g. ≤ 1 ms).
	UnderFloor bool
}

// Mark is the cell's verdict sign: "❌" beyond its gate, "≈" a rise past
// the gate's share that stayed under its floor, "✅" a significant change
// within its gate (or only a ceiling, held), "~" no significant change,
// "⚪" too few runs, "〰️" not decided, "❔" not in the baseline, "" not
// judged.
func (c Cell) Mark() string {
	switch c.Status {
	case results.CheckFail:
		return "❌"
	case results.CheckInconclusive:
		return "〰️"
	case results.CheckInsufficient:
		return "⚪"
	case results.CheckMissing:
		return "❔"
	case results.CheckPass:
		if c.UnderFloor {
			return "≈"
		}
		if c.Significant || !c.Tested {
			return "✅"
		}
		return "~"
	}
	return ""
}

// Mark is the row's sign: that of its worst check ("❌", "〰️", "❔",
// "⚪", "✅"), "" when nothing was judged.
func (r Row) Mark() string {
	switch r.Status {
	case results.CheckPass:
		return "✅"
	case "":
		return ""
	}
	return Cell{Status: r.Status}.Mark()
}

// changed reports whether a judged change in r was significant.
func (r Row) changed() bool {
	for _, c := range r.Cells {
		if c.Significant {
			return true
		}
	}
	return false
}

// statusRank orders statuses worst first.
func statusRank(s string) int {
	switch s {
	case results.CheckFail:
		return 5
	case results.CheckInconclusive:
		return 4
	case results.CheckMissing:
		return 3
	case results.CheckInsufficient:
		return 2
	case results.CheckPass:
		return 1
	}
	return 0
}

func worse(a, b string) string {
	if statusRank(b) > statusRank(a) {
		return b
	}
	return a
}

// Overview is one Row per scenario: failed rows first, then undecided
// ones, then rows with a significant change, then the rest, each group in
// the order of the results. Values are the judged centers (the median over
// runs, or over paired rounds for the head) when a check has them, else
// the figures merged over the runs.
func Overview(res *results.Results) []Row {
	if res == nil {
		return nil
	}
	var rows []Row
	index := map[string]int{}
	// A flow's steps are scenarios as the judge sees them (flow/step):
	// rows of their own, with their figures.
	for _, sc := range results.Flatten(res.Scenarios) {
		if _, dup := index[sc.Name]; dup {
			continue
		}
		index[sc.Name] = len(rows)
		rows = append(rows, Row{Scenario: sc.Name, Measured: true, Cells: figureCells(sc.Figures)})
	}
	if c := res.Comparison; c != nil {
		for _, ch := range c.Checks {
			i, ok := index[ch.Scenario]
			if !ok {
				i = len(rows)
				index[ch.Scenario] = i
				rows = append(rows, Row{Scenario: ch.Scenario, Cells: figureCells(results.Figures{})})
				for k := range rows[i].Cells {
					rows[i].Cells[k].HasValue = false
				}
			}
			r := &rows[i]
			r.Status = worse(r.Status, ch.Status)
			if ch.Status == results.CheckFail {
				r.Failed = append(r.Failed, ch)
			}
			for k := range r.Cells {
				if r.Cells[k].Metric == ch.Metric {
					addCheck(&r.Cells[k], ch, r.Measured)
				}
			}
		}
	}
	group := func(r Row) int {
		switch {
		case r.Status == results.CheckFail:
			return 0
		case r.Status == results.CheckInconclusive:
			return 1
		case r.changed():
			return 2
		}
		return 3
	}
	sort.SliceStable(rows, func(a, b int) bool { return group(rows[a]) < group(rows[b]) })
	for i := range rows {
		rows[i].Failures = failureParts(rows[i].Failed)
	}
	return rows
}

// failureParts say once what failed in a row: "goodput: 1000.0 req/s →
// 752.0 req/s (-24.8%, gate drop ≤ 5%)", ... The error rate can fail its
// ceiling and its rise at once: one part says both.
func failureParts(failed []results.Check) []FailurePart {
	ceiling := ""
	riseFailed := false
	for _, ch := range failed {
		if ch.Gate == gateErrorRateMax {
			ceiling = "ceiling " + fRule(ch)
		} else if ch.Metric == "error_rate" && !scenarioLevel(ch) {
			riseFailed = true
		}
	}
	var parts []FailurePart
	for _, ch := range failed {
		switch {
		case scenarioLevel(ch):
			n := ch.Note
			if n == "" {
				n = "in the baseline but not measured in this run"
			}
			parts = append(parts, FailurePart{Text: n})
		case ch.Gate == gateErrorRateMax:
			if !riseFailed {
				parts = append(parts, FailurePart{Label: "error rate", Text: FormatValue(ch.Metric, ch.Current) + " (" + ceiling + ")"})
			}
		default:
			s := ""
			if ch.SamplesBase > 0 || ch.Baseline != 0 {
				s += FormatValue(ch.Metric, ch.Baseline) + " → "
			}
			s += FormatValue(ch.Metric, ch.Current)
			var in []string
			if ch.SamplesBase > 0 && ch.SamplesCur > 0 && finite(ch.Change) {
				in = append(in, num.Signed(ch.Change, isAbsolute(ch)))
			}
			if ch.Rule != "" {
				word := "gate "
				if ch.Gate == gateLimit {
					word = "limit "
				}
				in = append(in, word+ruleText(ch.Rule))
			}
			if ch.Metric == "error_rate" && ceiling != "" {
				in = append(in, ceiling)
			}
			if len(in) > 0 {
				s += " (" + strings.Join(in, ", ") + ")"
			}
			parts = append(parts, FailurePart{Label: metricLabel(ch.Metric), Text: s})
		}
	}
	return parts
}

// legend explains the marks the overview uses, and what its values are;
// paired says the changes are the head's from the base's.
func legend(paired bool, rows []Row) string {
	used := map[string]bool{}
	changes := false
	for _, r := range rows {
		used[r.Mark()] = true
		for _, c := range r.Cells {
			used[c.Mark()] = true
			changes = changes || c.HasChange
		}
	}
	var marks []string
	for _, m := range []struct{ mark, text string }{
		{"✅", "within its gate"}, {"≈", "rose past its gate's share but less than its floor"}, {"~", "no significant change"}, {"❌", "beyond its gate"},
		{"⚪", "too few runs to judge"}, {"〰️", "undecided"}, {"❔", "not in the baseline"},
	} {
		if used[m.mark] {
			marks = append(marks, m.mark+" "+m.text)
		}
	}
	var what string
	switch {
	case changes && paired:
		what = "Each cell: the head's median over the paired rounds and its change from the base's."
	case changes:
		what = "Each cell: this run's median over its runs and its change from the baseline's."
	case len(marks) == 0:
		return ""
	default:
		what = "Each cell: this run's figure (nothing to compare it with)."
	}
	if len(marks) > 0 {
		what += " " + strings.Join(marks, " · ")
	}
	return what
}

// figureCells are the cells of merged figures, before any check.
func figureCells(f results.Figures) []Cell {
	cells := make([]Cell, len(OverviewMetrics))
	for i, m := range OverviewMetrics {
		cells[i] = Cell{Metric: m, HasValue: true}
		switch m {
		case "throughput_rps":
			cells[i].Value = f.ThroughputRPS
		case "p50":
			cells[i].Value = f.LatencyMS.P50
		case "p95":
			cells[i].Value = f.LatencyMS.P95
		case "p99":
			cells[i].Value = f.LatencyMS.P99
		case "error_rate":
			cells[i].Value = f.ErrorRate
		}
	}
	return cells
}

// addCheck folds one check of the cell's metric into it. The error rate
// has two: the ceiling (overall rate, no test) and the rise (median over
// runs, tested); the tested one gives the value and the change.
func addCheck(c *Cell, ch results.Check, measured bool) {
	c.Status = worse(c.Status, ch.Status)
	if absoluteGate(ch) {
		if measured && !c.Tested && finite(ch.Current) {
			c.Value, c.HasValue = ch.Current, true
		}
		return
	}
	if scenarioLevel(ch) {
		return
	}
	c.Tested = true
	c.Significant = c.Significant || ch.Significant
	if ch.Gate == gateLatencyRise && ch.Status == results.CheckPass && ch.Significant && ch.Threshold > 0 && ch.Change > ch.Threshold {
		c.UnderFloor = true
	}
	if ch.SamplesCur > 0 && finite(ch.Current) && measured {
		c.Value, c.HasValue = ch.Current, true
	}
	if ch.SamplesBase > 0 && ch.SamplesCur > 0 && finite(ch.Change) {
		c.Change, c.HasChange = ch.Change, true
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// metricLabel names a metric for people (results.MetricLabel).
func metricLabel(m string) string { return results.MetricLabel(m) }
