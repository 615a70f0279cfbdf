package htmlreport

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// flowResults has health, then the flow login-me with steps signup and me
// (each with its own throughput); paired adds the base side of each.
func flowResults(t *testing.T, paired bool) *results.Results {
	t.Helper()
	flow := func(rps float64) results.Scenario {
		f := resultstest.Timed(t, "login-me", rps, 2)
		f.Steps = []results.Scenario{resultstest.Timed(t, "signup", 2*rps, 2), resultstest.Timed(t, "me", 3*rps, 2)}
		return f
	}
	res := resultstest.Bare()
	res.Scenarios = []results.Scenario{resultstest.Timed(t, "health", 900, 2), flow(100)}
	if paired {
		res.Mode = results.ModePaired
		res.Paired = &results.Paired{BaseRef: "main", Rounds: 2, MaxRounds: 4, Order: "ABBA",
			BaseScenarios: []results.Scenario{resultstest.Timed(t, "health", 910, 2), flow(110)}}
	}
	return res
}

// TestFiguresNestSteps: the figures table lists a flow's steps under the
// flow, named by step (flow/step as their tooltip), with every column.
func TestFiguresNestSteps(t *testing.T) {
	type row struct{ name, side, step, requests string }
	tests := []struct {
		name   string
		paired bool
		rows   []row
	}{
		{"run", false, []row{
			{"health", "", "", "5400"},
			{"login-me (flow)", "", "", "600"},
			{"└ signup", "", "login-me/signup", "1200"},
			{"└ me", "", "login-me/me", "1800"},
		}},
		{"paired", true, []row{
			{"health", "head", "", "5400"},
			{"health", "base", "", "5460"},
			{"login-me (flow)", "head", "", "600"},
			{"login-me (flow)", "base", "", "660"},
			{"└ signup", "head", "login-me/signup", "1200"},
			{"└ signup", "base", "login-me/signup", "1320"},
			{"└ me", "head", "login-me/me", "1800"},
			{"└ me", "base", "login-me/me", "1980"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := render(t, flowResults(t, tt.paired))
			figs := d.all(func(n *html.Node) bool { id, _ := attr(n, "id"); return id == "figures" })
			if len(figs) != 1 {
				t.Fatalf("%d figures sections", len(figs))
			}
			sec := doc{root: figs[0]}
			header := sec.all(tag("th"))
			trs := (doc{root: sec.all(tag("tbody"))[0]}).all(tag("tr"))
			if len(trs) != len(tt.rows) {
				t.Fatalf("%d rows, want %d", len(trs), len(tt.rows))
			}
			for i, tr := range trs {
				w := tt.rows[i]
				tds := (doc{root: tr}).all(tag("td"))
				if len(tds) != len(header) {
					t.Fatalf("row %d: %d cells, %d columns", i, len(tds), len(header))
				}
				got := row{name: text(tds[0])}
				c := 1
				if tt.paired {
					got.side, c = text(tds[1]), 2
				}
				got.requests = text(tds[c])
				got.step, _ = attr(tr, "data-step")
				if got != w {
					t.Errorf("row %d: %+v, want %+v", i, got, w)
				}
				class, _ := attr(tr, "class")
				title, _ := attr(tds[0], "title")
				if isStep := w.step != ""; isStep != (class == "step") || isStep && title != w.step {
					t.Errorf("row %d (%s): class %q, title %q", i, w.name, class, title)
				}
			}
			if !strings.Contains(text(figs[0]), "A flow's figures count iterations") {
				t.Error("the caption does not say what a flow's figures count")
			}
			// The charts stay per top-level scenario.
			if n := len(d.all(func(n *html.Node) bool { _, ok := attr(n, "data-scenario"); return ok })); n != 2 {
				t.Errorf("%d scenario sections, want 2", n)
			}
		})
	}
	if strings.Contains(text(render(t, resultstest.Bare()).root), "A flow's figures") {
		t.Error("the flow caption shows without a flow")
	}
}

// A flow's status pill counts its steps' checks: a flow whose step failed
// is not shown as passed.
func TestFlowStatusCountsSteps(t *testing.T) {
	flow := &results.Scenario{Name: "login-me", Steps: []results.Scenario{{Name: "signup"}, {Name: "me"}}}
	for _, tt := range []struct {
		name  string
		worst map[string]string
		want  string
	}{
		{"own only", map[string]string{"login-me": results.CheckPass}, results.CheckPass},
		{"a step failed", map[string]string{"login-me": results.CheckPass, "login-me/me": results.CheckFail}, results.CheckFail},
		{"a step undecided", map[string]string{"login-me": results.CheckPass, "login-me/signup": results.CheckInconclusive}, results.CheckInconclusive},
		{"flow failed, steps passed", map[string]string{"login-me": results.CheckFail, "login-me/me": results.CheckPass}, results.CheckFail},
		{"only a step judged", map[string]string{"login-me/me": results.CheckPass}, results.CheckPass},
		{"nothing judged", map[string]string{"other": results.CheckFail}, ""},
	} {
		if got := flowStatus(flow, tt.worst); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
