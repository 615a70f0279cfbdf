package publish

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

func TestMarker(t *testing.T) {
	cases := map[string]string{
		"api":             "<!-- perfgate:api -->",
		"":                "<!-- perfgate:default -->",
		"auth-stack_v1.2": "<!-- perfgate:auth-stack_v1.2 -->",
		"x -->evil":       "<!-- perfgate:x%20--%3Eevil -->",
		"a/b":             "<!-- perfgate:a%2Fb -->",
		"é":               "<!-- perfgate:%C3%A9 -->",
	}
	for in, want := range cases {
		if got := Marker(in); got != want {
			t.Errorf("Marker(%q) = %q, want %q", in, got, want)
		}
		if strings.Count(Marker(in), "-->") != 1 {
			t.Errorf("Marker(%q) closes the HTML comment early", in)
		}
	}
	if Marker("a b") == Marker("a_b") || Marker("a%20b") == Marker("a b") {
		t.Error("distinct names share a marker")
	}
}

func TestBodyEscapesUntrustedText(t *testing.T) {
	res := resultstest.Sample(results.VerdictFail)
	res.Name = "api\n# injected heading"
	res.Comparison.Checks[0].Scenario = "login | x |\n\n<img src=x onerror=alert(1)>"
	res.Host.CPUModel = "Fake CPU | evil"
	res.Warnings = []string{"warn\n\n## injected\n<!-- perfgate:other -->"}
	body, _ := Body(res, BodyOptions{RunURL: "https://github.example/a/b/actions/runs/1) [x](y"})
	for _, bad := range []string{"\n# injected", "\n## injected", "<img", "| evil", "<!-- perfgate:other -->", "runs/1)"} {
		if unescaped(body, bad) {
			t.Errorf("body contains %q:\n%s", bad, body)
		}
	}
	if !strings.HasPrefix(body, Marker(res.Name)+"\n") {
		t.Errorf("body does not start with the marker:\n%s", body)
	}
}

func TestBodyConfigPathInHint(t *testing.T) {
	res := resultstest.Sample(results.VerdictNoBaseline)
	cases := []struct{ cfg, ws, want string }{
		{"perfgate.yaml", "", "perfgate baseline update -c perfgate.yaml\ngit add baselines/\n"},
		{"/home/runner/work/shop/shop/bench/perfgate.yaml", "/home/runner/work/shop/shop", "perfgate baseline update -c bench/perfgate.yaml\ngit add bench/baselines/\n"},
		{"my dir/it's.yaml", "", "perfgate baseline update -c 'my dir/it'\\''s.yaml'\ngit add 'my dir/baselines/'\n"},
		{"```\nrm -rf /", "", "perfgate baseline update -c '```rm -rf /'"},
	}
	for _, c := range cases {
		body, _ := Body(res, BodyOptions{ConfigPath: c.cfg, Workspace: c.ws})
		if !strings.Contains(body, c.want) {
			t.Errorf("config %q: body lacks %q:\n%s", c.cfg, c.want, body)
		}
		if strings.Count(body, "````") != 0 && !strings.Contains(c.cfg, "`") {
			t.Errorf("unexpected long fence")
		}
	}
	body, _ := Body(res, BodyOptions{ConfigPath: "```\nrm -rf /"})
	if !strings.Contains(body, "````sh\n") {
		t.Errorf("a path with backticks did not get a longer fence:\n%s", body)
	}
}

func TestBodyVerdicts(t *testing.T) {
	for _, c := range []struct{ verdict, want string }{
		{results.VerdictPass, "\n### ✅ perfgate api: PASS — 2 checks passed\n"},
		{results.VerdictFail, "\n### ❌ perfgate api: FAIL — 1 regression in 1 scenario\n"},
		{results.VerdictNoBaseline, "\n### ⚪ perfgate api: NO BASELINE — nothing judged\n"},
	} {
		body, cut := Body(resultstest.Sample(c.verdict), BodyOptions{})
		if cut || !strings.Contains(body, c.want) {
			t.Errorf("%s: cut=%v body:\n%s", c.verdict, cut, body)
		}
		// The verdict comes first, right after the marker.
		lines := strings.SplitN(body, "\n", 3)
		if !strings.HasPrefix(lines[1], "### ") {
			t.Errorf("%s: second line %q is not the verdict heading", c.verdict, lines[1])
		}
	}
	// No baseline, but the error-rate ceiling was judged: said so, as in
	// the reports.
	nb := resultstest.Sample(results.VerdictNoBaseline)
	nb.Comparison = &results.Comparison{Alpha: 0.05, Checks: []results.Check{
		{Scenario: "login", Metric: "error_rate", Gate: "error_rate_max", Rule: "<= 1%", Status: results.CheckPass, SamplesCur: 5},
	}}
	body, _ := Body(nb, BodyOptions{})
	if want := "### ⚪ perfgate api: NO BASELINE — only the error-rate ceiling was judged\n"; !strings.Contains(body, want) || strings.Contains(body, "not judged") {
		t.Errorf("no baseline with a judged ceiling: body lacks %q:\n%s", want, body)
	}
	if h := report.VerdictHeadline(nb); !strings.Contains(body, h.Title+" — "+h.Summary) {
		t.Errorf("the comment's heading is not report's headline %+v", h)
	}
	// A baselined scenario that was not measured is listed with its note.
	gone := resultstest.Sample(results.VerdictFail)
	gone.Comparison.Checks = append(gone.Comparison.Checks, results.Check{Scenario: "gone", Status: results.CheckFail, Note: "in the baseline but not measured in this run", SamplesBase: 5})
	body, _ = Body(gone, BodyOptions{})
	if want := "FAIL — 1 regression in 1 scenario, 1 baseline scenario not measured\n"; !strings.Contains(body, want) || !strings.Contains(body, "\n- ❌ gone: in the baseline but not measured in this run\n") {
		t.Errorf("missing scenario:\n%s", body)
	}
	// An interrupted run never reads as passed, and says why it stopped.
	res := resultstest.Sample(results.VerdictPass)
	res.Interrupted = true
	res.Note = "service auth died (exit status 137)"
	body, _ = Body(res, BodyOptions{})
	if want := "\n### ⚠️ perfgate api: INTERRUPTED — the run did not finish: service auth died (exit status 137)\n"; !strings.Contains(body, want) {
		t.Errorf("interrupted: body lacks %q:\n%s", want, body)
	}
	head := strings.SplitN(body, "| Scenario |", 2)[0] // the table's result column may say PASS
	for _, bad := range []string{"PASS", "passed", "✅"} {
		if strings.Contains(head, bad) {
			t.Errorf("interrupted run reads as passed (%q):\n%s", bad, head)
		}
	}
	if strings.Contains(body, "Nothing to do") {
		t.Errorf("interrupted run says there is nothing to do:\n%s", body)
	}
	if !strings.Contains(body, "not a pass") || !strings.Contains(body, "re-run the job") {
		t.Errorf("interrupted: no note or next step:\n%s", body)
	}
}

