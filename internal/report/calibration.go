package report

import (
	"fmt"
	"io"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

// Calibration renders `perfgate calibrate`: per gate, the runner's
// per-round noise, the smallest change the paired budget tells from none,
// and the smallest threshold it decides, against the configured one.
func Calibration(w io.Writer, rows []compare.CalibrationRow, rounds int, loadS float64, color bool) error {
	t := table.NewWriter()
	if color {
		t.SetStyle(table.StyleRounded)
	} else {
		t.SetStyle(table.StyleLight)
	}
	t.AppendHeader(table.Row{"Scenario", "Gate", "Noise per round", "Tells from none", "Judgeable threshold", "Configured", ""})
	unjudgeable := 0
	for _, r := range rows {
		val := func(x float64) string {
			if r.Absolute {
				return num.Points(x, -1)
			}
			return num.Percent(x, -1)
		}
		mark, judge := "✓", "≥ "+val(r.MinThreshold)
		if !r.Bounded {
			mark, judge = "?", "—"
		} else if !r.Judgeable {
			mark = paint(color, "✗ too tight", text.FgRed)
			unjudgeable++
		}
		name := results.MetricLabel(r.Metric)
		t.AppendRow(table.Row{singleLine(r.Scenario), name, val(r.Spread), val(r.Detectable), judge, val(r.Threshold), mark})
	}
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 3, Align: text.AlignRight}, {Number: 4, Align: text.AlignRight}, {Number: 5, Align: text.AlignRight}, {Number: 6, Align: text.AlignRight},
	})
	if _, err := io.WriteString(w, t.Render()+"\n"); err != nil {
		return err
	}
	fmt.Fprintf(w, "A/A over %d paired rounds (%.0f s of load): \"tells from none\" is the smallest change this runner's budget detects at the gates' alpha and power;\n", rounds, loadS)
	fmt.Fprintf(w, "a threshold at or above \"judgeable\" is decided within the budget (gates.max_time).\n")
	if unjudgeable > 0 {
		fmt.Fprintf(w, "%d gate(s) are tighter than this runner can judge in the budget: widen them, raise gates.max_time, or use a quieter runner.\n", unjudgeable)
	}
	return nil
}
