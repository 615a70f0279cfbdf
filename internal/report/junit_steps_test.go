package report

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/results"
)

// flow is login-me (steps signup and me) and health; when meRPS is below
// 1000 the step me is that much slower than in flowRun(1000).
func flowRun(meRPS float64) *results.Results {
	f := scenario("login-me", 0, 500, 505, 495, 502, 498)
	f.Steps = []results.Scenario{
		scenario("signup", 0, 1000, 1010, 990, 1005, 995),
		scenario("me", 0, meRPS, meRPS+10, meRPS-10, meRPS+5, meRPS-5),
	}
	return resultsOf(f, scenario("health", 0, 5000, 5020, 4990, 5010, 4980))
}

// flowJudged is flowRun with the step me 25% slower than its baseline, and
// a step the baseline has that this run lost (login-me/old).
func flowJudged() *results.Results {
	old := flowRun(1000)
	old.Scenarios[0].Steps = append(old.Scenarios[0].Steps, scenario("old", 0, 100, 101, 102, 103, 104))
	old.FinishedAt = time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	cur := flowRun(750)
	compare.Apply(runToRun, baseline.FromResults(old), cur, compare.Options{BaselinePath: "baselines/auth.json"})
	return cur
}

// TestJUnitFlowSteps: a flow's steps are test suites of their own, named
// flow/step, right after their flow, each with its figures; every check
// is exactly one test case, in the suite of its scenario.
func TestJUnitFlowSteps(t *testing.T) {
	tests := []struct {
		name       string
		res        *results.Results
		suites     []string // in order
		properties map[string]string
		failed     map[string]int // failures per suite
	}{
		{
			name:       "judged, one step regressed, one step gone",
			res:        flowJudged(),
			suites:     []string{"login-me", "login-me/signup", "login-me/me", "login-me/old", "health"},
			properties: map[string]string{"login-me": "500", "login-me/signup": "1000", "login-me/me": "750", "health": "5000"},
			failed:     map[string]int{"login-me/me": 4, "login-me/old": 1},
		},
		{
			name:       "no comparison",
			res:        flowRun(1000),
			suites:     []string{"login-me", "login-me/signup", "login-me/me", "health"},
			properties: map[string]string{"login-me": "500", "login-me/signup": "1000", "login-me/me": "1000", "health": "5000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JUnit(&buf, tt.res); err != nil {
				t.Fatal(err)
			}
			var doc junitSuites
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("not valid XML: %v\n%s", err, buf.String())
			}
			var names []string
			cases := map[string][]junitCase{}
			total, failures := 0, 0
			for _, s := range doc.Suites {
				names = append(names, s.Name)
				cases[s.Name] = s.Cases
				if len(s.Cases) != s.Tests {
					t.Errorf("suite %s: %d cases, tests=%d", s.Name, len(s.Cases), s.Tests)
				}
				if s.Failures != tt.failed[s.Name] {
					t.Errorf("suite %s: %d failures, want %d", s.Name, s.Failures, tt.failed[s.Name])
				}
				for _, c := range s.Cases {
					if c.Classname != "perfgate."+s.Name {
						t.Errorf("suite %s has a case of class %q", s.Name, c.Classname)
					}
				}
				total += s.Tests
				failures += s.Failures
				got := ""
				for _, p := range s.Properties {
					if p.Name == "throughput_rps" {
						got = p.Value
					}
				}
				if want, ok := tt.properties[s.Name]; ok && got != want+".0" {
					t.Errorf("suite %s: throughput_rps property %q, want %s.0", s.Name, got, want)
				}
			}
			if len(names) != len(tt.suites) {
				t.Fatalf("suites %q, want %q", names, tt.suites)
			}
			for i := range names {
				if names[i] != tt.suites[i] {
					t.Fatalf("suites %q, want %q", names, tt.suites)
				}
			}
			if doc.Tests != total || doc.Failures != failures {
				t.Errorf("testsuites tests=%d failures=%d; the suites add up to %d, %d", doc.Tests, doc.Failures, total, failures)
			}
			c := tt.res.Comparison
			if c == nil {
				for _, name := range tt.suites {
					if len(cases[name]) != 1 || cases[name][0].Skipped == nil {
						t.Errorf("suite %s: %d cases, want one skipped case", name, len(cases[name]))
					}
				}
				return
			}
			// Every check once: its scenario's suite has as many cases as
			// the scenario has checks, failed where the check failed.
			want := map[string]int{}
			for _, ch := range c.Checks {
				want[ch.Scenario]++
			}
			for name, n := range want {
				if len(cases[name]) != n {
					t.Errorf("suite %s: %d cases, want one per check (%d)", name, len(cases[name]), n)
				}
			}
			if total != len(c.Checks) || failures != len(compare.Failures(c)) {
				t.Errorf("%d cases (%d failed), want %d checks (%d failed)", total, failures, len(c.Checks), len(compare.Failures(c)))
			}
		})
	}
}