func TestBodyTruncation(t *testing.T) {
	res := resultstest.Sample(results.VerdictFail)
	for i := range 2000 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("warning %d: %s", i, strings.Repeat("é", 100)))
	}
	for i := range 300 {
		res.Services = append(res.Services, results.ServiceInfo{Name: fmt.Sprintf("svc%d", i), Provider: "container", Image: strings.Repeat("i", 100)})
	}
	for _, limit := range []int{0, 5000, 1500} {
		body, cut := Body(res, BodyOptions{RunURL: "https://github.example/a/b/actions/runs/1", Limit: limit})
		max := limit
		if max == 0 {
			max = MaxCommentBytes
		}
		if !cut || len(body) > max || !utf8.ValidString(body) {
			t.Fatalf("limit %d: cut=%v len=%d valid=%v", limit, cut, len(body), utf8.ValidString(body))
		}
		for _, want := range []string{Marker("api") + "\n", "### ❌ perfgate api: FAIL", "cut to fit", "actions/runs/1"} {
			if !strings.Contains(body, want) {
				t.Errorf("limit %d: truncated body lacks %q", limit, want)
			}
		}
		if o, c := strings.Count(body, "<details>"), strings.Count(body, "</details>"); o != c {
			t.Errorf("limit %d: %d <details> but %d </details>", limit, o, c)
		}
		if n := strings.Count(body, "```"); n%2 != 0 {
			t.Errorf("limit %d: unbalanced code fences", limit)
		}
	}
}

func TestCutMarkdownClosesFence(t *testing.T) {
	s := "intro\n```sh\n" + strings.Repeat("line\n", 100) + "```\nafter\n"
	got := cutMarkdown(s, 60)
	if len(got) > 60 || !strings.HasSuffix(got, "```\n") || strings.Count(got, "```")%2 != 0 {
		t.Errorf("cut %q", got)
	}
	if cutMarkdown(s, len(s)) != s {
		t.Error("a body that fits was changed")
	}
}

// unescaped reports whether sub occurs in s without a backslash before it.
func unescaped(s, sub string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], sub)
		if j < 0 {
			return false
		}
		if i+j == 0 || s[i+j-1] != '\\' {
			return true
		}
		i += j + 1
	}
}

func FuzzBody(f *testing.F) {
	f.Add("api", "login", "warn", "perfgate.yaml", 0)
	f.Add("x -->", "a|b\n", "<!-- perfgate:x -->", "```", 900)
	f.Add("", "@here #1", "\r\n::error::x", "a b/c", 300)
	f.Fuzz(func(t *testing.T, name, scenario, warning, cfg string, limit int) {
		if limit < 0 || limit > 1<<20 {
			t.Skip()
		}
		res := resultstest.Sample(results.VerdictFail)
		res.Name = name
		res.Comparison.Checks[0].Scenario = scenario
		res.Warnings = []string{warning, strings.Repeat(warning, 50)}
		body, _ := Body(res, BodyOptions{ConfigPath: cfg, Limit: limit})
		if !strings.HasPrefix(body, Marker(name)+"\n") {
			t.Fatalf("body does not start with the marker: %q", body[:min(len(body), 80)])
		}
		if limit > 2000 && len(body) > limit {
			t.Fatalf("len %d over limit %d", len(body), limit)
		}
		if strings.Count(body, "<!-- ") != 1 {
			t.Fatalf("an HTML comment other than the marker: %q", body)
		}
		if utf8.ValidString(name+scenario+warning+cfg) && !utf8.ValidString(body) {
			t.Fatal("invalid UTF-8 out of valid input")
		}
	})
}

func BenchmarkBodyLarge(b *testing.B) {
	res := resultstest.Sample(results.VerdictFail)
	for i := range 500 {
		res.Comparison.Checks = append(res.Comparison.Checks, results.Check{Scenario: fmt.Sprintf("s%d", i), Metric: "p99", Status: results.CheckFail, Change: 0.2})
		res.Warnings = append(res.Warnings, strings.Repeat("w", 200))
	}
	b.ReportAllocs()
	for b.Loop() {
		Body(res, BodyOptions{})
	}
}
