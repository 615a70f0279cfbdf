package report

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

// hostFacts are what the run ran on, as the Host table shows them.
func hostFacts(res *results.Results) []Fact {
	h := res.Host
	var out []Fact
	row := func(k string, v Phrases) {
		if v.Plain() != "" {
			out = append(out, Fact{Name: Phrases{words(k)}, Value: v})
		}
	}
	cpu := Phrases{words("unknown model")}
	if h.CPUModel != "" {
		cpu = Phrases{name(cut(h.CPUModel, 120))}
	}
	if h.CPUCount > 0 {
		cpu = append(cpu, words(fmt.Sprintf(" × %d", h.CPUCount)))
	}
	if h.GOMAXPROCS > 0 {
		cpu = append(cpu, words(fmt.Sprintf(" (GOMAXPROCS %d)", h.GOMAXPROCS)))
	}
	row("CPU", cpu)
	osv := Phrases{name(cut(strings.Trim(h.OS+"/"+h.Arch, "/"), 40))}
	if h.Kernel != "" {
		osv = append(osv, words(", kernel "), name(cut(h.Kernel, 80)))
	}
	row("OS", osv)
	row("somaxconn", Phrases{words(intOrUnknown(h.Somaxconn))})
	if h.TCPMaxSynBacklog > 0 {
		row("tcp_max_syn_backlog", Phrases{words(strconv.Itoa(h.TCPMaxSynBacklog))})
	}
	files := "unknown"
	if h.OpenFilesSoft > 0 || h.OpenFilesHard > 0 {
		files = fmt.Sprintf("%d soft / %d hard", h.OpenFilesSoft, h.OpenFilesHard)
	}
	row("open files", Phrases{words(files)})
	goVersion := Phrases{words("unknown")}
	if h.GoVersion != "" {
		goVersion = Phrases{name(cut(h.GoVersion, 40))}
	}
	row("Go", goVersion)
	if res.Client != "" {
		row("client", Phrases{name(cut(res.Client, 60))})
	}
	for _, s := range res.Services {
		d := Phrases{name(cut(s.Provider, 20))}
		if s.Image != "" {
			d = append(d, words(" "), name(cut(s.Image, 120)))
		}
		if s.CPUs > 0 {
			d = append(d, words(fmt.Sprintf(", %g CPUs", s.CPUs)))
		}
		if s.Memory != "" {
			d = append(d, words(", memory "), name(cut(s.Memory, 20)))
		}
		if d.Plain() != "" {
			out = append(out, Fact{Name: Phrases{words("service "), name(cut(s.Name, 60))}, Value: d})
		}
	}
	return out
}

func intOrUnknown(n int) string {
	if n <= 0 {
		return "unknown"
	}
	return strconv.Itoa(n)
}

