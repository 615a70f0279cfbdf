package report

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/internal/results"
)

func writeHost(b *strings.Builder, res *results.Results) {
	h := res.Host
	b.WriteString("\n<details><summary>Host</summary>\n\n| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(b, "| %s | %s |\n", k, v)
		}
	}
	cpu := inline(h.CPUModel, 120)
	if cpu == "" {
		cpu = "unknown model"
	}
	if h.CPUCount > 0 {
		cpu += fmt.Sprintf(" × %d", h.CPUCount)
	}
	if h.GOMAXPROCS > 0 {
		cpu += fmt.Sprintf(" (GOMAXPROCS %d)", h.GOMAXPROCS)
	}
	row("CPU", cpu)
	osv := inline(strings.Trim(h.OS+"/"+h.Arch, "/"), 40)
	if h.Kernel != "" {
		osv += ", kernel " + inline(h.Kernel, 80)
	}
	row("OS", osv)
	row("somaxconn", intOrUnknown(h.Somaxconn))
	if h.TCPMaxSynBacklog > 0 {
		row("tcp_max_syn_backlog", strconv.Itoa(h.TCPMaxSynBacklog))
	}
	files := "unknown"
	if h.OpenFilesSoft > 0 || h.OpenFilesHard > 0 {
		files = fmt.Sprintf("%d soft / %d hard", h.OpenFilesSoft, h.OpenFilesHard)
	}
	row("open files", files)
	row("Go", orUnknown(inline(h.GoVersion, 40)))
	if res.Client != "" {
		row("client", inline(res.Client, 60))
	}
	for _, s := range res.Services {
		d := inline(s.Provider, 20)
		if s.Image != "" {
			d += " " + inline(s.Image, 120)
		}
		if s.CPUs > 0 {
			d += fmt.Sprintf(", %g CPUs", s.CPUs)
		}
		if s.Memory != "" {
			d += ", memory " + inline(s.Memory, 20)
		}
		row("service "+inline(s.Name, 60), d)
	}
	b.WriteString("\n</details>\n")
}

func intOrUnknown(n int) string {
	if n <= 0 {
		return "unknown"
	}
	return strconv.Itoa(n)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func writeNext(b *strings.Builder, res *results.Results, o MarkdownOptions) {
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
	b.WriteString("\n**What to do next**\n\n")
	if res.Interrupted {
		b.WriteString("- The run did not finish, so there is no verdict to trust: see the warnings above and the job's log, fix the cause and re-run the job.\n")
		return
	}
	limits, others := failedLimits(res.Comparison)
	if limits > 0 {
		b.WriteString("- A limit not met? Make the scenario meet it, or change its `limits:` in `" + codeSpan(cfg) + "`: limits are absolute, no baseline moves them.\n")
		if others == 0 {
			return
		}
	}
	if p := res.Paired; p != nil {
		writeNextPaired(b, res, p)
		return
	}
	switch res.Verdict {
	case results.VerdictFail:
		b.WriteString("- Unexpected? Look at the failed checks above and at the run's log; re-run the job to rule out a noisy runner.\n")
		b.WriteString("- Expected (a deliberate trade-off)? Refresh the baseline locally, on a machine like the one that made it, and commit it:\n")
	case results.VerdictPass:
		b.WriteString("- Nothing to do. After an intended performance change, refresh the baseline locally and commit it:\n")
	case results.VerdictInconclusive:
		b.WriteString("- To get a decision, " + mdWithCode(decideHint(res)) + "\n")
		b.WriteString("- If the baseline itself is out of date, refresh it locally and commit it:\n")
	default:
		b.WriteString("- Create a baseline locally, on a machine like the CI runner, and commit it:\n")
	}
	cmds := "perfgate baseline update -c " + shellQuote(cfg) + "\ngit add " + shellQuote(dir) + "\ngit commit -m 'perfgate: refresh baseline'"
	fence := codeFence(cmds)
	b.WriteString("\n" + fence + "sh\n" + cmds + "\n" + fence + "\n")
}

// writeNextPaired is "What to do next" for a paired run: there is no
// baseline file to refresh, the base commit is the reference.
func writeNextPaired(b *strings.Builder, res *results.Results, p *results.Paired) {
	switch res.Verdict {
	case results.VerdictFail:
		b.WriteString("- Unexpected? Look at the failed checks above: base and head ran side by side on this runner, so runner drift hit both alike. Profile the change, fix it and push.\n")
		b.WriteString("- Expected (a deliberate trade-off)? There is no baseline to refresh: the pull request's base commit is the reference. Merge with the job failed, or loosen the gate in the config's `gates`.\n")
	case results.VerdictPass:
		b.WriteString("- Nothing to do: the head is within every gate of its base commit.\n")
	case results.VerdictInconclusive:
		b.WriteString("- To get a decision, " + mdWithCode(decideHint(res)) + "\n")
		b.WriteString("- Re-running the job measures again from scratch.\n")
	default:
		b.WriteString("- Nothing was judged; see the warnings above and the job's log.\n")
	}
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
