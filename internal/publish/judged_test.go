package publish

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

func TestBodyJudgedBy(t *testing.T) {
	baseDate := time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)
	stored := resultstest.Sample(results.VerdictPass)
	stored.Mode = results.ModeBaseline
	stored.Comparison.Baseline = "/home/runner/work/shop/shop/baselines/api.json"
	stored.Comparison.BaselineDate = baseDate
	noisy := resultstest.SamplePaired(results.VerdictPass)
	noisy.Paired.ForeignCPUAdjusted = true
	old := resultstest.Sample(results.VerdictFail) // an older file: no mode
	old.Comparison.BaselineDate = baseDate

	for _, c := range []struct {
		name    string
		res     *results.Results
		exit    string
		want    []string
		notWant []string
	}{
		{"paired pass", resultstest.SamplePaired(results.VerdictPass), "0", []string{
			"### ✅ perfgate api: PASS",
			"**Judged by:** paired run on this runner — base origin/main `4f1c2a9` vs head `9a8b7c6`, 12 rounds of 32 (ABBA), 72 s of load, stopped once every gate was decided",
			"- Nothing to do: the head is within every gate of its base commit.",
		}, []string{"INCONCLUSIVE", "perfgate baseline update", "stored baseline", "paired against"}},
		{"paired pass beside a neighbour", noisy, "0", []string{
			"stopped once every gate was decided; adjusted for the CPU a neighbour took from each slice",
		}, nil},
		{"paired fail", resultstest.SamplePaired(results.VerdictFail), "1", []string{
			"### ❌ perfgate api: FAIL",
			"**Judged by:** paired run on this runner",
			"login **p99**",
			"There is no baseline to refresh: the pull request's base commit is the reference.",
		}, []string{"perfgate baseline update", "INCONCLUSIVE"}},
		{"paired inconclusive, exit 0", resultstest.SamplePaired(results.VerdictInconclusive), "0", []string{
			"### 〰️ perfgate api: INCONCLUSIVE — undecided within the budget: this run could tell a 7.2% change from none",
			"32 rounds of 32 (ABBA), 192 s of load, stopped at the time budget (gates.max_time)",
			"> **〰️ INCONCLUSIVE**: after 32 paired rounds (192 s of load) this run could tell a 7.2% change from none",
			"it did not fail the job",
			"Still undecided:",
			"login **goodput**",
			"interval -9.0% … +1.0%",
			"raise `gates.max_time`",
		}, []string{"failed the job", "perfgate baseline update", "❌"}},
		{"paired inconclusive, exit 1 (fail_inconclusive)", resultstest.SamplePaired(results.VerdictInconclusive), "1", []string{
			"It **failed the job**, because the config sets `gates.fail_inconclusive`.",
		}, []string{"did not fail the job"}},
		{"paired inconclusive, exit unknown (outside the action)", resultstest.SamplePaired(results.VerdictInconclusive), "", []string{
			"It does **not fail the job** unless the config sets `gates.fail_inconclusive: true`.",
		}, nil},
		{"stored baseline", stored, "0", []string{
			"**Judged by:** the stored baseline `baselines/api.json`, recorded 2026-11-30 14:05 UTC (stored-baseline mode)",
			"perfgate baseline update",
		}, []string{"paired", "/home/runner"}},
		{"older results without mode", old, "1", []string{
			"**Judged by:** the stored baseline `baselines/api.json`, recorded 2026-11-30",
		}, []string{"paired run"}},
		{"no baseline", resultstest.Sample(results.VerdictNoBaseline), "0", nil, []string{"Judged by"}},
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
	r := resultstest.SamplePaired(results.VerdictPass)
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
