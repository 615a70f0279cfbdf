package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/perfgate/perfgate/internal/results"
)

// SummaryTable renders what a run measured, one row per scenario, for the
// terminal: the figures merged over the measured runs, goodput (successful
// responses per second) with the attempt rate beside it when failures make
// them differ, the spread of goodput across runs, statuses and error
// classes; latency percentiles are those of successful responses.
func SummaryTable(w io.Writer, res *results.Results, color bool) error {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	if color {
		t.SetStyle(table.StyleRounded)
	} else {
		t.SetStyle(table.StyleLight)
	}
	t.SetTitle(summaryTitle(res))
	t.AppendHeader(table.Row{"Scenario", "Requests", "Goodput/s", "Runs min..max", "Errors", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms", "Statuses"})
	for _, s := range displayRows(res.Scenarios, "  └ ") {
		rate := fmt.Sprintf("%.1f", s.ThroughputRPS)
		if s.AttemptRPS > 0 && s.OK < s.Requests {
			rate += fmt.Sprintf(" (of %.1f sent)", s.AttemptRPS)
		}
		t.AppendRow(table.Row{
			s.Name, s.Requests, rate, runSpread(s.Runs),
			errorCell(s.Figures), fMS(s.LatencyMS.P50), fMS(s.LatencyMS.P90), fMS(s.LatencyMS.P95), fMS(s.LatencyMS.P99), fMS(s.LatencyMS.Max),
			statusCell(s.StatusCounts),
		})
	}
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 2, Align: text.AlignRight}, {Number: 3, Align: text.AlignRight},
		{Number: 6, Align: text.AlignRight}, {Number: 7, Align: text.AlignRight}, {Number: 8, Align: text.AlignRight},
		{Number: 9, Align: text.AlignRight}, {Number: 10, Align: text.AlignRight},
	})
	t.Render()
	return nil
}

func summaryTitle(res *results.Results) string {
	l := res.Load
	var load string
	if l.Model == "open" {
		load = fmt.Sprintf("open model, %.0f req/s, max %d in flight", l.Rate, l.MaxInFlight)
	} else {
		load = fmt.Sprintf("closed model, %d workers", l.Workers)
	}
	title := fmt.Sprintf("perfgate %s — %s, %d measured run(s)", res.Name, load, l.Repeat)
	if res.Interrupted {
		title += " — INTERRUPTED, partial results"
	}
	if len(res.SwitchedOff) > 0 {
		title += " — switched off (weight 0): " + strings.Join(res.SwitchedOff, ", ")
	}
	return title
}

func runSpread(runs []results.Run) string {
	if len(runs) == 0 {
		return "-"
	}
	lo, hi := runs[0].ThroughputRPS, runs[0].ThroughputRPS
	cut := ""
	for _, r := range runs[1:] {
		lo, hi = min(lo, r.ThroughputRPS), max(hi, r.ThroughputRPS)
	}
	for _, r := range runs {
		if r.Incomplete {
			cut = fmt.Sprintf(" (run %d cut short)", r.Index)
		}
	}
	return fmt.Sprintf("%.0f..%.0f%s", lo, hi, cut)
}

func errorCell(f results.Figures) string {
	if f.Errors.Total() == 0 {
		return "0"
	}
	var parts []string
	for _, c := range []struct {
		n string
		v int64
	}{{"status", f.Errors.Status}, {"timeout", f.Errors.Timeout}, {"refused", f.Errors.Refused}, {"reset", f.Errors.Reset},
		{"other", f.Errors.Other}, {"client", f.Errors.Client}, {"dropped", f.Errors.Dropped}, {"capture", f.Errors.Capture}} {
		if c.v > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.n, c.v))
		}
	}
	return fmt.Sprintf("%.2f%% (%s)", f.ErrorRate*100, strings.Join(parts, ", "))
}

func statusCell(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// displayRows lists the scenarios for a table: a flow's row (its figures
// count iterations, marked "(flow)") with its steps after it, each named
// with indent before it.
func displayRows(scs []results.Scenario, indent string) []results.Scenario {
	out := make([]results.Scenario, 0, len(scs))
	for _, s := range scs {
		if len(s.Steps) == 0 {
			out = append(out, s)
			continue
		}
		f := s
		f.Name += " (flow)"
		out = append(out, f)
		for _, st := range s.Steps {
			st.Name = indent + st.Name
			out = append(out, st)
		}
	}
	return out
}
