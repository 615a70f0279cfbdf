package report

import (
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

// ViewOptions is what a view says besides the results.
type ViewOptions struct {
	// Workspace makes the baseline's and the config's paths relative to
	// the repository ("" finds the repository from the path).
	Workspace string
	// ConfigPath is the config file the next steps name (default: the
	// results' config_path, else perfgate.yaml).
	ConfigPath string
	// Exit is perfgate run's exit code as the caller saw it ("" when
	// unknown): it lets an inconclusive verdict say whether it failed the
	// job.
	Exit string
}

// View is what a person reads about a run, worked out once: the verdict,
// what judged it, the overview, the checks, the warnings, what to do next.
// Every format renders a View (RenderMarkdown, RenderTerminal, RenderJUnit,
// htmlreport.Render), so each rule of wording lives here, once. Text is
// plain: names from configs and services are not escaped (a renderer
// escapes them for its format); where perfgate's own words quote a config
// key, a file or a command, it is in backticks, which Markdown and HTML
// render as code.
type View struct {
	// Results are the results the view was built from: the measured
	// figures, timelines and histograms are drawn from them.
	Results *results.Results
	// Name is the config's name.
	Name string
	// Headline is the verdict in words.
	Headline Headline
	// Mode says what judged the run ("Judged by"); empty when nothing did.
	Mode Phrases
	// Undecided explains an inconclusive verdict; nil for any other (and
	// for an interrupted run).
	Undecided *Undecided
	// Decide says what would decide an undecided check.
	Decide string
	// Paired is true for a paired session (base and head side by side).
	Paired bool
	// Rows are the overview: a row per scenario and flow step, failed rows
	// first (Overview).
	Rows []Row
	// Legend explains the overview's marks and what its cells are ("" when
	// there is nothing to explain).
	Legend string
	// Judged is true when the results carry a comparison.
	Judged bool
	// Checks are the comparison's checks in the judge's order.
	Checks []CheckRow
	// Counts tallies Checks by status.
	Counts Counts
	// Interval labels the changes' confidence intervals ("95% CI").
	Interval string
	// BaseColumn and CurrentColumn head the checks' value columns:
	// "Baseline" and "Current", or "Base" and "Head" for paired checks.
	BaseColumn, CurrentColumn string
	// Notes explain the checks that did not pass, once per scenario for
	// identical notes.
	Notes []CheckNote
	// Warnings qualify the figures: the run's, the comparison's, and the
	// run's note unless the headline says it (Warnings).
	Warnings []string
	// JudgeWarnings are the comparison's warnings alone.
	JudgeWarnings []string
	// FailedLimits counts the failed checks that are limits;
	// FailedOthers the other failed checks.
	FailedLimits, FailedOthers int
	// Host is what the run ran on: CPU, OS, kernel settings, Go, the
	// client and the services.
	Host []Fact
	// Next says what to do next.
	Next NextSteps
	// Chart is the goodput per measured round of the first scenario that
	// has two (GoodputChart); nil when none has.
	Chart *Chart
	// Profile is where the time went (the profile diff); nil without one.
	Profile *ProfileView
	// Version and ConfigHash say what produced the results.
	Version, ConfigHash string
}

// CheckRow is one check as every report shows it.
type CheckRow struct {
	Scenario string
	// Status is the check's status (results.CheckPass, ...), Word the same
	// in capitals ("PASS").
	Status, Word string
	// Metric names the metric in a table ("goodput", "error rate
	// (ceiling)", "p95 (limit)", "—"); Label names it in running text
	// ("goodput", "error rate"), "" for a check about a whole scenario.
	Metric, Label string
	// Rule is what the check holds the metric to ("drop ≤ 5%"), "—" for
	// none.
	Rule string
	// Baseline, Current, Change and P are the table's cells: values with
	// their units, the change with its confidence interval, the p-value
	// ("~ (0.400)" when not significant); "—" where none applies.
	Baseline, Current, Change, P string
	// ChangeLine is "baseline → current (change)".
	ChangeLine string
	// Interval is the change's interval in percent ("-9.0% … +1.0%"), ""
	// when the check has none.
	Interval string
	// Note is the judge's explanation.
	Note string
	// ScenarioLevel: the check is about a whole scenario (in the baseline
	// and not measured, or the reverse), not a metric. Limit: it holds a
	// figure to an absolute limit of the config.
	ScenarioLevel, Limit bool
	// SamplesBase and SamplesCur are the runs (or rounds) on each side.
	SamplesBase, SamplesCur int
}

// CheckNote is the note of a check that did not pass: What names the
// scenario (and the metric).
type CheckNote struct {
	Status, What, Note string
}

// Counts tallies checks by status.
type Counts struct {
	Total, Pass, Fail, Inconclusive, Insufficient, Missing int
}

// Undecided explains an inconclusive verdict.
type Undecided struct {
	// Resolved is what the run could resolve, and why that was not enough.
	Resolved string
	// Exit is perfgate run's exit code as the caller saw it: "1" failed
	// the job, "0" did not, "" unknown.
	Exit string
	// Open are the undecided checks.
	Open []CheckRow
}

// Fact is one line of a table of facts (the host's).
type Fact struct {
	Name, Value Phrases
}

// NextSteps is what to do next: steps, then shell commands to run.
type NextSteps struct {
	// Steps are sentences; backticks quote config keys and files.
	Steps []string
	// Commands are shell commands, one a line ("" for none).
	Commands string
}

// NewView works out what res says (nil for nil results).
func NewView(res *results.Results, o ViewOptions) *View {
	if res == nil {
		return nil
	}
	v := &View{
		Results:  res,
		Name:     res.Name,
		Headline: VerdictHeadline(res),
		Mode:     ModeLine(res, o.Workspace),
		Decide:   decideHint(res),
		Paired:   res.Paired != nil,
		Rows:     Overview(res),
		Warnings: Warnings(res),
		Host:     hostFacts(res),
		Version:  res.PerfgateVersion, ConfigHash: res.ConfigHash,
		BaseColumn: "Baseline", CurrentColumn: "Current",
	}
	v.Legend = legend(v.Paired, v.Rows)
	if c := res.Comparison; c != nil {
		v.Judged = true
		v.JudgeWarnings = append([]string(nil), c.Warnings...)
		v.Interval = intervalLabel(c)
		v.FailedLimits, v.FailedOthers = failedLimits(c)
		for _, ch := range c.Checks {
			v.Checks = append(v.Checks, checkRow(ch))
			if ch.Test == results.TestPairedSignedRank {
				v.BaseColumn, v.CurrentColumn = "Base", "Head"
			}
		}
		v.Counts = countChecks(v.Checks)
		v.Notes = notes(v.Checks)
	}
	if res.Verdict == results.VerdictInconclusive && !res.Interrupted && res.EnvironmentFailure == "" {
		v.Undecided = undecided(res, v.Checks, o.Exit)
	}
	v.Next = nextSteps(res, o, v)
	if c, ok := goodputChart(res, v.Rows); ok {
		v.Chart = &c
	}
	v.Profile = profileView(res.ProfileDiff)
	return v
}

// checkRow is ch as the reports show it.
func checkRow(ch results.Check) CheckRow {
	r := CheckRow{
		Scenario: ch.Scenario, Status: ch.Status, Word: statusWord(ch.Status),
		Metric: fMetric(ch), Rule: fRule(ch),
		Baseline: fBase(ch), Current: FormatValue(ch.Metric, ch.Current), Change: FormatChange(ch), P: fPValue(ch),
		ChangeLine: ChangeLine(ch, " → "), Note: ch.Note,
		ScenarioLevel: scenarioLevel(ch), Limit: ch.Gate == gateLimit,
		SamplesBase: ch.SamplesBase, SamplesCur: ch.SamplesCur,
	}
	if ch.Metric != "" {
		r.Label = metricLabel(ch.Metric)
	}
	if ch.ChangeLow != 0 || ch.ChangeHigh != 0 {
		r.Interval = signedPercent(ch.ChangeLow) + " … " + signedPercent(ch.ChangeHigh)
	}
	return r
}

// countChecks tallies rows by status.
func countChecks(rows []CheckRow) Counts {
	n := Counts{Total: len(rows)}
	for _, r := range rows {
		switch r.Status {
		case results.CheckPass:
			n.Pass++
		case results.CheckFail:
			n.Fail++
		case results.CheckInconclusive:
			n.Inconclusive++
		case results.CheckInsufficient:
			n.Insufficient++
		case results.CheckMissing:
			n.Missing++
		}
	}
	return n
}

// notes lists the notes of failed, insufficient and missing checks, once
// per scenario for identical notes (insufficient runs say the same thing
// for every metric).
func notes(rows []CheckRow) []CheckNote {
	var out []CheckNote
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Status == results.CheckPass || r.Note == "" {
			continue
		}
		key := r.Scenario + "\x00" + r.Status + "\x00" + r.Note
		if r.Status == results.CheckInsufficient && seen[key] {
			continue
		}
		seen[key] = true
		what := r.Scenario
		if r.Label != "" && r.Status != results.CheckInsufficient {
			what += " " + r.Metric
		}
		out = append(out, CheckNote{Status: r.Status, What: what, Note: r.Note})
	}
	return out
}

// Warnings are what qualifies res's figures: the run's warnings, the
// comparison's, and the run's note unless the headline already says it
// (an interrupted run).
func Warnings(res *results.Results) []string {
	ws := append([]string(nil), res.Warnings...)
	if res.Comparison != nil {
		ws = append(ws, res.Comparison.Warnings...)
	}
	if n := strings.TrimSpace(res.Note); n != "" && !res.Interrupted {
		ws = append(ws, n)
	}
	return ws
}
