package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/results"
)

// JSON writes res as indented JSON followed by a newline ("<" and ">" are
// written as they are, not as \u003c).
func JSON(w io.Writer, res *results.Results) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("report: encoding results as JSON: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// JUnit XML, in the shape CI systems (GitHub test reporters, Jenkins,
// GitLab) read: one <testsuite> per scenario (a flow's steps each their
// own, named flow/step), one <testcase> per check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// JUnit writes res as JUnit XML (RenderJUnit of its View).
func JUnit(w io.Writer, res *results.Results) error {
	if res == nil {
		return fmt.Errorf("report: no results to render")
	}
	return RenderJUnit(w, NewView(res, ViewOptions{}))
}

// RenderJUnit writes v as JUnit XML: one testsuite per scenario, one
// testcase per gate check; a failed check has a <failure> with its
// message, an insufficient or missing one is <skipped>. Without a
// comparison each scenario has one skipped case saying nothing was judged.
// A flow's steps are scenarios here as the judge sees them
// (results.Flatten): a suite each, named and classed flow/step
// (perfgate.login-me/login), right after their flow's suite.
func RenderJUnit(w io.Writer, v *View) error {
	if v == nil {
		return fmt.Errorf("report: no results to render")
	}
	doc := junitSuites{Name: "perfgate " + singleLine(v.Name)}
	var order []string
	suites := map[string]*junitSuite{}
	suite := func(name string) *junitSuite {
		if s, ok := suites[name]; ok {
			return s
		}
		s := &junitSuite{Name: singleLine(name)}
		suites[name] = s
		order = append(order, name)
		return s
	}
	measured := results.Flatten(v.Results.Scenarios)
	for _, sc := range measured {
		s := suite(sc.Name)
		s.Properties = []junitProperty{
			{"requests", strconv.FormatInt(sc.Requests, 10)},
			{"throughput_rps", strconv.FormatFloat(sc.ThroughputRPS, 'f', 1, 64)},
			{"error_rate", round(sc.ErrorRate, 6)},
			{"p50_ms", round(sc.LatencyMS.P50, 3)},
			{"p95_ms", round(sc.LatencyMS.P95, 3)},
			{"p99_ms", round(sc.LatencyMS.P99, 3)},
		}
	}
	if v.Judged {
		for _, ch := range v.Checks {
			s := suite(ch.Scenario)
			tc := junitCase{Classname: "perfgate." + singleLine(ch.Scenario)}
			switch {
			case ch.ScenarioLevel:
				tc.Name = "scenario present in baseline and run"
			default:
				tc.Name = ch.Metric + " " + ch.Rule
			}
			detail := fmt.Sprintf("baseline %s, current %s, change %s, p %s, %d+%d runs",
				ch.Baseline, ch.Current, ch.Change, ch.P, ch.SamplesBase, ch.SamplesCur)
			switch ch.Status {
			case results.CheckFail:
				typ := "regression"
				switch {
				case ch.ScenarioLevel:
					typ = "missing"
				case ch.Limit:
					typ = "limit"
				}
				tc.Failure = &junitMessage{Message: singleLine(ch.Note), Type: typ, Body: detail}
				s.Failures++
			case results.CheckInsufficient, results.CheckMissing:
				tc.Skipped = &junitMessage{Message: singleLine(ch.Note)}
				s.Skipped++
			case results.CheckInconclusive:
				// Undecided is never a pass: skipped, saying what would
				// decide it.
				msg := "undecided: " + v.Decide
				if ch.Note != "" {
					msg = singleLine(ch.Note) + "; " + msg
				}
				tc.Skipped = &junitMessage{Message: msg, Body: detail}
				s.Skipped++
			default:
				tc.SystemOut = detail
			}
			s.Cases = append(s.Cases, tc)
			s.Tests++
		}
	} else {
		for _, sc := range measured {
			s := suite(sc.Name)
			s.Cases = append(s.Cases, junitCase{
				Name: "judged against a baseline", Classname: "perfgate." + singleLine(sc.Name),
				Skipped: &junitMessage{Message: "no baseline: nothing was judged"},
			})
			s.Tests++
			s.Skipped++
		}
	}
	for _, name := range byFlow(order) {
		s := suites[name]
		doc.Suites = append(doc.Suites, *s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
	}
	data, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encoding JUnit XML: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// byFlow orders scenario names so that each flow/step follows its flow
// (and the flow's other steps) even when only a check names it, as one a
// baseline has and this run did not measure; otherwise the order stays.
func byFlow(names []string) []string {
	group := map[string]int{}
	key := func(name string) int {
		flow, _, _ := strings.Cut(name, results.StepSep)
		if _, ok := group[flow]; !ok {
			group[flow] = len(group)
		}
		return group[flow]
	}
	out := append([]string(nil), names...)
	for _, n := range out {
		key(n)
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// round formats v with at most dec decimals, without trailing zeros.
func round(v float64, dec int) string {
	p := math.Pow(10, float64(dec))
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

// BaselineDiff renders the old-vs-new table `perfgate baseline update`
// shows before (or after) replacing a baseline: medians over runs of every
// judged metric per scenario, and the change.
func BaselineDiff(w io.Writer, rows []baseline.DiffRow, color bool) error {
	t := table.NewWriter()
	if color {
		t.SetStyle(table.StyleRounded)
	} else {
		t.SetStyle(table.StyleLight)
	}
	t.AppendHeader(table.Row{"Scenario", "Metric", "Old", "New", "Change", "Runs old→new"})
	for _, r := range rows {
		old, cur, change := "—", "—", "—"
		if r.HasOld {
			old = FormatValue(r.Metric, r.Old)
		}
		if r.HasNew {
			cur = FormatValue(r.Metric, r.New)
		}
		switch {
		case r.ChangeOK:
			change = num.Signed(r.Change, r.Metric == baseline.MetricErrorRate)
		case r.HasOld && !r.HasNew:
			change = paint(color, "removed", text.FgYellow)
		case !r.HasOld && r.HasNew:
			change = paint(color, "new", text.FgCyan)
		}
		t.AppendRow(table.Row{singleLine(r.Scenario), r.Metric, old, cur, change, fmt.Sprintf("%d→%d", r.RunsOld, r.RunsNew)})
	}
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 3, Align: text.AlignRight}, {Number: 4, Align: text.AlignRight}, {Number: 5, Align: text.AlignRight},
	})
	_, err := io.WriteString(w, t.Render()+"\n")
	return err
}
