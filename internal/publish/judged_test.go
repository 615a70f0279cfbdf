package publish

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/results"
)

// pairedResults is a canned paired run with the given verdict.
func pairedResults(verdict string) *results.Results {
	r := sampleResults(results.VerdictPass)
	r.Verdict = verdict
	r.Mode = results.ModePaired
	r.Comparison.Baseline = ""
	r.Paired = &results.Paired{
		BaseRef: "origin/main", BaseCommit: "4f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a098",
		HeadCommit: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
		Rounds:     12, MaxRounds: 32, Order: "ABBA", SliceS: 3, LoadS: 72, Looks: []int{8, 12},
		StoppedBy: "decided",
	}
	switch verdict {
	case results.VerdictFail:
		r.Comparison.Checks[0].Status = results.CheckFail
	case results.VerdictInconclusive:
		r.Paired.Rounds, r.Paired.LoadS, r.Paired.StoppedBy, r.Paired.Detectable = 32, 192, "budget", 0.072
		r.Paired.Looks = []int{8, 12, 16, 20, 24, 28, 32}
		ch := &r.Comparison.Checks[1]
		ch.Status, ch.Change, ch.ChangeLow, ch.ChangeHigh = results.CheckInconclusive, -0.04, -0.09, 0.01
	}
	return r
}

func TestBodyJudgedBy(t *testing.T) {
	baseDate := time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)
	stored := sampleResults(results.VerdictPass)
	stored.Mode = results.ModeBaseline
	stored.Comparison.Baseline = "/home/runner/work/shop/shop/baselines/api.json"
	stored.Comparison.BaselineDate = baseDate
	noisy := pairedResults(results.VerdictPass)
	noisy.Paired.ForeignCPUAdjusted = true
	old := sampleResults(results.VerdictFail) // an older file: no mode
	old.Comparison.BaselineDate = baseDate

	for _, c := range []struct {
		name    string
		res     *results.Results
		exit    string
		want    []string
		notWant []string
	}{
		{"paired pass", pairedResults(results.VerdictPass), "0", []string{
			"### ✅ perfgate api: PASS",
			"**Judged by:** paired run on this runner — base origin/main `4f1c2a9` vs head `9a8b7c6`, 12 rounds of 32 (ABBA), 72 s of load, stopped once every gate was decided",
			"- Nothing to do: the head is within every gate of its base commit.",
		}, []string{"INCONCLUSIVE", "perfgate baseline update", "stored baseline", "paired against"}},
		{"paired pass beside a neighbour", noisy, "0", []string{
			"stopped once every gate was decided; adjusted for the CPU a neighbour took from each slice",
		}, nil},
		{"paired fail", pairedResults(results.VerdictFail), "1", []string{
			"### ❌ perfgate api: FAIL",
			"**Judged by:** paired run on this runner",
			"login **p99**",
			"There is no baseline to refresh: the pull request's base commit is the reference.",
		}, []string{"perfgate baseline update", "INCONCLUSIVE"}},
		{"paired inconclusive, exit 0", pairedResults(results.VerdictInconclusive), "0", []string{
			"### 〰️ perfgate api: INCONCLUSIVE — undecided within the budget: this run could tell a 7.2% change from none",
			"32 rounds of 32 (ABBA), 192 s of load, stopped at the time budget (gates.max_time)",
			"> **〰️ INCONCLUSIVE**: after 32 paired rounds (192 s of load) this run could tell a 7.2% change from none",
			"it did not fail the job",
			"Still undecided:",
			"login **goodput**",
			"interval -9.0% … +1.0%",
			"raise `gates.max_time`",
		}, []string{"failed the job", "perfgate baseline update", "❌"}},
		{"paired inconclusive, exit 1 (fail_inconclusive)", pairedResults(results.VerdictInconclusive), "1", []string{
			"It **failed the job**, because the config sets `gates.fail_inconclusive`.",
		}, []string{"did not fail the job"}},
		{"paired inconclusive, exit unknown (outside the action)", pairedResults(results.VerdictInconclusive), "", []string{
			"It does **not fail the job** unless the config sets `gates.fail_inconclusive: true`.",
		}, nil},
		{"stored baseline", stored, "0", []string{
			"**Judged by:** the stored baseline `baselines/api.json`, recorded 2026-11-30 14:05 UTC (stored-baseline mode)",
			"perfgate baseline update",
		}, []string{"paired", "/home/runner"}},
		{"older results without mode", old, "1", []string{
			"**Judged by:** the stored baseline `baselines/api.json`, recorded 2026-11-30",
		}, []string{"paired run"}},
		{"no baseline", sampleResults(results.VerdictNoBaseline), "0", nil, []string{"Judged by"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, _ := Body(c.res, BodyOptions{Workspace: "/home/runner/work/shop/shop", Exit: c.exit})
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(body, w) {
					t.Errorf("body has %q:\n%s", w, body)
				}
			}
			// The mode is said before the table, near the verdict.
			if j, tbl := strings.Index(body, "**Judged by:**"), strings.Index(body, "\n|"); j >= 0 && tbl >= 0 && j > tbl {
				t.Errorf("Judged by comes after the table:\n%s", body)
			}
			if os.Getenv("PERFGATE_SHOW_BODY") != "" {
				t.Logf("\n%s", body)
			}
		})
	}
}

// TestBodyPairedEscapesRefs: a base ref comes from the user (any revision):
// it must not inject Markdown.
func TestBodyPairedEscapesRefs(t *testing.T) {
	r := pairedResults(results.VerdictPass)
	r.Paired.BaseRef = "main](https://evil)<img>"
	r.Paired.BaseCommit = "dead`beef\nline"
	body, _ := Body(r, BodyOptions{})
	for _, bad := range []string{"](https://evil)", "<img>", "dead`beef", "beef\nline"} {
		if strings.Contains(body, bad) {
			t.Errorf("body carries %q unescaped:\n%s", bad, body)
		}
	}
}

func TestExitCode(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "1": "1", "": "", "12": "", "x": "", "-1": ""} {
		if got := exitCode(in); got != want {
			t.Errorf("exitCode(%q) = %q, want %q", in, got, want)
		}
	}
}
