package compare

// Limits: absolute ceilings and floors on a scenario's (or a flow step's)
// merged figures, written in perfgate.yaml beside the scenario
// (`limits: {p95: "< 200ms"}`). No statistics and no baseline: a limit
// holds or it does not, in every mode — against a stored baseline, paired
// (on the head's figures merged over its slices), and with no baseline at
// all. A broken limit fails the verdict.

import (
	"fmt"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

// GateLimit is results.Check.Gate of a limit check.
const GateLimit = "limit"

// LimitsOf is each scenario's limits by the name its figures carry: a
// scenario's name, and flow+results.StepSep+step for a flow's step.
// Scenarios and steps without limits are left out, and so are scenarios
// switched off (weight 0: in the results with no request, never judged).
func LimitsOf(scs []config.Scenario) map[string]config.Limits {
	out := map[string]config.Limits{}
	for _, sc := range scs {
		if sc.Weight <= 0 {
			continue
		}
		if len(sc.Limits) > 0 {
			out[sc.Name] = sc.Limits
		}
		for _, st := range sc.Steps {
			if len(st.Limits) > 0 {
				out[sc.Name+results.StepSep+st.Name] = st.Limits
			}
		}
	}
	return out
}

// JudgeLimits checks the merged figures of each scenario and flow step of
// scs against its limits, in the order of the scenarios and then of the
// file. A limit of a scenario that was not measured is not judged.
func JudgeLimits(limits map[string]config.Limits, scs []results.Scenario) []results.Check {
	if len(limits) == 0 {
		return nil
	}
	var out []results.Check
	for _, sc := range results.Flatten(scs) {
		out = append(out, limitChecks(sc, limits[sc.Name])...)
	}
	return out
}

// limitChecks judges one scenario's figures against its limits.
func limitChecks(sc results.Scenario, ls config.Limits) []results.Check {
	out := make([]results.Check, 0, len(ls))
	for _, l := range ls {
		metric, v, latency := limitFigure(sc.Figures, l.Metric)
		ch := results.Check{
			Scenario:   sc.Name,
			Metric:     metric,
			Gate:       GateLimit,
			Current:    finite(v),
			Threshold:  l.Value,
			Rule:       l.Text,
			SamplesCur: len(sc.Runs),
			Status:     results.CheckPass,
		}
		switch {
		case sc.Requests+sc.Errors.Dropped == 0:
			ch.Status = results.CheckFail
			ch.Note = fmt.Sprintf("no request was measured, so the limit %s %s cannot be shown to hold", l.Metric, l.Text)
		case latency && sc.OK == 0:
			ch.Status = results.CheckFail
			ch.Note = fmt.Sprintf("no request succeeded, so there is no latency to hold to the limit %s %s", l.Metric, l.Text)
		case !l.Holds(v):
			ch.Status = results.CheckFail
			ch.Note = fmt.Sprintf("%s is %s over %d requests: outside the limit %s %s", l.Metric, limitValue(metric, v), sc.Requests, l.Metric, l.Text)
		}
		out = append(out, ch)
	}
	return out
}

// limitFigure is the Check.Metric of a limit's metric, its value in the
// figures (in the limit's unit), and whether it is a latency.
func limitFigure(f results.Figures, metric string) (string, float64, bool) {
	switch metric {
	case "error_rate":
		return baseline.MetricErrorRate, f.ErrorRate, false
	case "goodput":
		return baseline.MetricThroughput, f.ThroughputRPS, false
	case "p50":
		return metric, f.LatencyMS.P50, true
	case "p90":
		return metric, f.LatencyMS.P90, true
	case "p95":
		return metric, f.LatencyMS.P95, true
	case "p99":
		return metric, f.LatencyMS.P99, true
	case "mean":
		return metric, f.LatencyMS.Mean, true
	case "max":
		return metric, f.LatencyMS.Max, true
	}
	return metric, 0, false
}

// limitValue is a figure in words: "3.2%", "412.5 req/s", "250 ms".
func limitValue(metric string, v float64) string {
	switch metric {
	case baseline.MetricErrorRate:
		return pct(v)
	case baseline.MetricThroughput:
		return fmt.Sprintf("%.1f req/s", v)
	}
	return num.Value(v) + " ms"
}
