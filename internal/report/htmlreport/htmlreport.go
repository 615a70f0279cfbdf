// Package htmlreport renders a results file as one self-contained HTML page
// (`perfgate report --format html`): the verdict first, worded as in the PR
// comment; the measured figures (a flow's steps nested under it) and the
// checks as tables; then, per scenario, its timeline over every pass
// (goodput and p50/p99 per second, the warm-up shaded, each run's start
// marked), its latency distribution from the merged HDR histogram (a
// percentile curve on a log axis, where p90, p99 and p99.9 are evenly
// spaced), and in paired mode base against head, round by round.
//
// The page needs nothing at view time: the stylesheet is inline, the charts
// are inline SVG drawn by svgchart, there is no script, and a
// Content-Security-Policy forbids every fetch, so a page opened from an
// artifact shows the same thing offline as online. Tooltips are SVG <title>
// elements. Every string from a config, a host or a note is escaped by
// html/template.
package htmlreport

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"code": codeHTML}).Parse(pageSource))

// codeHTML is perfgate's own text with what it quotes in backticks
// (`gates.max_rounds`) as <code>, the rest escaped, as the Markdown report
// shows it; an unpaired backtick stays text.
func codeHTML(s string) template.HTML {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 {
		parts[len(parts)-2] += "`" + parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
			continue
		}
		b.WriteString(template.HTMLEscapeString(p))
	}
	return template.HTML(b.String())
}

// Write renders res as an HTML page to w (Render of its View).
func Write(w io.Writer, res *results.Results) error {
	if res == nil {
		return fmt.Errorf("report: no results to render")
	}
	return Render(w, report.NewView(res, report.ViewOptions{}))
}

