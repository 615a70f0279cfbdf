package baseline

import (
	"sort"
)

// DiffRow is one scenario × metric of an old-vs-new baseline table. Values
// are medians over runs; Change is relative (new/old-1) except for
// error_rate, where it is the absolute difference.
type DiffRow struct {
	Scenario string
	Metric   string
	Old, New float64
	// HasOld/HasNew are false when the scenario is absent on that side.
	HasOld, HasNew bool
	// Change is meaningful only when HasOld, HasNew and ChangeOK.
	Change   float64
	ChangeOK bool
	RunsOld  int
	RunsNew  int
}

// Diff compares two baselines for `perfgate baseline update`: one row per
// scenario and metric, scenarios in new's order followed by those only in
// old. old may be nil (first baseline).
func Diff(old, new *Baseline) []DiffRow {
	var rows []DiffRow
	var names []string
	seen := map[string]bool{}
	if new != nil {
		for _, sc := range new.Scenarios {
			if !seen[sc.Name] {
				names = append(names, sc.Name)
				seen[sc.Name] = true
			}
		}
	}
	if old != nil {
		var gone []string
		for _, sc := range old.Scenarios {
			if !seen[sc.Name] {
				gone = append(gone, sc.Name)
				seen[sc.Name] = true
			}
		}
		sort.Strings(gone)
		names = append(names, gone...)
	}
	for _, name := range names {
		var o, n *Scenario
		if old != nil {
			o = old.Scenario(name)
		}
		if new != nil {
			n = new.Scenario(name)
		}
		for _, m := range Metrics {
			r := DiffRow{Scenario: name, Metric: m}
			if o != nil {
				r.Old, r.HasOld = Median(o.Samples.Get(m)), true
				r.RunsOld = o.Samples.Len()
			}
			if n != nil {
				r.New, r.HasNew = Median(n.Samples.Get(m)), true
				r.RunsNew = n.Samples.Len()
			}
			if r.HasOld && r.HasNew {
				if m == MetricErrorRate {
					r.Change, r.ChangeOK = r.New-r.Old, true
				} else if r.Old > 0 {
					r.Change, r.ChangeOK = r.New/r.Old-1, true
				}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// Median returns the median of xs (mean of the middle two for an even
// count), or 0 for none. xs is not modified.
func Median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