// nextSteps is what to do after res: fix or accept a failure, refresh or
// create the baseline (with the commands), or what would decide an
// undecided check.
func nextSteps(res *results.Results, o ViewOptions, v *View) NextSteps {
	var n NextSteps
	step := func(s string) { n.Steps = append(n.Steps, s) }
	cfg := o.ConfigPath
	if cfg == "" {
		cfg = res.ConfigPath
	}
	if cfg == "" {
		cfg = "perfgate.yaml"
	}
	cfg = relTo(o.Workspace, cfg)
	dir := "baselines/"
	if res.Comparison != nil && res.Comparison.Baseline != "" {
		dir = relTo(o.Workspace, filepath.Dir(res.Comparison.Baseline)) + "/"
	} else if d := filepath.Dir(cfg); d != "." {
		dir = filepath.ToSlash(filepath.Join(d, "baselines")) + "/"
	}
	if res.Interrupted {
		step("The run did not finish, so there is no verdict to trust: see the warnings above and the job's log, fix the cause and re-run the job.")
		return n
	}
	if v.FailedLimits > 0 {
		step("A limit not met? Make the scenario meet it, or change its `limits:` in `" + codeSpan(cfg) + "`: limits are absolute, no baseline moves them.")
		if v.FailedOthers == 0 {
			return n
		}
	}
	if res.Paired != nil {
		switch res.Verdict {
		case results.VerdictFail:
			step("Unexpected? Look at the failed checks above: base and head ran side by side on this runner, so runner drift hit both alike. Profile the change, fix it and push.")
			step("Expected (a deliberate trade-off)? There is no baseline to refresh: the pull request's base commit is the reference. Merge with the job failed, or loosen the gate in the config's `gates`.")
		case results.VerdictPass:
			step("Nothing to do: the head is within every gate of its base commit.")
		case results.VerdictInconclusive:
			step("To get a decision, " + v.Decide)
			step("Re-running the job measures again from scratch.")
		default:
			step("Nothing was judged; see the warnings above and the job's log.")
		}
		return n
	}
	switch res.Verdict {
	case results.VerdictFail:
		step("Unexpected? Look at the failed checks above and at the run's log; re-run the job to rule out a noisy runner.")
		step("Expected (a deliberate trade-off)? Refresh the baseline locally, on a machine like the one that made it, and commit it:")
	case results.VerdictPass:
		step("Nothing to do. After an intended performance change, refresh the baseline locally and commit it:")
	case results.VerdictInconclusive:
		step("To get a decision, " + v.Decide)
		step("If the baseline itself is out of date, refresh it locally and commit it:")
	default:
		step("Create a baseline locally, on a machine like the CI runner, and commit it:")
	}
	n.Commands = "perfgate baseline update -c " + shellQuote(cfg) + "\ngit add " + shellQuote(dir) + "\ngit commit -m 'perfgate: refresh baseline'"
	return n
}

// failedLimits counts c's failed checks that are limits, and the others.
func failedLimits(c *results.Comparison) (limits, others int) {
	if c == nil {
		return 0, 0
	}
	for _, ch := range c.Checks {
		switch {
		case ch.Status != results.CheckFail:
		case ch.Gate == gateLimit:
			limits++
		default:
			others++
		}
	}
	return limits, others
}

// undecided explains res's inconclusive verdict: what the run could
// resolve, and which checks stayed open.
func undecided(res *results.Results, checks []CheckRow, exit string) *Undecided {
	u := &Undecided{Exit: exit}
	p := res.Paired
	switch f := neighbourTook(res); {
	case p != nil && p.Detectable > 0:
		u.Resolved = fmt.Sprintf("after %s (%.0f s of load) %s, not enough to tell every gate's change from both no change that matters and its threshold.",
			plural(p.Rounds, "paired round", "paired rounds"), p.LoadS, Detectable(p.Detectable))
	case f != nil:
		u.Resolved = fmt.Sprintf("other processes took %.2f of %d cores during this run against %.2f during the baseline's, "+
			"enough to explain every failed check by itself: a stored baseline cannot tell a busy runner from a slower service.", f.Current, f.CPUs, f.Baseline)
	default:
		u.Resolved = "the time budget was spent before every gate was decided."
	}
	for _, r := range checks {
		if r.Status == results.CheckInconclusive {
			u.Open = append(u.Open, r)
		}
	}
	return u
}

// decideHint says what would decide an inconclusive verdict, with config
// keys in backticks.
func decideHint(res *results.Results) string {
	p := res.Paired
	if p == nil {
		return "re-run when the runner is quieter, or judge in paired mode (`perfgate run --base REF`), which runs base and head beside the same neighbour."
	}
	s := "give the comparison more time: raise `gates.max_time`"
	if p.MaxTimeS > 0 {
		s += fmt.Sprintf(" (now %.0f s)", p.MaxTimeS)
	}
	return s + " as the warning says; a quieter runner decides sooner, and `perfgate calibrate` tells which thresholds this runner can judge."
}

// signedPercent is a fraction as a signed percentage with one decimal
// ("+1.0%").
func signedPercent(f float64) string { return fmt.Sprintf("%+.1f%%", 100*f) }