// Render renders v as an HTML page to w: its headline, mode line,
// warnings and checks as every report words them, the measured figures
// and the charts drawn from v.Results. The page is built in memory first,
// so w receives either the whole page or nothing.
func Render(w io.Writer, rv *report.View) error {
	if rv == nil {
		return fmt.Errorf("report: no results to render")
	}
	v, err := newView(rv)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		return fmt.Errorf("report: rendering HTML: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// view is what the page shows: the report's View, laid out for the page.
type view struct {
	Title       string
	Name        string
	Headline    report.Headline
	Tone        string // pass | fail | warn | neutral: the verdict's color
	Facts       []fact
	Warnings    []string
	Paired      bool
	Summary     []summaryRow
	Flows       bool // some scenario is a flow: its steps are rows too
	Checks      []checkRow
	CheckNote   string
	BaseColumn  string // the checks' value columns: Baseline/Current, or Base/Head
	CurColumn   string
	Scenarios   []scenarioView
	SwitchedOff []string
	Generator   string
	Profile     *profileView // where the time went (profile.go)
}

type fact struct{ Name, Value string }

type summaryRow struct {
	Scenario, Side                 string
	Flow                           bool   // a flow: its figures count iterations
	Step                           string // a flow's step: flow/step, the name checks use; Scenario is the step's
	Requests, Goodput, Spread      string
	ErrorRate, ErrorDetail         string
	P50, P90, P95, P99, Max, Codes string
	Bad                            bool
}

type checkRow struct {
	Scenario, Metric, Baseline, Current, Change, P, Rule, Status, Note string
	Tone                                                               string
	// ShowNote writes the note under the row (a check that did not
	// pass); a passing check's note is the row's tooltip.
	ShowNote bool
}

type scenarioView struct {
	ID     string
	Name   string
	Status string // worst check status, "" without a comparison
	Tone   string
	Charts []chartView
}

type chartView struct {
	SVG  template.HTML // from svgchart (html/template): escaped
	Wide bool          // spans the row
}

func newView(rv *report.View) (*view, error) {
	res := rv.Results
	h := rv.Headline
	v := &view{
		Title:       "perfgate " + rv.Name + " — " + h.Title,
		Name:        rv.Name,
		Headline:    h,
		Tone:        tone(h),
		Paired:      res.Mode == results.ModePaired && res.Paired != nil,
		SwitchedOff: res.SwitchedOff,
		Generator:   "perfgate " + rv.Version,
		BaseColumn:  rv.BaseColumn,
		CurColumn:   rv.CurrentColumn,
	}
	v.Facts = facts(res, rv.Mode.Plain())
	v.Profile = newProfileView(rv.Profile)
	v.Warnings = rv.Warnings
	warm := map[string]*results.Scenario{}
	for i := range res.Warmup {
		warm[res.Warmup[i].Name] = &res.Warmup[i]
	}
	base := map[string]*results.Scenario{}
	if v.Paired {
		for i := range res.Paired.BaseScenarios {
			base[res.Paired.BaseScenarios[i].Name] = &res.Paired.BaseScenarios[i]
		}
	}
	worst := map[string]string{}
	if rv.Judged {
		v.Checks, worst = checkRows(rv.Checks)
		v.CheckNote = "Change is shown with its " + strings.TrimSuffix(rv.Interval, " CI") + " confidence interval; failed checks first."
	}
	for i := range res.Scenarios {
		sc := &res.Scenarios[i]
		sideName := ""
		if v.Paired {
			sideName = "head"
		}
		v.Summary = append(v.Summary, summaryRows(sc, base[sc.Name], sideName)...)
		v.Flows = v.Flows || len(sc.Steps) > 0
		sides := []side{{Name: sideName, Scenario: sc, Warmup: warm[sc.Name]}}
		if b := base[sc.Name]; b != nil {
			sides = append(sides, side{Name: "base", Scenario: b})
		}
		sv := scenarioView{ID: "scenario-" + strconv.Itoa(i+1), Name: sc.Name, Status: flowStatus(sc, worst)}
		sv.Tone = statusTone(sv.Status)
		charts := timelineCharts(sc.Name, sides, storedGoodput(res, sc.Name))
		if d, ok := distributionChart(sc.Name, sides); ok {
			charts = append(charts, d)
		}
		if v.Paired {
			if p, ok := pairedChart(sc.Name, res.Paired); ok {
				charts = append(charts, p)
			}
		}
		for k, c := range charts {
			wide := len(charts)%2 == 1 && k == len(charts)-1
			if wide {
				// Alone on its row: as wide as the page, not taller.
				c.Width, c.Height = 1200, 290
			}
			svg, err := c.Render()
			if err != nil {
				return nil, err
			}
			sv.Charts = append(sv.Charts, chartView{SVG: svg, Wide: wide})
		}
		v.Scenarios = append(v.Scenarios, sv)
	}
	return v, nil
}

func tone(h report.Headline) string {
	switch {
	case h.Interrupted():
		return "warn"
	case h.Verdict == results.VerdictPass:
		return "pass"
	case h.Verdict == results.VerdictFail:
		return "fail"
	case h.Verdict == results.VerdictInconclusive:
		return "warn"
	}
	return "neutral"
}

func statusTone(s string) string {
	switch s {
	case results.CheckPass:
		return "pass"
	case results.CheckFail:
		return "fail"
	case "":
		return "neutral"
	}
	return "warn"
}

// facts are the context of the run: what, when, against what (judgedBy,
// the view's mode line), on what.
func facts(res *results.Results, judgedBy string) []fact {
	var out []fact
	add := func(name, value string) {
		if strings.TrimSpace(value) != "" {
			out = append(out, fact{name, value})
		}
	}
	add("Config", res.Name)
	if !res.StartedAt.IsZero() {
		s := res.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		if res.FinishedAt.After(res.StartedAt) {
			s += ", took " + res.FinishedAt.Sub(res.StartedAt).Round(time.Second).String()
		}
		add("Started", s)
	}
	// What judged the run, in the words of every other report.
	add("Judged by", judgedBy)
	l := res.Load
	var load string
	if l.Model == "open" {
		load = fmt.Sprintf("open model, %s req/s, at most %d in flight", num.Value(l.Rate), l.MaxInFlight)
	} else {
		load = fmt.Sprintf("closed model, %d workers", l.Workers)
	}
	if l.WarmupDuration != "" || l.WarmupRequests > 0 {
		load += ", warm-up " + bound(l.WarmupDuration, l.WarmupRequests)
	}
	if l.MeasureDuration != "" || l.MeasureRequests > 0 {
		load += ", " + strconv.Itoa(l.Repeat) + " × " + bound(l.MeasureDuration, l.MeasureRequests) + " measured"
	}
	if !l.KeepAlive {
		load += ", no keep-alive"
	}
	add("Load", load)
	client := res.Client
	if res.Protocol != "" {
		client += " over " + res.Protocol
	}
	add("Client", client)
	hst := res.Host
	host := fmt.Sprintf("%s × %d CPUs (GOMAXPROCS %d), %s/%s", hst.CPUModel, hst.CPUCount, hst.GOMAXPROCS, hst.OS, hst.Arch)
	if hst.Kernel != "" {
		host += ", kernel " + hst.Kernel
	}
	if hst.GoVersion != "" {
		host += ", " + hst.GoVersion
	}
	add("Host", host)
	var svcs []string
	for _, s := range res.Services {
		d := s.Name + " (" + s.Provider
		if s.Image != "" {
			d += " " + s.Image
		}
		if s.CPUs > 0 {
			d += ", " + strconv.FormatFloat(s.CPUs, 'f', -1, 64) + " CPUs"
		}
		if s.Memory != "" {
			d += ", " + s.Memory
		}
		svcs = append(svcs, d+")")
	}
	add("Services", strings.Join(svcs, ", "))
	add("perfgate", res.PerfgateVersion)
	return out
}

func bound(d string, n int64) string {
	switch {
	case d != "" && n > 0:
		return d + " or " + strconv.FormatInt(n, 10) + " requests"
	case n > 0:
		return strconv.FormatInt(n, 10) + " requests"
	}
	return d
}

// summaryRows are a scenario's rows in the figures table, its base's after
// each in paired mode; a flow's are followed by its steps', nested under it.
func summaryRows(sc, base *results.Scenario, sideName string) []summaryRow {
	rows := []summaryRow{summary(sc, sideName)}
	if base != nil {
		rows = append(rows, summary(base, "base"))
	}
	for i := range sc.Steps {
		st := &sc.Steps[i]
		full := sc.Name + results.StepSep + st.Name
		r := summary(st, sideName)
		r.Step = full
		rows = append(rows, r)
		if base == nil {
			continue
		}
		for j := range base.Steps {
			if base.Steps[j].Name == st.Name {
				r := summary(&base.Steps[j], "base")
				r.Step = full
				rows = append(rows, r)
				break
			}
		}
	}
	return rows
}

func summary(sc *results.Scenario, sideName string) summaryRow {
	lat := sc.LatencyMS
	r := summaryRow{
		Scenario: sc.Name, Side: sideName,
		Requests:  strconv.FormatInt(sc.Requests, 10),
		Goodput:   num.Value(sc.ThroughputRPS),
		ErrorRate: num.Percent(sc.ErrorRate, 2),
		P50:       num.Value(lat.P50), P90: num.Value(lat.P90), P95: num.Value(lat.P95), P99: num.Value(lat.P99), Max: num.Value(lat.Max),
		Bad: sc.Errors.Total() > 0, Flow: len(sc.Steps) > 0,
	}
	if len(sc.Runs) > 1 {
		lo, hi := sc.Runs[0].ThroughputRPS, sc.Runs[0].ThroughputRPS
		for _, run := range sc.Runs[1:] {
			lo, hi = min(lo, run.ThroughputRPS), max(hi, run.ThroughputRPS)
		}
		r.Spread = num.Value(lo) + "–" + num.Value(hi)
	}
	var classes []string
	for _, c := range []struct {
		n string
		v int64
	}{{"status", sc.Errors.Status}, {"timeout", sc.Errors.Timeout}, {"refused", sc.Errors.Refused}, {"reset", sc.Errors.Reset},
		{"other", sc.Errors.Other}, {"client", sc.Errors.Client}, {"dropped", sc.Errors.Dropped}} {
		if c.v > 0 {
			classes = append(classes, c.n+" "+strconv.FormatInt(c.v, 10))
		}
	}
	r.ErrorDetail = strings.Join(classes, ", ")
	codes := make([]string, 0, len(sc.StatusCounts))
	for k := range sc.StatusCounts {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	for i, k := range codes {
		codes[i] = k + "×" + strconv.FormatInt(sc.StatusCounts[k], 10)
	}
	r.Codes = strings.Join(codes, " ")
	return r
}

// flowStatus is a scenario's worst status, over a flow's steps too: a
// flow whose step failed is not shown as passed.
func flowStatus(sc *results.Scenario, worst map[string]string) string {
	st := worst[sc.Name]
	for _, step := range sc.Steps {
		if s, ok := worst[sc.Name+results.StepSep+step.Name]; ok && (st == "" || statusRank[s] > statusRank[st]) {
			st = s
		}
	}
	return st
}

// statusRank orders check statuses from best to worst.
var statusRank = map[string]int{results.CheckFail: 4, results.CheckInconclusive: 3, results.CheckMissing: 2, results.CheckInsufficient: 1, results.CheckPass: 0}

// checkRows are the view's checks, failed ones first (otherwise in the
// judge's order), and each scenario's worst status.
func checkRows(checks []report.CheckRow) ([]checkRow, map[string]string) {
	rank := statusRank
	worst := map[string]string{}
	sorted := append([]report.CheckRow(nil), checks...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return sorted[i].Status == results.CheckFail && sorted[j].Status != results.CheckFail
	})
	rows := make([]checkRow, 0, len(sorted))
	for _, ch := range sorted {
		if w, ok := worst[ch.Scenario]; !ok || rank[ch.Status] > rank[w] {
			worst[ch.Scenario] = ch.Status
		}
		rows = append(rows, checkRow{
			Scenario: ch.Scenario, Metric: ch.Metric, Baseline: ch.Baseline, Current: ch.Current,
			Change: ch.Change, P: ch.P, Rule: ch.Rule, Status: ch.Word, Note: ch.Note,
			Tone: statusTone(ch.Status), ShowNote: ch.Note != "" && ch.Status != results.CheckPass,
		})
	}
	return rows, worst
}
